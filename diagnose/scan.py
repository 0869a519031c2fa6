"""One streaming pass per log file for every signature of every loaded rule.

The stream is read in newline-aligned chunks; a matcher (`diagnose.matchers`: Hyperscan, or
`bytes.find` on each signature's literal) names the candidate lines of a chunk, and only those
lines are decoded and checked with the signature's `regex` for the verdict and its fields. No
Python loop runs per line (shared/performance-notes.md). Only the hit lines leave this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

import regex

from diagnose.matchers import Pattern, default_cache_dir, make_matcher
from diagnose.rule import Signature

CHUNK = 256 * 1024  # cache-resident chunks are fastest (performance-notes §3.5)
MAX_LINE = 64 * 1024  # a longer line is cut: its head is kept and matched, the rest skipped
REGEX_TIMEOUT = 0.05  # seconds per line and signature; a crafted line cannot stall the scan
CONTEXT_LINES = 2  # lines kept before and after a hit (report excerpts)
CONTEXT_CHARS = 512  # each context line is cut to this many characters


@dataclass
class Hit:
    key: str
    line_no: int
    text: str
    groups: dict[str, str]
    following: list[str]
    # Up to CONTEXT_LINES lines before/after the hit, for the report's evidence excerpts.
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


@dataclass
class ScanStats:
    bytes: int = 0
    lines: int = 0
    hits: int = 0
    cut_lines: int = 0


@dataclass
class _Compiled:
    key: str
    literal: bytes
    source: str
    follow: int
    catch_all: bool = False  # reported only for lines no other signature matched
    prefilter: str | None = None
    _regex: regex.Pattern[str] | None = None

    @property
    def regex(self) -> regex.Pattern[str]:
        """Compiled on the first candidate line: most signatures never see one, and compiling
        ~150 patterns with `regex` would cost a tenth of a second at every start."""
        if self._regex is None:
            self._regex = regex.compile(self.source)
        return self._regex


class Scanner:
    """Holds the compiled signatures and one matcher per artifact kind (built on first use)."""

    def __init__(self, signatures: Iterable[tuple[str, Signature]], engine: str = "auto",
                 catch_all: Iterable[tuple[str, Signature]] = ()):
        self.engine = engine
        self._by_kind: dict[str, list[_Compiled]] = {}
        self._matchers: dict[str, object] = {}
        # Catch-all signatures (diagnose.unexplained) come after all others of their kind, so a
        # line is verified against them last and only when nothing else matched it.
        for (key, sig), last in [*((s, False) for s in signatures), *((s, True) for s in catch_all)]:
            compiled = _Compiled(key, sig.literal.encode(), sig.pattern, sig.follow, last, sig.prefilter)
            for kind in sig.kinds:
                self._by_kind.setdefault(kind, []).append(compiled)

    def _matcher(self, kind: str):
        if kind not in self._matchers:
            sigs = self._by_kind.get(kind, [])
            self._matchers[kind] = make_matcher([Pattern(s.prefilter or s.source, s.literal) for s in sigs],
                                                self.engine, default_cache_dir()) if sigs else None
        return self._matchers[kind]

    @property
    def engine_name(self) -> str:
        names = {m.name for m in self._matchers.values() if m is not None}
        return "/".join(sorted(names)) or self.engine

    def scan(self, stream: BinaryIO, kind: str, on_hit: Callable[[Hit], None],
             is_record_start: Callable[[str], bool]) -> ScanStats:
        """Scan `stream` (an artifact of `kind`), calling `on_hit` for each matching line.

        `is_record_start` tells where a continuation (goroutine dump) ends.
        """
        sigs = self._by_kind.get(kind, [])
        matcher = self._matcher(kind)
        stats = ScanStats()
        carry = b""
        skipping = False  # inside the unread tail of a line that was cut
        line_base = 0  # lines before the current chunk
        pending: list[tuple[Hit, int]] = []  # hits still collecting continuation lines
        while True:
            block = stream.read(CHUNK)
            if block:
                stats.bytes += len(block)
                if skipping:
                    nl = block.find(b"\n")
                    if nl == -1:
                        continue
                    block, skipping = block[nl + 1 :], False
                buf = carry + block
                cut = buf.rfind(b"\n")
                if cut == -1:
                    if len(buf) < MAX_LINE:
                        carry = buf
                        continue
                    # One enormous line: match its head, skip the rest of it.
                    stats.cut_lines += 1
                    chunk, carry, skipping = buf[:MAX_LINE] + b"\n", b"", True
                else:
                    chunk, carry = buf[: cut + 1], buf[cut + 1 :]
            else:
                chunk, carry = carry, b""
                if not chunk:
                    break
            pending = self._continue(chunk, pending, is_record_start, on_hit)
            counted_to = 0
            if matcher is not None:
                found, counted_to, counted = self._scan_chunk(chunk, sigs, matcher, line_base, on_hit, stats,
                                                              is_record_start)
                pending += found
                line_base += counted
            # Each byte is counted once: up to the last hit inside _scan_chunk, the rest here.
            line_base += _newlines(chunk, counted_to, stats.bytes > _NUMPY_AFTER) + (0 if chunk.endswith(b"\n") else 1)
        stats.lines = line_base
        for hit, _ in pending:
            on_hit(hit)
        return stats

    def _scan_chunk(self, chunk: bytes, sigs: list[_Compiled], matcher, line_base: int,
                    on_hit: Callable[[Hit], None], stats: ScanStats,
                    is_record_start: Callable[[str], bool]) -> tuple[list[tuple[Hit, int]], int, int]:
        """Verify the matcher's candidate lines; returns (hits still collecting continuation
        lines, offset up to which newlines were counted, how many)."""
        candidates = matcher.candidates(chunk)
        if not candidates:
            return [], 0, 0
        pending: list[tuple[Hit, int]] = []
        counted_to, line_no = 0, line_base
        for start in sorted(candidates):
            end, indexes = candidates[start]
            line_no += chunk.count(b"\n", counted_to, start)
            counted_to = start
            raw = chunk[start:end]
            if len(raw) > MAX_LINE:
                raw = raw[:MAX_LINE]
                stats.cut_lines += 1
            text = raw.decode("utf-8", errors="replace").rstrip("\r")
            matched = False
            context: tuple[list[str], list[str]] | None = None  # shared by the line's hits
            for sig in (sigs[i] for i in sorted(set(indexes))):
                if matched and sig.catch_all:
                    continue
                try:
                    m = sig.regex.search(text, timeout=REGEX_TIMEOUT)
                except TimeoutError:
                    continue
                if m is None:
                    continue
                # The engine's own error catch-alls (facts.lifecycle ERRORS) do not explain a line.
                matched = matched or not sig.key.startswith(("core:klog_error", "core:bare_error"))
                groups = {k: v for k, v in m.groupdict().items() if v is not None}
                hit = Hit(sig.key, line_no + 1, text, groups, [])
                if not sig.catch_all:  # catch-all hits become templates, never evidence
                    if context is None:
                        context = _context(chunk, start, end)
                    hit.before, hit.after = context
                stats.hits += 1
                if sig.follow:
                    lines, open_ended = _following(chunk, end, sig.follow, is_record_start)
                    hit.following.extend(lines)
                    if open_ended and len(hit.following) < sig.follow:
                        pending.append((hit, sig.follow))
                        continue
                on_hit(hit)
        return pending, counted_to, line_no - line_base

    @staticmethod
    def _continue(chunk: bytes, pending: list[tuple[Hit, int]], is_record_start: Callable[[str], bool],
                  on_hit: Callable[[Hit], None]) -> list[tuple[Hit, int]]:
        """Give hits whose continuation crossed the chunk border the lines that follow; report
        those whose continuation ended here."""
        still: list[tuple[Hit, int]] = []
        for hit, limit in pending:
            lines, open_ended = _following(chunk, -1, limit - len(hit.following), is_record_start)
            hit.following.extend(lines)
            if open_ended and len(hit.following) < limit:
                still.append((hit, limit))
            else:
                on_hit(hit)
        return still


_NUMPY_AFTER = 4 * CHUNK  # streams longer than this count newlines with numpy
_numpy = None


def _newlines(chunk: bytes, start: int, large_stream: bool) -> int:
    """Newlines in chunk[start:]. bytes.count runs at ~1.5 GB/s, a numpy comparison at ~8: on a
    large log that is a sixth of the whole scan. numpy (a pandas dependency) is imported only
    once a log is long enough to gain from it, so small bundles do not pay its import."""
    global _numpy
    if large_stream and _numpy is not False:
        if _numpy is None:
            try:
                import numpy
                _numpy = numpy
            except ImportError:  # pragma: no cover - numpy comes with pandas
                _numpy = False
                return chunk.count(b"\n", start)
        return int(_numpy.count_nonzero(_numpy.frombuffer(chunk, _numpy.uint8, offset=start) == 10))
    return chunk.count(b"\n", start)


def _context(chunk: bytes, start: int, end: int) -> tuple[list[str], list[str]]:
    """The lines around chunk[start:end] (a hit line; `end` is its newline), from this chunk
    only: a hit at the chunk's edge gets fewer lines rather than a read of the next chunk.
    Only verified hits pay for this (a few find calls), never the pass over the data."""
    before: list[str] = []
    pos = start  # start of the line after the one looked for
    while len(before) < CONTEXT_LINES and pos > 0:
        prev = chunk.rfind(b"\n", 0, pos - 1) + 1
        before.append(_context_line(chunk, prev, pos - 1))
        pos = prev
    before.reverse()
    after: list[str] = []
    pos, size = end + 1, len(chunk)
    while len(after) < CONTEXT_LINES and pos < size:
        nl = chunk.find(b"\n", pos)
        nl = size if nl == -1 else nl
        after.append(_context_line(chunk, pos, nl))
        pos = nl + 1
    return before, after


def _context_line(chunk: bytes, start: int, end: int) -> str:
    # 4 bytes per character at most: decode no more than the cut keeps.
    raw = chunk[start : min(end, start + 4 * CONTEXT_CHARS)]
    return raw.decode("utf-8", errors="replace")[:CONTEXT_CHARS].rstrip("\r")


def _following(chunk: bytes, end: int, limit: int,
               is_start: Callable[[str], bool]) -> tuple[list[str], bool]:
    """Continuation lines after position `end` (the newline ending a hit line).

    Returns the lines and whether the chunk ended before the continuation did.
    """
    out: list[str] = []
    pos = end + 1
    while len(out) < limit:
        if pos >= len(chunk):
            return out, True
        nl = chunk.find(b"\n", pos)
        nl = len(chunk) if nl == -1 else nl
        line = chunk[pos : min(nl, pos + 1024)].decode("utf-8", errors="replace").rstrip("\r")
        if not line.strip() or is_start(line):
            return out, False
        out.append(line)
        pos = nl + 1
    return out, False
