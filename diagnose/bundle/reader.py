"""Read any source into a `Cluster`: walk it, recognise each file, scan logs as they stream by.

Logs are scanned during the walk (archives are streams: a member can be read once), so the
scanner's signatures must be known before reading. Small artifacts are kept in memory for the
parsers. When the walk is over, files that the layout did not place are given to a Node from
their content or name, and the scanner's hits become `LogEvent`s (the year of a year-less klog
timestamp needs the file header, which is known by then).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from diagnose import model as m
from diagnose.bundle import classify, layout, prefetch
from diagnose.bundle.archive import Walker, sniffable
from diagnose.bundle.limits import Budget, current, format_size, hit_size
from diagnose.errors import InputError
from diagnose.parse import clusterinfo, klog, shell
from diagnose.parse.logevent import to_event
from diagnose.scan import Hit, Kept, Scanner, ScanStats
from diagnose.unexplained import Miner

_CLUSTER_KINDS = frozenset({m.CLUSTER_INFO, m.FAILED_NODES, m.AGENT_CONFIG})
_NOT_A_HOST = frozenset({"log", "logs", "txt", "info", "warning", "error", "fatal", "partial", "excerpt",
                         "out", "output", "yaml", "yml", "json", "conf", "gz", "tar", "tgz", "zip", "root"})
_HOSTLIKE = re.compile(r"^(?=.*[a-z])(?=.*\d)[a-z0-9][a-z0-9-]{0,62}$")
_DATE_LIKE = re.compile(r"^\d{8}(-\d{6})?$")
# Tokens of pasted file names that carry a digit but name a ticket, not a host.
_NOT_A_HOST_RE = re.compile(r"^(issue|repro|case|ticket|pr|run|attempt|part|v|log|node-?log)[-_]?\d+$")


class HitBuffer:
    """Hits of one Node (or of one log whose Node is not known yet), bounded per signature: the
    first and the last `keep` in time order (the logs' order, then their lines), and a count of
    all. A Node with a million retries in a hundred rotated files costs the same memory as one
    with a thousand in one file, and rules still see how a failure started and how the logs end.
    Hits stay raw bytes (`diagnose.scan.Kept`) until a kept one is read.

    What is held is charged to `budget`, shared by all logs of a source (max_hit_bytes): that
    bounds a crafted source of thousands of Nodes of long matching lines. A hit pushed out of a
    window gives its bytes back.
    """

    keep = 50

    def __init__(self, budget: Budget | None = None) -> None:
        self._budget = budget or Budget(1 << 62)
        # key -> [(time order, size, log, hit)], each sorted; `first` holds the `keep` earliest,
        # `last` the `keep` latest of the others.
        self._first: dict[str, list[tuple]] = {}
        self._last: dict[str, list[tuple]] = {}
        self._by_log: dict[int, list[tuple]] | None = None  # what each log has kept, once reading is over

    def log(self, order: tuple = ()) -> LogHits:
        """The sink for one log; `order` sorts the Node's logs in time (oldest first)."""
        return LogHits(self, order)

    def add(self, log: LogHits, key: str, hits: list) -> None:
        self._by_log = None
        log.counts[key] += len(hits)
        order = log.order
        items = [((order, h.line_no), h.size() if isinstance(h, Kept) else hit_size(h), log, h) for h in hits]
        total = sum(item[1] for item in items)
        if not self._budget.take(total):
            fits = []
            for item in items:
                if self._budget.take(item[1]):
                    fits.append(item)
                else:
                    log.refused += 1
            items = fits
            if not items:
                return
        keep = self.keep
        first = self._first.get(key)
        if first is None:
            first = self._first[key] = []
        if len(first) < keep or items[0][0] < first[-1][0]:
            first.extend(items)
            first.sort(key=_order)
            items = first[keep:]
            del first[keep:]
            if not items:
                return
        last = self._last.get(key)
        if last is None:
            last = self._last[key] = []
        last.extend(items)
        if len(last) > keep:
            last.sort(key=_order)
            self._budget.give(sum(item[1] for item in last[:-keep]))
            del last[:-keep]

    def hits_of(self, log: LogHits) -> Iterator[Hit]:
        """The kept hits of one log, read (decoded, matched for their fields), in line order.

        Reading hands them over: once the logs are read their hits are only read, and each
        log's raw hits are let go as they become events, so a Node's hits are never held twice."""
        if self._by_log is None:
            self._by_log = {}
            for window in (*self._first.values(), *self._last.values()):
                for item in window:
                    self._by_log.setdefault(id(item[2]), []).append(item)
            self._first.clear()
            self._last.clear()
        items = sorted(self._by_log.pop(id(log), ()), key=_order)
        self._budget.give(sum(item[1] for item in items))
        for _, _, _, h in items:
            yield h.hit() if isinstance(h, Kept) else h


def _order(item: tuple) -> tuple:
    return item[0]


class LogHits:
    """One log's view of its Node's HitBuffer: the scanner's sink while the log is read, then its
    kept hits (iterated once, when all logs are read) and the count of all its hits per signature."""

    def __init__(self, buffer: HitBuffer, order: tuple):
        self.buffer = buffer
        self.order = order
        self.counts: Counter[str] = Counter()
        self.refused = 0  # counted but not kept: the budget was spent

    def add(self, key: str, hits: list) -> None:
        self.buffer.add(self, key, hits)

    def __iter__(self) -> Iterator[Hit]:
        return self.buffer.hits_of(self)


@dataclass
class _Entry:
    artifact: m.Artifact
    parts: tuple[str, ...]
    in_bundle: bool
    hits: LogHits = field(default_factory=lambda: HitBuffer().log())
    created: object = None  # klog file creation time, for the year of its lines


def read(source: Path, scanner: Scanner, miner: Miner | None = None) -> m.Cluster:
    """`miner` takes the scanner's catch-all hits (diagnose.unexplained); they never become events."""
    if not source.exists():
        raise InputError(f"{source} does not exist.")
    cluster = m.Cluster(str(source))
    collector = _Collector(cluster, scanner, miner)
    walker = Walker(collector.on_file, cluster.problems, collector.limits)
    collector.note = walker.problem  # notes share the walker's cap (max_notes)
    walker.walk(source)
    collector.finish()
    if not collector.entries:
        reasons = "; ".join(f"{p.path} {p.reason}" for p in cluster.problems[:3])
        if reasons:
            raise InputError(f"Nothing in {source} could be read: {reasons}.")
        if cluster.ignored:
            raise InputError(f"Nothing in {source} looks like an Antrea support bundle, log or command output.")
        raise InputError(f"{source} is empty.")
    cluster.shape = _shape(source, collector.entries)
    return cluster


class _Collector:
    def __init__(self, cluster: m.Cluster, scanner: Scanner, miner: Miner | None = None):
        self.cluster = cluster
        self.scanner = scanner
        self.miner = miner
        self.entries: list[_Entry] = []
        self.limits = current()
        self.kept = Budget(self.limits.max_kept_bytes)  # non-log content, all files together
        self.hit_budget = Budget(self.limits.max_hit_bytes)  # matching lines, all logs together
        self.hit_buffers: dict[object, HitBuffer] = {}  # per Node (or per log of no known Node)
        self.note = lambda path, reason: cluster.problems.append(m.ReadProblem(path, reason))

    def on_file(self, parts: tuple[str, ...], display: str, stream: BinaryIO, size: int | None) -> None:
        if self.cluster.collected_at is None:
            self.cluster.collected_at = layout.bundle_time(parts)
        loc = layout.locate(parts)
        head, stream = sniffable(stream, self.limits.sniff_bytes)
        kind = loc.kind
        if kind is None:
            kind = classify.classify(parts[-1], head)
        if kind is None:
            if head:
                self.cluster.ignored.append(display)
            else:  # an empty file the layout does not expect: say so, "not recognised" would puzzle
                self.note(display, "is empty")
            return
        artifact = m.Artifact(display, kind, loc.node, size or len(head))
        entry = _Entry(artifact, parts, loc.in_bundle)
        self.entries.append(entry)  # registered first: a read that breaks keeps what it got
        head_text = head.decode("utf-8", errors="replace")
        if kind in m.LOG_KINDS:
            info = klog.file_info(parts[-1], head_text)
            entry.created = info.created
            if info.host:
                artifact.meta["host"] = info.host
            if info.binary:
                artifact.meta["binary"] = info.binary
            entry.hits = self._hit_buffer(loc.node or info.host, len(self.entries)).log(_log_order(parts[-1], info))
            mine = self.miner.callback(artifact, info.created) if self.miner is not None else None
            try:
                if prefetch.enabled():
                    with prefetch.Prefetched(stream) as ahead:
                        stats = self.scanner.scan(ahead, kind, entry.hits, klog.is_header_or_log_start, mine)
                else:
                    stats = self.scanner.scan(stream, kind, entry.hits, klog.is_header_or_log_start, mine)
            finally:
                if entry.hits.refused:
                    self.note(display, f"has {entry.hits.refused:,} matching lines that were not "
                                       f"kept: the source's matching lines passed "
                                       f"{format_size(self.limits.max_hit_bytes)} (max_hit_bytes)")
            if stats.unchecked:
                self.note(display, _unchecked_note(stats))
            artifact.size = stats.bytes
            artifact.meta["lines"] = str(stats.lines)
            if stats.cut_lines:
                artifact.meta["cut_lines"] = str(stats.cut_lines)
        else:
            cap = self.limits.max_small_artifact_bytes
            data = _read_up_to(stream, cap + 1)  # `stream` starts again at byte 0 (it re-serves the sniffed head)
            if len(data) > cap:
                data, artifact.truncated = data[:cap], True
                self.note(display, f"is larger than {format_size(cap)} (max_small_artifact_bytes); only its start "
                                   "was read")
            if not self.kept.take(len(data)):
                data, artifact.truncated = b"", True
                self.note(display, "was not kept: the source's non-log files passed "
                                   f"{format_size(self.limits.max_kept_bytes)} (max_kept_bytes)")
            artifact.data = data
            artifact.size = max(artifact.size, len(data))
            host, _ = shell.split_prompt(head_text)
            if host:
                artifact.meta["host"] = host

    def _hit_buffer(self, node: str | None, entry_index: int) -> HitBuffer:
        """Hits are bounded per Node; a log whose Node is not known yet has its own buffer."""
        key: object = node if node else entry_index
        buffer = self.hit_buffers.get(key)
        if buffer is None:
            buffer = self.hit_buffers[key] = HitBuffer(self.hit_budget)
        return buffer

    # -- after the walk -------------------------------------------------------------------------

    def finish(self) -> None:
        cluster = self.cluster
        known = self._known_nodes()
        year_hint = self._year_hint()
        for entry in self.entries:
            a = entry.artifact
            if a.kind in _CLUSTER_KINDS and a.node is None:
                cluster.cluster_artifacts.append(a)
                if a.kind == m.FAILED_NODES:
                    for name in _failed_nodes(a.text()):
                        cluster.node(name).failed_reason = (
                            "listed in failed_nodes: antctl could not collect this Node's bundle "
                            "(its agent API was unreachable)")
                continue
            if a.node is None:
                a.node = _attribute(entry, known)
            node = cluster.node(a.node or m.UNATTRIBUTED)
            node.artifacts.append(a)
            node.hit_counts.update(entry.hits.counts)
            for hit in entry.hits:
                node.events.append(to_event(hit, a, a.node, year_hint, entry.created))  # type: ignore[arg-type]
        # A fallback bundle (antctl v2.3+, built from the K8s API) has the agent's container log
        # and none of the dumps the agent API makes; judged on the bundle, not on pasted files.
        for node in cluster.nodes.values():
            bundled = [e.artifact for e in self.entries if e.in_bundle and e.artifact.node == node.name]
            node.fallback_bundle = any(a.path.endswith("logs/agent/antrea-agent.log") for a in bundled) and not any(
                a.kind in (m.FLOWS, m.IP_ROUTE, m.OVS_PORTS) for a in bundled)

    def _known_nodes(self) -> set[str]:
        known = {e.artifact.node for e in self.entries if e.artifact.node and e.artifact.node not in m.PSEUDO_NODES}
        known |= {e.artifact.meta["host"] for e in self.entries if "host" in e.artifact.meta}
        known |= {t for e in self.entries if not e.in_bundle and (t := _host_token(e.parts[-1]))}
        for e in self.entries:
            if e.artifact.kind == m.CLUSTER_INFO:
                known |= set(clusterinfo.parse_once(e.artifact.text()).nodes)
            elif e.artifact.kind == m.FAILED_NODES:
                known |= set(_failed_nodes(e.artifact.text()))
        return known

    def _year_hint(self) -> int | None:
        """Year for klog lines that carry none (container logs, pasted excerpts)."""
        if self.cluster.collected_at:
            return self.cluster.collected_at.year
        years = Counter(e.created.year for e in self.entries if e.created is not None)  # type: ignore[attr-defined]
        return years.most_common(1)[0][0] if years else None


def _read_up_to(stream: BinaryIO, limit: int, block: int = 1 << 20) -> bytes:
    """At most `limit` bytes, read in blocks: `read(limit)` would allocate `limit` bytes (32 MiB
    for every small file) before knowing the file is a few KB."""
    parts: list[bytes] = []
    left = limit
    while left > 0:
        part = stream.read(min(block, left))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


_ROTATED = re.compile(r"\.(\d{1,6})(?:\.gz)?$")


def _log_order(name: str, info: klog.KlogFileInfo) -> tuple:
    """Sorts a Node's logs oldest first: klog files by their creation time, others (OVS, container
    logs) by their rotation number (`ovs-vswitchd.log.2.gz` is older than `.1.gz`)."""
    if info.created is not None:
        return (0, info.created.timestamp())
    m_rot = _ROTATED.search(name)
    return (1, -int(m_rot[1]) if m_rot else 0)


def _unchecked_note(stats: ScanStats) -> str:
    keys = ", ".join(sorted(stats.unchecked_keys)[:3]) + (", ..." if len(stats.unchecked_keys) > 3 else "")
    return (f"has {stats.unchecked:,} lines that may match a signature ({keys}) but were not checked, the "
            f"first at line {stats.first_unchecked}: checking them took too long (lines crafted against "
            "a signature's regex?)")


def _failed_nodes(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and " " not in ln.strip()]


def _attribute(entry: _Entry, known: set[str]) -> str | None:
    """The Node a loose file belongs to: its content's host, else names in its path."""
    host = entry.artifact.meta.get("host")
    if host:
        return _match_known(host, known) or host
    # Longest names first so that "worker-10" is not taken for "worker-1".
    for name in sorted(known, key=len, reverse=True):
        for part in reversed(entry.parts):
            if _contains_name(part, name):
                return name
    token = _host_token(entry.parts[-1])
    if token:
        return token
    agent_nodes = known - m.PSEUDO_NODES
    if len(agent_nodes) == 1:
        return next(iter(agent_nodes))
    return None


def _host_token(file_name: str) -> str | None:
    """A host name among the dot-separated parts of a pasted file's name (`ip-route.node2.txt`)."""
    for t in file_name.lower().split("."):
        if _HOSTLIKE.match(t) and t not in _NOT_A_HOST and not _DATE_LIKE.match(t) and not _NOT_A_HOST_RE.match(t):
            return t
    return None


def _match_known(host: str, known: set[str]) -> str | None:
    if host in known:
        return host
    short = host.split(".")[0]
    return short if short in known else None


def _contains_name(part: str, name: str) -> bool:
    if part == name:
        return True
    pattern = r"(?:^|[-_.])" + re.escape(name) + r"(?:$|[-_.])"
    return re.search(pattern, part) is not None


def _shape(source: Path, entries: list[_Entry]) -> str:
    """How the source arrived, e.g. "antctl-directory" or "agent-bundle + loose files"."""
    antctl_files = (m.CLUSTER_INFO, m.FAILED_NODES, m.CONTROLLER_INFO)
    in_bundle = [e for e in entries if e.in_bundle]
    loose = [e for e in entries if not e.in_bundle and e.artifact.kind not in antctl_files]
    if any(e.artifact.kind == m.CLUSTER_INFO for e in entries) or any(layout.bundle_time(e.parts) for e in entries):
        shape = "antctl-archive" if source.is_file() else "antctl-directory"
    elif in_bundle:
        nodes = {e.artifact.node for e in in_bundle}
        shape = "controller-bundle" if nodes == {m.CONTROLLER_NODE} else "agent-bundle"
    else:
        return "single-file" if source.is_file() else "loose-files"
    return shape + (" + loose files" if loose else "")
