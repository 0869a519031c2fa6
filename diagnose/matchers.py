"""Find the lines of a chunk that may match a signature: Hyperscan, or the stdlib fallback.

Both matchers answer the same question — which (line, signature) pairs deserve a look — and
the scanner then runs the signature's `regex` on each such line for the verdict and its fields,
so the two engines give identical findings by construction. Hyperscan holds every signature of
an artifact kind in one database and scans a chunk once (≈1.1 GB/s, performance-notes §2b);
the fallback runs `bytes.find` on each signature's required literal (≈85 MB/s for 40).
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# (line start, line end) -> indexes of the signatures to verify on that line
Candidates = dict[int, tuple[int, list[int]]]


@dataclass(frozen=True)
class Pattern:
    regex_source: str
    literal: bytes


class ChunkFindMatcher:
    """`bytes.find` of each signature's literal; a signature without one (e.g. "any klog error
    line") is searched with a multi-line `re` over the whole chunk instead."""

    name = "stdlib"

    def __init__(self, patterns: Sequence[Pattern]):
        self._literals = [(i, p.literal) for i, p in enumerate(patterns) if p.literal]
        self._scans = [(i, _chunk_regex(p.regex_source)) for i, p in enumerate(patterns) if not p.literal]

    def candidates(self, chunk: bytes) -> Candidates:
        found: Candidates = {}
        _find_literals(chunk, self._literals, found)
        for index, pattern in self._scans:
            last = -1
            for m in pattern.finditer(chunk):
                # The line of the match's end, like Hyperscan's report: a prefilter may start on
                # the newline before the line (`(?:\A|\n)...`).
                at = max(m.end() - 1, m.start())
                start = chunk.rfind(b"\n", 0, at) + 1
                if start == last:
                    continue
                last = start
                end = chunk.find(b"\n", at)
                found.setdefault(start, (len(chunk) if end == -1 else end, []))[1].append(index)
        return found


def _find_literals(chunk: bytes, literals: Sequence[tuple[int, bytes]], found: Candidates) -> None:
    for index, literal in literals:
        pos = chunk.find(literal)
        while pos != -1:
            start = chunk.rfind(b"\n", 0, pos) + 1
            end = chunk.find(b"\n", pos)
            end = len(chunk) if end == -1 else end
            found.setdefault(start, (end, []))[1].append(index)
            pos = chunk.find(literal, end)


def _chunk_regex(source: str) -> re.Pattern[bytes]:
    flags = re.M
    m = _INLINE_FLAGS.match(source)
    if m:
        flags |= re.I if "i" in m[1] else 0
        source = source[m.end():]
    return re.compile(_trim_tail(_NAMED_GROUP.sub("(?:", source)).encode(), flags)


class HyperscanMatcher:
    """One Hyperscan block-mode database for all patterns; rejected ones fall back to find()."""

    name = "hyperscan"

    def __init__(self, patterns: Sequence[Pattern], cache_dir: Path | None = None):
        import hyperscan

        prefilters = [prefilter(p.regex_source) for p in patterns]
        self.rejected = [i for i, (expr, _) in enumerate(prefilters) if expr is None]
        self._db = _database(hyperscan, prefilters, self.rejected, cache_dir)
        self._scratch = hyperscan.Scratch(self._db) if self._db is not None else None
        # Patterns Hyperscan rejects are matched the stdlib way, keeping their original indexes.
        self._fallback = ChunkFindMatcher(patterns)
        self._fallback._literals = [(i, lit) for i, lit in self._fallback._literals if i in self.rejected]
        self._fallback._scans = [(i, rx) for i, rx in self._fallback._scans if i in self.rejected]

    def candidates(self, chunk: bytes) -> Candidates:
        found: Candidates = {}
        if self._db is not None:
            seen: set[tuple[int, int]] = set()

            def on_match(index: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
                start = chunk.rfind(b"\n", 0, to) + 1 if to else 0
                if (start, index) in seen:
                    return
                seen.add((start, index))
                end = chunk.find(b"\n", start)
                found.setdefault(start, (len(chunk) if end == -1 else end, []))[1].append(index)

            self._db.scan(chunk, match_event_handler=on_match, scratch=self._scratch)
        if self.rejected:
            for start, (end, indexes) in self._fallback.candidates(chunk).items():
                found.setdefault(start, (end, []))[1].extend(indexes)
        return found


def make_matcher(patterns: Sequence[Pattern], engine: str = "auto", cache_dir: Path | None = None):
    """`engine`: "auto" (Hyperscan when the wheel imports), "hyperscan" or "stdlib"."""
    engine = os.environ.get("ANTREA_DIAGNOSE_ENGINE", engine)
    if engine in ("auto", "hyperscan"):
        try:
            return HyperscanMatcher(patterns, cache_dir)
        except ImportError:
            if engine == "hyperscan":
                raise
    return ChunkFindMatcher(patterns)


# -- turning a verification regex into a Hyperscan prefilter ------------------------------------

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_INLINE_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


def prefilter(source: str) -> tuple[bytes | None, int]:
    """A Hyperscan expression matching a superset of the lines `source` matches.

    Named groups become plain groups (Hyperscan has none); trailing parts that only extend a
    match (`.*`, `$`, optional atoms, `+` repetitions) are trimmed, because Hyperscan reports
    every match end and a trailing `.*` would report one per remaining character of the line.
    """
    import hyperscan

    flags = hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY
    m = _INLINE_FLAGS.match(source)
    if m:
        if "i" in m[1]:
            flags |= hyperscan.HS_FLAG_CASELESS
        source = source[m.end():]
    expr = _NAMED_GROUP.sub("(?:", source)
    expr = _trim_tail(expr)
    if not expr:
        return None, flags
    try:
        return expr.encode(), flags
    except UnicodeEncodeError:
        return None, flags


def _trim_tail(expr: str) -> str:
    while True:
        before = expr
        if expr.endswith("$") and not _escaped(expr, len(expr) - 1):
            expr = expr[:-1]
        elif expr.endswith(("*", "?")) and not _escaped(expr, len(expr) - 1):
            expr = expr[: _atom_start(expr, len(expr) - 1)]
        elif expr.endswith("+") and not _escaped(expr, len(expr) - 1):
            expr = expr[:-1]
        elif expr.endswith("}") and not _escaped(expr, len(expr) - 1):
            open_brace = expr.rfind("{")
            if open_brace > 0:
                # {0,n} makes the atom optional: drop it like `*`; {n,m} keeps one like `+`.
                optional = re.match(r"\{(?:0*,|0+\})", expr[open_brace:])
                expr = expr[: _atom_start(expr, open_brace)] if optional else expr[:open_brace]
        elif expr.endswith(")") and not _escaped(expr, len(expr) - 1):
            start = _atom_start(expr, len(expr))
            body = expr[start + 3: -1] if expr.startswith("(?:", start) else None
            if body is not None and "|" not in body:
                inner = _trim_tail(body)
                expr = expr[:start] + (f"(?:{inner})" if inner else "")
        if expr == before:
            return expr


def _escaped(s: str, i: int) -> bool:
    backslashes = 0
    while i > 0 and s[i - 1] == "\\":
        backslashes += 1
        i -= 1
    return backslashes % 2 == 1


def _atom_start(s: str, end: int) -> int:
    """Start of the atom that ends just before index `end` (a char, escape, class or group)."""
    i = end - 1
    if i < 0:
        return 0
    if s[i] == ")" and not _escaped(s, i):
        depth = 0
        while i >= 0:
            if not _escaped(s, i):
                if s[i] == ")":
                    depth += 1
                elif s[i] == "(":
                    depth -= 1
                    if depth == 0:
                        return i
            i -= 1
        return 0
    if s[i] == "]" and not _escaped(s, i):
        j = i - 1
        while j >= 0 and not (s[j] == "[" and not _escaped(s, j)):
            j -= 1
        return max(j, 0)
    if i > 0 and s[i - 1] == "\\" and not _escaped(s, i - 1):
        return i - 1
    return i


def _database(hyperscan, prefilters: list[tuple[bytes | None, int]], rejected: list[int],
              cache_dir: Path | None):
    """One database for every accepted prefilter, compiled once per rule pack and library
    version: later runs load the serialized database (about 1 ms instead of 50+).

    Expressions Hyperscan cannot compile are found one by one and appended to `rejected`; the
    cache file also records them so that a cached run rejects the same ones.
    """
    key = hashlib.sha256(repr((prefilters, getattr(hyperscan, "__version__", ""), platform.machine()))
                         .encode()).hexdigest()[:24]
    path = (cache_dir / f"hs-{key}.db") if cache_dir else None
    if path and path.is_file():
        try:
            blob = path.read_bytes()
            header, db_bytes = blob.split(b"\n", 1)
            rejected.extend(int(i) for i in header.split(b",") if i)
            return hyperscan.loadb(db_bytes, hyperscan.HS_MODE_BLOCK)
        except (hyperscan.HyperscanError, OSError, ValueError):
            del rejected[:]  # stale or foreign file: compile again
            rejected.extend(i for i, (expr, _) in enumerate(prefilters) if expr is None)
    accepted = [(i, expr, fl) for i, (expr, fl) in enumerate(prefilters) if expr is not None]
    db = _compile(hyperscan, accepted)
    if db is None:  # some expression is unsupported: keep the ones that compile on their own
        bad = {i for i, expr, fl in accepted if _compile(hyperscan, [(i, expr, fl)]) is None}
        rejected.extend(sorted(bad))
        accepted = [a for a in accepted if a[0] not in bad]
        db = _compile(hyperscan, accepted) if accepted else None
    if db is not None and path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(",".join(map(str, rejected)).encode() + b"\n" + hyperscan.dumpb(db))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only home is fine: compile every time
    return db


def _compile(hyperscan, accepted: list[tuple[int, bytes, int]]):
    if not accepted:
        return None
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        db.compile(expressions=[a[1] for a in accepted], ids=[a[0] for a in accepted],
                   elements=len(accepted), flags=[a[2] for a in accepted])
    except hyperscan.HyperscanError:
        return None
    return db


def default_cache_dir() -> Path | None:
    if os.environ.get("ANTREA_DIAGNOSE_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "antrea-diagnose"
