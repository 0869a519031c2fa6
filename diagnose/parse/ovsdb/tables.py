"""From table rows to one ``OvsdbState``: every view is reduced to rows (column → value) of
the OVSDB tables, so Bridge → Port → Interface resolution is written once, here."""

from __future__ import annotations

import re

from diagnose.parse.ovsdb.model import OvsBridge, OvsdbState, OvsPort
from diagnose.parse.ovsdb.values import Value

MAX_ROWS = 200_000  # bound for untrusted input, per table

Row = dict[str, Value]

_RE_CAPTION = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,63}) table\s*$")

TABLE_NAMES = {
    t.lower(): t for t in ("Open_vSwitch", "Bridge", "Port", "Interface", "Controller", "Manager", "Mirror", "QoS")
}


def guess_table(row: Row) -> str | None:
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


def as_str(v: Value | None) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, list) and len(v) == 1:
        return v[0]
    return None


def as_map(v: Value | None) -> dict[str, str]:
    return dict(v) if isinstance(v, dict) else {}


def _as_list(v: Value | None) -> list[str]:
    if isinstance(v, list):
        return list(v)
    if isinstance(v, str) and v:
        return [v]
    return []


def _as_int(v: Value | None) -> int | None:
    s = as_str(v)
    if s is None:
        return None
    try:
        return int(s)
    except ValueError:
        return None


def as_text(v: Value | None) -> str | None:
    """The single string of a value, None when it is empty or not one."""
    return as_str(v) or None


def build_state(tables: dict[str, list[Row]]) -> OvsdbState:
    state = OvsdbState()
    ovs_rows = tables.get("Open_vSwitch") or []
    bridge_order: list[str] = []
    if ovs_rows:
        row = ovs_rows[0]
        state.db_uuid = as_str(row.get("_uuid"))
        if "other_config" in row:
            state.other_config = as_map(row.get("other_config"))
        if "external_ids" in row:
            state.external_ids = as_map(row.get("external_ids"))
        state.ovs_version = as_text(row.get("ovs_version"))
        bridge_order = _as_list(row.get("bridges"))

    ifaces: dict[str, Row] = {}
    iface_rows = tables.get("Interface") or []
    for row in iface_rows:
        uuid = as_str(row.get("_uuid"))
        if uuid:
            ifaces[uuid] = row
    used_ifaces: set[int] = set()

    def make_port(row: Row) -> OvsPort:
        name = as_str(row.get("name")) or as_str(row.get("_uuid")) or "?"
        port = OvsPort(name=name, uuid=as_str(row.get("_uuid")))
        port.external_ids = as_map(row.get("external_ids"))
        port.tag = as_text(row.get("tag"))
        chosen: Row | None = None
        for ref in _as_list(row.get("interfaces")):
            irow = ifaces.get(ref)
            if irow is None:
                continue  # reference to a row not in this view: name unknown
            used_ifaces.add(id(irow))
            iname = as_str(irow.get("name"))
            if iname:
                port.interfaces.append(iname)
            if chosen is None or iname == name:
                chosen = irow
        if chosen is not None:
            _apply_iface(port, chosen)
        return port

    ports: dict[str, OvsPort] = {}
    for row in tables.get("Port") or []:
        uuid = as_str(row.get("_uuid")) or f"#{len(ports)}"
        ports[uuid] = make_port(row)
    used_ports: set[str] = set()

    for row in tables.get("Bridge") or []:
        name = as_str(row.get("name"))
        if not name:
            continue
        br = OvsBridge(
            name=name,
            datapath_type=as_text(row.get("datapath_type")),
            other_config=as_map(row.get("other_config")),
            external_ids=as_map(row.get("external_ids")),
            fail_mode=as_text(row.get("fail_mode")),
            uuid=as_str(row.get("_uuid")),
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
        iname = as_str(row.get("name"))
        if iname and iname not in state.unattached_ports:
            port = OvsPort(name=iname, interfaces=[iname])
            _apply_iface(port, row)
            state.unattached_ports[iname] = port
    return state


def _apply_iface(port: OvsPort, irow: Row) -> None:
    port.type = as_text(irow.get("type"))
    port.options = as_map(irow.get("options"))
    port.ofport = _as_int(irow.get("ofport"))
    port.error = as_text(irow.get("error"))
    for k, v in as_map(irow.get("external_ids")).items():
        port.external_ids.setdefault(k, v)


def caption(line: str) -> str | None:
    """The table named by an ``X table`` caption line (``ovsdb-client dump``), else None."""
    m = _RE_CAPTION.match(line)
    return m.group(1) if m else None


def add_table(tables: dict[str, list[Row]], name: str | None, rows: list[Row]) -> None:
    """File the rows of one dumped table under its caption, or the table their columns say."""
    if name is None and rows:
        name = guess_table(rows[0])
    if name:
        tables.setdefault(name, []).extend(rows)
