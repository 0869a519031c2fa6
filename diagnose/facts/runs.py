"""Runs of each process on a Node, and how each ended.

A crash-looping agent writes one run after another: one set of klog files per process start,
or one container log per container instance (`kubectl logs` and `--previous`), each beginning
with a start line. All of a Node's events of one process (agent, controller, OVS) are merged
(the cumulative klog severity files hold the same line up to four times), ordered in time and
cut at each start line. A log with no times at all (a pasted excerpt) is one run in line order.

Each run knows how far it got (`ready`: the agent initialised and finished flow restoration),
how it ended (`fatal`, `restarted` when another run follows, else `running` to the end of the
logs) and when its last line was written: the last event, or the last line of the log files it
was read from, which the reader keeps for that purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from diagnose.bundle import model as m
from diagnose.facts import lifecycle
from diagnose.parse import klog, vlog

_SEVERITY_FILE = re.compile(r"\.log\.(?:WARNING|ERROR|FATAL)\.\d{8}-\d{6}\.\d+$|\.(?:WARNING|ERROR|FATAL)$")
# Which process wrote an artifact of each log kind.
PROCESS_OF_KIND = {
    m.AGENT_LOG: "agent",
    m.CONTROLLER_LOG: "controller",
    m.OVS_LOG: "ovs",
    m.OVS_CONTAINER_LOG: "ovs",
    m.OTHER_CONTAINER_LOG: "container",
    m.HOST_LOG: "host",
}


@dataclass
class Run:
    """One process instance, from its start line (when seen) to its last line."""

    index: int
    process: str
    events: list[m.LogEvent] = field(default_factory=list)
    last_time: datetime | None = None  # the run's last line (events, or its log files' last line)
    followed: bool = False  # another run of the same process comes after it
    file_ends: dict[str, datetime] = field(default_factory=dict)  # last line time of each of its files
    alive_at: datetime | None = None  # known to be running then (it produced the bundle)

    @property
    def start(self) -> m.LogEvent | None:
        first = self.events[0] if self.events else None
        return first if first is not None and first.signature == lifecycle.STARTS.get(self.process) else None

    @property
    def version(self) -> str | None:
        s = self.start
        return (s.groups.get("v1") or s.groups.get("v2") or s.groups.get("ovs_version")) if s else None

    @property
    def start_time(self) -> datetime | None:
        return next((e.time for e in self.events if e.time is not None), None)

    @property
    def end_time(self) -> datetime | None:
        last = next((e.time for e in reversed(self.events) if e.time is not None), None)
        if self.last_time is not None and (last is None or self.last_time > last):
            return self.last_time
        return last

    def end_in(self, artifact: str) -> datetime | None:
        """When the run last wrote to one of its files: that file's last line or its last event.
        klog's WARNING/ERROR/FATAL files hold only lines of their severity and up, so a pause in
        them says nothing: for those, the run's end (its INFO file) counts."""
        if _SEVERITY_FILE.search(artifact) or self.alive_at is not None:
            return self.end_time
        times = [e.time for e in self.events if e.artifact == artifact and e.time is not None]
        if artifact in self.file_ends:
            times.append(self.file_ends[artifact])
        return max(times) if times else None

    @property
    def dated(self) -> bool:
        return any(e.time is not None for e in self.events)

    def all(self, signature: str) -> list[m.LogEvent]:
        return [e for e in self.events if e.signature == signature]

    def first(self, signature: str, after: m.LogEvent | None = None) -> m.LogEvent | None:
        return next((e for e in self.after(after) if e.signature == signature), None)

    def after(self, event: m.LogEvent | None) -> list[m.LogEvent]:
        if event is None:
            return self.events
        return self.events[self.events.index(event) + 1 :]

    @property
    def fatal(self) -> m.LogEvent | None:
        """The run's fatal line (klog F, or a fatal message quoted without its header)."""
        return next((e for e in reversed(self.events) if e.signature in lifecycle.FATALS), None)

    @property
    def panic(self) -> m.LogEvent | None:
        return next((e for e in reversed(self.events) if e.signature in lifecycle.PANICS), None)

    @property
    def ready(self) -> m.LogEvent | None:
        """The agent got through initialisation and flow restoration in this run."""
        return next((e for e in self.events if e.signature in lifecycle.AGENT_READY), None)

    @property
    def flow_restore_cleared(self) -> m.LogEvent | None:
        return self.first(lifecycle.key("frw_cleaned")) or self.first(lifecycle.key("frw_skipped"))

    @property
    def ended(self) -> str:
        """ "fatal", "panic", "restarted" (another run follows, no fatal logged) or "running"."""
        if self.fatal is not None:
            return "fatal"
        if self.panic is not None and self.panic.signature != lifecycle.key("observed_panic"):
            return "panic"
        return "restarted" if self.followed else "running"

    @property
    def healthy(self) -> bool:
        """Ran to the end of the logs without dying; for the agent, got to its ready point."""
        if self.ended != "running":
            return False
        return self.process != "agent" or self.ready is not None


def dedupe(events: Iterable[m.LogEvent], twins: dict[int, m.LogEvent] | None = None) -> list[m.LogEvent]:
    """The same line appears in the INFO, WARNING and ERROR files, and again in a container log.
    `twins`, when given, maps each dropped copy (by id) to the event kept for it."""
    seen: dict[tuple, m.LogEvent] = {}
    out = []
    for e in events:
        k = (e.signature, e.time, e.message or e.text) if e.time else (e.signature, e.artifact, e.line)
        kept = seen.get(k)
        if kept is None:
            seen[k] = e
            out.append(e)
        elif twins is not None:
            twins[id(e)] = kept
    return out


def build(
    events: Iterable[m.LogEvent],
    process: str,
    artifacts: Iterable[m.Artifact] = (),
    year: klog.YearHint | int | None = None,
) -> list[Run]:
    """Runs of `process` from its events; `artifacts` (its log files) tell when each run's last
    line was written. Events without a time (a pasted excerpt) make runs of their own, in file
    order, after the dated ones: a quoted error is what the user saw last."""
    start = lifecycle.STARTS.get(process)
    dated: list[m.LogEvent] = []
    undated: list[m.LogEvent] = []
    events = list(events)
    twins: dict[int, m.LogEvent] = {}
    for e in dedupe(events, twins):
        (dated if e.time is not None else undated).append(e)
    # Same-time lines keep their file order; a start line opens its run even on a tie.
    dated.sort(key=lambda e: (e.time, e.signature != start, e.artifact, e.line))
    runs: list[Run] = []
    for e in dated:
        if e.signature == start or not runs:
            runs.append(Run(len(runs), process))
        runs[-1].events.append(e)
    # An undated line of a dated file (a goroutine dump under its fatal line, a continuation)
    # belongs to the run of the dated line before it in that file.
    placed: dict[str, list[tuple[int, Run]]] = {}
    run_of = {id(e): run for run in runs for e in run.events}
    for e in events:  # copies dropped as duplicates still tell where their file's lines belong
        run = run_of.get(id(e)) or run_of.get(id(twins.get(id(e))))
        if run is not None:
            placed.setdefault(e.artifact, []).append((e.line, run))
    for lines in placed.values():
        lines.sort(key=lambda item: item[0])
    loose = []
    for e in undated:
        owners = [r for line, r in placed.get(e.artifact, ()) if line <= e.line]
        if owners:
            owners[-1].events.append(e)
        elif e.artifact in placed:
            placed[e.artifact][0][1].events.append(e)
        else:
            loose.append(e)
    for run in runs:
        run.events.sort(key=lambda e: (e.time is None, e.time or datetime.min, e.artifact, e.line))
    undated = sorted(loose, key=lambda e: (e.artifact, e.line))
    current_artifact = None
    for e in undated:
        if e.signature == start or not runs or not runs[-1].events or runs[-1].dated or e.artifact != current_artifact:
            runs.append(Run(len(runs), process))
        current_artifact = e.artifact
        runs[-1].events.append(e)
    for i, run in enumerate(runs):
        run.followed = i + 1 < len(runs)
        for e in run.events:
            e.run = run.index
    _attach_last_lines(runs, artifacts, year)
    return runs


def _attach_last_lines(runs: list[Run], artifacts: Iterable[m.Artifact], year) -> None:
    """Give each dated run the time of the last line written while it ran: a log file's last
    line belongs to the latest run that started before it."""
    dated = [r for r in runs if r.start_time is not None]
    if not dated:
        return
    for a in artifacts:
        when = line_time(a.last_line, a.kind, year)
        if when is None:
            continue
        owner = None
        for r in dated:
            if r.start_time is not None and r.start_time <= when:
                owner = r
        if owner is not None:
            nxt = next((r for r in dated if r.index > owner.index), None)
            if nxt is None or nxt.start_time is None or when <= nxt.start_time:
                owner.file_ends[a.path] = when
                if owner.last_time is None or when > owner.last_time:
                    owner.last_time = when


def alive_until(run: Run, when: datetime) -> None:
    """The process of `run` is known to have been running at `when` (it produced the bundle)."""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    start = run.start_time
    if start is not None and when > start and (run.last_time is None or when > run.last_time):
        run.last_time = when
        run.alive_at = when


def line_time(line: str | None, kind: str, year) -> datetime | None:
    """The time a raw log line was written, by its log format; None when it has none."""
    if not line:
        return None
    if kind == m.OVS_LOG:
        v = vlog.parse_vlog_line(line)
        return v.time.replace(tzinfo=None) if v else None
    parsed = klog.parse_line(line, year)
    return parsed.time if parsed else None


def latest(runs: list[Run]) -> Run | None:
    return runs[-1] if runs else None
