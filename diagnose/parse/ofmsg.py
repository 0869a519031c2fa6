"""Decode the OpenFlow message that OVS rejected, from the byte list ofnet logs.

Antrea v0.3-v0.8 (antrea-io/ofnet before "Print readable message for OF errors", 2020-08) log a
rejected bundle message as the error's data bytes, a Go ``%+v`` of a byte slice::

    Received bundle error msg: [4 4 0 120 0 0 0 51 79 78 70 0 0 0 8 253 ...]     (v0.3-v0.6)
    Received Vendor error msg: [4 4 ...]                                          (v0.7-v0.8)

The data is the request OVS refused (ofnet reads the bundle id at ``errData[8:12]`` etc.): an
ONF bundle-add message (OpenFlow 1.3 experimenter ``ONF\\0``, type 2301) or an OpenFlow 1.4+
``OFPT_BUNDLE_ADD_MESSAGE`` (34) wrapping a flow or group mod. The log says nothing about why,
so what the rejected flow does is the clue: a ``ct`` action with a zone on a kernel without
conntrack zones is the documented Photon OS case (antrea-io/antrea docs/os-issues.md, #591).

Layouts are OVS's (``include/openflow/openflow-1.1.h``, ``-1.4.h``, ``lib/ofp-actions.c``
``struct nx_action_conntrack``). The decoder is bounds-checked everywhere: the bytes come from
a log and may be cut or garbage, in which case it returns what it could read, or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OFPT_EXPERIMENTER = 4
OFPT_FLOW_MOD = 14
OFPT_GROUP_MOD = 15
OFPT14_BUNDLE_ADD_MESSAGE = 34
ONF_VENDOR_ID = 0x4F4E4600
ONFT13_BUNDLE_ADD_MESSAGE = 2301
NX_VENDOR_ID = 0x00002320
NXAST_CT = 35
NXAST_NAT = 36
OFPAT_GROUP = 22  # OpenFlow 1.1+
OFPAT_EXPERIMENTER = 0xFFFF
OFPIT_WRITE_ACTIONS = 3
OFPIT_APPLY_ACTIONS = 4
NX_CT_F_COMMIT = 1

_TYPE_NAMES = {
    OFPT_FLOW_MOD: "FLOW_MOD",
    OFPT_GROUP_MOD: "GROUP_MOD",
    OFPT_EXPERIMENTER: "EXPERIMENTER",
    OFPT14_BUNDLE_ADD_MESSAGE: "BUNDLE_ADD_MESSAGE",
}
_MAX_BYTES = 65536  # one OpenFlow message is at most 64 KiB
_MAX_ACTIONS = 1024
_BYTE_LIST = re.compile(r"\[?\s*((?:\d{1,3}\s+){3,}\d{1,3})\s*\]?")


@dataclass
class CtAction:
    """A ct() action decoded from an OpenFlow message's bytes."""

    zone: int | None  # immediate zone; None when taken from a field
    zone_from_field: bool = False
    commit: bool = False
    table: int | None = None  # recirculation table, None for none (255)
    nat: bool = False  # a nested nat() action

    def text(self) -> str:
        parts = ["commit"] if self.commit else []
        if self.table is not None:
            parts.append(f"table={self.table}")
        if self.zone_from_field:
            parts.append("zone=<field>")
        elif self.zone:
            parts.append(f"zone={self.zone}")
        if self.nat:
            parts.append("nat")
        return f"ct({','.join(parts)})"


@dataclass
class RejectedMessage:
    """What could be read of the rejected request."""

    version: int  # OpenFlow wire version (4 = 1.3, 5 = 1.4, 6 = 1.5)
    msg_type: str  # of the innermost message: FLOW_MOD, GROUP_MOD, ...
    in_bundle: bool = False
    table: int | None = None
    priority: int | None = None
    group_id: int | None = None  # GROUP_MOD: the group it adds/modifies
    ct_actions: list[CtAction] = field(default_factory=list)
    groups_used: list[int] = field(default_factory=list)  # group actions of a FLOW_MOD
    truncated: bool = False

    @property
    def uses_ct(self) -> bool:
        return bool(self.ct_actions)

    @property
    def uses_ct_zone(self) -> bool:
        return any(a.zone or a.zone_from_field for a in self.ct_actions)

    @property
    def uses_ct_nat(self) -> bool:
        return any(a.nat for a in self.ct_actions)

    def describe(self) -> str:
        what = self.msg_type + (f" table={self.table}" if self.table is not None else "")
        if self.priority is not None:
            what += f" priority={self.priority}"
        if self.group_id is not None:
            what += f" group_id={self.group_id}"
        if self.ct_actions:
            what += " actions=" + ",".join(a.text() for a in self.ct_actions)
        if self.groups_used:
            what += " group:" + ",".join(str(g) for g in self.groups_used)
        return what


def byte_list(text: str) -> bytes | None:
    """The bytes of a Go-printed ``[4 4 0 120 ...]`` list in `text`, or None."""
    m = _BYTE_LIST.search(text[: _MAX_BYTES * 4])
    if not m:
        return None
    values = [int(v) for v in m[1].split()[:_MAX_BYTES]]
    if any(v > 255 for v in values):
        return None
    return bytes(values)


def decode(data: bytes) -> RejectedMessage | None:
    """Decode a rejected OpenFlow request (unwrapping a bundle-add), or None when unreadable."""
    if len(data) < 8:
        return None
    version, msg_type = data[0], data[1]
    if not 1 <= version <= 6:
        return None
    if (
        msg_type == OFPT_EXPERIMENTER
        and len(data) >= 24
        and _u32(data, 8) == ONF_VENDOR_ID
        and _u32(data, 12) == ONFT13_BUNDLE_ADD_MESSAGE
    ):
        inner = _decode_plain(data[24:])
        if inner:
            inner.in_bundle = True
        return inner or RejectedMessage(version, "BUNDLE_ADD_MESSAGE", in_bundle=True, truncated=True)
    if msg_type == OFPT14_BUNDLE_ADD_MESSAGE and version >= 5 and len(data) >= 16:
        inner = _decode_plain(data[16:])
        if inner:
            inner.in_bundle = True
        return inner or RejectedMessage(version, "BUNDLE_ADD_MESSAGE", in_bundle=True, truncated=True)
    return _decode_plain(data)


def _decode_plain(data: bytes) -> RejectedMessage | None:
    if len(data) < 8 or not 1 <= data[0] <= 6:
        return None
    version, msg_type = data[0], data[1]
    length = min(_u16(data, 2), len(data))
    msg = RejectedMessage(version, _TYPE_NAMES.get(msg_type, f"type {msg_type}"), truncated=_u16(data, 2) > len(data))
    body = data[:length]
    if msg_type == OFPT_FLOW_MOD and version >= 4:
        _flow_mod(body, msg)
    elif msg_type == OFPT_GROUP_MOD and version >= 2 and len(body) >= 16:
        msg.group_id = _u32(body, 12)
    return msg


def _flow_mod(body: bytes, msg: RejectedMessage) -> None:
    """OpenFlow 1.3/1.5 flow mod: 48-byte fixed part, an OXM match padded to 8, instructions."""
    if len(body) < 52:
        msg.truncated = True
        return
    msg.table, msg.priority = body[24], _u16(body, 30)
    match_len = _u16(body, 50)
    offset = 48 + (match_len + 7) // 8 * 8
    guard = 0
    while offset + 4 <= len(body) and guard < _MAX_ACTIONS:
        guard += 1
        kind, ilen = _u16(body, offset), _u16(body, offset + 2)
        if ilen < 4:
            break
        if kind in (OFPIT_APPLY_ACTIONS, OFPIT_WRITE_ACTIONS):
            _actions(body[offset + 8 : offset + ilen], msg)
        offset += ilen
    if offset < len(body) - 7:
        msg.truncated = True


def _actions(data: bytes, msg: RejectedMessage, in_ct: CtAction | None = None) -> None:
    offset, guard = 0, 0
    while offset + 4 <= len(data) and guard < _MAX_ACTIONS:
        guard += 1
        kind, alen = _u16(data, offset), _u16(data, offset + 2)
        if alen < 8:
            return
        action = data[offset : offset + alen]
        if kind == OFPAT_GROUP and len(action) >= 8:
            msg.groups_used.append(_u32(action, 4))
        elif kind == OFPAT_EXPERIMENTER and len(action) >= 10 and _u32(action, 4) == NX_VENDOR_ID:
            subtype = _u16(action, 8)
            if subtype == NXAST_CT and len(action) >= 24:
                zone_src = _u32(action, 12)
                table = action[18]
                ct = CtAction(
                    zone=None if zone_src else _u16(action, 16),
                    zone_from_field=bool(zone_src),
                    commit=bool(_u16(action, 10) & NX_CT_F_COMMIT),
                    table=None if table == 255 else table,
                )
                msg.ct_actions.append(ct)
                _actions(action[24:], msg, in_ct=ct)
            elif subtype == NXAST_NAT and in_ct is not None:
                in_ct.nat = True
        offset += alen


def _u16(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 2], "big") if offset + 2 <= len(data) else 0


def _u32(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "big") if offset + 4 <= len(data) else 0
