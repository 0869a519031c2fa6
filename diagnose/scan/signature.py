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
    # Found near each hit instead of matching every such line of a busy log (see Recall).
    recall: Recall | None = None  # an earlier line that completes each hit, e.g. the request naming its Pod
    # A line of normal activity, logged on every call (e.g. a CNI call's success): only when it
    # last occurred matters, and matching every one would cost a busy log a Python call per line.
    busy: bool = False  # keep only the first and last matching line of each 256 KiB chunk (and count only those)


@dataclass(frozen=True)
class Recall:
    """The latest line before a hit, among the bytes the scanner still holds (the hit's chunk and
    the one before it: at least 256 KiB), that contains the hit's `key` and matches `pattern`.
    Its named groups join the hit's (the hit's own win on a clash); when no such line is close
    enough the hit simply lacks them.

    A busy agent logs a request line for every CNI call, a quarter of its lines: matching them
    all to name the few that failed cost ~40 % of Hyperscan's time and a Python call per line.
    """

    key: str  # regex searched in the hit line; its group `key` is what the earlier line contains
    pattern: str  # regex the earlier line must match (searched in the whole raw line)
    literal: str  # a string every recalled line contains (checked before the regex)
