"""Windows `Get-HNSNetwork` output (the `HNSNetwork` file of a Windows agent bundle, or pasted).

Two shapes: PowerShell's list (what the bundle holds) and `Get-HNSNetwork | ConvertTo-Json` (what
the tool's own collecting command asks for, diagnose.bundle.artifacts), read into the same HnsNetwork.

PowerShell prints each network as a list of ``Property : value`` lines, one block per network,
long values continued on indented lines; nested objects render as ``@{Key=value; ...}`` and
collections as ``{item, item}``. PowerShell shows at most 4 items of a collection by default
($FormatEnumerationLimit) and then ``...``: an extension missing from a cut list is unknown,
not absent. Antrea's network is named ``antrea-hnsnetwork`` and needs the ``Open vSwitch
Extension`` enabled (antrea-io/antrea pkg/agent/util/net_windows.go, hack/windows/Prepare-AntreaAgent.ps1).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from diagnose.parse.shell import split_prompt

ANTREA_NETWORK = "antrea-hnsnetwork"
OVS_EXTENSION = "Open vSwitch Extension"

_MAX_TEXT = 4 * 1024 * 1024
_PROP = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9]{0,63})\s*:(?: (?P<value>.*))?$")
_OBJECT = re.compile(r"@\{([^{}]{0,2000})\}")


@dataclass
class HnsNetwork:
    """An HNS network of `Get-HNSNetwork`, with the lines of its properties."""

    name: str | None = None
    type: str | None = None
    adapter: str | None = None  # NetworkAdapterName
    state: str | None = None
    subnets: list[str] = field(default_factory=list)  # AddressPrefix of each subnet
    extensions: dict[str, bool] = field(default_factory=dict)  # name -> IsEnabled
    extensions_cut: bool = False  # the Extensions list ended with "..."
    management_ip: str | None = None  # ManagementIP: the Node IP HNS gave the host vNIC
    source_mac: str | None = None  # SourceMac: the uplink's MAC, which the host vNIC takes over
    props: dict[str, str] = field(default_factory=dict)
    line: int = 0  # line of its first property
    lines: dict[str, int] = field(default_factory=dict)  # property -> its line (for evidence)
    source: str = ""  # the artifact it was read from (set by diagnose.rules.evidence, for evidence lines)

    def extension_enabled(self, name: str) -> bool | None:
        if name in self.extensions:
            return self.extensions[name]
        return None if self.extensions_cut or not self.extensions else False


def parse_networks(text: str) -> list[HnsNetwork]:
    text = (text or "")[:_MAX_TEXT]
    _, body = split_prompt(text)
    if body.lstrip()[:1] in ("[", "{"):
        return _parse_json(text, body)
    nets: list[HnsNetwork] = []
    current: HnsNetwork | None = None
    last_key: str | None = None
    for i, line in enumerate(text.splitlines(), 1):  # a prompt line matches no property
        line = line.rstrip()
        if not line:
            current, last_key = None, None
            continue
        m = _PROP.match(line)
        if m and not line[0].isspace():
            if current is None:
                current = HnsNetwork(line=i)
                nets.append(current)
            last_key = m["key"]
            current.props[last_key] = (m["value"] or "").strip()
            current.lines.setdefault(last_key, i)
        elif current is not None and last_key and line[0].isspace():
            current.props[last_key] += " " + line.strip()
    for net in nets:
        _fill(net)
    return [n for n in nets if n.name or n.type]


def _fill(net: HnsNetwork) -> None:
    p = net.props
    net.name = p.get("Name") or None
    net.type = p.get("Type") or None
    net.adapter = p.get("NetworkAdapterName") or None
    net.state = p.get("State") or None
    net.management_ip = p.get("ManagementIP") or None
    net.source_mac = p.get("SourceMac") or None
    for obj in _OBJECT.findall(p.get("Subnets", "")):
        prefix = _kv(obj).get("AddressPrefix")
        if prefix:
            net.subnets.append(prefix)
    ext = p.get("Extensions", "")
    for obj in _OBJECT.findall(ext):
        kv = _kv(obj)
        if kv.get("Name"):
            net.extensions[kv["Name"]] = kv.get("IsEnabled", "").lower() == "true"
    net.extensions_cut = ext.rstrip("}").rstrip().endswith("...")


def _parse_json(text: str, body: str) -> list[HnsNetwork]:
    """`ConvertTo-Json` output: one object, or an array of them."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    lines = text.splitlines()
    nets = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            continue
        net = HnsNetwork(
            name=item["Name"] or None,
            type=_str(item.get("Type")),
            adapter=_str(item.get("NetworkAdapterName")),
            state=_str(item.get("State")),
            management_ip=_str(item.get("ManagementIP")),
            source_mac=_str(item.get("SourceMac")),
        )
        net.props = {k: v if isinstance(v, str) else json.dumps(v) for k, v in item.items()}
        for subnet in item.get("Subnets") or []:
            if isinstance(subnet, dict) and isinstance(subnet.get("AddressPrefix"), str):
                net.subnets.append(subnet["AddressPrefix"])
        for ext in item.get("Extensions") or []:
            if isinstance(ext, dict) and isinstance(ext.get("Name"), str):
                net.extensions[ext["Name"]] = ext.get("IsEnabled") is True
        quoted = json.dumps(item["Name"])
        net.line = next((i for i, ln in enumerate(lines, 1) if '"Name"' in ln and quoted in ln), 0)
        if net.adapter:
            adapter = json.dumps(net.adapter)
            found = next((i for i, ln in enumerate(lines, 1) if '"NetworkAdapterName"' in ln and adapter in ln), 0)
            if found:
                net.lines["NetworkAdapterName"] = found
        nets.append(net)
    return nets


def _str(value: object) -> str | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
        return str(value)
    return None


def _kv(obj: str) -> dict[str, str]:
    out = {}
    for part in obj.split(";"):
        k, sep, v = part.strip().partition("=")
        if sep:
            out[k.strip()] = v.strip()
    return out


_JSON_KEYS = re.compile(r'^\s*"(Name|Type|NetworkAdapterName|Extensions|Subnets|SwitchGuid)"\s*:', re.M)


def sniff(head: str) -> bool:
    _, body = split_prompt(head or "")
    if body.lstrip()[:1] in ("[", "{"):
        keys = set(_JSON_KEYS.findall(body[:16384]))
        return {"Name", "Type"} <= keys and bool(keys & {"NetworkAdapterName", "Extensions", "Subnets", "SwitchGuid"})
    keys = {m["key"] for ln in body.splitlines()[:80] if (m := _PROP.match(ln.rstrip()))}
    return {"Name", "Type"} <= keys and bool(keys & {"NetworkAdapterName", "Extensions", "Subnets", "SwitchGuid"})
