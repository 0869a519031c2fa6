"""Turn a scanner hit into a `LogEvent`, parsing the line by the artifact's log format."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from diagnose.bundle import model as m
from diagnose.parse import klog, vlog
from diagnose.scan.scanner import Hit

# Stdout of Antrea's shell-script containers (antrea-ovs start_ovs, antrea-ipsec: the `logging`
# script), with ANSI colours possibly left in.
_COLOUR = r"(?:\x1b?\[[\d;]*m)*"  # ANSI colour codes, also with the escape byte lost in a copy
_SCRIPT_CONTAINER = re.compile(
    rf"^{_COLOUR}\[{_COLOUR}(?P<ts>\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z? {_COLOUR}(?P<lvl>\w+) "
    rf"{_COLOUR}antrea-[\w-]+{_COLOUR}\]:{_COLOUR} ?(?P<msg>.*)$"
)
_PREFIX = re.compile(r"^(?:\d{4}-\d\d-\d\dT\S+ )?(?:antrea-[\w-]+ )?")


def to_event(
    hit: Hit, artifact: m.Artifact, node: str | None, year: int | klog.YearHint | None, created: datetime | None
) -> m.LogEvent:
    ev = m.LogEvent(
        artifact=artifact.path,
        line=hit.line_no,
        text=hit.text,
        signature=hit.key,
        node=node,
        groups=hit.groups,
        following=hit.following,
        before=hit.before,
        after=hit.after,
    )
    if artifact.kind == m.OVS_LOG:
        v = vlog.parse_vlog_line(hit.text)
        if v:
            ev.time = v.time.astimezone(timezone.utc).replace(tzinfo=None)
            ev.level, ev.source, ev.message = v.level, v.module, v.message
            return ev
    elif artifact.kind in (m.OVS_CONTAINER_LOG, m.OTHER_CONTAINER_LOG):
        o = _SCRIPT_CONTAINER.match(hit.text)
        if o:
            ev.time = datetime.fromisoformat(o["ts"])
            ev.level, ev.message = o["lvl"], o["msg"]
            return ev
    line = klog.parse_line(hit.text, year, created)
    if line:
        ev.time, ev.level, ev.source, ev.message, ev.kv = line.time, line.level, line.source, line.message, line.kv
    else:
        ev.message = _PREFIX.sub("", hit.text, count=1)
    return ev
