"""Did a failure last? The one answer every rule needs about the log lines it found.

For the failure lines of one Node (the hits of a rule's signatures), in the runs of their
process:

- `fatal`: the latest run died of it (a fatal or panic in that run, at or after the failure);
- `superseded`: it happened only in earlier runs, and the latest run is healthy: history, shown
  in the timeline, not the current root cause;
- `recovered`: a later success of the same subsystem in the same run (`recovered_by`), or the
  failure stopped recurring while the process kept logging well past its retry interval: a
  client-go reflector retries a failed list/watch every few seconds (backoff up to 30 s), so an
  outage that ended is followed by silence and normal activity, not by a success line
  (`Caches are synced` is logged once per controller start and proves nothing later);
- `once`: a single warning-level line with nothing after it to tell either way (an excerpt);
- `persisting`: it goes on to the end of the latest run or of the logs.

Lines without times (pasted excerpts) can only be `fatal`, `once` or `persisting`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from diagnose.bundle import model as m
from diagnose.facts import runs as runsmod

# A failure that stopped this long before the process's last line, with the process still
# logging, has recovered: longer than client-go's longest list/watch backoff (30 s) and than
# Antrea's retry loops (at most a minute), with a margin.
QUIET_AFTER = timedelta(minutes=3)
# Added to a rule's own retry interval (Rule.retry_interval) for the same purpose.
RETRY_MARGIN = timedelta(minutes=1)

FATAL, SUPERSEDED, RECOVERED, ONCE, PERSISTING = "fatal", "superseded", "recovered", "once", "persisting"
# What a finding may still claim for each outcome: a recovered transient is history, not a fault.
SEVERITY_CAP = {SUPERSEDED: "info", RECOVERED: "info", ONCE: "warning"}


@dataclass
class Outcome:
    """What became of a failure in the logs: still failing, recovered, superseded or once."""

    state: str
    first: m.LogEvent
    last: m.LogEvent
    count: int
    recovered_at: datetime | None = None
    run: runsmod.Run | None = None

    @property
    def lasted(self) -> timedelta | None:
        if self.first.time and self.last.time:
            return self.last.time - self.first.time
        return None

    @property
    def current(self) -> bool:
        """Still a fault at the end of the logs."""
        return self.state in (FATAL, PERSISTING)

    def describe(self) -> str:
        """One clause for a finding's summary."""
        n = f"{self.count} time{'s' if self.count != 1 else ''}"
        if self.state == SUPERSEDED:
            return (
                f"seen {n} in an earlier run{_at(self.first)}; the latest run is healthy, so this is "
                "history, not the current fault"
            )
        if self.state == RECOVERED:
            lasted = self.lasted
            span = f" after {duration_text(lasted)}" if lasted and lasted.total_seconds() >= 1 else ""
            when = f" at {self.recovered_at.isoformat(sep=' ', timespec='seconds')}" if self.recovered_at else ""
            return f"seen {n}; it recovered{when}{span}"
        if self.state == ONCE:
            return "seen once, with nothing after it in the logs to tell whether it lasted"
        if self.state == FATAL:
            return f"seen {n}; the latest run died of it"
        return f"seen {n}, until the end of the logs"


def _at(e: m.LogEvent) -> str:
    return f" (at {e.time.isoformat(sep=' ', timespec='seconds')})" if e.time else ""


def duration_text(d: timedelta) -> str:
    s = int(d.total_seconds())
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def judge(
    failures: Iterable[m.LogEvent],
    runs: list[runsmod.Run],
    successes: Iterable[m.LogEvent] = (),
    retry_interval: float = 0.0,
) -> Outcome | None:
    """The outcome of `failures` (events of one Node) given that Node's `runs` of their process;
    `successes` are events that prove the subsystem worked again (e.g. `Flow replay completed`).
    `retry_interval` (seconds) is the longest wait of the failing subsystem between two retries
    when it is longer than client-go's (a workqueue's maxRetryDelay, 300 s for Antrea's
    NetworkPolicy and Egress controllers): shorter silence than that proves nothing."""
    failures = sorted(runsmod.dedupe(failures), key=_order)
    if not failures:
        return None
    first, last = failures[0], failures[-1]
    count = len(failures)
    by_index = {r.index: r for r in runs}
    run = by_index.get(last.run) if last.run is not None else None
    latest = runs[-1] if runs else None
    if run is None:  # events not placed in runs (no process runs known): judge on their own
        return Outcome(_alone(failures), first, last, count)
    # Only in earlier runs, and a later run got through: superseded.
    if run is not latest and latest is not None and any(r.healthy for r in runs[run.index + 1 :]):
        return Outcome(SUPERSEDED, first, last, count, run=run)
    if run.fatal is not None and _not_before(run.fatal, last) or run.ended == "panic":
        return Outcome(FATAL, first, last, count, run=run)
    if run is not latest and latest is not None:
        # The run it happened in was restarted and the next one did not get through either.
        return Outcome(PERSISTING, first, last, count, run=run)
    later = sorted((s for s in successes if s.run == run.index and _after(s, last)), key=_order)
    if later:
        return Outcome(RECOVERED, first, last, count, recovered_at=later[0].time, run=run)
    # Silence counts only in the file the failure was logged in: the same process writing on.
    # (Several files of one unnamed Node may be different agents' logs pasted together.)
    end = run.end_in(last.artifact)
    quiet = max(QUIET_AFTER, timedelta(seconds=retry_interval) + RETRY_MARGIN)
    if last.time is not None and end is not None and end - last.time >= quiet:
        return Outcome(RECOVERED, first, last, count, recovered_at=last.time, run=run)
    if count == 1 and (last.level or "") in ("W", "WARN", "warning") and (end is None or end == last.time):
        return Outcome(ONCE, first, last, count, run=run)
    return Outcome(PERSISTING, first, last, count, run=run)


def _alone(failures: list[m.LogEvent]) -> str:
    if any(e.level == "F" for e in failures):
        return FATAL
    if len(failures) == 1 and (failures[0].level or "") in ("W", "WARN"):
        return ONCE
    return PERSISTING


def _order(e: m.LogEvent):
    return (e.run if e.run is not None else -1, e.time or datetime.min, e.artifact, e.line)


def _after(a: m.LogEvent, b: m.LogEvent) -> bool:
    if a.time is not None and b.time is not None:
        return a.time > b.time
    return a.artifact == b.artifact and a.line > b.line


def _not_before(a: m.LogEvent, b: m.LogEvent) -> bool:
    return a is b or _after(a, b) or (a.time is not None and a.time == b.time)
