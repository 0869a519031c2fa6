"""One streaming pass per log file for every signature of every loaded rule.

The stream is read in newline-aligned chunks; a matcher (`diagnose.scan.matchers`: Hyperscan, or
`bytes.find` on each signature's literal) reports where signatures match, and per chunk, in bulk:

- every (line, signature) pair is counted. A pair whose match already decides the line (the
  matcher's `decisive` patterns, on a chunk of plain ASCII text) costs no regex; the others are
  checked with the signature's `regex`, without a per-call timeout (signatures are checked for
  catastrophic backtracking when loaded, `diagnose.scan.regexsafety`; those that fail get a timeout,
  and a per-file time budget stops the checking of a pathological file with a note);
- each hit is handed to the sink as a `Kept`: its line and context as raw bytes. Only the ones
  the sink keeps as evidence are ever decoded and matched for their fields (`Kept.hit()`), so a
  log with a million hits costs little more than one with a thousand. A signature's `Recall`
  adds, to each hit built, the earlier line holding its key (found in the bytes still held);
- a busy signature (a line of normal activity) is reported once per chunk, and only the chunk's
  first and last such line are handed on, found by a literal search from each end;
- lines of the catch-all line heads (klog E/W/F, OVS EMER/ERR/WARN: `diagnose.diagnosis.unexplained`) go to
  the `mine` callback with their level and message offsets, whatever else matched them.

No Python loop runs per line, only per match (benchmarks/README.md measures it).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, overload

from diagnose.cache import default_cache_dir
from diagnose.scan.matchers import Pattern, make_matcher

if TYPE_CHECKING:  # runtime imports stay lazy: `regex` costs ~15 ms
    import regex

    _RecallParts = tuple[regex.Pattern[bytes], bytes, regex.Pattern[str]]  # key regex, literal, pattern

    from diagnose.scan.signature import Signature

CHUNK = 256 * 1024  # cache-resident chunks are fastest (measured on this code: benchmarks/README.md)
MAX_LINE = 64 * 1024  # a longer line is cut: its head is kept and matched, the rest skipped
CONTEXT_LINES = 2  # lines kept before and after a hit (report excerpts)
CONTEXT_CHARS = 512  # each context line is cut to this many characters
REGEX_TIMEOUT = 0.05  # seconds per line, only for signatures that failed the backtracking check
# Regex work a file may take: a base, plus what reading it at 100 MB/s would take. A file of lines
# crafted against a slow signature stops being checked there, with a note; nothing else changes.
BUDGET_BASE_S = 5.0
BUDGET_PER_BYTE_S = 1 / 100e6
_BUDGET_EVERY = 64  # regex calls between looks at the clock


@dataclass
class Hit:
    """A log line that matched a signature, with its groups and context lines."""

    key: str
    line_no: int
    text: str
    groups: dict[str, str]
    following: list[str]
    # Up to CONTEXT_LINES lines before/after the hit, for the report's evidence excerpts.
    before: Sequence[str] = field(default_factory=list)
    after: Sequence[str] = field(default_factory=list)


@dataclass
class ScanStats:
    """Counts of a log's scan: bytes, lines, hits and lines left unchecked."""

    bytes: int = 0
    lines: int = 0
    hits: int = 0
    cut_lines: int = 0
    unchecked: int = 0  # lines that may match a signature but were not checked (time budget, timeout)
    first_unchecked: int | None = None  # line number of the first of them
    unchecked_keys: set[str] = field(default_factory=set)

    def skip(self, line_no: int, key: str) -> None:
        self.unchecked += 1
        if self.first_unchecked is None:
            self.first_unchecked = line_no
        self.unchecked_keys.add(key)


@dataclass(frozen=True)
class CatchAll:
    """A line head whose lines are all mined (`diagnose.diagnosis.unexplained`): the pattern runs on bytes,
    in both engines alike, and ends where the message starts."""

    name: str  # how the miner reads the head ("klog", "ovs")
    pattern: str  # `^`-anchored regex of the head, bytes semantics (ASCII \\d \\w)
    prefilter: str  # the same head anchored on the newline byte, for Hyperscan's literal search
    kinds: tuple[str, ...]


class _Compiled:
    """A signature as the scanner uses it: its regex is compiled on the first line it checks
    (most signatures never see one, and compiling ~150 patterns would cost a tenth of a second)."""

    __slots__ = ("key", "source", "literal", "follow", "prefilter", "risky", "recall", "busy", "_regex", "_recall")

    def __init__(self, key: str, sig: Signature, risky: bool):
        self.key = key
        self.source = sig.pattern
        self.literal = sig.literal.encode()
        self.follow = sig.follow
        self.prefilter = sig.prefilter
        self.risky = risky  # failed the backtracking check: searched with a timeout
        self.recall = sig.recall
        self.busy = sig.busy
        self._regex: regex.Pattern[str] | None = None
        self._recall: _RecallParts | None = None

    @property
    def regex(self) -> regex.Pattern[str]:
        if self._regex is None:
            import regex

            self._regex = regex.compile(self.source)
        return self._regex

    def search(self, text: str):
        """The regex match, or None; raises TimeoutError only for a risky signature."""
        if self.risky:
            return self.regex.search(text, timeout=REGEX_TIMEOUT)
        return self.regex.search(text)

    @property
    def recall_parts(self) -> _RecallParts:
        """The signature's `Recall` compiled on first use: key regex (on bytes), literal, pattern."""
        if self._recall is None:
            import regex

            recall = self.recall
            assert recall is not None
            self._recall = (regex.compile(recall.key.encode()), recall.literal.encode(), regex.compile(recall.pattern))
        return self._recall

    def recall_key(self, line: bytes) -> tuple[bytes, bytes] | None:
        """The key the signature's `Recall` takes from a hit on `line`, and the literal of the line
        to recall; None when the line has no key."""
        key, literal, _ = self.recall_parts
        try:
            m = key.search(line[:MAX_LINE], timeout=REGEX_TIMEOUT)
        except TimeoutError:
            return None
        return (m["key"], literal) if m is not None else None

    def recall_groups(self, raw: bytes) -> dict[str, str]:
        """The named groups of the recall's pattern in a recalled line ({} when it does not match)."""
        try:
            m = self.recall_parts[2].search(_decode_line(raw), timeout=REGEX_TIMEOUT)
        except TimeoutError:
            return {}
        return {k: v for k, v in m.groupdict().items() if v is not None} if m else {}


class Kept:
    """A hit as raw bytes: its line and the context lines around it, decoded and matched for
    its fields only when `hit()` is asked (for the hits a sink keeps as evidence)."""

    __slots__ = ("sig", "line_no", "region", "start", "end", "recalled")

    def __init__(self, sig: _Compiled, line_no: int, region: bytes, start: int, end: int, recalled: bytes = b""):
        self.sig, self.line_no, self.region, self.start, self.end = sig, line_no, region, start, end
        self.recalled = recalled  # the earlier line the signature's Recall found, raw

    @property
    def key(self) -> str:
        return self.sig.key

    def size(self) -> int:
        return len(self.region) + len(self.recalled) + _KEPT_OVERHEAD

    def hit(self) -> Hit:
        region, start, end = self.region, self.start, self.end
        text = _decode_line(region[start:end])
        try:
            m = self.sig.search(text)
        except TimeoutError:
            m = None
        groups = {k: v for k, v in m.groupdict().items() if v is not None} if m else {}
        if self.recalled:
            groups = {**self.sig.recall_groups(self.recalled), **groups}
        return Hit(
            self.sig.key,
            self.line_no,
            text,
            groups,
            [],
            ContextLines(region, 0, max(start - 1, 0), True) if start else [],
            ContextLines(region, end + 1, len(region), False) if end < len(region) else [],
        )


class ContextLines(Sequence[str]):
    """The context lines on one side of a kept hit, decoded when first read. Only a finding's
    evidence shows them: decoding every kept hit's four lines when the logs are read took
    ~1.5 KB per hit (3.7 MiB of a 200 MB bundle's peak) while its raw region, here kept
    instead, was already paid for."""

    __slots__ = ("_region", "_lo", "_hi", "_last", "_lines")

    def __init__(self, region: bytes, lo: int, hi: int, last: bool):
        # region[lo:hi] holds the lines; `last`: the CONTEXT_LINES nearest its end, else its start
        self._region: bytes | None = region
        self._lo, self._hi, self._last = lo, hi, last
        self._lines: list[str] | None = None

    def _decoded(self) -> list[str]:
        if self._lines is None:
            assert self._region is not None
            raw = self._region[self._lo : self._hi].split(b"\n")
            raw = raw[-CONTEXT_LINES:] if self._last else raw[:CONTEXT_LINES]
            self._lines, self._region = [_context_line(b) for b in raw], None
        return self._lines

    def __len__(self) -> int:
        return len(self._decoded())

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        return self._decoded()[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, ContextLines)):
            return self._decoded() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by value, like the list it stands for

    def __repr__(self) -> str:
        return repr(self._decoded())


class HitBatch(Sequence[Kept]):
    """The hits of one signature in one chunk, in line order; a `Kept` is built only when it is
    indexed. A sink that keeps the first and last few hits of a signature (most of a busy log's
    hits are neither) costs the scanner a count for the others."""

    __slots__ = ("_lines", "_chunk", "_sig", "_hit_lines", "_line_base", "_lookback")

    def __init__(
        self,
        lines: _Lines,
        chunk: bytes,
        sig: _Compiled,
        hit_lines: list[int],
        line_base: int,
        lookback: _Lookback | None = None,
    ):
        self._lines, self._chunk, self._sig = lines, chunk, sig
        self._hit_lines, self._line_base = hit_lines, line_base
        self._lookback = lookback  # for a signature's Recall

    def __len__(self) -> int:
        return len(self._hit_lines)

    def line_no(self, i: int) -> int:
        """The line number of hit `i`, without building it."""
        return self._line_base + self._hit_lines[i] + 1

    @overload
    def __getitem__(self, i: int) -> Kept: ...
    @overload
    def __getitem__(self, i: slice) -> list[Kept]: ...
    def __getitem__(self, i: int | slice) -> Kept | list[Kept]:
        lines = self._hit_lines[i] if isinstance(i, slice) else [self._hit_lines[i]]
        kept = self._lines.kept(self._chunk, self._sig, lines, self._line_base, self._lookback)
        return kept if isinstance(i, slice) else kept[0]

    def __iter__(self) -> Iterator[Kept]:
        return iter(self[:])


_BUSY_TRIES = 32  # candidate lines (holding the literal, not matching) a busy signature's search passes over
_RECALL_TRIES = 8  # lines holding a hit's key that a Recall looks at before giving up
_RECALL_MISSES = 64  # a signature's Recalls that found nothing in a row before the others are skipped
_RECALL_PER_LOG = 4  # tries each new log gets all the same (`Scanner.scan`)


class _Lookback:
    """Where the Recalls of one chunk's hits look: the chunk itself up to the hit, then the chunk
    `before` it. Logs whose hits of a signature keep recalling nothing (logs without such lines:
    an agent too old to log them at its verbosity, a paste of the failures alone) stop being
    searched for them after _RECALL_MISSES misses in a row, since each costs a search of up to two
    chunks. `misses` is the scanner's, shared by all logs: a hundred rotated files of such an
    agent pay for it once, and each new log gets _RECALL_PER_LOG tries (`Scanner.scan`)."""

    __slots__ = ("before", "misses")

    def __init__(self, before: tuple[bytes, int] | None, misses: dict[str, int]):
        self.before, self.misses = before, misses

    def find(self, sig: _Compiled, chunk: bytes, start: int, end: int) -> bytes:
        """The line recalled for the hit on chunk[start:end], or b"": the latest line before it
        that holds the hit's key and the recall's literal (its regex is matched when the hit is
        decoded, `_Compiled.recall_groups`)."""
        missed = self.misses.get(sig.key, 0)
        if missed >= _RECALL_MISSES:
            return b""
        wanted = sig.recall_key(chunk[start:end])
        found = _latest_line_with(wanted, [(chunk, start), *([self.before] if self.before else [])]) if wanted else b""
        self.misses[sig.key] = 0 if found else missed + 1
        return found


def _latest_line_with(wanted: tuple[bytes, bytes], held: list[tuple[bytes, int]]) -> bytes:
    """The latest line holding both `wanted` strings (a key, then a literal) in `held`, (bytes,
    end) pairs from the latest to the earliest; the key is searched, the literal checked, on at
    most _RECALL_TRIES lines of each."""
    key, literal = wanted
    for buf, end in held:
        pos = end
        for _ in range(_RECALL_TRIES):
            at = buf.rfind(key, 0, pos)
            if at == -1:
                break
            start = buf.rfind(b"\n", 0, at) + 1
            stop = buf.find(b"\n", at, end)
            found = buf[start : stop if stop != -1 else end]
            if literal in found:
                return found[:MAX_LINE]
            pos = start
    return b""


_KEPT_OVERHEAD = 120  # the object and the bytes header around a kept hit's region
_REGION_MAX = 16 * 1024  # a larger context region is rebuilt from cut lines


class ByteSource(Protocol):
    """What is scanned: a stream read by `read(n)`, b"" at the end (a walker's stream, a file)."""

    def read(self, n: int = -1, /) -> bytes: ...


class HitSink(Protocol):
    def add(self, key: str, hits: Sequence[Kept | Hit]) -> None:
        """All hits of one signature in a chunk, in line order (each is a Kept or, for
        signatures with continuation lines, a Hit). `len(hits)` counts them; an item is built
        when it is indexed (a `HitBatch`), so a sink that keeps a few pays only for those.

        A sink with a `chunk_done()` method is told when each chunk is over: it may hold a
        batch until then (the next chunk's hits may make it useless) but not longer, since
        the batch holds the chunk's bytes."""


# (chunk, line numbers, catch-alls, line starts, message starts, line ends, rule keys that
# matched the same line: {index into the lists: keys})
MineCallback = Callable[[bytes, list[int], list[CatchAll], list[int], list[int], list[int], dict[int, list[str]]], None]


class _EveryHit:
    """A plain callback as a sink: every hit, decoded, in line order (tests, tools)."""

    def __init__(self, callback: Callable[[Hit], None]):
        self.callback = callback
        self.batch: list[Hit] = []

    def add(self, key: str, hits: Sequence[Kept | Hit]) -> None:
        self.batch.extend(h.hit() if isinstance(h, Kept) else h for h in hits)

    def flush(self) -> None:
        for h in sorted(self.batch, key=lambda h: h.line_no):
            self.callback(h)
        self.batch.clear()


class Scanner:
    """Holds the compiled signatures and one matcher per artifact kind (built on first use)."""

    def __init__(
        self,
        signatures: Iterable[tuple[str, Signature]],
        engine: str = "auto",
        catch_all: Iterable[tuple[str, CatchAll]] = (),
    ):
        from diagnose.scan import regexsafety

        self.engine = engine
        sigs = list(signatures)
        self.unsafe = regexsafety.unsafe_patterns([s.pattern for _, s in sigs])
        self._by_kind: dict[str, list[_Compiled]] = {}
        self._heads: dict[str, list[CatchAll]] = {}
        self._matchers: dict[str, Any] = {}
        self._recall_misses: dict[str, int] = {}  # misses in a row per signature, across logs (_Lookback)
        for key, sig in sigs:
            compiled = _Compiled(key, sig, sig.pattern in self.unsafe)
            for kind in sig.kinds:
                self._by_kind.setdefault(kind, []).append(compiled)
        for _, head in catch_all:
            for kind in head.kinds:
                self._heads.setdefault(kind, []).append(head)

    def _matcher(self, kind: str):
        if kind not in self._matchers:
            sigs = self._by_kind.get(kind, [])
            heads = self._heads.get(kind, [])
            patterns = [Pattern(s.source, s.literal, s.prefilter, single=s.busy) for s in sigs]
            patterns += [Pattern(h.pattern, b"", h.prefilter, header=True) for h in heads]
            self._matchers[kind] = make_matcher(patterns, self.engine, default_cache_dir()) if patterns else None
        return self._matchers[kind]

    def new_source(self) -> None:
        """What the scanner learnt of one source's logs (Recall misses in a row) does not carry
        over to the next source: a bundle's report never depends on the one read before."""
        self._recall_misses.clear()

    @property
    def engine_name(self) -> str:
        names = {m.name for m in self._matchers.values() if m is not None}
        return "/".join(sorted(names)) or self.engine

    def scan(
        self,
        stream: ByteSource,
        kind: str,
        sink: HitSink | Callable[[Hit], None],
        is_record_start: Callable[[str], bool],
        mine: MineCallback | None = None,
    ) -> ScanStats:
        """Scan `stream` (an artifact of `kind`): hits go to `sink` (a `HitSink`, or a callback
        given every hit decoded, in line order), catch-all lines to `mine`.

        `is_record_start` tells where a continuation (goroutine dump) ends.
        """
        for key, missed in self._recall_misses.items():  # a new log gets a few tries all the same
            self._recall_misses[key] = min(missed, _RECALL_MISSES - _RECALL_PER_LOG)
        every = _EveryHit(sink) if callable(sink) and not hasattr(sink, "add") else None
        target: HitSink = every or sink  # type: ignore[assignment]
        run = _Run(
            self._by_kind.get(kind, []),
            self._heads.get(kind, []),
            self._matcher(kind),
            target,
            is_record_start,
            mine,
            self._recall_misses,
        )
        chunk_done = getattr(target, "chunk_done", None)  # a sink that holds hits until the next chunk
        carry = b""
        skipping = False  # inside the unread tail of a line that was cut
        stats = run.stats
        while True:
            block = stream.read(CHUNK)
            if block:
                stats.bytes += len(block)
                if skipping:
                    nl = block.find(b"\n")
                    if nl == -1:
                        continue
                    block, skipping = block[nl + 1 :], False
                buf = carry + block if carry else block
                cut = buf.rfind(b"\n")
                if cut == -1:
                    if len(buf) < MAX_LINE:
                        carry = buf
                        continue
                    # One enormous line: match its head, skip the rest of it.
                    stats.cut_lines += 1
                    chunk, size, carry, skipping = buf[:MAX_LINE] + b"\n", MAX_LINE + 1, b"", True
                else:
                    # The chunk is buf up to its last newline; the rest is carried to the next one
                    # (buf is not cut: that would copy 256 KiB once more per chunk).
                    chunk, size, carry = buf, cut + 1, buf[cut + 1 :]
            else:
                chunk, carry = carry, b""
                size = len(chunk)
                if not chunk:
                    break
            run.chunk(chunk, size)
            if chunk_done is not None:
                chunk_done()
            if every:
                every.flush()
        run.finish()
        if every:
            every.flush()
        return stats


class _Run:
    """The state of one scan: line count, hits waiting for their continuation lines, budget."""

    def __init__(
        self,
        sigs: list[_Compiled],
        heads: list[CatchAll],
        matcher,
        sink: HitSink,
        is_record_start: Callable[[str], bool],
        mine: MineCallback | None,
        recall_misses: dict[str, int],
    ):
        self.sigs, self.heads, self.matcher, self.sink = sigs, heads, matcher, sink
        self.is_record_start, self.mine = is_record_start, mine
        self.decisive: Sequence[bool] = matcher.decisive if matcher is not None else ()
        self.n_sigs = len(sigs)
        self.stats = ScanStats()
        self.line_base = 0  # lines before the current chunk
        self.recalls = any(s.recall is not None for s in sigs)
        self.busy = frozenset(i for i, s in enumerate(sigs) if s.busy)
        self.before: tuple[bytes, int] | None = None  # the previous chunk and its size, when a Recall needs it
        self.lookback: _Lookback | None = None  # for the current chunk's Recalls
        self.recall_misses = recall_misses
        self.pending: list[tuple[Hit, int]] = []  # hits still collecting continuation lines
        self._clock = 0.0
        self.regex_time = 0.0
        self.over_budget = False

    def finish(self) -> None:
        self.stats.lines = self.line_base
        for hit, _ in self.pending:
            self.sink.add(hit.key, [hit])

    def chunk(self, chunk: bytes, size: int) -> None:
        """Scan chunk[:size] (whole lines; what follows is the start of the next chunk)."""
        if self.recalls:
            self.lookback = _Lookback(self.before, self.recall_misses)
        if self.pending:
            self._continue(chunk, size)
        lines = _Lines(chunk, size)
        if self.matcher is not None:
            ids, ends = self.matcher.scan(chunk)
            if size < len(chunk) and ids and max(ends) > size:  # matches in the carried tail: next time
                kept = [k for k, end in enumerate(ends) if end <= size]
                ids, ends = [ids[k] for k in kept], [ends[k] for k in kept]
            if ids:
                self._matches(chunk, lines, ids, ends)
        self.line_base += lines.count
        if self.recalls:
            self.before = (chunk, size)

    def _matches(self, chunk: bytes, lines: _Lines, ids: list[int], ends: list[int]) -> None:
        busy = self.busy
        if busy and len(ids) <= len(busy) and busy.issuperset(ids):
            # Only busy signatures matched (one event each): no table of the chunk's newlines.
            plain = _plain(chunk)
            for index, end in zip(ids, ends, strict=True):
                self._busy_hits(chunk, lines, index, lines.around(end - 1), plain)
            return
        n_sigs = self.n_sigs
        # signature -> its lines (0-based in the chunk; a line matched twice is there twice)
        by_sig: dict[int, list[int]] = {}
        heads: dict[int, tuple[int, int]] = {}  # line -> (catch-all head, where its match ends)
        for line, index, end in zip(lines.index(ends), ids, ends, strict=True):
            if index < n_sigs:
                by_sig.setdefault(index, []).append(line)
            elif line not in heads:
                heads[line] = (index - n_sigs, end)
        plain = _plain(chunk)
        line_base = self.line_base
        for index in sorted(by_sig):
            sig, hit_lines = self.sigs[index], by_sig[index]
            if index in busy:
                first = min(hit_lines)
                self._busy_hits(chunk, lines, index, (lines.start(first), lines.end(first)), plain)
                continue
            hit_lines = sorted(set(hit_lines))
            # The match decides a plain line; the regex decides the rest (and a line it sees cut).
            if not (plain and self.decisive[index] and not lines.any_cut(hit_lines)):
                hit_lines = self._verify(chunk, lines, sig, hit_lines)
                if not hit_lines:
                    continue
            self.stats.hits += len(hit_lines)
            if sig.follow:
                self._follow_hits(chunk, lines, sig, hit_lines)
            else:
                lookback = self.lookback if sig.recall is not None else None
                self.sink.add(sig.key, HitBatch(lines, chunk, sig, hit_lines, line_base, lookback))
        if heads and self.mine is not None:
            self._mine(chunk, lines, heads, by_sig)

    def _verify(self, chunk: bytes, lines: _Lines, sig: _Compiled, candidates: list[int]) -> list[int]:
        """The candidate lines on which `sig`'s regex matches, within the file's time budget."""
        out: list[int] = []
        stats = self.stats
        if self.over_budget:
            for line in candidates:
                stats.skip(self.line_base + line + 1, sig.key)
            return out
        self._clock = time.perf_counter()
        bounds = lines.take(candidates + [line + 1 for line in candidates])  # one trip to the offsets
        n_lines = len(candidates)
        for n, line in enumerate(candidates):
            start = bounds[n] + 1
            text = _decode_line(chunk[start : min(bounds[n_lines + n], start + MAX_LINE)])
            try:
                if sig.search(text) is not None:
                    out.append(line)
            except TimeoutError:
                stats.skip(self.line_base + line + 1, sig.key)
            if n % _BUDGET_EVERY == _BUDGET_EVERY - 1 and self._spent():
                for later in candidates[n + 1 :]:
                    stats.skip(self.line_base + later + 1, sig.key)
                return out
        self._spent()
        return out

    def _busy_hits(self, chunk: bytes, lines: _Lines, index: int, reported: tuple[int, int], plain: bool) -> None:
        """Hand on the first and the last line of the chunk that busy signature `index` matches.
        The matcher reported one event, on the first line it matches (the line `reported`,
        decided by that match on plain text, else by the regex); the last is found by a search
        for the literal from the chunk's end, each candidate checked by the regex."""
        sig, size = self.sigs[index], lines.chunk_len
        start, end = reported
        if not (plain and self.decisive[index] and end - start <= MAX_LINE):
            if not self._confirms(chunk, lines, start, end, sig):
                found = self._busy_search(chunk, lines, sig, end + 1, size, forward=True)
                if found is None:
                    return
                start, end = found
        kept = [(start, end)]
        last = self._busy_search(chunk, lines, sig, end, size, forward=False)
        if last is not None:
            kept.append(last)
        self.stats.hits += len(kept)
        base = self.line_base + 1
        self.sink.add(sig.key, [lines.kept_at(chunk, sig, s, e, base + lines.line_of(s)) for s, e in kept])

    def _busy_search(
        self, chunk: bytes, lines: _Lines, sig: _Compiled, lo: int, hi: int, forward: bool
    ) -> tuple[int, int] | None:
        """The first (or last) line within chunk[lo:hi] that holds the literal and matches."""
        for _ in range(_BUSY_TRIES):
            at = chunk.find(sig.literal, lo, hi) if forward else chunk.rfind(sig.literal, lo, hi)
            if at == -1:
                return None
            start, end = lines.around(at)
            if self._confirms(chunk, lines, start, end, sig):
                return start, end
            lo, hi = (end + 1, hi) if forward else (lo, start)
        return None

    def _confirms(self, chunk: bytes, lines: _Lines, start: int, end: int, sig: _Compiled) -> bool:
        try:
            return sig.search(_decode_line(chunk[start:end])) is not None
        except TimeoutError:
            self.stats.skip(self.line_base + lines.line_of(start) + 1, sig.key)
            return False

    def _spent(self) -> bool:
        """Charge the regex time since the last look at the clock; True once the file's budget
        is gone."""
        now = time.perf_counter()
        self.regex_time += now - self._clock
        self._clock = now
        if self.regex_time > BUDGET_BASE_S + self.stats.bytes * BUDGET_PER_BYTE_S:
            self.over_budget = True
        return self.over_budget

    def _follow_hits(self, chunk: bytes, lines: _Lines, sig: _Compiled, hit_lines: list[int]) -> None:
        done: list[Kept | Hit] = []
        batch = HitBatch(lines, chunk, sig, hit_lines, self.line_base, self.lookback if sig.recall else None)
        for line, kept in zip(hit_lines, batch, strict=True):
            hit = kept.hit()
            following, open_ended = _following(
                chunk, lines.chunk_len, lines.end(line), sig.follow, self.is_record_start
            )
            hit.following.extend(following)
            if open_ended and len(hit.following) < sig.follow:
                self.pending.append((hit, sig.follow))
            else:
                done.append(hit)
        if done:
            self.sink.add(sig.key, done)

    def _continue(self, chunk: bytes, size: int) -> None:
        """Give hits whose continuation crossed the chunk border the lines that follow; hand on
        those whose continuation ended here."""
        still: list[tuple[Hit, int]] = []
        for hit, limit in self.pending:
            more, open_ended = _following(chunk, size, -1, limit - len(hit.following), self.is_record_start)
            hit.following.extend(more)
            if open_ended and len(hit.following) < limit:
                still.append((hit, limit))
            else:
                self.sink.add(hit.key, [hit])
        self.pending = still

    def _mine(
        self, chunk: bytes, lines: _Lines, heads: dict[int, tuple[int, int]], by_sig: dict[int, list[int]]
    ) -> None:
        order = sorted(heads)
        also: dict[int, list[str]] = {}
        if by_sig:
            position = {line: i for i, line in enumerate(order)}
            for index, hit_lines in by_sig.items():
                key = self.sigs[index].key
                for line in hit_lines:
                    at = position.get(line)
                    if at is not None:
                        also.setdefault(at, []).append(key)
        n = len(order)
        bounds = lines.take(order + [line + 1 for line in order])
        base = self.line_base + 1
        assert self.mine is not None
        self.mine(
            chunk,
            [base + line for line in order],
            [self.heads[heads[line][0]] for line in order],
            [b + 1 for b in bounds[:n]],
            [heads[line][1] for line in order],
            bounds[n:],
            also,
        )


# -- lines of a chunk ---------------------------------------------------------------------------


class _Lines:
    """Where the newlines of a chunk are, found with `bytes.find`/`bytes.count` on first need.

    numpy found them twice as fast (~50 vs ~100 us per 256 KiB chunk of agent log, ~0.2 s per GB;
    `bytes.count` alone takes ~80), but importing it costs ~80-100 ms and ~13.5 MiB of resident
    memory in every scan with a log over 1 MiB: bundles with less than ~200 MB of logs, most of
    them, are faster without it, and the scan's peak memory stays within 64 MiB
    (benchmarks/README.md).

    `_ext` holds the newline offsets between two sentinels, -1 and the chunk's length: line i
    spans [_ext[i] + 1, _ext[i + 1])."""

    __slots__ = ("chunk_len", "_ext", "_newlines", "_chunk", "_long")

    def __init__(self, chunk: bytes, size: int):
        self.chunk_len = size  # the lines end here; the bytes after it belong to the next chunk
        self._chunk = chunk
        self._ext: list[int] | None = None
        self._newlines: int | None = None
        self._long: bool | None = None

    @property
    def count(self) -> int:
        """Lines in the chunk (its last one may lack its newline: only the stream's last chunk)."""
        size = self.chunk_len
        return self.newlines + (0 if not size or self._chunk[size - 1] == 10 else 1)

    @property
    def newlines(self) -> int:
        if self._newlines is None:
            self._newlines = (
                len(self._ext) - 2 if self._ext is not None else self._chunk.count(b"\n", 0, self.chunk_len)
            )
        return self._newlines

    @property
    def ext(self) -> list[int]:
        if self._ext is None:
            size = self.chunk_len
            find = self._chunk.find
            out = [-1]
            add = out.append
            pos = find(b"\n", 0, size)
            while pos != -1:
                add(pos)
                pos = find(b"\n", pos + 1, size)
            add(size)
            self._ext = out
        return self._ext

    @property
    def has_long_line(self) -> bool:
        """Whether a line of the chunk may be longer than MAX_LINE. A line that long spans a
        whole aligned block of MAX_LINE / 2 bytes, so a newline in every such block rules it
        out: a few `find`s instead of measuring every line."""
        if self._long is None:
            step, size, find = MAX_LINE // 2, self.chunk_len, self._chunk.find
            self._long = any(find(b"\n", at, at + step) == -1 for at in range(0, size - step + 1, step))
        return self._long

    def take(self, indexes: list[int]) -> list[int]:
        """`ext` at each index."""
        ext = self.ext
        return [ext[i] for i in indexes]

    def index(self, offsets: list[int]) -> list[int]:
        """The line (0-based in the chunk) of each offset just past a match: the newlines before it."""
        return [i - 1 for i in map(partial(bisect_left, self.ext), offsets)]

    def start(self, line: int) -> int:
        return self.ext[line] + 1

    def around(self, at: int) -> tuple[int, int]:
        """The start and end of the line holding offset `at`, found around it (no newline table)."""
        end = self._chunk.find(b"\n", at, self.chunk_len)
        return self._chunk.rfind(b"\n", 0, at) + 1, self.chunk_len if end == -1 else end

    def line_of(self, offset: int) -> int:
        """The line (0-based in the chunk) that starts at or holds `offset`: newlines counted from
        the nearer end of the chunk, unless the newline table is already there."""
        if self._ext is not None:
            return bisect_left(self._ext, offset) - 1
        if offset < self.chunk_len // 2:
            return self._chunk.count(b"\n", 0, offset)
        return self.newlines - self._chunk.count(b"\n", offset, self.chunk_len)

    def end(self, line: int) -> int:
        return self.ext[line + 1]

    def any_cut(self, hit_lines: list[int]) -> bool:
        """Whether one of `hit_lines` is longer than MAX_LINE: the regex, which sees only that
        much of a line, must decide it."""
        if not self.has_long_line:
            return False
        bounds = self.take(hit_lines + [line + 1 for line in hit_lines])
        n = len(hit_lines)
        return any(bounds[n + k] - bounds[k] - 1 > MAX_LINE for k in range(n))

    def kept(
        self, chunk: bytes, sig: _Compiled, hit_lines: list[int], line_base: int, lookback: _Lookback | None
    ) -> list[Kept]:
        """The hits on `hit_lines` (`kept_at`); a signature's Recall looks back as far as
        `lookback` holds."""
        ext, out = self.ext, []
        for line in hit_lines:
            start, end = ext[line] + 1, ext[line + 1]
            kept = self.kept_at(chunk, sig, start, end, line_base + line + 1)
            if lookback is not None:
                kept.recalled = lookback.find(sig, chunk, start, end)
            out.append(kept)
        return out

    def kept_at(self, chunk: bytes, sig: _Compiled, start: int, end: int, line_no: int) -> Kept:
        """The hit on the line chunk[start:end] with up to CONTEXT_LINES lines on each side, from
        this chunk only (a hit at its edge gets fewer rather than a read of the next chunk),
        found around the line: a chunk whose only hits are busy ones needs no newline table.
        Around long lines, the hit line is kept up to MAX_LINE and each other line's head."""
        size, lo, hi = self.chunk_len, start, end
        for _ in range(CONTEXT_LINES):
            if lo > 0:
                lo = chunk.rfind(b"\n", 0, lo - 1) + 1
            if hi + 1 < size:  # a line follows in this chunk
                nxt = chunk.find(b"\n", hi + 1, size)
                hi = size if nxt == -1 else nxt
        if hi - lo <= _REGION_MAX:
            return Kept(sig, line_no, chunk[lo:hi], start - lo, end - lo)
        head = 4 * CONTEXT_CHARS
        before = [line[:head] for line in chunk[lo : start - 1].split(b"\n")] if start > lo else []
        after = [line[:head] for line in chunk[end + 1 : hi].split(b"\n")] if hi > end else []
        prefix = b"".join(line + b"\n" for line in before)
        body = chunk[start : min(end, start + MAX_LINE)]
        return Kept(sig, line_no, b"\n".join([prefix + body, *after]), len(prefix), len(prefix) + len(body))


def _plain(chunk: bytes) -> bool:
    """Whether the matchers' events decide the chunk's lines: text that is not plain ASCII (or
    has CRs, which the regex never sees) is checked by the regex itself, so both engines agree
    everywhere. The carried tail is included: stricter, never wrong."""
    return chunk.isascii() and b"\r" not in chunk


def _decode_line(raw: bytes) -> str:
    return raw[:MAX_LINE].decode("utf-8", errors="replace").rstrip("\r")


def _context_line(raw: bytes) -> str:
    # 4 bytes per character at most: decode no more than the cut keeps.
    return raw[: 4 * CONTEXT_CHARS].decode("utf-8", errors="replace")[:CONTEXT_CHARS].rstrip("\r")


def _following(
    chunk: bytes, size: int, end: int, limit: int, is_start: Callable[[str], bool]
) -> tuple[list[str], bool]:
    """Continuation lines after position `end` (the newline ending a hit line), in chunk[:size].

    Returns the lines and whether the chunk ended before the continuation did.
    """
    out: list[str] = []
    pos = end + 1
    while len(out) < limit:
        if pos >= size:
            return out, True
        nl = chunk.find(b"\n", pos, size)
        nl = size if nl == -1 else nl
        line = chunk[pos : min(nl, pos + 1024)].decode("utf-8", errors="replace").rstrip("\r")
        if not line.strip() or is_start(line):
            return out, False
        out.append(line)
        pos = nl + 1
    return out, False
