"""Parser for OVS vlog lines (``ovs-vswitchd.log``, ``ovsdb-server.log``).

The OVS log file pattern is ``%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c%T|%p|%m``
(``include/openvswitch/vlog.h``)::

    2021-08-01T12:58:47.506Z|00004|reconnect|INFO|unix:/var/run/openvswitch/db.sock: connecting...
    2024-06-28T18:57:20.120Z|00051|dpif_netlink(handler3)|WARN|...

i.e. a UTC timestamp with milliseconds, a sequence number, the module (``%T`` appends the
thread name in parentheses for non-main threads), the level and the message.  The console
pattern (container stderr) is the same without milliseconds, so those are optional here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

LEVELS = ("EMER", "ERR", "WARN", "INFO", "DBG")

# Lines longer than this are cut before matching: the message is free text, but a log line of
# megabytes is garbage and not worth keeping whole.
_MAX_LINE = 65536

_RE_LINE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z"
    r"\|(\d{1,20})\|([A-Za-z0-9_.-]{1,64})(?:\(([^()|]{0,64})\))?"
    r"\|(EMER|ERR|WARN|INFO|DBG)\|(.*)$"
)


@dataclass
class VlogLine:
    """A line of an OVS daemon log."""

    time: datetime  # UTC-aware
    seq: int
    module: str
    level: str  # EMER | ERR | WARN | INFO | DBG
    message: str
    thread: str | None = None  # e.g. "handler3" for "dpif_netlink(handler3)"


def parse_vlog_line(line: str) -> VlogLine | None:
    """Parse one vlog line; None if it is not one (continuation lines, other text)."""
    if not line:
        return None
    line = line.lstrip("\ufeff").rstrip("\r\n")
    if len(line) > _MAX_LINE:
        line = line[:_MAX_LINE]
    m = _RE_LINE.match(line)
    if m is None:
        return None
    y, mo, d, h, mi, s, frac = m.group(1, 2, 3, 4, 5, 6, 7)
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        t = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=timezone.utc)
    except ValueError:
        return None  # month 13 and the like
    return VlogLine(
        time=t,
        seq=int(m.group(8)),
        module=m.group(9),
        level=m.group(11),
        message=m.group(12),
        thread=m.group(10) or None,
    )


def parse_vlog(text: str) -> list[VlogLine]:
    """Parse a whole log; lines without a header (multi-line messages) are appended to the
    previous line's message, other garbage before the first header is dropped."""
    out: list[VlogLine] = []
    if not text:
        return out
    for line in text.splitlines():
        v = parse_vlog_line(line)
        if v is not None:
            out.append(v)
        elif out and line.strip() and len(out[-1].message) < _MAX_LINE:
            out[-1].message += "\n" + line[:_MAX_LINE]
    return out


def sniff(head: str) -> bool:
    """True if ``head`` (the first few KB of a file) is an OVS vlog file."""
    if not head:
        return False
    good = bad = 0
    for line in head.splitlines()[:40]:
        if not line.strip():
            continue
        if parse_vlog_line(line) is not None:
            good += 1
        else:
            bad += 1
    # Multi-line messages exist but are rare; most lines of a vlog file carry the header.
    return good >= 1 and good >= bad
