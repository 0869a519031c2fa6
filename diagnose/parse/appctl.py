"""`ovs-appctl` outputs people paste: `dpif/show`, `dpctl/show`, `dpctl/dump-flows`, `ofproto/trace`.

Recognised so they are read (and not mistaken for something else); `ofproto/trace` is parsed for
its verdict (the datapath actions: `drop` means the pipeline drops the traced packet), `dpif/show`
for the datapath ports of each bridge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diagnose.parse.shell import split_prompt

_DPIF_SHOW = re.compile(r"^system@ovs-system: hit:\d+ missed:\d+", re.M)
_DPCTL_SHOW = re.compile(r"^(?:system@)?ovs-system:\n\s+lookups: hit:\d+", re.M)
_DP_FLOW = re.compile(r"^(?:ufid:[0-9a-f-]+, )?(?:recirc_id\(0x?[0-9a-f]+\)|skb_priority|in_port\()\S*.* actions:",
                      re.M)
_TRACE = re.compile(r"^(?:Flow: |bridge\(\"[^\"]+\"\)$|Final flow: |Datapath actions: )", re.M)
_DP_PORT = re.compile(r"^\s{4}(?P<name>\S+) (?P<ofport>\d+)/(?P<dpport>\d+|none)(?::\s*\((?P<type>[^)]*)\))?")
_BRIDGE = re.compile(r"^\s{2}(?P<name>[^\s:]+):\s*$")


@dataclass
class Trace:
    flow: str = ""
    final_flow: str = ""
    datapath_actions: str = ""
    line: int | None = None

    @property
    def drops(self) -> bool:
        return self.datapath_actions.strip() == "drop"


@dataclass
class DpifShow:
    ports: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)  # bridge -> port -> (ofport, type)


def sniff(head: str) -> bool:
    _, body = split_prompt(head or "")
    body = body[:65536]
    if _DPIF_SHOW.search(body) or _DPCTL_SHOW.search(body):
        return True
    if len(_TRACE.findall(body)) >= 2:
        return True
    lines = [ln for ln in body.splitlines()[:40] if ln.strip()]
    return bool(lines) and sum(1 for ln in lines if _DP_FLOW.match(ln)) >= 0.8 * len(lines)


def traces(text: str) -> list[Trace]:
    _, body = split_prompt(text or "")
    out: list[Trace] = []
    for i, line in enumerate(body.splitlines(), 1):
        if line.startswith("Flow: "):
            out.append(Trace(flow=line[6:].strip(), line=i))
        elif line.startswith("Final flow: ") and out:
            out[-1].final_flow = line[12:].strip()
        elif line.startswith("Datapath actions: "):
            if not out:
                out.append(Trace(line=i))
            out[-1].datapath_actions = line[18:].strip()
            out[-1].line = i
    return out


def dpif_show(text: str) -> DpifShow:
    _, body = split_prompt(text or "")
    show = DpifShow()
    bridge = None
    for line in body.splitlines():
        b = _BRIDGE.match(line)
        if b:
            bridge = b["name"]
            show.ports.setdefault(bridge, {})
            continue
        p = _DP_PORT.match(line)
        if p and bridge is not None:
            show.ports[bridge][p["name"]] = (int(p["ofport"]), (p["type"] or "").strip())
    return show
