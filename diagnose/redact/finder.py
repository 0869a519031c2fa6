"""Where the redaction detectors must look: every trigger of a block found in one scan.

A trigger is a short pattern that every occurrence of a form contains (a key word before `=`,
`://`, four dotted numbers, a name of the vocabulary...). Hyperscan holds all triggers of a run
in one database and scans a block once, reporting (start, trigger, end) with the leftmost start;
the detectors then confirm each hit in Python and decide what replaces it. Without the wheel,
the stdlib finder runs each trigger's `re` over the block: slower, same hits for the detectors
(they confirm from the hit's start, so a finder only has to report where a form may begin).

Trigger syntax is the subset both engines read alike: classes, `{m,n}`, groups, alternation,
`^`/`$` per line; no lookaround, no back-references (the detectors check context).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

Hit = tuple[int, int, int]  # (start, trigger id, end)
Confirm = Callable[[bytes, int, int], "tuple[int, int, bytes] | None"]
Left = Callable[[bytes, int], int] | None
# (form, triggers, confirm, where the form begins if before its trigger, triggers are the run's own)
Row = tuple[str, list["Trigger"], Confirm, Left, bool]


@dataclass(frozen=True)
class Trigger:
    pattern: bytes
    caseless: bool = False


Keyed = tuple[tuple[int, Trigger], ...]  # (id, trigger): the id says which detector, and its rank


class StdlibFinder:
    """Each trigger's `re.finditer` over the block (the fallback)."""

    name = "stdlib"

    def __init__(self, triggers: Keyed):
        self._patterns = [(i, re.compile(t.pattern, re.M | (re.I if t.caseless else 0))) for i, t in triggers]

    def hits(self, block: bytes) -> list[Hit]:
        return [(m.start(), i, m.end()) for i, p in self._patterns for m in p.finditer(block)]


class _Database:
    def __init__(self, triggers: Keyed):
        import hyperscan

        base = hyperscan.HS_FLAG_SOM_LEFTMOST | hyperscan.HS_FLAG_MULTILINE
        self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self.db.compile(expressions=[t.pattern for _, t in triggers], ids=[i for i, _ in triggers],
                        elements=len(triggers),
                        flags=[base | (hyperscan.HS_FLAG_CASELESS if t.caseless else 0) for _, t in triggers])
        self.scratch = hyperscan.Scratch(self.db)


@functools.lru_cache(maxsize=4)
def _cached(triggers: Keyed) -> _Database:
    """The database of the triggers every run has (compiling it costs ~0.3 s): once per process."""
    return _Database(triggers)


class HyperscanFinder:
    """Hyperscan block-mode databases (start of match: leftmost): the fixed triggers' database,
    compiled once per process, and the run's own (the names of its vocabulary)."""

    name = "hyperscan"

    def __init__(self, fixed: Keyed, own: Keyed = ()):
        self._dbs = [_cached(fixed)] if fixed else []
        if own:
            self._dbs.append(_Database(own))

    def hits(self, block: bytes) -> list[Hit]:
        found: list[Hit] = []
        add = found.append

        def on_match(i: int, f: int, t: int, _fl: int, _c: object) -> None:
            add((f, i, t))

        for d in self._dbs:
            d.db.scan(block, match_event_handler=on_match, scratch=d.scratch)
        return found


def make_finder(fixed: Keyed, own: Keyed = (), engine: str = "auto") -> StdlibFinder | HyperscanFinder:
    """`engine`: "auto" (Hyperscan when the wheel imports), "hyperscan" or "stdlib"; the
    ANTREA_DIAGNOSE_ENGINE variable overrides it, as for the scan."""
    engine = os.environ.get("ANTREA_DIAGNOSE_ENGINE", engine)
    if engine in ("auto", "hyperscan"):
        try:
            return HyperscanFinder(fixed, own)
        except ImportError:
            if engine == "hyperscan":
                raise
    return StdlibFinder(fixed + own)


class Detectors:
    """Every detector of a run and its triggers. A trigger's id is `rank * 64 + n`: hits that
    begin together are taken in rank order (the table's order: secrets first)."""

    def __init__(self, table: list[Row], engine: str = "auto"):
        fixed: list[tuple[int, Trigger]] = []
        own: list[tuple[int, Trigger]] = []
        size = len(table) * 64
        self.confirm: list[Confirm | None] = [None] * size
        self.left: list[Left] = [None] * size
        self.forms: list[str] = [""] * size
        for rank, (form, trigs, confirm, left, per_run) in enumerate(table):
            for n, t in enumerate(trigs[:64]):
                i = rank * 64 + n
                (own if per_run else fixed).append((i, t))
                self.confirm[i], self.left[i], self.forms[i] = confirm, left, form
        self.any_left = any(self.left)
        self.finder: HyperscanFinder | StdlibFinder = make_finder(tuple(fixed), tuple(own), engine)
