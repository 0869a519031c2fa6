"""Windows `Get-HNSNetwork` output (the `HNSNetwork` file of a Windows agent bundle, or pasted).

PowerShell prints each network as a list of ``Property : value`` lines, one block per network,
long values continued on indented lines; nested objects render as ``@{Key=value; ...}`` and
collections as ``{item, item}``. PowerShell shows at most 4 items of a collection by default
($FormatEnumerationLimit) and then ``...``: an extension missing from a cut list is unknown,
not absent. Antrea's network is named ``antrea-hnsnetwork`` and needs the ``Open vSwitch
Extension`` enabled (antrea-io/antrea pkg/agent/util/net_windows.go, hack/windows/Prepare-AntreaAgent.ps1).
"""

from __future__ import annotations

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
    name: str | None = None
    type: str | None = None
    adapter: str | None = None  # NetworkAdapterName
    state: str | None = None
    subnets: list[str] = field(default_factory=list)  # AddressPrefix of each subnet
    extensions: dict[str, bool] = field(default_factory=dict)  # name -> IsEnabled
    extensions_cut: bool = False  # the Extensions list ended with "..."
    props: dict[str, str] = field(default_factory=dict)
    line: int = 0  # line of its first property

    def extension_enabled(self, name: str) -> bool | None:
        if name in self.extensions:
            return self.extensions[name]
        return None if self.extensions_cut or not self.extensions else False


def parse_networks(text: str) -> list[HnsNetwork]:
    _, body = split_prompt((text or "")[:_MAX_TEXT])
    nets: list[HnsNetwork] = []
    current: HnsNetwork | None = None
    last_key: str | None = None
    for i, line in enumerate(body.splitlines(), 1):
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


def _kv(obj: str) -> dict[str, str]:
    out = {}
    for part in obj.split(";"):
        k, sep, v = part.strip().partition("=")
        if sep:
            out[k.strip()] = v.strip()
    return out


def sniff(head: str) -> bool:
    _, body = split_prompt(head or "")
    keys = {m["key"] for ln in body.splitlines()[:80] if (m := _PROP.match(ln.rstrip()))}
    return {"Name", "Type"} <= keys and bool(keys & {"NetworkAdapterName", "Extensions", "Subnets", "SwitchGuid"})
