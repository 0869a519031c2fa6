"""Which signature regexes can take far longer than the line they search (ReDoS).

The scanner searches untrusted lines of up to 64 KiB with each signature's regex, without a
per-call timeout (it costs ~2 µs a call). Instead every signature is checked when a scanner is
built: a static look for nested unbounded repeats (`(\\w+\\s?)+`), then the regex is timed on
adversarial lines built from its own example matches (many partial matches in a row, one
partial match followed by a long run of one character) at two lengths. A regex whose time grows
faster than the line, or that stalls, is *unsafe*: the scanner then searches it with a timeout
and reports the lines it could not check. Verdicts are kept per process and in the user's cache
(signed like the Hyperscan databases), so the timing is paid once per rule pack.

`antrea-diagnose rules lint` uses the same lines at 100 KB to reject such patterns outright.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

MAX_EXAMPLES = 24
SHORT, LONG = 2_000, 8_000  # line lengths of the load-time check
_GROWTH = 8.0  # a linear search takes ~4x as long on a 4x longer line, a quadratic one ~16x
NOTICEABLE = 0.0005  # seconds on a LONG line below which nothing is worth flagging (linear: ~20 µs)
_STALL = 0.25  # seconds: a search this long on a LONG line is unsafe whatever its growth

_verdicts: dict[str, str | None] = {}  # pattern -> why it is unsafe (None: safe), this process


def unsafe_patterns(sources: Iterable[str]) -> dict[str, str]:
    """{pattern: why} for the patterns among `sources` that may backtrack far beyond their line."""
    sources = set(sources)
    todo = sorted(s for s in sources if s not in _verdicts)
    if todo:
        cached = _load()
        fresh = False
        for source in todo:
            digest = _digest(source)
            if digest in cached:
                _verdicts[source] = cached[digest]
            else:
                _verdicts[source] = cached[digest] = check(source)
                fresh = True
        if fresh:
            _store(cached)
    return {s: why for s in sources if (why := _verdicts.get(s))}


def check(source: str, literal: str | None = None) -> str | None:
    """Why `source` is unsafe on long lines, or None."""
    import regex

    nested = nested_repeat(source)
    if nested:
        return nested
    try:
        compiled = regex.compile(source)
    except regex.error:
        return None  # not a pattern the scanner will run (the lint says why)
    samples = [s for s in examples(source, bool(compiled.flags & regex.IGNORECASE)) if compiled.search(s)]
    for line in adversarial_lines(samples, literal, LONG):
        long_time = best_time(compiled, line, _STALL)
        if long_time <= NOTICEABLE:
            continue
        if long_time == float("inf"):
            return f"stalls on a {LONG // 1000} KB line like {_short(line)!r}"
        grows = _confirmed_growth(compiled, line)
        if grows:
            return f"{grows}: its time grows faster than the line"
    return None


def _confirmed_growth(compiled: Any, line: str) -> str | None:
    """Both lengths timed in turn, in three rounds that must all agree: a busy machine (another
    process taking the core for a while) must not make a pattern unsafe."""
    short = line[: SHORT - 1] + line[-1]
    why = None
    for _ in range(3):
        short_time = long_time = float("inf")
        for _ in range(5):
            short_time = min(short_time, time_search(compiled, short, _STALL))
            long_time = min(long_time, time_search(compiled, line, _STALL))
        if not (long_time > NOTICEABLE and long_time > _GROWTH * short_time):
            return None
        why = (
            f"takes {long_time * 1000:.0f} ms on a {LONG // 1000} KB line like {_short(line)!r} "
            f"({short_time * 1000:.1f} ms on {SHORT // 1000} KB)"
        )
    return why


def nested_repeat(source: str) -> str | None:
    """An unbounded repeat of a group that itself holds an unbounded repeat (exponential)."""
    from diagnose.scan.matchers import _tokens

    def unbounded(token: str) -> bool:
        return token in ("*", "+") or re.fullmatch(r"\{\d*,\}", token) is not None

    def holds_repeat(expr: str) -> bool:
        return any(
            unbounded(expr[a:b]) or (expr[a] == "(" and holds_repeat(expr[a + 1 : b - 1])) for a, b in _tokens(expr)
        )

    def walk(expr: str) -> str | None:
        tokens = list(_tokens(expr))
        for k, (a, b) in enumerate(tokens):
            if expr[a] != "(":
                continue
            after = expr[tokens[k + 1][0] : tokens[k + 1][1]] if k + 1 < len(tokens) else ""
            if unbounded(after) and holds_repeat(expr[a + 1 : b - 1]):
                return (
                    f"nests unbounded repeats ({_short(expr[a:b] + after, 40)}): a failing line makes it try "
                    "every way to split the text; bound the inner repeat or make it possessive"
                )
            found = walk(expr[a + 1 : b - 1])
            if found:
                return found
        return None

    return walk(source)


def best_time(compiled: Any, line: str, limit: float, runs: int = 3) -> float:
    """Best of a few timed searches (a busy machine must not fail a pattern); inf past `limit`."""
    best = float("inf")
    for n in range(runs):
        best = min(best, time_search(compiled, line, limit))
        if best <= NOTICEABLE / 4 or (n and best == float("inf")):
            break  # clearly fast, or stalled twice
    return best


def time_search(compiled: Any, line: str, limit: float) -> float:
    start = time.perf_counter()
    try:
        compiled.search(line, timeout=limit)
    except TimeoutError:
        return float("inf")
    return time.perf_counter() - start


def adversarial_lines(samples: list[str], literal: str | None, n: int) -> Iterator[str]:
    """Lines of `n` characters that make a backtracking engine work hard: a partial match then a
    long run of one character, and the start of an example match repeated (each repetition a new
    place to try, each running as far as a repeat lets it)."""
    bases = samples[:2] or [literal or "x"]
    fills = sorted({c for s in bases for c in s} | set(' a0":\\=-.'))
    stop = "\x01"  # a character no pattern expects: the match fails at the very end
    base = bases[0]
    cut = base.find(literal) + len(literal) if literal and literal in base else len(base) // 2
    for c in fills[:24]:
        yield base[:cut] + c * n + stop
    heads: dict[str, None] = {}
    for base in bases:
        cut = base.find(literal) + len(literal) if literal and literal in base else len(base) // 2
        heads.update(dict.fromkeys([base[:cut], base[: max(1, len(base) - 1)]]))
        heads.update(dict.fromkeys(base[:k] for k in range(1, min(len(base), 48) + 1)))
    for head in heads:
        if head:
            run = (head * (n // len(head) + 1))[:n]
            yield run + stop
            # The same run before a whole match: the pattern's literal is there (an engine that
            # looks for it first does not fail fast), and each start before it costs the run.
            yield run + " " + bases[0]


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the verdict cache --------------------------------------------------------------------------

_MAX_CACHED = 20_000  # patterns remembered on disk (a few MB at most)
_CHECK_VERSION = 2  # bump when `check` changes: verdicts of another check are not reused


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _cache():
    import regex

    from diagnose.cache import SignedCache, default_cache_dir

    directory = default_cache_dir()
    if directory is None:
        return None
    version = json.dumps([_CHECK_VERSION, regex.__version__, SHORT, LONG, _GROWTH, NOTICEABLE, _STALL])
    return SignedCache(directory, "regex", hashlib.sha256(version.encode()).hexdigest())


def _load() -> dict[str, str | None]:
    """{pattern digest: why unsafe or None} as this user's earlier runs found them."""
    cache = _cache()
    payload = cache.load() if cache else None
    try:
        found = json.loads(payload) if payload else {}
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and (v is None or isinstance(v, str))}


def _store(verdicts: dict[str, str | None]) -> None:
    cache = _cache()
    if cache is not None:
        kept = dict(list(verdicts.items())[-_MAX_CACHED:])
        cache.store(json.dumps(kept).encode())


# -- example lines from a pattern ---------------------------------------------------------------


class _Unsupported(Exception):
    pass


def examples(pattern: str, ignore_case: bool = False) -> list[str]:
    """Strings the pattern may match: the shortest one, then variants that each take another
    branch, an optional part or one more repetition. Empty when the pattern uses syntax the
    stdlib parser does not know (the caller then falls back to weaker checks)."""
    if sys.version_info >= (3, 11):  # typeshed has no stub for re._parser: mypy checks as 3.10
        import re._parser as parser
    else:  # pragma: no cover - Python 3.10
        import sre_parse as parser
    try:
        tree = parser.parse(pattern)
        found = _Gen(parser).seq(list(tree.data))
    except (_Unsupported, re.error, RecursionError, ValueError, OverflowError):
        return []
    if ignore_case:
        found = [v for s in found for v in (s, s.upper(), s.lower(), s.swapcase())]
    return list(dict.fromkeys(found))[: MAX_EXAMPLES * 4]


class _Gen:
    def __init__(self, parser: Any):
        self.p = parser

    def seq(self, items: list[Any]) -> list[str]:
        parts = [self.node(op, av) for op, av in items]
        base = [v[0] for v in parts]
        out = ["".join(base)]
        for i, variants in enumerate(parts):
            for v in variants[1:]:
                if len(out) >= MAX_EXAMPLES:
                    return out
                out.append("".join(base[:i]) + v + "".join(base[i + 1 :]))
        return out

    def node(self, op: Any, av: Any) -> list[str]:
        p = self.p
        if op is p.LITERAL:
            return [chr(av)]
        if op is p.NOT_LITERAL:
            return ["a" if av != ord("a") else "b"]
        if op is p.ANY:
            return ["x"]
        if op is p.IN:
            return _charset(p, av)
        if op is p.BRANCH:
            alternatives = [self.seq(list(alt)) for alt in av[1]]
            return [a[0] for a in alternatives] + [v for a in alternatives for v in a[1:]]
        if op is p.SUBPATTERN:
            return self.seq(list(av[-1]))
        if op in (p.MAX_REPEAT, p.MIN_REPEAT) or getattr(p, "POSSESSIVE_REPEAT", None) is op:
            lo, hi, sub = av
            inner = self.seq(list(sub))
            if lo > 1000:
                raise _Unsupported
            out = [inner[0] * lo]
            if hi > lo:
                out.append(inner[0] * (lo + 1))
            out += [v * max(lo, 1) for v in inner[1:]]
            return out
        if getattr(p, "ATOMIC_GROUP", None) is op:
            return self.seq(list(av))
        if op in (p.AT, p.ASSERT, p.ASSERT_NOT):
            return [""]  # anchors and lookarounds: the caller keeps only examples that match
        raise _Unsupported(op)


# Characters tried for classes that are defined by what they exclude.
_POOL = 'aZ0 _-.:/"=x9~\t'
_CATEGORY_MEMBERS = {
    "CATEGORY_DIGIT": "07",
    "CATEGORY_NOT_DIGIT": "a-",
    "CATEGORY_WORD": "aZ_",
    "CATEGORY_NOT_WORD": " -",
    "CATEGORY_SPACE": " \t",
    "CATEGORY_NOT_SPACE": "a0",
}
_CATEGORY_TEST = {
    "CATEGORY_DIGIT": str.isdigit,
    "CATEGORY_NOT_DIGIT": lambda c: not c.isdigit(),
    "CATEGORY_WORD": lambda c: c.isalnum() or c == "_",
    "CATEGORY_NOT_WORD": lambda c: not (c.isalnum() or c == "_"),
    "CATEGORY_SPACE": str.isspace,
    "CATEGORY_NOT_SPACE": lambda c: not c.isspace(),
}


def _charset(p: Any, items: list[Any]) -> list[str]:
    negate = any(op is p.NEGATE for op, _ in items)
    if negate:
        outside = [c for c in _POOL if not _in_set(p, c, items)]
        if not outside:
            raise _Unsupported("class")
        return outside[:2]
    picks: list[str] = []
    for op, av in items:
        if op is p.LITERAL:
            picks.append(chr(av))
        elif op is p.RANGE:
            picks += [chr(av[0]), chr(av[1])]
        elif op is p.CATEGORY:
            picks += list(_CATEGORY_MEMBERS.get(str(av), ""))
    if not picks:
        raise _Unsupported("class")
    return list(dict.fromkeys([picks[0], picks[-1]]))


def _in_set(p: Any, c: str, items: list[Any]) -> bool:
    for op, av in items:
        if op is p.LITERAL and ord(c) == av:
            return True
        if op is p.RANGE and av[0] <= ord(c) <= av[1]:
            return True
        if op is p.CATEGORY and _CATEGORY_TEST.get(str(av), lambda _c: False)(c):
            return True
    return False
