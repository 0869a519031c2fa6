"""Read any source into a `Cluster`: walk it, recognise each file, scan logs as they stream by.

Logs are scanned during the walk (archives are streams: a member can be read once), so the
scanner's signatures must be known before reading. Small artifacts are kept in memory for the
parsers. When the walk is over, files that the layout did not place are given to a Node from
their content or name, and the scanner's hits become `LogEvent`s (the year of a year-less klog
timestamp needs the file header, which is known by then).
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from diagnose.bundle import attribution, classify, layout, prefetch, textstreams
from diagnose.bundle import model as m
from diagnose.bundle.archive import Readable, Walker, sniffable
from diagnose.bundle.limits import Budget, current, format_size, hit_size
from diagnose.diagnosis.unexplained import Miner
from diagnose.errors import InputError
from diagnose.parse import clusterinfo, klog, shell
from diagnose.parse import lines as textlines
from diagnose.parse.logevent import to_event
from diagnose.scan.scanner import Hit, HitBatch, Kept, Scanner, ScanStats

# Chunks a batch for the `last` window may wait for newer hits of its signature (each waiting
# batch holds its chunk's bytes, 256 KiB): a signature with more than keep / HOLD_CHUNKS hits a
# chunk then has its batches pushed out unbuilt.
HOLD_CHUNKS = 3

_CLUSTER_KINDS = frozenset({m.CLUSTER_INFO, m.FAILED_NODES, m.AGENT_CONFIG})


class HitBuffer:
    """Hits of one Node (or of one log whose Node is not known yet), bounded per signature: the
    first and the last `keep` in time order (the logs' order, then their lines), and a count of
    all. A Node with a million retries in a hundred rotated files costs the same memory as one
    with a thousand in one file, and rules still see how a failure started and how the logs end.
    Hits stay raw bytes (`diagnose.scan.scanner.Kept`) until a kept one is read.

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
        self._logs: list[LogHits] = []

    def log(self, order: tuple = ()) -> LogHits:
        """The sink for one log; `order` sorts the Node's logs in time (oldest first)."""
        log = LogHits(self, order)
        self._logs.append(log)
        return log

    def _settle(self) -> None:
        """Every batch a log still holds goes into the windows (before they are read)."""
        for log in self._logs:
            log.flush()

    def add(self, log: LogHits, key: str, hits: Sequence) -> None:
        """A batch of one log's hits of `key`, in line order. A batch that only the `last`
        window can take waits in `log` for newer hits, a few chunks at most (`LogHits.defer`):
        the hits of a busy signature are then pushed out before they are ever built."""
        log.counts[key] += len(hits)
        first = self._first.setdefault(key, [])
        first_line = hits.line_no(0) if isinstance(hits, HitBatch) else hits[0].line_no
        if len(first) >= self.keep and (log.order, first_line) > first[-1][0]:
            log.defer(key, hits)
        else:
            self.take(log, key, self._candidates(hits))

    def take(self, log: LogHits, key: str, hits: Sequence) -> None:
        """Put hits of `key` (in line order) into the windows, each built and charged."""
        self._by_log = None
        order = log.order
        first = self._first.setdefault(key, [])
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
        if len(first) < keep or items[0][0] < first[-1][0]:
            _merge(first, items)
            items = first[keep:]
            del first[keep:]
            if not items:
                return
        last = self._last.get(key)
        if last is None:
            last = self._last[key] = []
        _merge(last, items)
        if len(last) > keep:
            self._budget.give(sum(item[1] for item in last[:-keep]))
            del last[:-keep]

    def _candidates(self, hits: Sequence) -> Sequence:
        """The hits of a batch (one signature, in line order) that a window can take: its first
        `keep` may enter `first`, its last `keep` may outlast the others in `last`; the hits
        between are only counted, and never built (a `HitBatch` builds what is indexed)."""
        keep = self.keep
        if len(hits) > 2 * keep:
            return [*hits[:keep], *hits[-keep:]]
        return hits

    def hits_of(self, log: LogHits) -> Iterator[Hit]:
        """The kept hits of one log, read (decoded, matched for their fields), in line order.

        Reading hands them over: once the logs are read their hits are only read, and each
        log's raw hits are let go as they become events, so a Node's hits are never held twice."""
        if self._by_log is None:
            self._settle()
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

    def release(self, log: LogHits) -> None:
        """Drop what `log` kept and give its bytes back."""
        for windows in (self._first, self._last):
            for key, window in windows.items():
                mine = [item for item in window if item[2] is log]
                if mine:
                    self._budget.give(sum(item[1] for item in mine))
                    windows[key] = [item for item in window if item[2] is not log]
        if self._by_log is not None:
            self._budget.give(sum(item[1] for item in self._by_log.pop(id(log), ())))

    def texts_of(self, log: LogHits, limit: int) -> list[str]:
        """The lines of `log`'s kept hits (for Node attribution), leaving the hits in place."""
        self._settle()
        windows = (
            self._by_log.get(id(log), [])
            if self._by_log is not None
            else [item for window in (*self._first.values(), *self._last.values()) for item in window if item[2] is log]
        )
        out = []
        for _, _, _, h in sorted(windows, key=_order)[:limit]:
            out.append(_decode_kept(h.region[h.start : h.end]) if isinstance(h, Kept) else h.text)
        return out


def _order(item: tuple) -> tuple:
    return item[0]


def _merge(window: list[tuple], items: list[tuple]) -> None:
    """Add `items` (in order) to a sorted window; a log read in order only appends."""
    in_order = not window or window[-1][0] < items[0][0]
    window.extend(items)
    if not in_order:
        window.sort(key=_order)


def _decode_kept(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\r")


class LogHits:
    """One log's view of its Node's HitBuffer: the scanner's sink while the log is read, then its
    kept hits (iterated once, when all logs are read) and the count of all its hits per signature."""

    def __init__(self, buffer: HitBuffer, order: tuple):
        self.buffer = buffer
        self.order = order
        self.counts: Counter[str] = Counter()
        self.refused = 0  # counted but not kept: the budget was spent
        # key -> batches only the `last` window can take, not built yet, oldest first, each with
        # the count of chunks ended before it
        self._deferred: dict[str, deque[tuple[Sequence, int]]] = {}
        self._chunks = 0

    def add(self, key: str, hits: Sequence) -> None:
        self.buffer.add(self, key, hits)

    def defer(self, key: str, hits: Sequence) -> None:
        """Hold a batch for `last` until HOLD_CHUNKS more chunks have ended. Once `keep` newer
        hits are held, an older batch is pushed out unbuilt; one that must go in before that
        lets in only its latest `keep` minus the newer ones: no others can stay in `last`."""
        held = self._deferred.setdefault(key, deque())
        held.append((hits, self._chunks))
        newer = sum(len(batch) for batch, _ in held) - len(held[0][0])
        while newer >= self.buffer.keep:
            held.popleft()
            newer -= len(held[0][0])

    def chunk_done(self) -> None:
        """The scanner finished a chunk: batches held for HOLD_CHUNKS chunks are taken now, so
        that no more than HOLD_CHUNKS + 1 chunks' bytes are held."""
        self._chunks += 1
        for key, held in list(self._deferred.items()):
            while held and held[0][1] < self._chunks - HOLD_CHUNKS:
                self._take_oldest(key, held)
            if not held:
                del self._deferred[key]

    def flush(self) -> None:
        """The log is read (or its reading stopped): every batch held is taken."""
        deferred, self._deferred = self._deferred, {}
        for key, held in deferred.items():
            while held:
                self._take_oldest(key, held)

    def _take_oldest(self, key: str, held: deque[tuple[Sequence, int]]) -> None:
        """The oldest held batch into the windows: only its latest `keep`, less the newer hits
        held, can outlast the others."""
        hits, _ = held.popleft()
        room = self.buffer.keep - sum(len(batch) for batch, _ in held)
        if room > 0:
            self.buffer.take(self, key, hits[-room:])

    def __iter__(self) -> Iterator[Hit]:
        return self.buffer.hits_of(self)

    def release(self) -> None:
        """Drop every hit of this log and give its bytes back (the log was replaced)."""
        self._deferred.clear()
        self.buffer.release(self)
        self.counts.clear()

    def texts(self, limit: int) -> list[str]:
        """The text of up to `limit` kept hit lines, without handing the hits over."""
        return self.buffer.texts_of(self, limit)


@dataclass
class _Entry:
    """An artifact being read: its path parts and the log hits kept from it."""

    artifact: m.Artifact
    parts: tuple[str, ...]
    in_bundle: bool
    hits: LogHits = field(default_factory=lambda: HitBuffer().log())
    created: object = None  # klog file creation time, for the year of its lines
    dropped: bool = False  # replaced by a later archive member of the same name


def read(source: Path, scanner: Scanner, miner: Miner | None = None) -> m.Cluster:
    """`miner` takes the scanner's catch-all hits (diagnose.diagnosis.unexplained); they never become events."""
    if not source.exists():
        raise InputError(f"{source} does not exist.")
    cluster = m.Cluster(str(source))
    collector = _Collector(cluster, scanner, miner)
    walker = Walker(collector.on_file, cluster.problems, collector.limits, on_replaced=collector.forget)
    collector.note = walker.problem  # notes share the walker's cap (max_notes)
    walker.walk(source)
    collector.finish()
    if not collector.entries:
        # Files that were read but not understood are still reported (verdict: not enough
        # evidence, with what was read); a source where nothing could be read is an error.
        reasons = "; ".join(f"{p.path} {p.reason}" for p in cluster.problems[:3])
        if reasons:
            raise InputError(f"Nothing in {source} could be read: {reasons}.")
        if not cluster.ignored:
            raise InputError(f"{source} is empty.")
    cluster.shape = _shape(source, collector.entries) if collector.entries else "unrecognised files"
    return cluster


class _Collector:
    def __init__(self, cluster: m.Cluster, scanner: Scanner, miner: Miner | None = None):
        self.cluster = cluster
        self.scanner = scanner
        self.miner = miner
        self.entries: list[_Entry] = []
        self._within: dict[str, list[_Entry]] = {}  # an artifact path and each archive around it -> entries
        self._ignored_before: dict[str, int] = {}  # a replaced member -> the ignored files listed before then
        self.limits = current()
        self.kept = Budget(self.limits.max_kept_bytes)  # non-log content, all files together
        self.hit_budget = Budget(self.limits.max_hit_bytes)  # matching lines, all logs together
        self.hit_buffers: dict[object, HitBuffer] = {}  # per Node (or per log of no known Node)
        self.note = lambda path, reason: cluster.problems.append(m.ReadProblem(path, reason))

    def on_file(self, parts: tuple[str, ...], display: str, stream: Readable, size: int | None) -> None:
        if self.cluster.collected_at is None:
            self.cluster.collected_at = layout.bundle_time(parts)
        loc = layout.locate(parts)
        head, stream = sniffable(stream, self.limits.sniff_bytes)
        head, stream, shape = self._canonical(head, stream, loc)
        kind = loc.kind
        if kind is None:
            kind = classify.classify(parts[-1], head)
        if kind is None:
            if not head:  # an empty file the layout does not expect: say so, "not recognised" would puzzle
                self.note(display, "is empty")
            elif _binary(head):
                self.note(display, "is binary data, not a log or command output")
            else:
                self.cluster.ignored.append(display)
            return
        artifact = m.Artifact(display, kind, loc.node, size or len(head))
        if loc.in_bundle:
            artifact.meta["bundled"] = "1"  # from an agent/controller bundle, not pasted
        if shape is not None:
            _remember_shape(artifact, shape)
        entry = _Entry(artifact, parts, loc.in_bundle)
        self.entries.append(entry)  # registered first: a read that breaks keeps what it got
        for i in range(len(display)):
            if display[i] == "!":
                self._within.setdefault(display[:i], []).append(entry)
        self._within.setdefault(display, []).append(entry)
        head_text = head.decode("utf-8", errors="replace")
        if kind in m.LOG_KINDS:
            info = klog.file_info(parts[-1], head_text)
            entry.created = info.created
            if info.created is not None:
                artifact.meta["whole_file"] = "1"  # a klog file (named or headed as one), not an excerpt
            if info.host:
                artifact.meta["host"] = info.host
            if info.binary:
                artifact.meta["binary"] = info.binary
            entry.hits = self._hit_buffer(loc.node or info.host, len(self.entries)).log(_log_order(parts[-1], info))
            mine = self.miner.callback(artifact, info.created) if self.miner is not None else None
            stream = tail = _Tail(stream)
            try:
                if prefetch.enabled():
                    with prefetch.Prefetched(stream) as ahead:
                        stats = self.scanner.scan(ahead, kind, entry.hits, klog.is_header_or_log_start, mine)
                else:
                    stats = self.scanner.scan(stream, kind, entry.hits, klog.is_header_or_log_start, mine)
            finally:
                entry.hits.flush()
                if entry.hits.refused:
                    self.note(
                        display,
                        f"has {entry.hits.refused:,} matching lines that were not "
                        f"kept: the source's matching lines passed "
                        f"{format_size(self.limits.max_hit_bytes)} (max_hit_bytes)",
                    )
            if stats.unchecked:
                self.note(display, _unchecked_note(stats))
            artifact.size = stats.bytes
            artifact.meta["lines"] = str(stats.lines)
            artifact.first_line = _first_line(head)
            artifact.last_line = tail.last_line()
            if stats.cut_lines:
                artifact.meta["cut_lines"] = str(stats.cut_lines)
        else:
            cap = self.limits.max_small_artifact_bytes
            data = _read_up_to(stream, cap + 1)  # `stream` starts again at byte 0 (it re-serves the sniffed head)
            if len(data) > cap:
                data, artifact.truncated = data[:cap], True
                self.note(
                    display, f"is larger than {format_size(cap)} (max_small_artifact_bytes); only its start was read"
                )
            if not self.kept.take(len(data)):
                data, artifact.truncated = b"", True
                self.note(
                    display,
                    "was not kept: the source's non-log files passed "
                    f"{format_size(self.limits.max_kept_bytes)} (max_kept_bytes)",
                )
            artifact.data = data
            artifact.size = max(artifact.size, len(data))
            host, _ = shell.split_prompt(head_text)
            if host:
                artifact.meta["host"] = host
        command = shell.prompt_command(head_text)
        if command:
            artifact.meta["command"] = command[:300]

    def _canonical(
        self, head: bytes, stream: Readable, loc: layout.Location
    ) -> tuple[bytes, Readable, textlines.Shape | None]:
        """The file as canonical UTF-8 lines: UTF-16 transcoded, a UTF-8 BOM dropped, and the
        prefixes of pasted logs (CRI, journald, `kubectl logs --prefix`...) rewritten
        (diagnose.parse.lines). Files of a bundle are klog or command output already, so only
        their encoding is checked."""
        codec = textlines.decode_utf16(head)
        if codec:
            head, stream = sniffable(textstreams.Utf16ToUtf8(stream, codec), self.limits.sniff_bytes)
        elif textstreams.skip_utf8_bom(head):
            stream.read(3)
            head, stream = sniffable(stream, self.limits.sniff_bytes)
        if loc.in_bundle and loc.kind is not None:
            return head, stream, None
        shape = textlines.detect(head)
        if shape.rewrites:
            head, stream = sniffable(textstreams.Normalised(stream, shape), self.limits.sniff_bytes)
        return head, stream, shape

    def forget(self, path: str) -> None:
        """The archive member `path` was replaced by a later one of the same name: what was
        read from it (and from archives inside it) is dropped, its memory given back."""
        for entry in self._within.pop(path, ()):
            if entry.dropped:
                continue
            entry.dropped = True
            entry.hits.release()
            if entry.artifact.data:
                self.kept.give(len(entry.artifact.data))
                entry.artifact.data = b""
            if self.miner is not None:
                self.miner.forget(entry.artifact)
        self._ignored_before[path] = len(self.cluster.ignored)  # unrecognised files listed so far

    def _replaced(self, path: str, index: int) -> bool:
        """Whether the `index`-th ignored file, `path`, was in a member replaced after it was listed."""
        prefixes = [path[:i] for i in range(len(path)) if path[i] == "!"] + [path]
        return any(index < self._ignored_before.get(p, -1) for p in prefixes)

    def _hit_buffer(self, node: str | None, entry_index: int) -> HitBuffer:
        """Hits are bounded per Node; a log whose Node is not known yet has its own buffer."""
        key: object = node if node else entry_index
        buffer = self.hit_buffers.get(key)
        if buffer is None:
            buffer = self.hit_buffers[key] = HitBuffer(self.hit_budget)
        return buffer

    # -- after the walk -------------------------------------------------------------------------

    def finish(self) -> None:
        self.entries = [e for e in self.entries if not e.dropped]
        self._within.clear()
        if self._ignored_before:
            self.cluster.ignored[:] = [p for i, p in enumerate(self.cluster.ignored) if not self._replaced(p, i)]
        cluster = self.cluster
        year = self._year()
        loose = [
            attribution.Loose(e.artifact, e.parts, _naming_lines(e))
            for e in self.entries
            if e.artifact.node is None and e.artifact.kind not in _CLUSTER_KINDS
        ]
        known = self._known_nodes() | attribution.known_names(loose)
        attribution.attribute(loose, known, attribution.pod_nodes(e.artifact for e in self.entries))
        known |= {f.artifact.node for f in loose if f.artifact.node}
        for entry in self.entries:
            a = entry.artifact
            if a.kind in _CLUSTER_KINDS and a.node is None:
                cluster.cluster_artifacts.append(a)
                if a.kind == m.FAILED_NODES:
                    for name in _failed_nodes(a.text()):
                        cluster.node(name).failed_reason = (
                            "listed in failed_nodes: antctl could not collect this Node's bundle "
                            "(its agent API was unreachable)"
                        )
                continue
            node = cluster.node(a.node or m.UNATTRIBUTED)
            node.artifacts.append(a)
            node.hit_counts.update(entry.hits.counts)
            for hit in entry.hits:
                owner = a.node or attribution.line_node(hit.text, known) if a.kind in m.LOG_KINDS else a.node
                event = to_event(hit, a, owner, year, entry.created)  # type: ignore[arg-type]
                (cluster.node(owner).events if owner and owner != node.name else node.events).append(event)
        # A fallback bundle (antctl v2.3+, built from the K8s API) has the agent's container log
        # and none of the dumps the agent API makes; judged on the bundle, not on pasted files.
        for node in cluster.nodes.values():
            bundled = [e.artifact for e in self.entries if e.in_bundle and e.artifact.node == node.name]
            node.fallback_bundle = any(a.path.endswith("logs/agent/antrea-agent.log") for a in bundled) and not any(
                a.kind in (m.FLOWS, m.IP_ROUTE, m.OVS_PORTS) for a in bundled
            )
            node.collected_live = bool(bundled) and not node.fallback_bundle and not node.failed_reason

    def _known_nodes(self) -> set[str]:
        known = {e.artifact.node for e in self.entries if e.artifact.node and e.artifact.node not in m.PSEUDO_NODES}
        for e in self.entries:
            if e.artifact.kind == m.CLUSTER_INFO:
                known |= set(clusterinfo.parse_once(e.artifact.text()).nodes)
            elif e.artifact.kind == m.FAILED_NODES:
                known |= set(_failed_nodes(e.artifact.text()))
        return known

    def _year(self) -> klog.YearHint:
        """The year of klog lines that carry none (container logs, pasted excerpts): from the
        bundle's collection time, else the klog files' headers of the same source, else the
        year the scan runs in, marked as a guess (the report says so)."""
        if self.cluster.collected_at:
            hint = klog.YearHint(
                self.cluster.collected_at.year,
                self.cluster.collected_at.replace(tzinfo=None),
                "the bundle's collection time",
            )
        else:
            years = Counter(e.created.year for e in self.entries if e.created is not None)  # type: ignore[attr-defined]
            if years:
                hint = klog.YearHint(years.most_common(1)[0][0], None, "the klog file headers")
            else:
                now = datetime.now()
                hint = klog.YearHint(now.year, now, "a guess: no date in the source, the current year")
        self.cluster.year_source, self.cluster.year_hint = hint.source, hint
        return hint


def _binary(head: bytes) -> bool:
    """NUL bytes, or mostly bytes that are not UTF-8 text: not something a person pasted."""
    if b"\x00" in head:
        return True
    text = head.decode("utf-8", errors="replace")
    return text.count("\ufffd") > 0.1 * max(1, len(text))


def _naming_lines(entry: _Entry) -> list[str]:
    """Lines of a file that may name its Node: the hit lines of a log, the head of the rest."""
    if entry.artifact.kind in m.LOG_KINDS:
        return entry.hits.texts(400)
    return []


def _read_up_to(stream: Readable, limit: int, block: int = 1 << 20) -> bytes:
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
    return (
        f"has {stats.unchecked:,} lines that may match a signature ({keys}) but were not checked, the "
        f"first at line {stats.first_unchecked}: checking them took too long (lines crafted against "
        "a signature's regex?)"
    )


def _failed_nodes(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and " " not in ln.strip()]


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


def _remember_shape(artifact: m.Artifact, shape: textlines.Shape) -> None:
    """What a log's line prefixes said about where it came from (attribution reads it)."""
    if shape.rewrites:
        artifact.meta["line_format"] = shape.name
    if len(shape.hosts) == 1:
        artifact.meta["host"] = shape.hosts[0]
    if len(shape.pods) == 1:
        artifact.meta["pod"] = shape.pods[0]


class _Tail:
    """Passes reads through and keeps the last bytes read: a log's last line (how long its
    process kept logging) without a second pass."""

    keep = 8192

    def __init__(self, inner: Readable):
        self._inner = inner
        self._tail = b""

    def read(self, n: int = -1) -> bytes:
        block = self._inner.read(n)
        if block:
            self._tail = (self._tail + block)[-self.keep :] if len(block) < self.keep else block[-self.keep :]
        return block

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close:
            close()

    def last_line(self) -> str | None:
        for line in reversed(self._tail.split(b"\n")[1:] if len(self._tail) >= self.keep else self._tail.split(b"\n")):
            text = line.decode("utf-8", "replace").strip()
            if text:
                return text[:1000]
        return None


def _first_line(head: bytes) -> str | None:
    for line in head.split(b"\n")[:200]:
        text = line.decode("utf-8", "replace").strip()
        if text and not text.startswith(("Log file created at:", "Running on machine:", "Binary:", "Log line format:")):
            return text[:1000]
    return None
