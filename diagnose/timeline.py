"""Agent runs on a Node: the lifecycle markers every rule can rely on.

A crash-looping agent writes one run after another into its logs (one set of klog files per
run, or one container log). The engine scans for the markers below alongside the rules' own
signatures; the timeline merges all of a Node's events (deduplicating the cumulative klog
severity files), orders them and cuts them into runs at each "Starting Antrea agent".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from diagnose.model import AGENT_LOG, OTHER_CONTAINER_LOG, LogEvent
from diagnose.rule import Signature

CORE = "core"
_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
# A klog F header, every repeat bounded: `[^\]]+` would make a line of many "F0000 0 0 " take
# time quadratic in its length (diagnose.regexsafety).
_FATAL_HEAD = r"(?:^|\s)F\d{4} [\d:.]{1,20}\s{1,10}\d{1,10} [^\]]{1,200}\] "

# Wording per version checked in antrea-io/antrea (cmd/antrea-agent/agent.go, pkg/agent/agent.go):
# `Starting Antrea agent (version X)` in v1.x, `"Starting Antrea agent" version="X"` in v1.15-v2.1,
# `"Starting Antrea Agent" version="X"` from v2.2.
SIGNATURES: tuple[Signature, ...] = (
    Signature("start", r'Starting Antrea [Aa]gent(?: \(version (?P<v1>[^)\s]+)\)|" version="(?P<v2>[^"]+)")',
              "Starting Antrea ", _LOGS),
    Signature("initialized", r"Agent initialized NodeConfig=", "Agent initialized", _LOGS),
    Signature("frw_waiting", r"Waiting for flow restoration to complete", "Waiting for flow restoration", _LOGS,
              versions=">=2.1.0"),
    Signature("frw_cleaning", r"Cleaning up flow-restore-wait config", "Cleaning up flow-restore-wait", _LOGS),
    Signature("frw_cleaned", r"Cleaned up flow-restore-wait config", "Cleaned up flow-restore-wait", _LOGS),
    Signature("frw_completed", r"Flow restoration has completed", "Flow restoration has completed", _LOGS,
              versions=">=2.1.0"),
    # klog.Fatal in cmd/antrea-agent/main.go: "Error running agent", "Failed to complete",
    # "Failed to validate"; the goroutine dump that follows is kept with the line.
    Signature("fatal", _FATAL_HEAD + r"(?P<fatal>Error running agent: .*)$",
              "Error running agent", _LOGS, follow=30),
    Signature("fatal_bare", r"^(?:antrea-agent )?(?P<fatal>Error running agent: .*)$", "Error running agent", _LOGS),
    Signature("fatal_init", _FATAL_HEAD + r"(?P<fatal>Failed to (?:complete|validate): .*)$",
              "] Failed to ", _LOGS, follow=30),
)


def key(name: str) -> str:
    return f"{CORE}:{name}"


@dataclass
class Run:
    """One agent process, from its start line (when seen) to its last line."""

    index: int
    events: list[LogEvent] = field(default_factory=list)

    @property
    def start(self) -> LogEvent | None:
        first = self.events[0] if self.events else None
        return first if first is not None and first.signature == key("start") else None

    @property
    def version(self) -> str | None:
        s = self.start
        return (s.groups.get("v1") or s.groups.get("v2")) if s else None

    @property
    def end_time(self) -> datetime | None:
        return self.events[-1].time if self.events else None

    def all(self, signature: str) -> list[LogEvent]:
        return [e for e in self.events if e.signature == signature]

    def first(self, signature: str, after: LogEvent | None = None) -> LogEvent | None:
        return next((e for e in self.after(after) if e.signature == signature), None)

    def after(self, event: LogEvent | None) -> list[LogEvent]:
        if event is None:
            return self.events
        return self.events[self.events.index(event) + 1:]

    @property
    def fatal(self) -> LogEvent | None:
        return next((e for e in reversed(self.events)
                     if e.signature in (key("fatal"), key("fatal_bare"), key("fatal_init"))), None)

    @property
    def flow_restore_cleared(self) -> LogEvent | None:
        return self.first(key("frw_cleaned"))


def dedupe(events: Iterable[LogEvent]) -> list[LogEvent]:
    """The same line appears in the INFO, WARNING and ERROR files, and again in a container log."""
    seen: set[tuple] = set()
    out = []
    for e in events:
        k = (e.signature, e.time, e.message or e.text) if e.time else (e.signature, e.artifact, e.line)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


def build_runs(events: Iterable[LogEvent]) -> tuple[list[Run], list[LogEvent]]:
    """Runs of the agent from timed events; undated events (pasted excerpts) are returned apart."""
    timed, undated = [], []
    for e in dedupe(events):
        (timed if e.time is not None else undated).append(e)
    # Same-time lines keep their file order; a start line opens its run even on a tie.
    timed.sort(key=lambda e: (e.time, e.signature != key("start"), e.artifact, e.line))
    runs: list[Run] = []
    for e in timed:
        if e.signature == key("start") or not runs:
            runs.append(Run(len(runs)))
        e.run = runs[-1].index
        runs[-1].events.append(e)
    return runs, undated
