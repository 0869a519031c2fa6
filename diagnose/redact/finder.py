"""Where the redaction detectors must look: every trigger of a block found in one scan.

A trigger is a short pattern that every occurrence of a form contains (a key word before `=`,
`://`, four dotted numbers, a name of the vocabulary...). Hyperscan holds all triggers of a run
in one database and scans a block once, reporting (start, trigger, end) with the leftmost start;
the detectors then confirm each hit in Python and decide what replaces it. Without the wheel,
the stdlib finder runs each trigger's `re` over the block: slower, same hits for the detectors
(they confirm from the hit's start, so a finder only has to report where a form may begin).

Trigger syntax is the subset both engines read alike: classes, `{m,n}`, groups, alternation,
`^`/`$` per line; no lookaround, no back-references (the detectors check context). A trigger may
give the stdlib finder a faster pattern of its own (led by a literal, which `re` searches
fast), with the characters its hits begin back over; `re` reports matches that do not
overlap, so such a pattern must not start inside the form it looks for. Literal
triggers (the names of a run's vocabulary, thousands) each get their own id, longest first, so
that the detector knows which name it is and tries a longer name before its prefixes.
"""

from __future__ import annotations

import functools
import hashlib
import platform
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

Hit = tuple[int, int, int]  # (start, trigger id, end)
Span = tuple[int, int, bytes]  # (start, end, what replaces it): a detector's answer
Confirm = Callable[[bytes, int, int], "Span | None"]
Left = Callable[[bytes, int], int] | None
# (form, triggers, confirm, where the form begins if before its trigger, triggers are the run's own)
Row = tuple[str, list["Trigger"], Confirm, Left, bool]


@dataclass(frozen=True)
class Trigger:
    """A pattern that starts a detector's look at a text."""

    pattern: bytes
    caseless: bool = False
    literal: bool = False  # a plain string (a name of the vocabulary)
    # For the stdlib finder only: lower-case words one of which every match holds (a block
    # without any is skipped), and a pattern `re` runs faster that finds at least the same
    # forms (where the detector finds the form's start itself).
    hints: tuple[bytes, ...] = ()
    stdlib: bytes | None = None
    back: bytes = b""  # with `stdlib`: its hits begin this far back over these characters (at most 4)


Keyed = tuple[tuple[int, Trigger], ...]  # (id, trigger): ids are in priority order


def trie(words: Iterable[bytes]) -> bytes:
    """A regex matching any of `words`, as a trie: longest first, and fast in `re` (a flat
    alternation of thousands of names is tried branch by branch at every position)."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[-1] = {}

    def build(node: dict) -> bytes:
        end = -1 in node
        alts = [re.escape(bytes([ch])) + build(child) for ch, child in sorted(node.items()) if ch != -1]
        if not alts:
            return b""
        body = alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")"
        return b"(?:" + body + b")?" if end else body

    return build(root)


class Run:
    """Where a run of `chars` around a position begins or ends, at most `limit` away: the
    detectors' looks around a hit, in C (a Python loop per byte costs a hostile input minutes)."""

    def __init__(self, chars: bytes, limit: int):
        cls = b"[" + b"".join(re.escape(bytes([c])) for c in chars) + b"]"
        self._left = re.compile(cls + b"{0,%d}\\Z" % limit)
        self._right = re.compile(cls + b"{0,%d}" % limit)
        self._limit = limit

    # Both patterns match the empty run, so search and match never return None.
    def left(self, block: bytes, pos: int) -> int:
        return self._left.search(block, max(0, pos - self._limit), pos).start()  # type: ignore[union-attr]

    def right(self, block: bytes, pos: int) -> int:
        return self._right.match(block, pos).end()  # type: ignore[union-attr]


class StdlibFinder:
    """Each trigger's `re.finditer` over the block (the fallback). A case-insensitive trigger
    runs, lower-cased, over the lower-cased block (`re` is several times faster without
    IGNORECASE; bytes keep their offsets). Literals are searched as one trie per detector; a
    match also reports the literals that are its prefixes."""

    name = "stdlib"

    def __init__(self, triggers: Keyed, groups: Sequence[Sequence[int]] = ()):
        by_id = dict(triggers)
        self._patterns: list[tuple[int, re.Pattern[bytes], bool, tuple[bytes, ...], frozenset[int]]] = []
        for i, t in triggers:
            if t.literal:
                continue
            source = t.stdlib or t.pattern
            if t.caseless:
                if re.search(rb"\\[A-Z]", source):  # `\S`, `\D`...: lower-casing would change them
                    raise ValueError(f"caseless trigger with an upper-case escape: {source!r}")
                source = source.lower()
            self._patterns.append((i, re.compile(source, re.M), t.caseless, t.hints, frozenset(t.back)))
        self._literals: list[tuple[re.Pattern[bytes], dict[bytes, int]]] = []
        for ids in groups:
            words = {by_id[i].pattern.lower(): i for i in ids}
            self._literals.append((re.compile(trie(words)), words))

    def hits(self, block: bytes) -> list[Hit]:
        lower = block.lower()
        found: list[Hit] = []
        for i, pattern, caseless, hints, back in self._patterns:
            if hints and not any(h in lower for h in hints):
                continue
            text = lower if caseless else block
            if back:
                found += [(_back(text, m.start(), back), i, m.end()) for m in pattern.finditer(text)]
            else:
                found += [(m.start(), i, m.end()) for m in pattern.finditer(text)]
        for pattern, words in self._literals:
            for m in pattern.finditer(lower):
                text, start = m[0], m.start()
                found += [(start, words[text[:n]], start + n) for n in range(len(text), 0, -1) if text[:n] in words]
        return found


def _back(text: bytes, start: int, chars: frozenset[int]) -> int:
    stop = max(0, start - 4)
    while start > stop and text[start - 1] in chars:
        start -= 1
    return start


class _Database:
    def __init__(self, triggers: Keyed, literal: bool = False, cache_dir: Path | None = None):
        import hyperscan

        from diagnose.cache import SignedCache

        # The fixed triggers: compiled once per version, then loaded (~1 ms). Signed like the scan's
        # databases: a database planted in a shared cache must not decide what redaction finds.
        cache = None
        if cache_dir is not None:
            key = hashlib.sha256(
                repr((triggers, literal, getattr(hyperscan, "__version__", ""), platform.machine())).encode()
            ).hexdigest()
            cache = SignedCache(cache_dir, "redact", key)
            payload = cache.load()
            if payload is not None:
                try:
                    self.db = hyperscan.loadb(payload, hyperscan.HS_MODE_BLOCK)
                    self.scratch = hyperscan.Scratch(self.db)
                    return
                except (hyperscan.HyperscanError, ValueError):
                    pass  # another library build: compile
        base = hyperscan.HS_FLAG_SOM_LEFTMOST | (0 if literal else hyperscan.HS_FLAG_MULTILINE)
        self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self.db.compile(
            expressions=[t.pattern for _, t in triggers],
            ids=[i for i, _ in triggers],
            elements=len(triggers),
            literal=literal,
            flags=[base | (hyperscan.HS_FLAG_CASELESS if t.caseless else 0) for _, t in triggers],
        )
        self.scratch = hyperscan.Scratch(self.db)
        if cache is not None:
            cache.store(hyperscan.dumpb(self.db))


@functools.lru_cache(maxsize=4)
def _cached(triggers: Keyed) -> _Database:
    """The database of the triggers every run has: once per process, and on disk."""
    from diagnose.cache import default_cache_dir

    return _Database(triggers, cache_dir=default_cache_dir())


class HyperscanFinder:
    """Hyperscan block-mode databases (start of match: leftmost): the fixed triggers' database,
    compiled once per process, and the run's own (its vocabulary's names, as literals)."""

    name = "hyperscan"

    def __init__(self, fixed: Keyed, own: Keyed = ()):
        self._dbs = [_cached(fixed)] if fixed else []
        patterns = tuple((i, t) for i, t in own if not t.literal)
        literals = tuple((i, t) for i, t in own if t.literal)
        if patterns:
            self._dbs.append(_Database(patterns))
        if literals:
            self._dbs.append(_Database(literals, literal=True))

    def hits(self, block: bytes) -> list[Hit]:
        found: list[Hit] = []
        for d in self._dbs:
            # hyperscan types the context as object; _on_match gets back the found.append given here
            d.db.scan(
                block,
                match_event_handler=_on_match,  # type: ignore[arg-type]
                context=found.append,
                scratch=d.scratch,
            )
        return found


def _on_match(i: int, f: int, t: int, _flags: int, add: Callable[[Hit], None]) -> None:
    add((f, i, t))  # called once per hit: as little as possible here


def make_finder(
    fixed: Keyed, own: Keyed = (), groups: Sequence[Sequence[int]] = (), engine: str = "auto"
) -> StdlibFinder | HyperscanFinder:
    """`engine`: "auto" (Hyperscan when the wheel imports), "hyperscan" or "stdlib"; the
    ANTREA_DIAGNOSE_ENGINE variable overrides it, as for the scan. `groups`: the ids of each
    detector's literals (the stdlib finder searches them together)."""
    from diagnose.scan.matchers import on_engine

    return on_engine(engine, lambda: HyperscanFinder(fixed, own), lambda: StdlibFinder(fixed + own, groups))


class Detectors:
    """Every detector of a run and its triggers, numbered in priority order (the table's order:
    secrets first; a detector's literals longest first): hits that begin together are taken in
    that order."""

    def __init__(self, table: list[Row], engine: str = "auto"):
        fixed: list[tuple[int, Trigger]] = []
        own: list[tuple[int, Trigger]] = []
        groups: list[list[int]] = []
        self.confirm: list[Confirm] = []
        self.left: list[Left] = []
        self.forms: list[str] = []
        self.literal: list[bytes] = []  # the literal of a literal trigger's id (b"" for patterns)
        for form, trigs, confirm, left, per_run in table:
            literals = sorted((t for t in trigs if t.literal), key=lambda t: -len(t.pattern))
            group: list[int] = []
            for t in [*(t for t in trigs if not t.literal), *literals]:
                i = len(self.confirm)
                (own if per_run else fixed).append((i, t))
                self.confirm.append(confirm)
                self.left.append(left)
                self.forms.append(form)
                self.literal.append(t.pattern if t.literal else b"")
                if t.literal:
                    group.append(i)
            if group:
                groups.append(group)
        self.any_left = any(self.left)
        self.finder: HyperscanFinder | StdlibFinder = make_finder(tuple(fixed), tuple(own), groups, engine)
