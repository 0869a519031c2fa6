"""The four OVSDB views by kind name: which one a text is (``detect``), and parsing a text as
the one it is (``parse_ovsdb``)."""

from __future__ import annotations

import re

from diagnose.parse.ovsdb.dump_json import parse_dump_json
from diagnose.parse.ovsdb.dump_text import RE_DASHES, parse_dump_text
from diagnose.parse.ovsdb.model import OvsdbState
from diagnose.parse.ovsdb.vsctl_list import RE_LIST_LINE, parse_vsctl_list
from diagnose.parse.ovsdb.vsctl_show import RE_UUID, parse_vsctl_show
from diagnose.parse.shell import split_prompt

KINDS = ("ovs-vsctl-show", "ovs-vsctl-list", "ovsdb-dump", "ovsdb-dump-json")


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
        if RE_DASHES.match(b) and len(a) >= len(b.rstrip()) - 1 and "_uuid" in a.split()[:1]:
            return "ovsdb-dump"
    # ovs-vsctl list pads column names to 20 characters ("%-20s: "): a colon at column 20 after
    # a padded name is distinctive (YAML has no blank before its colon).
    listish = 0
    padded = 0
    for ln in lines:
        m = RE_LIST_LINE.match(ln)
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
    if RE_UUID.match(first) and (bridge or version or len(lines) == 1):
        return "ovs-vsctl-show"
    if bridge and port:
        return "ovs-vsctl-show"
    return None


def sniff(head: str) -> bool:
    return detect(head) is not None
