"""One normalisation step for the lines of a pasted log, before any parser or signature sees them.

Users paste logs in whatever shape their tool gave them. The same klog line arrives as:

    I0301 12:00:00.123456       1 agent.go:107] ...                      klog file, `kubectl logs`
    2024-03-01T12:00:00.123456789Z I0301 12:00:00...                      `kubectl logs --timestamps`
    2024-03-01T12:00:00.123456789Z stderr F I0301 12:00:00...             CRI log (/var/log/pods, containerd)
    {"log":"I0301 12:00:00...\\n","stream":"stderr","time":"2024-..."}    Docker json-file log
    [pod/antrea-agent-x7k2p/antrea-agent] I0301 12:00:00...               `kubectl logs --prefix`
    Mar 01 12:00:00 node1 antrea-agent[812]: I0301 12:00:00...            journald / syslog
    \\xff\\xfeI\\x00...                                                     UTF-16 from Windows PowerShell

`detect(head)` names the shape from the first lines; `normalise(chunk, shape)` rewrites a
newline-aligned chunk into the canonical form `[<RFC 3339 time> ]<line>`, which the klog parser,
the scan signatures (anchored ones included) and the catch-all all read. The line count never
changes: a line joined to the one before it (a CRI partial line, a PowerShell error wrapped at the
console width) leaves an empty line behind, so evidence line numbers still point into the file
the user has. What the prefixes said about the source (host, Pod, container) is returned by
`detect` for Node attribution.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# An RFC 3339 timestamp as kubectl, containerd and Docker print it.
_TS = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)"
_ANSI = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]")

_CRI = re.compile(rb"^(" + _TS + rb") (?:stdout|stderr) ([FP]) ", re.M)
_DOCKER_JSON = re.compile(rb'^\{"log":')
_KUBECTL_PREFIX = re.compile(
    rb"^\[pod/(?P<pod>[a-z0-9][-a-z0-9.]{0,252})/(?P<container>[a-z0-9][-a-z0-9]{0,62})\] ", re.M
)
# `Mar  1 12:00:00 host prog[pid]: ` (RFC 3164 syslog, journalctl's default `short`) and
# `2024-03-01T12:00:00+0000 host prog[pid]: ` (journalctl -o short-iso, rsyslog RFC 3339).
_SYSLOG = re.compile(
    rb"^(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6})?|" + _TS + rb") "
    rb"(?P<host>[A-Za-z0-9][-A-Za-z0-9_.]{0,252}) (?P<prog>[A-Za-z0-9_./-]{1,64})(?:\[\d{1,10}\])?: ",
    re.M,
)
_KLOG_START = re.compile(rb"[IWEF]\d{4} \d\d:\d\d:\d\d")
# A PowerShell error record: "Cmdlet : message" wrapped at the console width, then "At ...".
_PS_ERROR = re.compile(r"^[A-Za-z][\w-]{0,80} : \S")
_PS_TAIL = re.compile(r"^(?:At (?:line:\d|[A-Za-z]:\\|\S+:\d)|\s*\+ |\s*\+ (?:CategoryInfo|FullyQualifiedErrorId))")


@dataclass
class Shape:
    """How the lines of one log are wrapped, and what the wrapping told about their source."""

    name: str  # "plain", "cri", "docker-json", "kubectl-prefix", "syslog", "powershell"
    hosts: list[str] = field(default_factory=list)  # hosts named by syslog prefixes
    pods: list[str] = field(default_factory=list)  # Pods named by `kubectl logs --prefix`
    containers: list[str] = field(default_factory=list)

    @property
    def rewrites(self) -> bool:
        return self.name != "plain"


def decode_utf16(head: bytes) -> str | None:
    """The codec of a UTF-16 text (a PowerShell `> file` redirect), from its BOM or from NUL
    bytes between ASCII characters; None for anything else."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[:512]
    if len(sample) >= 8:
        odd, even = sample[1::2], sample[0::2]
        if odd.count(0) >= len(odd) * 0.9 and even.count(0) < len(even) * 0.1:
            return "utf-16-le"
        if even.count(0) >= len(even) * 0.9 and odd.count(0) < len(odd) * 0.1:
            return "utf-16-be"
    return None


def detect(head: bytes) -> Shape:
    """The shape of a log from its first bytes (already UTF-8)."""
    lines = [ln for ln in _ANSI.sub(b"", head).splitlines()[:50] if ln.strip()]
    if not lines:
        return Shape("plain")

    def share(pattern: re.Pattern[bytes]) -> float:
        return sum(1 for ln in lines if pattern.match(ln)) / len(lines)

    if share(_DOCKER_JSON) >= 0.5:
        return Shape("docker-json")
    if share(_CRI) >= 0.5:
        return Shape("cri")
    if share(_KUBECTL_PREFIX) >= 0.5:
        found = [m for ln in lines if (m := _KUBECTL_PREFIX.match(ln))]
        return Shape(
            "kubectl-prefix", pods=_unique(m["pod"] for m in found), containers=_unique(m["container"] for m in found)
        )
    if share(_SYSLOG) >= 0.5:
        journal = [(m, ln) for ln in lines if (m := _SYSLOG.match(ln))]
        hosts = _unique(m["host"] for m, _ in journal)
        # Only a journal of klog programs (antrea-agent, kubelet) is rewritten; kernel, audit
        # and other journal lines stay whole for the host-log parser, which knows them.
        klog_inside = sum(1 for m, ln in journal if _KLOG_START.match(ln, m.end()))
        return Shape("syslog" if klog_inside >= 0.5 * len(journal) else "plain", hosts=hosts)
    text = [ln.decode("utf-8", "replace") for ln in lines]
    if any(_PS_ERROR.match(t) for t in text) and any(_PS_TAIL.match(t) for t in text):
        return Shape("powershell")
    if any(b"\x1b[" in ln for ln in head.splitlines()[:50]):
        return Shape("ansi")
    return Shape("plain")


def _unique(items) -> list[str]:
    out: list[str] = []
    for item in items:
        text = item.decode("utf-8", "replace")
        if text not in out:
            out.append(text)
    return out


def normalise(chunk: bytes, shape: Shape) -> bytes:
    """Rewrite a newline-aligned chunk of a log of `shape`; the number of lines is kept."""
    name = shape.name
    if name == "plain":
        return chunk
    chunk = _ANSI.sub(b"", chunk)
    if name == "cri":
        return _join_partial(_CRI.sub(_cri_line, chunk))
    if name == "kubectl-prefix":
        return _KUBECTL_PREFIX.sub(b"", chunk)
    if name == "syslog":
        return _SYSLOG.sub(b"", chunk)
    if name == "docker-json":
        return b"\n".join(_docker_line(ln) for ln in chunk.split(b"\n"))
    if name == "powershell":
        return _join_powershell(chunk)
    return chunk


# A partial CRI line (tag P: the runtime cut a line longer than its buffer) continues on the next
# line; the marker keeps it recognisable until it is joined.
_PARTIAL = b"\x00P\x00"


def _cri_line(m: re.Match[bytes]) -> bytes:
    return m[1] + b" " + (_PARTIAL if m[2] == b"P" else b"")


def _join_partial(chunk: bytes) -> bytes:
    if _PARTIAL not in chunk:
        return chunk
    out: list[bytes] = []
    pending = 0  # empty lines owed for lines joined into the one before
    lines = chunk.split(b"\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line[line.find(b" ") + 1 :].startswith(_PARTIAL):
            ts, _, rest = line.partition(b" ")
            parts = [rest[len(_PARTIAL) :]]
            while i + 1 < len(lines):
                i += 1
                pending += 1
                _, _, nxt = lines[i].partition(b" ")
                if nxt.startswith(_PARTIAL):
                    parts.append(nxt[len(_PARTIAL) :])
                    continue
                parts.append(nxt)
                break
            out.append(ts + b" " + b"".join(parts))
            out.extend([b""] * pending)
            pending = 0
        else:
            out.append(line)
        i += 1
    return b"\n".join(out)


def _docker_line(line: bytes) -> bytes:
    if not line.startswith(b"{"):
        return line
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or not isinstance(record.get("log"), str):
        return line
    text = record["log"].rstrip("\n").replace("\n", " ")
    when = record.get("time")
    prefix = f"{when} " if isinstance(when, str) and re.match(_TS.decode(), when) else ""
    return (prefix + text).encode("utf-8", "replace")


def _join_powershell(chunk: bytes) -> bytes:
    """Join the console-wrapped lines of each `Cmdlet : message` error record into its first
    line (up to its `At ...` position line), leaving empty lines in their place."""
    lines = chunk.decode("utf-8", "replace").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if not _PS_ERROR.match(line):
            continue
        joined = 0
        while i < len(lines) and lines[i].strip() and not _PS_TAIL.match(lines[i]) and not _PS_ERROR.match(lines[i]):
            out[-1] = out[-1].rstrip("\r") + (" " if not out[-1].endswith(" ") else "") + lines[i].strip()
            i += 1
            joined += 1
        out.extend([""] * joined)
    return "\n".join(out).encode("utf-8")
