"""Recognise a loose file (pasted into a ticket) by its content first, its name second.

Content wins because ticket attachments are named anything (`log.txt`, `output2`), while a
klog line, an OVS vlog line or `ip route` output each look like nothing else. The name only
decides when the content is not recognisable (e.g. an empty or truncated file). Both come from
the artifact-kind registry (`diagnose.bundle.artifacts`); the shell prompt a paste may start with is
set aside first.
"""

from __future__ import annotations

from diagnose.bundle import artifacts
from diagnose.parse import shell


def by_name(name: str) -> str | None:
    return artifacts.by_name(name)


def by_content(head: str, name: str = "") -> str | None:
    """Kind of a text from its first bytes, or None when it is not recognisable."""
    _, body = shell.split_prompt(head)
    if not body.strip():
        return None
    return artifacts.by_content(body, name)


def classify(name: str, head: bytes) -> str | None:
    text = head.decode("utf-8", errors="replace")
    return by_content(text, name) or (by_name(name) if text.strip() else None)
