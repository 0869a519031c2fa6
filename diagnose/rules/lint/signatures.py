"""Every log signature: it compiles with `regex`; its literal is in every line the pattern matches
(the stdlib engine only looks at lines holding the literal, so otherwise it silently misses what
Hyperscan finds); both engines find the same lines of a corpus generated from the pattern; it
stays fast on adversarial 100 KB lines; and its literal is worded as Antrea logs it in the
versions it claims."""

from __future__ import annotations

import re
from typing import Any

import regex

from diagnose.bundle import model
from diagnose.rules.rule import Rule
from diagnose.scan import regexsafety
from diagnose.scan.regexsafety import examples
from diagnose.scan.signature import Recall, Signature

SLOW = 0.05  # seconds a signature may take on one adversarial 100 KB line
ADVERSARIAL_BYTES = 100_000


def signature_problems(sig: Signature) -> list[str]:
    out = []
    if not sig.name or not re.fullmatch(r"\w+", sig.name):
        out.append("name must be a word (letters, digits, _)")
    bad_kinds = [k for k in sig.kinds if k not in model.LOG_KINDS]
    if not sig.kinds or bad_kinds:
        out.append(f"kinds must be log kinds ({', '.join(sorted(model.LOG_KINDS))}), got {', '.join(sig.kinds)}")
    if not isinstance(sig.follow, int) or not 0 <= sig.follow <= 200:
        out.append("follow must be 0..200 continuation lines")
    if sig.busy and sig.role == "failure":
        out.append("busy is for lines of normal activity (role success or context): a failure's every line counts")
    if sig.busy and (sig.follow or sig.recall):
        out.append("a busy signature keeps two lines a chunk: it takes no follow or recall")
    if not sig.literal:
        out.append("has no literal: every signature needs a string that occurs in each line it matches")
    elif "\n" in sig.literal or "\r" in sig.literal:
        out.append("literal spans lines; a signature matches one line")
    if "\n" in sig.pattern:
        out.append("pattern contains a newline; a signature matches one line")
    try:
        compiled = regex.compile(sig.pattern)
    except regex.error as e:
        out.append(f"pattern does not compile with the regex module: {e}")
        return out
    if out:
        return out
    samples = [
        s for s in examples(sig.pattern, ignore_case=bool(compiled.flags & regex.IGNORECASE)) if compiled.search(s)
    ]
    literal_ok = True
    lacking = [s for s in samples if sig.literal not in s]
    if lacking:
        literal_ok = False
        out.append(
            f"literal {sig.literal!r} is not in every line the pattern matches, e.g. {_short(lacking[0])!r}: "
            "the stdlib engine never looks at such lines"
        )
    elif not samples and sig.literal not in _unescape(sig.pattern):
        literal_ok = False
        out.append(f"literal {sig.literal!r} does not occur in the pattern's text")
    if literal_ok:
        out += engine_problems(sig, compiled, samples)
    out += backtracking_problems(compiled, samples, sig.literal)
    if sig.recall is not None:
        out += [f"recall: {p}" for p in recall_problems(sig.recall)]
    return out


def recall_problems(recall: Recall) -> list[str]:
    """A Recall's key regex has a `key` group, and its pattern, like a signature's, compiles, holds
    its literal in every line it matches and stays fast on adversarial lines."""
    out = []
    compiled: dict[str, regex.Pattern[str]] = {}
    for what, pattern in (("key", recall.key), ("pattern", recall.pattern)):
        try:
            compiled[what] = regex.compile(pattern)
        except regex.error as e:
            out.append(f"{what} does not compile with the regex module: {e}")
    if out:
        return out
    if "key" not in compiled["key"].groupindex:
        out.append("key has no group named 'key': the text an earlier line must contain")
    if not recall.literal:
        out.append("has no literal: the recalled line is told by it before its regex runs")
        return out
    for what, literal in (("key", ""), ("pattern", recall.literal)):
        samples = [s for s in examples(compiled[what].pattern) if compiled[what].search(s)]
        lacking = [s for s in samples if literal not in s]
        if lacking:
            out.append(f"literal {literal!r} is not in every line the pattern matches, e.g. {_short(lacking[0])!r}")
        out += backtracking_problems(compiled[what], samples, literal)
    return out


def _unescape(pattern: str) -> str:
    return re.sub(r"\\([^A-Za-z0-9])", r"\1", pattern)


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def engine_problems(sig: Signature, compiled: regex.Pattern[str], samples: list[str]) -> list[str]:
    """Both matchers must hand the same lines to the regex: Hyperscan's prefilter (the pattern)
    and the stdlib's literal search, on lines generated from the pattern and its literal."""
    from diagnose.scan.matchers import ChunkFindMatcher, Pattern, candidate_lines

    header = "I0628 18:55:02.910334       1 lint.go:12] "
    variants: set[str] = set()
    for s in [*samples, sig.literal]:
        variants.update({s, header + s, f'{header}"{s}" key="value"', s[:-1], s[1:], s.replace(sig.literal, "", 1)})
    lines = sorted(ln for ln in variants if ln and "\n" not in ln and "\r" not in ln)
    chunk = ("\n".join(lines) + "\n").encode()
    truth = {ln for ln in lines if compiled.search(ln)}
    matchers: list[tuple[str, Any]] = [("stdlib", ChunkFindMatcher)]
    try:
        import hyperscan  # noqa: F401  (only to know whether it is installed)

        from diagnose.scan.matchers import HyperscanMatcher

        matchers.append(("hyperscan", lambda p: HyperscanMatcher(p, None)))
    except ImportError:
        pass
    out = []
    for name, make in matchers:
        matcher = make([Pattern(sig.prefilter or sig.pattern, sig.literal.encode())])
        found = set()
        for start, (end, _) in candidate_lines(matcher, chunk).items():
            line = chunk[start:end].decode("utf-8", errors="replace")
            if compiled.search(line):
                found.add(line)
        missed = sorted(truth - found)
        if missed:
            out.append(f"the {name} engine misses {len(missed)} matching line(s), e.g. {_short(missed[0])!r}")
    return out


def backtracking_problems(compiled: regex.Pattern[str], samples: list[str], literal: str) -> list[str]:
    """Nested unbounded repeats, and the time of the pattern on ~100 KB lines made of repeated
    partial matches and of its own characters (what makes a backtracking engine go quadratic or
    exponential: `diagnose.scan.regexsafety`, which the scanner also runs when it loads signatures).

    Lines are screened at 16 KB (a linear search there takes microseconds); those that take
    noticeably long are timed at 100 KB, best of a few runs so that a busy machine does not fail
    a pattern. Over `SLOW` a pattern fails when it is far over (4x) or when the time grows
    faster than the line (linear: a quarter of the line takes a quarter of the time; quadratic:
    a sixteenth)."""
    nested = regexsafety.nested_repeat(compiled.pattern)
    if nested:
        return [nested]
    screened = regexsafety.adversarial_lines(samples, literal, regexsafety.LONG)
    for short, line in zip(screened, regexsafety.adversarial_lines(samples, literal, ADVERSARIAL_BYTES), strict=True):
        if regexsafety.best_time(compiled, short, 4 * SLOW) <= regexsafety.NOTICEABLE:
            continue
        took = regexsafety.best_time(compiled, line, 4 * SLOW)
        if took <= SLOW:
            continue
        # Confirm with both lengths timed in turn: a busy machine must not fail a pattern.
        quarter_line = line[: len(line) // 4] + line[-1]
        quarter = float("inf")
        for _ in range(5):
            quarter = min(quarter, regexsafety.time_search(compiled, quarter_line, 4 * SLOW))
            if took != float("inf"):
                took = min(took, regexsafety.time_search(compiled, line, 4 * SLOW))
        if took <= SLOW:
            continue
        if took == float("inf") or took > 8 * quarter:
            shown = f"over {4 * SLOW * 1000:.0f}" if took == float("inf") else f"{took * 1000:.0f}"
            return [
                f"takes {shown} ms on a {len(line) // 1000} KB line like {_short(line, 60)!r}, and the time "
                'grows faster than the line: bound the repeats ([^"]{1,200}) or make them possessive '
                '([^"]++) / atomic ((?>...))'
            ]
    return []


def catalogue_problems(rule: Rule) -> list[str]:
    """Signature literals of agent/controller logs that disagree with the Antrea messages of
    the versions they claim (diagnose.facts.literals); warnings, since the catalogue only knows
    Antrea's own wording."""
    from diagnose.facts.literals import ANTREA_LOGS, literal_warnings
    from diagnose.facts.messages import CatalogueError

    out = []
    for sig in rule.signatures:
        if isinstance(sig, Signature) and sig.literal and ANTREA_LOGS & set(sig.kinds):
            try:
                out += [f"signature {sig.name!r}: {w}" for w in literal_warnings(sig.literal, sig.versions)]
            except CatalogueError as e:
                return [str(e)]
    return out
