"""klog lines and files: headers, both printf and structured (`"msg" key=value`) lines.

Line format (klog v2): `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`, L in IWEF. Lines pasted
from `kubectl logs --timestamps` carry an RFC 3339 prefix, and tools such as stern prefix the
container name (`antrea-agent I0615 ...`); both are accepted. The year is not in the line: it
comes from the file header (`Log file created at:`), the file name, or the caller's hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_LINE = re.compile(
    r"^(?:(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)) )?"
    r"(?:[\w.-]{1,80} ){0,2}?"
    r"(?P<lvl>[IWEF])(?P<mon>\d\d)(?P<day>\d\d) (?P<hms>\d\d:\d\d:\d\d)\.(?P<us>\d{6}) +"
    r"(?P<tid>\d+) (?P<src>[^ :\]]{1,200}:\d+)\] (?P<msg>.*)$"
)
_FILE_NAME = re.compile(
    r"(?P<program>antrea-[a-z-]+)\.(?P<host>[^.]+(?:\.[^.]+)*?)\.(?P<user>[^.]+)\.log\."
    r"(?P<sev>INFO|WARNING|ERROR|FATAL)\.(?P<date>\d{8})-(?P<time>\d{6})\.(?P<pid>\d+)$"
)
_HEADER_CREATED = re.compile(r"^Log file created at: (\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)", re.M)
_HEADER_MACHINE = re.compile(r"^Running on machine: (\S+)", re.M)
_HEADER_BINARY = re.compile(r"^Binary: (.+)$", re.M)


@dataclass(frozen=True)
class YearHint:
    """The year to give year-less klog lines, and where it comes from (reports say so)."""

    year: int
    before: datetime | None = None  # the lines were logged before this moment (collection, now)
    source: str = ""


@dataclass
class KlogLine:
    """A parsed klog line: level, time, source file, message and key-value pairs."""

    level: str
    time: datetime | None
    source: str
    message: str
    kv: dict[str, str]


def looks_like_klog(line: str) -> bool:
    return _LINE.match(line) is not None


def parse_line(line: str, year: int | YearHint | None, created: datetime | None = None) -> KlogLine | None:
    """Parse one klog line; `year`/`created` place the year-less timestamp in time."""
    m = _LINE.match(line.rstrip("\r\n"))
    if not m:
        return None
    time = _timestamp(m, year, created)
    message, kv = split_structured(m["msg"])
    return KlogLine(m["lvl"], time, m["src"], message, kv)


def _timestamp(m: re.Match[str], hint: int | YearHint | None, created: datetime | None) -> datetime | None:
    year = hint.year if isinstance(hint, YearHint) else hint
    if m["ts"]:
        try:
            year = int(m["ts"][:4])
        except ValueError:
            pass
    elif created is not None:
        year = created.year
        # A file created in December keeps logging into January of the next year.
        if int(m["mon"]) < created.month:
            year += 1
    elif isinstance(hint, YearHint) and hint.before is not None and year is not None:
        # Collected (or read) in January, logged in December: the line is from the year before.
        if (int(m["mon"]), int(m["day"])) > (hint.before.month, hint.before.day):
            year -= 1
    if year is None:
        return None
    try:
        return datetime(
            year, int(m["mon"]), int(m["day"]), int(m["hms"][:2]), int(m["hms"][3:5]), int(m["hms"][6:8]), int(m["us"])
        )
    except ValueError:  # Feb 29 in a guessed non-leap year, or garbage digits
        return None


def split_structured(msg: str) -> tuple[str, dict[str, str]]:
    """Split `"Quoted message" k1="v 1" k2=3` into ("Quoted message", {...}).

    Printf-style messages (not starting with a quote) are returned whole with no pairs.
    A hand-written scanner rather than a regex: values are Go-quoted strings with escapes and
    untrusted lines must not trigger backtracking.
    """
    if not msg.startswith('"'):
        return msg, {}
    text, pos = _quoted(msg, 0)
    if text is None:
        return msg, {}
    kv: dict[str, str] = {}
    n = len(msg)
    while pos < n:
        while pos < n and msg[pos] == " ":
            pos += 1
        eq = msg.find("=", pos)
        if eq <= pos or " " in msg[pos:eq]:
            break
        key = msg[pos:eq]
        pos = eq + 1
        if pos < n and msg[pos] == '"':
            value, pos = _quoted(msg, pos)
            if value is None:
                kv[key] = msg[eq + 1 :]
                break
        else:
            end = msg.find(" ", pos)
            end = n if end == -1 else end
            value, pos = msg[pos:end], end
        kv[key] = value
    return text, kv


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


# A Go-quoted string: runs of plain characters between escapes (the unrolled loop: linear, the
# two alternatives never match the same character), then the closing quote.
_QUOTED = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"', re.S)
_ESCAPE = re.compile(r"\\(.)", re.S)


def _quoted(s: str, start: int) -> tuple[str | None, int]:
    """Decode the Go-quoted string at s[start] == '"'; return (text, index after it)."""
    m = _QUOTED.match(s, start)
    if m is None:
        return None, len(s)
    body = m[1]
    if "\\" in body:
        body = _ESCAPE.sub(lambda e: _ESCAPES.get(e[1], e[1]), body)
    return body, m.end()


@dataclass
class KlogFileInfo:
    """What a klog file's "Log file created at" header and name say about it."""

    host: str | None = None
    severity: str | None = None
    created: datetime | None = None
    program: str | None = None
    binary: str | None = None


def compact_time(digits: str) -> datetime | None:
    """`YYYYMMDDhhmmss` (klog file names, support-bundle names) as a datetime; None when it is
    no date. Read here: `datetime.strptime` would import `_strptime` and `calendar` (~0.5 MiB,
    ~2 ms) for this one fixed format."""
    try:
        return datetime(
            int(digits[:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            int(digits[12:14]),
        )
    except ValueError:
        return None


def file_info(name: str, head: str) -> KlogFileInfo:
    """What the klog file name and header say: host, severity, creation time."""
    info = KlogFileInfo()
    m = _FILE_NAME.search(name)
    if m:
        info.program, info.host, info.severity = m["program"], m["host"], m["sev"]
        info.created = compact_time(m["date"] + m["time"])
    h = _HEADER_CREATED.search(head)
    if h:
        try:
            year, month, day, hour, minute, second = (int(x) for x in h.groups())
            info.created = datetime(year, month, day, hour, minute, second)
        except ValueError:
            pass
    h = _HEADER_MACHINE.search(head)
    if h:
        info.host = h[1]
    h = _HEADER_BINARY.search(head)
    if h:
        info.binary = h[1].strip()
    return info


def is_header_or_log_start(line: str) -> bool:
    """True for lines that start a new record (used to end a goroutine dump)."""
    return looks_like_klog(line) or line.startswith(("Log file created at:", "Running on machine:"))


# klog is also how kubelet logs; a pasted kubelet journal must not be read as the agent's log.
_KUBELET_SOURCE = re.compile(
    r"\s(?:kubelet|kuberuntime_\w+|pod_workers|kubelet_\w+|remote_runtime|"
    r"cri_stats_provider|pod_container_deletor|prober|status_manager)\.go:\d+\]"
)


def program_of(name: str, head: str) -> str:
    """Which program wrote a klog text: "antrea-controller", "kubelet" or (the default, what
    users paste most) "antrea-agent"; from the file name first, then the content."""
    lower = name.lower()
    for program in ("antrea-controller", "antrea-agent", "kubelet"):
        if program in lower:
            return program
    if "Antrea Controller" in head:
        return "antrea-controller"
    lines = head.splitlines()[:40]
    kubelet = sum(1 for ln in lines if _KUBELET_SOURCE.search(ln))
    if kubelet and kubelet >= 0.5 * sum(1 for ln in lines if looks_like_klog(ln)):
        return "kubelet"
    return "antrea-agent"
