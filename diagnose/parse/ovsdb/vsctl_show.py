"""Reader of ``ovs-vsctl show``: the bridge → port → interface tree, by indentation."""

from __future__ import annotations

import re
from typing import NamedTuple

from diagnose.parse.ovsdb.model import OvsBridge, OvsdbState, OvsPort
from diagnose.parse.ovsdb.tables import as_map, as_str, as_text
from diagnose.parse.ovsdb.values import MAX_LINE, parse_value
from diagnose.parse.shell import split_prompt

RE_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_RE_SHOW_ATTR = re.compile(r"^([a-z_][a-z0-9_]{0,63}): ?(.*)$")


def _show_name(rest: str) -> str:
    v = parse_value(rest)
    return v if isinstance(v, str) else rest.strip()


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
        if len(line) > MAX_LINE:
            continue
        s = line.strip()
        if not s:
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0 and RE_UUID.match(s):
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
                    state.ovs_version = as_text(parse_value(raw))
            elif isinstance(parent, OvsBridge):
                if key == "datapath_type":
                    parent.datapath_type = as_text(parse_value(raw))
                elif key == "fail_mode":
                    parent.fail_mode = as_text(parse_value(raw))
            elif isinstance(parent, OvsPort):
                if key == "tag":
                    parent.tag = as_str(parse_value(raw))
            elif isinstance(parent, _Iface):
                port, iname = parent
                # A bond has several interfaces; the port takes the one of its own name (or
                # its first one).
                if iname != port.name and port.interfaces and port.interfaces[0] != iname:
                    continue
                if key == "type":
                    port.type = as_text(parse_value(raw))
                elif key == "options":
                    port.options = as_map(parse_value(raw))
                elif key == "error":
                    port.error = as_text(parse_value(raw))
    return state
