"""Pasted `kubectl get events` tables.

Columns (kubectl's tabwriter): `[NAMESPACE] LAST SEEN TYPE REASON OBJECT MESSAGE`; with `-o wide`
also SUBOBJECT, SOURCE, MESSAGE, FIRST SEEN, COUNT, NAME. A paste may lose the header, so a row
is recognised by its shape: an age, `Normal`/`Warning`, a reason, a `kind/name` object, text.
The events that matter here are Warnings about Antrea's Pods and about Pods whose sandbox the
CNI could not set up (`FailedCreatePodSandBox ... plugin type="antrea" failed (add)`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diagnose.parse.shell import split_prompt

_MAX_LINE = 8192
_HEADER = re.compile(r"^(?:NAMESPACE\s+)?LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+")
_ROW = re.compile(
    r"^(?:(?P<ns>[a-z0-9][-a-z0-9]{0,62})\s+)?(?P<age><unknown>|[0-9][0-9a-z]{0,15}(?: \(x\d+ over [0-9a-z]+\))?)\s+"
    r"(?P<type>Normal|Warning)\s+(?P<reason>[A-Za-z][A-Za-z0-9]{0,80})\s+"
    r"(?P<object>[a-z][a-z0-9.]{0,80}/[A-Za-z0-9][-A-Za-z0-9._:]{0,252})\s+(?P<message>.*)$"
)


@dataclass
class Event:
    """A row of `kubectl get events`."""

    type: str
    reason: str
    object: str  # kind/name, e.g. pod/antrea-agent-x7k2p
    message: str
    namespace: str | None
    age: str
    line: int
    text: str
    source: str = ""  # the file it was read from (set by the evidence layer)

    @property
    def object_kind(self) -> str:
        return self.object.split("/", 1)[0]

    @property
    def object_name(self) -> str:
        return self.object.split("/", 1)[-1]


def parse(text: str) -> list[Event]:
    _, body = split_prompt(text or "")
    out: list[Event] = []
    for i, raw in enumerate(body.splitlines(), 1):
        line = raw.rstrip()[:_MAX_LINE]
        m = _ROW.match(line.strip())
        if m:
            out.append(Event(m["type"], m["reason"], m["object"], m["message"].strip(), m["ns"], m["age"], i, line))
        elif out and raw.startswith(" " * 8) and line.strip():  # a message wrapped by the terminal
            out[-1].message += " " + line.strip()
    return out


def sniff(head: str) -> bool:
    _, body = split_prompt(head or "")
    lines = [ln.strip() for ln in body.splitlines()[:40] if ln.strip()]
    if not lines:
        return False
    if _HEADER.match(lines[0]):
        return True
    rows = sum(1 for ln in lines if _ROW.match(ln[:_MAX_LINE]))
    return rows >= 1 and rows >= 0.6 * len(lines)
