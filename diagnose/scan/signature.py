"""A log signature: what the scanner looks for in every log line, declared by rules and facts."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.bundle.model import AGENT_LOG


@dataclass(frozen=True)
class Signature:
    """A log line pattern, matched in the engine's single pass over every log of `kinds`.

    `literal` must occur in every matching line: the scanner looks for it first and runs the
    regex only on lines that contain it. Patterns are searched in the whole raw line, so they
    must not rely on the klog header; use named groups for fields the check needs.
    """

    name: str  # how check() asks for its hits: ev.hits(name)
    pattern: str  # `regex` pattern searched in the whole raw line; named groups become event.groups
    literal: str  # a string every matching line contains ("" with a prefilter)
    kinds: tuple[str, ...] = (AGENT_LOG,)  # the log kinds scanned for it
    versions: str = "all"  # which Antrea versions log this wording (documentation and lint)
    follow: int = 0  # keep up to this many continuation lines (e.g. a goroutine dump)
    # A cheaper pattern matching a superset of `pattern`'s lines, for the multi-pattern engine
    # when `pattern` has no literal and a costly start (the catch-all of diagnose.diagnosis.unexplained).
    prefilter: str | None = None  # a cheaper superset pattern for a literal-less costly pattern
    # What a matching line means for the engine's judgement of whether a failure lasted
    # (diagnose.facts.outcome): "failure" (the default), "success" (the subsystem works again,
    # e.g. `Started watch for`), or "context" (a step on the way, e.g. `Renaming interface`).
    role: str = "failure"  # what a hit means when judging if a failure lasted: failure, success, context
