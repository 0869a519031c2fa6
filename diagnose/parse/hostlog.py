"""Recognise logs of the Node itself: audit.log / ausearch, dmesg, journalctl, syslog.

They hold what no Antrea log can: SELinux AVC denials, kernel messages, module loads. Only
the shape of the lines is checked here; the scanner matches the rules' signatures in them.
"""

from __future__ import annotations

import re

from diagnose.parse.shell import split_prompt

_AUDIT = re.compile(r"^(?:node=\S+ )?type=[A-Z_]{2,30} msg=audit\(\d{9,11}\.\d{1,3}:\d{1,12}\): ")
_AUSEARCH = re.compile(r"^(?:----|time->\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})$")
_DMESG = re.compile(r"^\[\s{0,12}\d{1,9}\.\d{6}\] |^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] ")
# journalctl / syslog "short" and "short-iso" formats: time, host, process[pid]:
_JOURNAL = re.compile(
    r"^(?:\w{3} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:?\d\d|Z)) "
    r"[\w.-]{1,64} [\w().@/:-]{1,64}(?:\[\d{1,10}\])?: "
)


def sniff(head: str) -> bool:
    """True when most non-empty lines of `head` are host log lines."""
    _, body = split_prompt(head)
    lines = [ln for ln in body.splitlines()[:40] if ln.strip()]
    if not lines:
        return False
    good = sum(1 for ln in lines if _AUDIT.match(ln) or _AUSEARCH.match(ln) or _DMESG.match(ln) or _JOURNAL.match(ln))
    return good >= 1 and good >= 0.6 * len(lines)
