"""`ovs-ofctl dump-groups` output (the agent bundle's `groups` file, v2.0+).

`group_id=5,type=select,selection_method=hash,bucket=bucket_id:0,weight:100,actions=...` per
line, after an optional `OFPST_GROUP_DESC reply` header. Antrea installs one group per Service
(AntreaProxy) and per multicast group; a Service whose group has no bucket drops its traffic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diagnose.parse.shell import split_prompt

_HEADER = re.compile(r"^(?:OFPST_GROUP_DESC|NXST_GROUP_DESC) reply")
_GROUP = re.compile(r"^\s*group_id=(?P<id>\d{1,10}),type=(?P<type>[a-z_]{1,16})(?P<rest>.*)$")


@dataclass
class Group:
    """An OpenFlow group of `ovs-ofctl dump-groups` and its bucket count."""

    id: int
    type: str
    buckets: int
    text: str
    line: int


def parse(text: str) -> list[Group]:
    _, body = split_prompt(text or "")
    out = []
    for i, raw in enumerate(body.splitlines(), 1):
        m = _GROUP.match(raw[:65536])
        if m:
            out.append(Group(int(m["id"]), m["type"], m["rest"].count("bucket="), raw.strip(), i))
    return out


def sniff(head: str) -> bool:
    _, body = split_prompt(head or "")
    lines = [ln for ln in body.splitlines()[:40] if ln.strip()]
    if not lines:
        return False
    if _HEADER.match(lines[0].strip()):
        return True
    good = sum(1 for ln in lines if _GROUP.match(ln))
    return good >= 1 and good >= 0.8 * len(lines) - 1
