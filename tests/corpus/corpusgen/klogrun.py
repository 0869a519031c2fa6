"""One run of a klog program (antrea-agent / antrea-controller) and the ways its lines reach a user:
klog files with their header (cumulative severities), `kubectl logs`, `kubectl logs --timestamps`
and the CRI file under /var/log/pods."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from corpusgen.facts import Release
from corpusgen.golog import render
from corpusgen.samplegen import klog_header, klog_line

SEVERITIES = ("INFO", "WARNING", "ERROR", "FATAL")
_RANK = {"I": 0, "W": 1, "E": 2, "F": 3}


@dataclass
class Line:
    t: datetime
    level: str  # I W E F
    source: str  # file:line
    msg: str
    extra: str = ""  # continuation lines (goroutine dump after a fatal)

    def text(self) -> str:
        return klog_line(self.level, self.t, self.source, self.msg) + "\n" + self.extra


@dataclass
class KlogRun:
    """Lines of one process run. `emit` writes the line a call site prints at this release, or
    nothing when the site does not exist there (the message was added later or removed)."""

    release: Release
    host: str
    start: datetime
    seed: str
    program: str = "antrea-agent"
    pid: int = 1
    os_arch: str = "linux/amd64"
    verbosity: int = 0
    lines: list[Line] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.t = self.start
        self.rng = random.Random(self.seed)

    # -- clock --------------------------------------------------------------------------------
    def step(self, lo_ms: float, hi_ms: float) -> datetime:
        self.t += timedelta(microseconds=int(self.rng.uniform(lo_ms, hi_ms) * 1000))
        return self.t

    def wait(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)

    def at(self, t: datetime) -> None:
        self.t = max(self.t, t)

    # -- writers ------------------------------------------------------------------------------
    def emit(
        self, key: str, *args: object, kv: dict | None = None, err: object = None, lo: float = 0.05, hi: float = 3.0
    ) -> bool:
        site = self.release.sites.get(key)
        if site is None or site.get("verbosity", 0) > self.verbosity:
            return False
        msg = render(site, args, kv, err, handle_error=self.release.handle_error)
        self.step(lo, hi)
        self.lines.append(Line(self.t, site["level"], f"{site['file']}:{site['line']}", msg))
        return True

    def raw(self, level: str, source: str, msg: str, extra: str = "", lo: float = 0.05, hi: float = 3.0) -> None:
        self.step(lo, hi)
        self.lines.append(Line(self.t, level, source, msg, extra))

    @property
    def end(self) -> datetime:
        return self.lines[-1].t if self.lines else self.start

    # -- output -------------------------------------------------------------------------------
    def file_name(self, sev: str, created: datetime) -> str:
        return f"{self.program}.{self.host}.root.log.{sev}.{created:%Y%m%d-%H%M%S}.{self.pid}"

    def klog_files(self) -> dict[str, str]:
        """The klog files of this run: one per severity that has lines, each holding its
        severity and every higher one (klog writes a line to its file and all lower ones)."""
        out = {}
        for rank, sev in enumerate(SEVERITIES):
            lines = [ln for ln in self.lines if _RANK[ln.level] >= rank]
            if not lines:
                continue
            created = lines[0].t.replace(microsecond=0)
            header = klog_header(created, self.host, self.release.go_version, "amd64")
            if self.os_arch != "linux/amd64":
                header = header.replace("linux/amd64", self.os_arch)
            out[self.file_name(sev, created)] = header + "".join(ln.text() for ln in lines)
        return out

    def container_log(self) -> str:
        """`kubectl logs`: every line as the program wrote it to stderr, no file header."""
        return "".join(ln.text() for ln in self.lines)

    def container_log_timestamps(self) -> str:
        """`kubectl logs --timestamps`: each line prefixed with the kubelet's RFC 3339 time (ns)."""
        return self._stamped("")

    def cri_log(self) -> str:
        """The CRI file under /var/log/pods: `<RFC 3339 ns> stderr F <line>`."""
        return self._stamped("stderr F ")

    def _stamped(self, tag: str) -> str:
        out = []
        for ln in self.lines:
            for i, part in enumerate(ln.text().rstrip("\n").split("\n")):
                out.append(f"{_rfc3339nano(ln.t, i)} {tag}{part}\n")
        return "".join(out)


def _rfc3339nano(t: datetime, k: int) -> str:
    """The container runtime stamps each line when it reads it: a few hundred ns after klog did."""
    ns = t.microsecond * 1000 + 317 + 41 * k
    return f"{t:%Y-%m-%dT%H:%M:%S}.{ns:09d}Z"
