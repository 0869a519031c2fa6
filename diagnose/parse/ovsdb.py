"""Parsers for OVSDB (Open_vSwitch database) views: ``ovs-vsctl show``, ``ovs-vsctl list``,
``ovsdb-client dump`` (text) and ``ovsdb-client -f json dump``.

None of these is in an antctl support bundle (see the reference, section 1.2), but users paste
them into issues and attach them to bug reports, and they are the only direct view of the
global ``other_config:flow-restore-wait`` flag and of which bridge holds which port.

All four formats are reduced to the same table rows (``dict`` column → value) and then to one
``OvsdbState`` by ``_build_state``, so Bridge → Port → Interface resolution is written once.
Values use the OVSDB text syntax (``ovsdb_datum_to_string`` in OVS ``lib/ovsdb-data.c``):

* atoms: integers, reals, ``true``/``false``, UUIDs, strings — bare when the string is an
  identifier (``[A-Za-z_][A-Za-z0-9_.-]*``), otherwise JSON-quoted (``"enp0s1~"``, ``"3.1.0"``);
* sets ``[a, b]`` (``[]`` when empty; an optional single value prints bare);
* maps ``{k=v, k2="v 2"}`` (``{}`` when empty).

``parse_value`` turns such text into ``str`` / ``list[str]`` / ``dict[str, str]``; the JSON
notation (``["set", [...]]``, ``["map", [[k, v], ...]]``, ``["uuid", "..."]``) is converted to
the same Python shapes, so callers never care which format a value came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from diagnose.parse.shell import match_prompt, split_prompt

KINDS = ("ovs-vsctl-show", "ovs-vsctl-list", "ovsdb-dump", "ovsdb-dump-json")

# Bounds for untrusted input.
_MAX_LINE = 1 << 20  # an OVSDB dump row can be long (statistics maps), but not megabytes
_MAX_ROWS = 200_000
_MAX_JSON_OBJECTS = 10_000

_RE_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_RE_CAPTION = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,63}) table\s*$")
_RE_DASHES = re.compile(r"^-+(?: -+)*\s*$")
_RE_LIST_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]{0,63})\s*: ?(.*)$")
_RE_SHOW_ATTR = re.compile(r"^([a-z_][a-z0-9_]{0,63}): ?(.*)$")

Value = str | list[str] | dict[str, str]


# ---------------------------------------------------------------------------------------------
# Data model


@dataclass
class OvsPort:
    """A Port row with what its Interface(s) say.

    ``type``/``options``/``ofport``/``error`` come from the Interface of the same name (or the
    first one).  ``type`` is None for a plain system port (OVSDB ``type=""``, which ``ovs-vsctl
    show`` omits).  ``ofport`` is None when unknown or unset (``[]``); -1 means OVS failed to
    add the interface.  ``external_ids`` are the Port's (Antrea puts ``antrea-type`` there),
    completed by the Interface's keys (pod-name, ip, attached-mac...) that the Port lacks.
    """

    name: str
    interfaces: list[str] = field(default_factory=list)
    type: str | None = None
    external_ids: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    ofport: int | None = None
    error: str | None = None
    tag: str | None = None
    uuid: str | None = None


@dataclass
class OvsBridge:
    name: str
    ports: dict[str, OvsPort] = field(default_factory=dict)
    datapath_type: str | None = None
    other_config: dict[str, str] = field(default_factory=dict)
    external_ids: dict[str, str] = field(default_factory=dict)
    fail_mode: str | None = None
    uuid: str | None = None


@dataclass
class OvsdbState:
    """What an OVSDB view tells.

    ``other_config``/``external_ids`` are those of the Open_vSwitch row; None when the view
    does not show them (``ovs-vsctl show`` never does).  ``unattached_ports`` holds ports seen
    without a known bridge (e.g. ``ovs-vsctl list port`` alone).
    """

    other_config: dict[str, str] | None = None
    bridges: dict[str, OvsBridge] = field(default_factory=dict)
    ovs_version: str | None = None
    external_ids: dict[str, str] | None = None
    unattached_ports: dict[str, OvsPort] = field(default_factory=dict)
    db_uuid: str | None = None  # _uuid of the Open_vSwitch row (first line of ovs-vsctl show)

    @property
    def flow_restore_wait(self) -> bool | None:
        """True if ``other_config:flow-restore-wait`` is "true"; False if other_config is known
        and lacks it (or has another value); None if other_config is not in the view."""
        if self.other_config is None:
            return None
        return self.other_config.get("flow-restore-wait", "").strip().lower() == "true"

    def all_ports(self) -> Iterator[tuple[str | None, OvsPort]]:
        """(bridge name or None, port) for every port."""
        for bname, br in self.bridges.items():
            for port in br.ports.values():
                yield bname, port
        for port in self.unattached_ports.values():
            yield None, port

    def find_port(self, name: str) -> tuple[str | None, OvsPort] | None:
        for bname, port in self.all_ports():
            if port.name == name or name in port.interfaces:
                return bname, port
        return None


# ---------------------------------------------------------------------------------------------
# OVSDB value syntax

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _scan_quoted(s: str, pos: int) -> tuple[str, int] | None:
    """Read a JSON-style quoted string starting at ``s[pos] == '"'``; None if unterminated."""
    out: list[str] = []
    i = pos + 1
    n = len(s)
    while i < n:
        c = s[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\" and i + 1 < n:
            e = s[i + 1]
            if e == "u" and i + 6 <= n:
                try:
                    out.append(chr(int(s[i + 2 : i + 6], 16)))
                except ValueError:
                    out.append(s[i : i + 6])
                i += 6
                continue
            out.append(_ESCAPES.get(e, e))
            i += 2
            continue
        out.append(c)
        i += 1
    return None


def _scan_atom(s: str, pos: int, stops: str) -> tuple[str, int] | None:
    """Read one atom at ``pos`` (after blanks): quoted string, or bare text up to a stop char."""
    n = len(s)
    while pos < n and s[pos] == " ":
        pos += 1
    if pos < n and s[pos] == '"':
        return _scan_quoted(s, pos)
    start = pos
    while pos < n and s[pos] not in stops:
        pos += 1
    return s[start:pos].strip(), pos


def _scan_container(s: str, pos: int) -> tuple[list[str] | dict[str, str], int] | None:
    """Read ``[a, b]`` or ``{k=v, ...}`` starting at ``s[pos]``; None when malformed."""
    is_map = s[pos] == "{"
    close = "}" if is_map else "]"
    pos += 1
    items: list[str] = []
    mapping: dict[str, str] = {}
    n = len(s)
    while True:
        while pos < n and s[pos] == " ":
            pos += 1
        if pos >= n:
            return None
        if s[pos] == close and not items and not mapping:
            return (mapping if is_map else items), pos + 1
        got = _scan_atom(s, pos, ",=]}" if is_map else ",]}")
        if got is None:
            return None
        key, pos = got
        if is_map:
            while pos < n and s[pos] == " ":
                pos += 1
            if pos >= n or s[pos] != "=":
                return None
            got = _scan_atom(s, pos + 1, ",]}")
            if got is None:
                return None
            val, pos = got
            mapping[key] = val
        else:
            items.append(key)
        while pos < n and s[pos] == " ":
            pos += 1
        if pos >= n:
            return None
        if s[pos] == ",":
            pos += 1
            continue
        if s[pos] == close:
            return (mapping if is_map else items), pos + 1
        return None


def _scan_value(s: str, pos: int) -> tuple[Value, int] | None:
    """Read one whole value at ``s[pos]`` (no leading blanks); bare atoms end at a blank."""
    c = s[pos]
    if c in "[{":
        return _scan_container(s, pos)
    if c == '"':
        return _scan_quoted(s, pos)
    end = pos
    n = len(s)
    while end < n and not s[end].isspace():
        end += 1
    return s[pos:end], end


def parse_value(s: str) -> Value:
    """Parse one OVSDB value as printed by ovs-vsctl / ovsdb-client.

    Returns a ``dict`` for a map, a ``list`` for a set (``[]`` included), the unquoted text for
    a quoted string, and the stripped text itself otherwise (numbers, booleans, UUIDs, bare
    strings, and anything malformed — never raises).
    """
    if not isinstance(s, str):
        return ""
    s = s.strip()
    if not s or len(s) > _MAX_LINE:
        return s
    got = _scan_value(s, 0)
    if got is None:
        return s
    value, end = got
    if s[0] in '[{"' and end != len(s):
        return s  # trailing garbage after a container/string: keep the raw text
    if s[0] not in '[{"':
        return s  # bare text may legitimately contain blanks in hand-made input
    return value


def _split_values(line: str) -> list[str] | None:
    """Split a dump row into raw value texts without column widths (values never contain
    unquoted blanks, except inside brackets).  None if a value is malformed."""
    out: list[str] = []
    pos = 0
    n = len(line)
    while pos < n:
        if line[pos].isspace():
            pos += 1
            continue
        got = _scan_value(line, pos)
        if got is None:
            return None
        _, end = got
        out.append(line[pos:end])
        pos = end
    return out


def _from_json(v: Any) -> Value:
    """OVSDB JSON notation → the same shapes as ``parse_value``."""
    if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
        tag, body = v
        if tag in ("uuid", "named-uuid"):
            return str(body)
        if tag == "set" and isinstance(body, list):
            return [_atom_from_json(x) for x in body]
        if tag == "map" and isinstance(body, list):
            out: dict[str, str] = {}
            for pair in body:
                if isinstance(pair, list) and len(pair) == 2:
                    out[_atom_from_json(pair[0])] = _atom_from_json(pair[1])
            return out
    return _atom_from_json(v)


def _atom_from_json(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, list) and len(v) == 2 and v[0] in ("uuid", "named-uuid"):
        return str(v[1])
    if isinstance(v, (int, float)):
        return str(v)
    if v is None:
        return ""
    try:
        return json.dumps(v)[:4096]  # not OVSDB notation: keep a readable, bounded text
    except (TypeError, ValueError, RecursionError):
        return ""


# ---------------------------------------------------------------------------------------------
# Rows → state

Row = dict[str, Value]

_TABLE_NAMES = {
    t.lower(): t for t in ("Open_vSwitch", "Bridge", "Port", "Interface", "Controller", "Manager", "Mirror", "QoS")
}


def _guess_table(row: Row) -> str | None:
    """Which table a row comes from, by its columns (for ``list`` output and captionless dumps)."""
    cols = row.keys()
    if "ovs_version" in cols or "db_version" in cols or ("bridges" in cols and "cur_cfg" in cols):
        return "Open_vSwitch"
    if "ports" in cols:
        return "Bridge"
    if "interfaces" in cols:
        return "Port"
    if cols & {"ofport", "ofport_request", "ifindex", "link_state", "admin_state", "mac_in_use"}:
        return "Interface"
    if "is_connected" in cols or "target" in cols:
        return "Controller"
    if "datapath_type" in cols or "fail_mode" in cols:
        return "Bridge"
    oc = row.get("other_config")
    if isinstance(oc, dict) and "flow-restore-wait" in oc:
        return "Open_vSwitch"  # the flag only exists on the Open_vSwitch row
    return None


def _as_str(v: Value | None) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, list) and len(v) == 1:
        return v[0]
    return None


def _as_map(v: Value | None) -> dict[str, str]:
    return dict(v) if isinstance(v, dict) else {}


def _as_list(v: Value | None) -> list[str]:
    if isinstance(v, list):
        return list(v)
    if isinstance(v, str) and v:
        return [v]
    return []


def _as_int(v: Value | None) -> int | None:
    s = _as_str(v)
    if s is None:
        return None
    try:
        return int(s)
    except ValueError:
        return None


def _nonempty(s: str | None) -> str | None:
    return s if s else None


def _build_state(tables: dict[str, list[Row]]) -> OvsdbState:
    state = OvsdbState()
    ovs_rows = tables.get("Open_vSwitch") or []
    bridge_order: list[str] = []
    if ovs_rows:
        row = ovs_rows[0]
        state.db_uuid = _as_str(row.get("_uuid"))
        if "other_config" in row:
            state.other_config = _as_map(row.get("other_config"))
        if "external_ids" in row:
            state.external_ids = _as_map(row.get("external_ids"))
        state.ovs_version = _nonempty(_as_str(row.get("ovs_version")))
        bridge_order = _as_list(row.get("bridges"))

    ifaces: dict[str, Row] = {}
    iface_rows = tables.get("Interface") or []
    for row in iface_rows:
        uuid = _as_str(row.get("_uuid"))
        if uuid:
            ifaces[uuid] = row
    used_ifaces: set[int] = set()

    def make_port(row: Row) -> OvsPort:
        name = _as_str(row.get("name")) or _as_str(row.get("_uuid")) or "?"
        port = OvsPort(name=name, uuid=_as_str(row.get("_uuid")))
        port.external_ids = _as_map(row.get("external_ids"))
        port.tag = _nonempty(_as_str(row.get("tag")))
        chosen: Row | None = None
        for ref in _as_list(row.get("interfaces")):
            irow = ifaces.get(ref)
            if irow is None:
                continue  # reference to a row not in this view: name unknown
            used_ifaces.add(id(irow))
            iname = _as_str(irow.get("name"))
            if iname:
                port.interfaces.append(iname)
            if chosen is None or iname == name:
                chosen = irow
        if chosen is not None:
            _apply_iface(port, chosen)
        return port

    ports: dict[str, OvsPort] = {}
    for row in tables.get("Port") or []:
        uuid = _as_str(row.get("_uuid")) or f"#{len(ports)}"
        ports[uuid] = make_port(row)
    used_ports: set[str] = set()

    for row in tables.get("Bridge") or []:
        name = _as_str(row.get("name"))
        if not name:
            continue
        br = OvsBridge(
            name=name,
            datapath_type=_nonempty(_as_str(row.get("datapath_type"))),
            other_config=_as_map(row.get("other_config")),
            external_ids=_as_map(row.get("external_ids")),
            fail_mode=_nonempty(_as_str(row.get("fail_mode"))),
            uuid=_as_str(row.get("_uuid")),
        )
        for ref in _as_list(row.get("ports")):
            port = ports.get(ref)
            if port is not None:
                br.ports[port.name] = port
                used_ports.add(ref)
        state.bridges[name] = br
    # Keep the Open_vSwitch row's bridge order when it is known (dumps list rows in hash order).
    if bridge_order:
        by_uuid = {b.uuid: b for b in state.bridges.values()}
        ordered = {by_uuid[u].name: by_uuid[u] for u in bridge_order if u in by_uuid}
        ordered.update(state.bridges)
        state.bridges = ordered

    for ref, port in ports.items():
        if ref not in used_ports:
            state.unattached_ports[port.name] = port
    for row in iface_rows:
        if id(row) in used_ifaces:
            continue
        iname = _as_str(row.get("name"))
        if iname and iname not in state.unattached_ports:
            port = OvsPort(name=iname, interfaces=[iname])
            _apply_iface(port, row)
            state.unattached_ports[iname] = port
    return state


def _apply_iface(port: OvsPort, irow: Row) -> None:
    port.type = _nonempty(_as_str(irow.get("type")))
    port.options = _as_map(irow.get("options"))
    port.ofport = _as_int(irow.get("ofport"))
    port.error = _nonempty(_as_str(irow.get("error")))
    for k, v in _as_map(irow.get("external_ids")).items():
        port.external_ids.setdefault(k, v)


def _add_row(tables: dict[str, list[Row]], table: str | None, row: Row) -> None:
    if not row:
        return
    table = table or _guess_table(row)
    if table is None:
        return
    rows = tables.setdefault(table, [])
    if len(rows) < _MAX_ROWS:
        rows.append(row)


# ---------------------------------------------------------------------------------------------
# ovs-vsctl show


def _show_name(rest: str) -> str:
    v = parse_value(rest)
    return v if isinstance(v, str) else rest.strip()


def _show_text(raw: str) -> str | None:
    return _nonempty(_as_str(parse_value(raw)))


class _Iface(NamedTuple):
    """An Interface line of ``ovs-vsctl show``: its attributes go to its Port."""

    port: OvsPort
    name: str


def parse_vsctl_show(text: str) -> OvsdbState:
    """Parse ``ovs-vsctl show``.  Hierarchy comes from indentation (4 spaces per level in OVS,
    but only the relative depth is used, so re-indented copies work too)."""
    state = OvsdbState()
    if not text:
        return state
    _, text = split_prompt(text)
    # Stack of (indent, object); None for a Manager or Controller, whose attributes are not kept.
    stack: list[tuple[int, OvsBridge | OvsPort | _Iface | None]] = []
    for line in text.splitlines():
        if len(line) > _MAX_LINE:
            continue
        s = line.strip()
        if not s:
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0 and _RE_UUID.match(s):
            state.db_uuid = s
            stack = []
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else None
        kw, _, rest = s.partition(" ")
        if kw == "Bridge" and rest:
            br = OvsBridge(name=_show_name(rest))
            state.bridges[br.name] = br
            stack.append((indent, br))
        elif kw == "Port" and rest:
            port = OvsPort(name=_show_name(rest))
            if isinstance(parent, OvsBridge):
                parent.ports[port.name] = port
            else:
                state.unattached_ports[port.name] = port
            stack.append((indent, port))
        elif kw == "Interface" and rest:
            iname = _show_name(rest)
            if isinstance(parent, OvsPort):
                port = parent
            else:
                port = state.unattached_ports.setdefault(iname, OvsPort(name=iname))
            port.interfaces.append(iname)
            stack.append((indent, _Iface(port, iname)))
        elif kw in ("Manager", "Controller"):
            stack.append((indent, None))
        else:
            m = _RE_SHOW_ATTR.match(s)
            if m is None:
                continue
            key, raw = m.group(1), m.group(2)
            if not stack:
                if key == "ovs_version":
                    state.ovs_version = _show_text(raw)
            elif isinstance(parent, OvsBridge):
                if key == "datapath_type":
                    parent.datapath_type = _show_text(raw)
                elif key == "fail_mode":
                    parent.fail_mode = _show_text(raw)
            elif isinstance(parent, OvsPort):
                if key == "tag":
                    parent.tag = _as_str(parse_value(raw))
            elif isinstance(parent, _Iface):
                port, iname = parent
                # A bond has several interfaces; the port takes the one of its own name (or
                # its first one).
                if iname != port.name and port.interfaces and port.interfaces[0] != iname:
                    continue
                if key == "type":
                    port.type = _show_text(raw)
                elif key == "options":
                    port.options = _as_map(parse_value(raw))
                elif key == "error":
                    port.error = _show_text(raw)
    return state


# ---------------------------------------------------------------------------------------------
# ovs-vsctl list (and ovsdb-client -f list dump)

_RE_LIST_CMD = re.compile(r"\b(?:list|find)\s+([A-Za-z_]+)")


def _table_of_command(cmd: str) -> str | None:
    m = _RE_LIST_CMD.search(cmd)
    return _TABLE_NAMES.get(m.group(1).lower()) if m else None


def parse_vsctl_list(text: str) -> OvsdbState:
    """Parse ``ovs-vsctl list <table>`` output, possibly several tables concatenated.

    Records are separated by blank lines; a column seen twice also starts a new record (two
    command outputs pasted back to back).  The table of each record comes from an
    ``ovsdb-client -f list`` caption, the prompt command (``ovs-vsctl list open_vswitch``, which
    matters with ``--columns=other_config``), or its columns.
    """
    if not text:
        return OvsdbState()
    hint: str | None = None
    tables: dict[str, list[Row]] = {}
    row: Row = {}
    for line in text.splitlines():
        if len(line) > _MAX_LINE:
            continue
        if not line.strip():
            _add_row(tables, hint, row)
            row = {}
            continue
        cap = _RE_CAPTION.match(line)
        if cap:
            _add_row(tables, hint, row)
            row = {}
            hint = _TABLE_NAMES.get(cap.group(1).lower(), cap.group(1))
            continue
        m = _RE_LIST_LINE.match(line)
        if m is None:
            # A prompt or other text between outputs: what follows may be another table; a
            # prompt line says which one.
            _add_row(tables, hint, row)
            row = {}
            prompt = match_prompt(line)
            hint = _table_of_command(prompt.command) if prompt else None
            continue
        col = m.group(1)
        if col in row:
            # Same column again without a blank line: a second command's output begins.
            _add_row(tables, hint, row)
            row = {}
            hint = None
        row[col] = parse_value(m.group(2))
    _add_row(tables, hint, row)
    _fix_hinted(tables)
    return _build_state(tables)


def _fix_hinted(tables: dict[str, list[Row]]) -> None:
    """Move rows filed under a hinted table whose columns clearly say another table (a prompt
    hint covers only the first command of a paste)."""
    for table in list(tables):
        keep: list[Row] = []
        for row in tables[table]:
            guessed = _guess_table(row)
            if guessed and guessed != table and guessed != "Controller":
                tables.setdefault(guessed, []).append(row)
            else:
                keep.append(row)
        tables[table] = keep


# ---------------------------------------------------------------------------------------------
# ovsdb-client dump (text)


def _spans(dashes: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]


def _cell_ok(cell: str) -> bool:
    c = cell.strip()
    if not c:
        return False  # OVSDB never prints an empty cell ("" / [] / {} instead)
    got = _scan_value(c, 0)
    return got is not None and got[1] == len(c)


def _split_row(line: str, spans: list[tuple[int, int]]) -> list[str]:
    """Cut a row into cells by the dash-line column widths; fall back to value tokenising when
    the widths do not fit (re-wrapped paste, multi-byte text counted in bytes by OVS...)."""
    if not line.isascii():
        # OVS pads by byte length (strlen), so slice the UTF-8 bytes.
        b = line.encode("utf-8")
        cells = [b[s:e].decode("utf-8", "replace") for s, e in spans[:-1]]
        cells.append(b[spans[-1][0] :].decode("utf-8", "replace"))
        edge_ok = all(s == 0 or (s - 1 < len(b) and b[s - 1 : s] == b" ") for s, _ in spans)
    else:
        cells = [line[s:e] for s, e in spans[:-1]]
        cells.append(line[spans[-1][0] :])  # the last column takes the rest of a wide row
        edge_ok = all(s == 0 or (s - 1 < len(line) and line[s - 1] == " ") for s, _ in spans)
    if edge_ok and all(_cell_ok(c) for c in cells):
        return [c.strip() for c in cells]
    tokens = _split_values(line)
    if tokens is not None and tokens:
        return tokens
    return [c.strip() for c in cells]


def parse_dump_text(text: str) -> OvsdbState:
    """Parse ``ovsdb-client dump [DB [TABLE...]]`` text output (one or many ``X table``
    sections, each a header line, a dash line and rows)."""
    return _build_state(dump_text_tables(text))


def dump_text_tables(text: str) -> dict[str, list[Row]]:
    """The tables of an ``ovsdb-client dump`` text output, as rows of parsed values."""
    tables: dict[str, list[Row]] = {}
    if not text:
        return tables
    _, text = split_prompt(text)
    lines = text.splitlines()
    n = len(lines)
    i = 0
    while i + 1 < n:
        if not (_RE_DASHES.match(lines[i + 1]) and lines[i].strip() and len(lines[i]) <= _MAX_LINE):
            i += 1
            continue
        header, dashes = lines[i], lines[i + 1]
        cap = _RE_CAPTION.match(lines[i - 1]) if i > 0 else None
        name = cap.group(1) if cap else None
        spans = _spans(dashes)
        cols = [header[s:e].strip() for s, e in spans[:-1]] + [header[spans[-1][0] :].strip()]
        i += 2
        rows: list[Row] = []
        while i < n and lines[i].strip() and not _RE_CAPTION.match(lines[i]):
            if i + 1 < n and _RE_DASHES.match(lines[i + 1]):
                break  # next table without blank line / caption
            line = lines[i]
            i += 1
            if len(line) > _MAX_LINE or len(rows) >= _MAX_ROWS:
                continue
            cells = _split_row(line, spans)
            rows.append({c: parse_value(v) for c, v in zip(cols, cells, strict=False) if c})
        if name is None and rows:
            name = _guess_table(rows[0])
        if name:
            tables.setdefault(name, []).extend(rows)
    return tables


# ---------------------------------------------------------------------------------------------
# ovsdb-client -f json dump


# JSON values are looked for where a line starts with "{" or "[" (ovsdb-client prints one table
# object per line, or pretty-printed with the outer braces at column 0).
_RE_JSON_START = re.compile(r"^[{\[]", re.M)


def _json_objects(text: str) -> Iterator[Any]:
    """Decode concatenated / newline-separated JSON values, skipping garbage between them.

    Each attempt is limited to the text up to the next line starting with a brace, so a
    failed attempt (whose error message counts lines from the start of its document) never
    costs more than its own chunk: linear work on any input.
    """
    dec = json.JSONDecoder()
    starts = [m.start() for m in _RE_JSON_START.finditer(text)][:_MAX_JSON_OBJECTS]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(text)
        chunk = text[start:end]
        pos = 0
        while pos < len(chunk):
            try:
                obj, pos = dec.raw_decode(chunk, pos)
            except (ValueError, RecursionError):
                break  # RecursionError: absurdly nested arrays
            yield obj
            while pos < len(chunk) and chunk[pos].isspace():
                pos += 1
            if pos < len(chunk) and chunk[pos] not in "{[":
                break


def dump_json_tables(text: str) -> dict[str, list[Row]]:
    tables: dict[str, list[Row]] = {}
    if not text:
        return tables
    _, text = split_prompt(text)
    for obj in _json_objects(text):
        objs = obj if isinstance(obj, list) else [obj]
        for o in objs:
            if not isinstance(o, dict):
                continue
            headings = o.get("headings")
            data = o.get("data")
            if not isinstance(headings, list) or not isinstance(data, list):
                continue
            cols = [h if isinstance(h, str) else str(h) for h in headings]
            rows: list[Row] = []
            for d in data[:_MAX_ROWS]:
                if isinstance(d, list):
                    rows.append({c: _from_json(v) for c, v in zip(cols, d, strict=False)})
            caption = o.get("caption")
            name = None
            if isinstance(caption, str):
                m = _RE_CAPTION.match(caption)
                name = m.group(1) if m else None
            if name is None and rows:
                name = _guess_table(rows[0])
            if name:
                tables.setdefault(name, []).extend(rows)
    return tables


def parse_dump_json(text: str) -> OvsdbState:
    """Parse ``ovsdb-client -f json dump`` (one JSON object per table, concatenated)."""
    return _build_state(dump_json_tables(text))


# ---------------------------------------------------------------------------------------------
# Entry points


def parse_ovsdb(text: str, kind: str) -> OvsdbState:
    """Parse ``text`` as ``kind`` (one of ``KINDS``); unknown kinds give an empty state."""
    parser = {
        "ovs-vsctl-show": parse_vsctl_show,
        "ovs-vsctl-list": parse_vsctl_list,
        "ovsdb-dump": parse_dump_text,
        "ovsdb-dump-json": parse_dump_json,
    }.get(kind)
    if parser is None or not isinstance(text, str):
        return OvsdbState()
    return parser(text)


def detect(head: str) -> str | None:
    """Which OVSDB view ``head`` (first few KB) is: one of ``KINDS`` or None."""
    if not head:
        return None
    _, body = split_prompt(head)
    stripped = body.lstrip()
    if stripped[:1] in ("{", "["):
        if '"headings"' in stripped[:65536] or '"caption"' in stripped[:65536]:
            return "ovsdb-dump-json"
        return None
    lines = [ln for ln in body.splitlines()[:200] if ln.strip()]
    if not lines:
        return None
    for a, b in zip(lines, lines[1:], strict=False):
        if _RE_DASHES.match(b) and len(a) >= len(b.rstrip()) - 1 and "_uuid" in a.split()[:1]:
            return "ovsdb-dump"
    # ovs-vsctl list pads column names to 20 characters ("%-20s: "): a colon at column 20 after
    # a padded name is distinctive (YAML has no blank before its colon).
    listish = 0
    padded = 0
    for ln in lines:
        m = _RE_LIST_LINE.match(ln)
        if m:
            listish += 1
            if len(m.group(1)) < 20 and ln[20:22].rstrip() == ":" and ln[len(m.group(1)) : 20].strip() == "":
                padded += 1
    if padded and listish >= 0.8 * len(lines):
        return "ovs-vsctl-list"
    first = lines[0].strip()
    bridge = any(re.match(r"^\s+Bridge \S", ln) for ln in lines)
    port = any(re.match(r"^\s+(?:Port|Interface) \S", ln) for ln in lines)
    version = any(re.match(r"^\s+ovs_version: ", ln) for ln in lines)
    if _RE_UUID.match(first) and (bridge or version or len(lines) == 1):
        return "ovs-vsctl-show"
    if bridge and port:
        return "ovs-vsctl-show"
    return None


def sniff(head: str) -> bool:
    return detect(head) is not None
