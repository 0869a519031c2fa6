"""Find where the signatures of a chunk match: Hyperscan, or the stdlib fallback.

Both matchers answer the same question — which patterns match where — with raw match events:
(pattern index, offset just past the match). The scanner turns them into (line, signature)
pairs. A pattern is *decisive* in a matcher when its event alone proves that the signature's
`regex` matches the line (on plain ASCII text, see `diagnose.scan.scanner`); otherwise the scanner runs
the regex on the line, so the two engines give identical findings either way.

Hyperscan holds every pattern of an artifact kind in one database and scans a chunk once
(≈1.1 GB/s here, benchmarks/README.md). Each pattern is compiled as its verification regex with the
tail trimmed to what decides a line (a trailing `.*` would report one event per character) and
kept inside its line, so it is decisive. The fallback runs `bytes.find` on each signature's
required literal (≈85 MB/s for 40): decisive only for purely literal patterns.

Compiled databases are kept in the signed cache (`diagnose.cache`) under the hash of their pattern
set, the MAC verified before the bytes reach Hyperscan: a database of another pattern set or a
corrupted file (which would crash the process in `hyperscan.loadb`) is never loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from diagnose.cache import SignedCache

# (pattern indexes, offsets just past each match), in the order found
Events = tuple[list[int], list[int]]

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Pattern:
    """A signature as a matcher takes it: its regex, its literal and an optional Hyperscan prefilter."""

    regex_source: str
    literal: bytes
    prefilter: str | None = None  # a cheaper superset of `regex_source` for Hyperscan (never decisive)
    header: bool = False  # a catch-all line head (bytes semantics): its own events decide, in both engines
    single: bool = False  # one event per chunk is enough: the scanner finds a busy signature's lines itself


class ChunkFindMatcher:
    """`bytes.find` of each signature's literal; a pattern without one (a catch-all line head) is
    searched with a multi-line `re` over the whole chunk instead."""

    name = "stdlib"

    def __init__(self, patterns: Sequence[Pattern], only: set[int] | None = None):
        keep = range(len(patterns)) if only is None else sorted(only)
        self._literals = [(i, patterns[i].literal) for i in keep if patterns[i].literal]
        self._single = {i for i in keep if patterns[i].single}
        # A line head is searched as written (`^` is cheaper for `re` than the prefilter's `\n`).
        self._scans = [
            (
                i,
                _chunk_regex(
                    patterns[i].regex_source
                    if patterns[i].header
                    else patterns[i].prefilter or patterns[i].regex_source
                ),
            )
            for i in keep
            if not patterns[i].literal
        ]
        self.decisive = [
            p.header or (not p.prefilter and _is_plain_literal(p.regex_source, p.literal)) for p in patterns
        ]

    def scan(self, chunk: bytes) -> Events:
        ids: list[int] = []
        ends: list[int] = []
        for index, literal in self._literals:
            pos = chunk.find(literal)
            while pos != -1:
                ids.append(index)
                ends.append(pos + len(literal))
                line_end = chunk.find(b"\n", pos)
                if line_end == -1 or index in self._single:
                    break
                pos = chunk.find(literal, line_end)  # one event per line is enough
        for index, pattern in self._scans:
            for m in pattern.finditer(chunk):
                ids.append(index)
                ends.append(m.end())
        return ids, ends


def _chunk_regex(source: str) -> re.Pattern[bytes]:
    flags = re.M
    m = _INLINE_FLAGS.match(source)
    if m:
        flags |= re.I if "i" in m[1] else 0
        source = source[m.end() :]
    return re.compile(_NAMED_GROUP.sub("(?:", source).encode(), flags)


class HyperscanMatcher:
    """One Hyperscan block-mode database for all patterns; rejected ones fall back to find()."""

    name = "hyperscan"

    def __init__(self, patterns: Sequence[Pattern], cache_dir: Path | None = None):
        import hyperscan

        self._db, self.rejected, exact = _database(hyperscan, patterns, cache_dir)
        self._scratch = hyperscan.Scratch(self._db) if self._db is not None else None
        # Patterns Hyperscan rejects are matched the stdlib way, keeping their original indexes.
        self._fallback = ChunkFindMatcher(patterns, set(self.rejected)) if self.rejected else None
        fallback = self._fallback.decisive if self._fallback else []
        rejected = set(self.rejected)
        self.decisive = [fallback[i] if i in rejected else exact[i] for i in range(len(patterns))]

    def scan(self, chunk: bytes) -> Events:
        ids: list[int] = []
        ends: list[int] = []
        if self._db is not None:
            add_id, add_end = ids.append, ends.append

            def on_match(index: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
                add_id(index)
                add_end(to)

            self._db.scan(chunk, match_event_handler=on_match, scratch=self._scratch)
        if self._fallback is not None:
            more_ids, more_ends = self._fallback.scan(chunk)
            ids += more_ids
            ends += more_ends
        return ids, ends


def make_matcher(patterns: Sequence[Pattern], engine: str = "auto", cache_dir: Path | None = None):
    """`engine`: "auto" (Hyperscan when the wheel imports), "hyperscan" or "stdlib"."""
    return on_engine(engine, lambda: HyperscanMatcher(patterns, cache_dir), lambda: ChunkFindMatcher(patterns))


def on_engine(engine: str, hyperscan_build: Callable[[], T], stdlib_build: Callable[[], U]) -> T | U:
    """Build with Hyperscan when `engine` allows it and the wheel imports, else with the stdlib.
    The ANTREA_DIAGNOSE_ENGINE variable overrides `engine` (tests and CI force the stdlib)."""
    engine = os.environ.get("ANTREA_DIAGNOSE_ENGINE", engine)
    if engine in ("auto", "hyperscan"):
        try:
            return hyperscan_build()
        except ImportError:
            if engine == "hyperscan":
                raise
    return stdlib_build()


def candidate_lines(matcher, chunk: bytes) -> dict[int, tuple[int, list[int]]]:
    """line start -> (line end, pattern indexes) of the lines where `matcher` reports a match."""
    found: dict[int, tuple[int, list[int]]] = {}
    for index, end in zip(*matcher.scan(chunk), strict=True):
        start = chunk.rfind(b"\n", 0, end) + 1 if end else 0
        line_end = chunk.find(b"\n", start)
        entry = found.setdefault(start, (len(chunk) if line_end == -1 else line_end, []))
        if index not in entry[1]:
            entry[1].append(index)
    return found


# -- from a verification regex to a Hyperscan expression ------------------------------------------

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_INLINE_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")
_SPACE_NO_NL = r"\t\x0b\x0c\r\x20"  # what `\s` matches in ASCII text, less the newline


@dataclass(frozen=True)
class Expression:
    """A pattern in the form Hyperscan compiles, and whether its matches are decisive."""

    expression: bytes | None  # None: nothing Hyperscan can take
    flags: int
    exact: bool  # a match of `expression` inside a plain ASCII line proves the regex matches it


def hyperscan_expression(p: Pattern) -> Expression:
    """The Hyperscan form of a pattern: named groups made plain (Hyperscan has none), the tail
    that only extends a match trimmed (Hyperscan reports every match end: a trailing `.*` would
    report one per remaining character), and classes that could cross a newline (`[^"]`, `\\s`)
    kept inside the line, so that every match lies in one line."""
    import hyperscan

    flags = hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_ALLOWEMPTY
    if p.single:
        flags |= hyperscan.HS_FLAG_SINGLEMATCH
    source = p.prefilter or p.regex_source
    exact = p.prefilter is None
    m = _INLINE_FLAGS.match(source)
    if m:
        if "i" in m[1]:
            flags |= hyperscan.HS_FLAG_CASELESS
        exact = exact and set(m[1]) <= {"i"}
        source = source[m.end() :]
    expr, trimmed_exact = trim_tail(_NAMED_GROUP.sub("(?:", source))
    expr, confined_exact = _confine_to_line(expr)
    if not expr:
        return Expression(None, flags, False)
    # A catch-all line head is defined on bytes, as both engines read it: its match decides.
    exact = p.header or (exact and trimmed_exact and confined_exact)
    try:
        return Expression(expr.encode("ascii"), flags, exact)
    except UnicodeEncodeError:
        return Expression(None, flags, False)


def prefilter(source: str) -> tuple[bytes | None, int]:
    """The Hyperscan expression and flags of a verification regex (kept for the lint and tests)."""
    e = hyperscan_expression(Pattern(source, b""))
    return e.expression, e.flags


def _confine_to_line(expr: str) -> tuple[str, bool]:
    """Keep every match inside one line; also tell whether the expression uses only what
    Hyperscan and `regex` read alike on ASCII text."""
    out: list[str] = []
    exact = True
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c == "\\" and i + 1 < n:
            e = expr[i + 1]
            if e == "s":
                out.append(f"[{_SPACE_NO_NL}]")
            elif e == "D":
                out.append(r"[^0-9\n]")
            elif e == "W":
                out.append(r"[^0-9A-Za-z_\n]")
            else:
                if e in "AZzGpPNXgk" or e.isdigit() and e != "0":
                    exact = False  # anchors of the whole text, Unicode properties, backreferences
                out.append(expr[i : i + 2])
            i += 2
        elif c == "[":
            end = _class_end(expr, i)
            body = expr[i + 1 : end]
            if body.startswith("^"):
                out.append("[" + body + r"\n]")
            else:
                if re.search(r"(?<!\\)(?:\\\\)*\\[DWS]", body):
                    exact = False  # a positive class that holds a newline
                out.append("[" + re.sub(r"(?<!\\)((?:\\\\)*)\\s", lambda m: m[1] + _SPACE_NO_NL, body) + "]")
            i = end + 1
        elif c == "(" and expr.startswith("(?", i) and not expr.startswith("(?:", i):
            exact = False  # lookarounds, atomic groups, inline flags: Hyperscan rejects or reads them otherwise
            out.append(c)
            i += 1
        elif c == "$" and i != n - 1:
            exact = False
            out.append(c)
            i += 1
        elif c in "*+?}" and i + 1 < n and expr[i + 1] == "+":
            exact = False  # possessive
            out.append(expr[i : i + 2])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out), exact


def _class_end(s: str, start: int) -> int:
    """Index of the `]` closing the class that opens at `start`."""
    i = start + 1
    if i < len(s) and s[i] == "^":
        i += 1
    if i < len(s) and s[i] == "]":
        i += 1  # a leading `]` is a literal
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] == "]":
            return i
        i += 1
    return len(s) - 1


def trim_tail(expr: str) -> tuple[str, bool]:
    """Drop what only extends a match at the end of `expr`, without changing which lines match:
    `.*`, optional atoms, the repeats of `+`/`{n,m}` beyond their minimum, laziness, and each
    branch of a final group. A final `$` stays unless a `.*` before it makes it hold anyway.
    Returns the expression and whether it matches exactly the same lines (always, so far)."""
    while True:
        before = expr
        last = len(expr) - 1
        if last < 0:
            return expr, True
        if expr.endswith("$") and not _escaped(expr, last):
            body = expr[:-1]
            for rest_of_line in (".*", "(?:.*)"):
                if body.endswith(rest_of_line) and not _escaped(body, len(body) - len(rest_of_line)):
                    expr = body[: -len(rest_of_line)]
                    break
            else:
                for one_or_more in (".+", "(?:.+)"):
                    if body.endswith(one_or_more) and not _escaped(body, len(body) - len(one_or_more)):
                        return body[: -len(one_or_more)] + ".", True
                return expr, True  # `$` after anything else decides: keep it
            continue
        if expr[last] == "?" and last > 0 and expr[last - 1] in "*+?}" and not _escaped(expr, last - 1):
            expr = expr[:-1]  # laziness does not change which lines match
        elif expr[last] in "*?" and not _escaped(expr, last):
            expr = expr[: _atom_start(expr, last)]
        elif expr[last] == "+" and not _escaped(expr, last):
            expr = expr[:-1]
        elif expr[last] == "}" and not _escaped(expr, last):
            brace = expr.rfind("{")
            m = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", expr[brace:]) if brace > 0 else None
            if m and (m[1] or m[3]):
                low = int(m[1] or 0)
                atom = _atom_start(expr, brace)
                if low == 0:
                    expr = expr[:atom]
                elif m[2] or m[3]:
                    expr = expr[:brace] + ("" if low == 1 else f"{{{low}}}")
        elif expr[last] == ")" and not _escaped(expr, last):
            start = _atom_start(expr, len(expr))
            if expr.startswith("(?:", start) or not expr.startswith("(?", start):  # not a lookaround
                inner = start + (3 if expr.startswith("(?:", start) else 1)
                branches = [trim_tail(b)[0] for b in _split_branches(expr[inner:-1])]
                # A branch that can be empty makes the whole group optional: it decides nothing.
                expr = expr[:start] + ("" if not all(branches) else "(?:" + "|".join(branches) + ")")
        if expr == before:
            return expr, True


def _split_branches(body: str) -> list[str]:
    """Top-level alternatives of a group body."""
    out, start = [], 0
    for a, b in _tokens(body):
        if body[a:b] == "|":
            out.append(body[start:a])
            start = b
    out.append(body[start:])
    return out


def _escaped(s: str, i: int) -> bool:
    backslashes = 0
    while i > 0 and s[i - 1] == "\\":
        backslashes += 1
        i -= 1
    return backslashes % 2 == 1


def _atom_start(s: str, end: int) -> int:
    """Start of the top-level atom that ends just before index `end` (a char, escape, class,
    group or quantifier), found by reading `s` forward: classes may hold parentheses."""
    start = 0
    for token_start, token_end in _tokens(s):
        if token_end >= end:
            return token_start if token_end == end else start
        start = token_end
    return start


def _tokens(s: str):
    """(start, end) of each top-level token of a regex: escapes, classes and whole groups are one
    token each, a `{m,n}` quantifier too."""
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            j = i + 2
            if s.startswith("x", i + 1):
                j = i + 4
        elif c == "[":
            j = _class_end(s, i) + 1
        elif c == "(":
            j = _group_end(s, i) + 1
        elif c == "{" and re.match(r"\{\d*,?\d*\}", s[i:]):
            j = s.index("}", i) + 1
        else:
            j = i + 1
        yield i, min(j, n)
        i = j


def _group_end(s: str, start: int) -> int:
    """Index of the `)` closing the group that opens at `start`."""
    depth, i = 0, start
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _class_end(s, i) + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(s) - 1


_META = set(".^$*+?{}[]()|\\")


def _is_plain_literal(source: str, literal: bytes) -> bool:
    """The pattern is its literal and nothing else (so finding the literal decides the line)."""
    if not literal:
        return False
    text, i = [], 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            if i + 1 >= len(source) or source[i + 1].isalnum():
                return False
            text.append(source[i + 1])
            i += 2
        elif c in _META:
            return False
        else:
            text.append(c)
            i += 1
    return "".join(text).encode() == literal


# -- the compiled-database cache ----------------------------------------------------------------

_TRANSLATION = 2  # bump when hyperscan_expression changes: cached databases of another one are stale


def _database(hyperscan, patterns: Sequence[Pattern], cache_dir: Path | None) -> tuple[Any, list[int], list[bool]]:
    """(database, indexes of the patterns it could not take, which patterns it decides), compiled
    once per pattern set and library version: later runs load the serialized database (about
    1 ms instead of 50+) and skip translating the patterns too (the cache key is the patterns
    themselves).

    Expressions Hyperscan cannot compile are found one by one and rejected; the cache file
    records them and the decisive flags, so that a cached run reads the same.
    """
    import hashlib
    import platform

    set_key = hashlib.sha256(
        repr(
            (
                [(p.regex_source, p.literal, p.prefilter, p.header, p.single) for p in patterns],
                _TRANSLATION,
                getattr(hyperscan, "__version__", ""),
                platform.machine(),
            )
        ).encode()
    ).hexdigest()
    cache = SignedCache(cache_dir, "hs", set_key) if cache_dir else None
    cached = cache.load() if cache else None
    if cached is not None:
        rejected_text, _, rest = cached.partition(b"\n")
        exact_text, _, db_bytes = rest.partition(b"\n")
        try:
            rejected = [int(i) for i in rejected_text.split(b",") if i]
            exact = [c == ord("1") for c in exact_text]
            if len(exact) == len(patterns):
                return hyperscan.loadb(db_bytes, hyperscan.HS_MODE_BLOCK), rejected, exact
        except (ValueError, hyperscan.HyperscanError):
            pass  # another library build: compile again
    exprs = [hyperscan_expression(p) for p in patterns]
    rejected = [i for i, e in enumerate(exprs) if e.expression is None]
    accepted = [(i, e.expression, e.flags) for i, e in enumerate(exprs) if e.expression is not None]
    db = _compile(hyperscan, accepted)
    if db is None:  # some expression is unsupported: keep the ones that compile on their own
        bad = {i for i, expr, fl in accepted if _compile(hyperscan, [(i, expr, fl)]) is None}
        rejected.extend(sorted(bad))
        accepted = [a for a in accepted if a[0] not in bad]
        db = _compile(hyperscan, accepted) if accepted else None
    exact = [e.exact for e in exprs]
    if db is not None and cache:
        cache.store(
            ",".join(map(str, sorted(rejected))).encode()
            + b"\n"
            + bytes(ord("1") if x else ord("0") for x in exact)
            + b"\n"
            + hyperscan.dumpb(db)
        )
    return db, sorted(rejected), exact


def _compile(hyperscan, accepted: list[tuple[int, bytes, int]]):
    if not accepted:
        return None
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        db.compile(
            expressions=[a[1] for a in accepted],
            ids=[a[0] for a in accepted],
            elements=len(accepted),
            flags=[a[2] for a in accepted],
        )
    except hyperscan.HyperscanError:
        return None
    return db
