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
_DP_FLOW = re.compile(
    r"^(?:ufid:[0-9a-f-]+, )?(?:recirc_id\(0x?[0-9a-f]+\)|skb_priority|in_port\()\S*.* actions:", re.M
)
_TRACE = re.compile(r"^(?:Flow: |bridge\(\"[^\"]+\"\)$|Final flow: |Datapath actions: )", re.M)
_DP_PORT = re.compile(r"^\s{4}(?P<name>\S+) (?P<ofport>\d+)/(?P<dpport>\d+|none)(?::\s*\((?P<type>[^)]*)\))?")
_BRIDGE = re.compile(r"^\s{2}(?P<name>[^\s:]+):\s*$")
_STEP = re.compile(r"^(?P<indent>\s*)(?P<table>\d{1,3})\. (?P<text>.{1,4000})$")
_COOKIE = re.compile(r", cookie (0x[0-9a-fA-F]{1,16})")
_PRIORITY = re.compile(r"(?:^|,? )priority (\d{1,5})")
_GROUP_ACTION = re.compile(r"^group:(\d{1,10})\b")
_MAX_STEPS = 4096


@dataclass
class TraceStep:
    """One OpenFlow table the traced packet went through (OVS `xlate_report_table`: `%2d. ` then
    the matching flow's match, `priority N` and `cookie 0x..`, or `No match.`), and the actions
    reported under it."""

    table: int
    text: str  # what follows "N. "
    line: int
    actions: list[str] = field(default_factory=list)

    @property
    def no_match(self) -> bool:
        return self.text.startswith("No match")

    @property
    def cookie(self) -> int | None:
        m = _COOKIE.search(self.text)
        return int(m[1], 16) if m else None

    @property
    def priority(self) -> int | None:
        m = _PRIORITY.search(self.text)
        return int(m[1]) if m else None

    @property
    def match(self) -> str:
        """The flow's match fields, without `priority` and `cookie`."""
        return _PRIORITY.split(self.text, 1)[0].rstrip(" ,")


@dataclass
class Trace:
    """An `ovs-appctl ofproto/trace` output: the packet, its steps and the datapath actions."""

    flow: str = ""
    final_flow: str = ""
    datapath_actions: str = ""
    line: int | None = None
    steps: list[TraceStep] = field(default_factory=list)

    @property
    def drops(self) -> bool:
        return self.datapath_actions.strip() == "drop"

    @property
    def last_step(self) -> TraceStep | None:
        return self.steps[-1] if self.steps else None

    def groups(self) -> list[int]:
        """Ids of the groups the packet was sent to (`group:N` actions), in order."""
        return [int(m[1]) for step in self.steps for a in step.actions if (m := _GROUP_ACTION.match(a))]


@dataclass
class DpifShow:
    """An `ovs-appctl dpif/show` output: each bridge's ports."""

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
        step = _STEP.match(line)
        if line.startswith("Flow: "):
            out.append(Trace(flow=line[6:].strip(), line=i))
        elif step and out and len(out[-1].steps) < _MAX_STEPS:
            out[-1].steps.append(TraceStep(int(step["table"]), step["text"].strip(), i))
        elif out and out[-1].steps and line.startswith(" ") and line.strip() and not out[-1].datapath_actions:
            out[-1].steps[-1].actions.append(line.strip())
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
