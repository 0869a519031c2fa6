"""`Get-NetAdapter` (the `network-adapters` file of a Windows agent bundle, or pasted).

Hand-written: jc has no parser for it. The bundle runs `powershell.exe Get-NetAdapter`, so the
file is PowerShell's default table (columns Name, InterfaceDescription, ifIndex, Status,
MacAddress, LinkSpeed; tests/parse/data/windows/get-netadapter.ws2019.bundle.txt has one):

    Name                      InterfaceDescription                    ifIndex Status       MacAddress ...
    ----                      --------------------                    ------- ------       ---------- ...
    vEthernet (HNS Intern...  Hyper-V Virtual Ethernet Adapter #4          15 Up           00-15-5D-A8-C1-70 ...

Windows PowerShell cuts a value wider than its column with `...` (PowerShell 7 with `…`), so a
name may be a prefix (`Adapter.truncated`). A row is read from the right (index, status, MAC and
speed have fixed shapes) and its left part is split at the column of `InterfaceDescription`
given by the header, or at a run of spaces when a paste lost the alignment. Users also paste
`Get-NetAdapter | Format-List *` (one `Property : value` block per adapter), which adds
`Virtual`, `MediaConnectionState` and `AdminStatus`. PowerShell does not translate property names
or the Status words, so both read the same on a localised Windows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diagnose.parse.windows import is_virtual_adapter, mac

_MAX_TEXT = 4 * 1024 * 1024
_MAX_LINE = 1024  # rows are short; a longer line is not one (and would cost the regexes)
_HEADER = re.compile(r"^(?P<pre>Name\s+)InterfaceDescription\s+ifIndex\s+Status")
_ROW = re.compile(
    r"^(?P<left>\S.*?)\s+(?P<index>\d{1,6})\s+(?P<status>Up|Disconnected|Disabled|Not Present|"
    r"Unknown|Testing|Dormant|Down|Lower Layer Down|Degraded)\s*(?P<mac>(?:[0-9A-Fa-f]{2}-){5}"
    r"[0-9A-Fa-f]{2})?\s*(?P<speed>\d+(?:\.\d+)?\s?[KMGT]?bps)?\s*$"
)
_LIST_PROP = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9]{0,63})\s*:(?: (?P<value>.*))?$")
_CUT = ("...", "…")


@dataclass
class Adapter:
    """A network adapter of `Get-NetAdapter`."""

    name: str
    description: str | None = None
    if_index: int | None = None
    status: str | None = None  # Up, Disconnected, Disabled, Not Present, ...
    mac: str | None = None  # "00-50-56-8E-2A-11"
    link_speed: str | None = None
    virtual: bool | None = None  # `Virtual` (Format-List only)
    media_state: str | None = None  # `MediaConnectionState` (Format-List only)
    admin_status: str | None = None  # `AdminStatus` (Format-List only)
    line: int = 0

    @property
    def truncated(self) -> bool:
        """PowerShell cut the name to its column: it is a prefix of the real name."""
        return self.name.endswith(_CUT)

    def is_named(self, name: str) -> bool:
        if self.name == name:
            return True
        if self.truncated:
            stem = self.name.rstrip(".…")
            return name.startswith(stem) and len(name) > len(stem)
        return False

    @property
    def is_virtual(self) -> bool:
        if self.virtual is not None:
            return self.virtual
        return is_virtual_adapter(self.name, self.description)

    @property
    def up(self) -> bool:
        return (self.status or "").lower() == "up"


@dataclass
class Adapters:
    """The adapters of a `Get-NetAdapter` listing."""

    adapters: list[Adapter] = field(default_factory=list)
    source: str = ""  # the artifact it was read from (set by diagnose.rules.evidence, for evidence lines)

    def named(self, name: str) -> Adapter | None:
        """The adapter of this name (a row PowerShell cut counts when its prefix fits one)."""
        exact = next((a for a in self.adapters if a.name == name), None)
        if exact is not None:
            return exact
        cut = [a for a in self.adapters if a.is_named(name)]
        return cut[0] if len(cut) == 1 else None


def parse(text: str) -> Adapters:
    lines = (text or "")[:_MAX_TEXT].splitlines()
    out = Adapters()
    desc_col: int | None = None
    in_table = False
    for i, raw in enumerate(lines, 1):
        line = raw.rstrip()
        if len(line) > _MAX_LINE:
            continue
        if h := _HEADER.match(line):
            # An aligned header pads "Name" to its column; a flattened paste has one space.
            desc_col, in_table = (len(h["pre"]) if len(h["pre"]) > len("Name  ") else None), True
            continue
        if in_table and (m := _ROW.match(line)):
            name, desc = _split_left(raw, m["left"], desc_col)
            out.adapters.append(
                Adapter(
                    name=name,
                    description=desc,
                    if_index=int(m["index"]),
                    status=m["status"],
                    mac=mac(m["mac"]),
                    link_speed=m["speed"],
                    line=i,
                )
            )
    if not out.adapters:
        out.adapters = _parse_list(lines)
    return out


def _split_left(raw: str, left: str, desc_col: int | None) -> tuple[str, str | None]:
    """Name and description from the left part of a row."""
    if desc_col and len(raw) > desc_col and raw[desc_col - 1] == " " and raw[:desc_col].strip():
        return raw[:desc_col].strip(), left[desc_col:].strip() or None
    parts = re.split(r"\s{2,}", left.strip(), maxsplit=1)
    if len(parts) == 2:
        return parts[0], parts[1]
    # A paste that lost the alignment: a vSwitch vNIC's name ends at its parenthesis; any other
    # name is taken to be the first word.
    m = re.match(r"^(vEthernet \([^)]*\)|\S+)\s*(.*)$", left.strip())
    return (m[1], m[2] or None) if m else (left.strip(), None)


def _status(props: dict[str, str]) -> str | None:
    """The Status word of the table from the properties `Format-List` shows instead."""
    if props.get("AdminStatus", "").lower() == "down":
        return "Disabled"
    if props.get("MediaConnectionState", "").lower() == "disconnected":
        return "Disconnected"
    oper = (props.get("InterfaceOperationalStatus") or props.get("ifOperStatus") or "").lower()
    return {"up": "Up", "down": "Disconnected", "notpresent": "Not Present"}.get(oper.replace(" ", ""))


def _parse_list(lines: list[str]) -> list[Adapter]:
    blocks: list[tuple[int, dict[str, str]]] = []
    current: dict[str, str] | None = None
    for i, raw in enumerate(lines, 1):
        m = _LIST_PROP.match(raw.rstrip()) if len(raw) <= _MAX_LINE else None
        if m is None:
            if not raw.strip():
                current = None
            continue
        if current is None:
            current = {}
            blocks.append((i, current))
        current.setdefault(m["key"], (m["value"] or "").strip())
    out = []
    for number, props in blocks:
        name = props.get("Name") or props.get("InterfaceAlias") or props.get("ifAlias")
        if not name or not ({"InterfaceDescription", "MacAddress", "ifIndex", "Status"} & set(props)):
            continue
        index = props.get("ifIndex") or props.get("InterfaceIndex") or ""
        virtual = props.get("Virtual", "").lower()
        out.append(
            Adapter(
                name=name,
                description=props.get("InterfaceDescription") or None,
                if_index=int(index) if index.isdigit() else None,
                status=props.get("Status") or _status(props),
                mac=mac(props.get("MacAddress")),
                link_speed=props.get("LinkSpeed") or None,
                virtual=True if virtual == "true" else False if virtual == "false" else None,
                media_state=props.get("MediaConnectionState") or None,
                admin_status=props.get("AdminStatus") or None,
                line=number,
            )
        )
    return out
