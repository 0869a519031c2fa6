"""Antrea messages pasted without their log header: "the agent says X", a line quoted in a ticket.

A text is recognised as such when most of its first lines are messages of Antrea's source (the
message catalogue, `diagnose.facts.messages`), or a Go crash as the container prints it on stderr
(`panic: ...`, `goroutine N [running]:`, `Observed a panic`). Only the first lines are looked up,
so the cost is a few catalogue lookups per pasted file.
"""

from __future__ import annotations

import re

_CRASH = re.compile(r"^(?:panic: |goroutine \d+ \[running\]:|\"?Observed a panic\b)")
_MAX_LINES = 12


def looks_like_antrea_messages(head: str) -> bool:
    lines = [ln.strip() for ln in head.splitlines() if ln.strip()][:_MAX_LINES]
    if not lines:
        return False
    if _CRASH.match(lines[0]):
        return True
    from diagnose.facts import messages

    try:
        known = sum(1 for ln in lines if messages.lookup(ln[:2000]) is not None)
    except messages.CatalogueError:
        return False
    return known >= 1 and known >= 0.5 * len(lines)
