"""The rule lint: checks a rule pack the way a reviewer would, before a bundle ever meets it.

`antrea-diagnose rules lint [DIR]` runs it on a user's pack, a test runs it on the built-in one.
Per module it checks the documentation (summary line, the fixed sections in order), the metadata
(id, slug, category, severity, versions, references, remediation with a command, templates that
compile) and every signature: it compiles with `regex`; its literal is in every line the pattern
matches (the stdlib engine only looks at lines holding the literal, so otherwise it silently
misses what Hyperscan finds); both engines find the same lines of a corpus generated from the
pattern; and it stays fast on adversarial 100 KB lines. Finally `check()` must survive an empty
bundle, and the built-in pack needs `fires-*` and `quiet-*` fixtures for every rule.

Each problem is one line `path: ID: problem`; warnings do not fail the lint.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import regex

from diagnose import expectations, model, regexsafety, versions
from diagnose.regexsafety import examples
from diagnose.resources import builtin_rules_dir
from diagnose.rule import CATEGORIES, CONFIRMED, DOC_SECTIONS, INCONCLUSIVE, SEVERITIES, Rule, Signature, Step

ID_PATTERN = re.compile(r"ANT-[A-Z]+-\d{3}")
SLOW = 0.05  # seconds a signature may take on one adversarial 100 KB line
ADVERSARIAL_BYTES = 100_000
_VERSION = re.compile(r"v?\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?")
_OPERATOR = re.compile(r"\s*(>=|<=|==|<|>)\s*(.*)")
_TEMPLATES = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class Problem:
    path: str
    rule_id: str
    message: str
    error: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.rule_id}: {'' if self.error else 'warning: '}{self.message}"


def builtin_fixtures_dir() -> Path:
    """`tests/rules/fixtures` of a checkout (an installed wheel has no tests)."""
    return builtin_rules_dir().parent / "tests" / "rules" / "fixtures"


def fixtures_dir(directory: Path | None) -> Path | None:
    """Where a pack's fixture folders are: `DIR/fixtures` or `DIR/tests/fixtures`
    (`tests/rules/fixtures` for the built-in pack, None = `directory`); None when there are none."""
    builtin = directory is None or directory.resolve() == builtin_rules_dir().resolve()
    candidates = [builtin_fixtures_dir()] if builtin else [directory / "fixtures", directory / "tests" / "fixtures"]
    return next((c for c in candidates if c.is_dir()), None)


def lint(directory: Path | None = None, fixtures: Path | None = None) -> list[Problem]:
    """Lint the built-in pack (`directory` None or the built-in folder) or a user's pack.

    Missing fixtures are errors for the built-in pack and warnings for a user's pack, whose
    fixtures are looked for in `fixtures`, else `DIR/fixtures` or `DIR/tests/fixtures`.
    """
    builtin = directory is None or directory.resolve() == builtin_rules_dir().resolve()
    directory = builtin_rules_dir() if directory is None else directory
    if fixtures is None:
        fixtures = fixtures_dir(directory)
    # A user's pack is loaded after the built-in one: an id already taken there fails the scan.
    taken = {} if builtin else _builtin_ids()
    problems: list[Problem] = []
    paths = sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))
    if not paths:
        problems.append(Problem(_show(directory), "-", "no rule modules (*.py) in this directory"))
    for path in paths:
        problems.extend(lint_module(path, taken, fixtures, strict_fixtures=builtin))
    return problems


def lint_module(path: Path, taken: dict[str, str], fixtures: Path | None,
                strict_fixtures: bool) -> list[Problem]:
    """Problems of one module; `taken` (id -> path) gathers the ids seen so far."""
    shown = _show(path)
    rule, doc, failure = _load(path)
    if rule is None:
        return [Problem(shown, "-", failure or "cannot be loaded")]
    rid = rule.id if isinstance(rule.id, str) and rule.id else "-"
    try:
        return _module_problems(rule, doc, path, shown, rid, taken, fixtures, strict_fixtures)
    except Exception as e:  # metadata of unexpected types: say so rather than crash the lint
        return [Problem(shown, rid, f"cannot be checked: {type(e).__name__}: {e}")]


def _module_problems(rule: Rule, doc: str, path: Path, shown: str, rid: str, taken: dict[str, str],
                     fixtures: Path | None, strict_fixtures: bool) -> list[Problem]:
    found: list[tuple[bool, str]] = []  # (is error, message)
    found += [(True, m) for m in docstring_problems(doc)]
    found += metadata_problems(rule, path)
    if rid in taken:
        found.append((True, f"id {rid} is already used by {taken[rid]}"))
    else:
        taken[rid] = shown
    for sig in rule.signatures:
        if isinstance(sig, Signature):  # anything else is reported with the metadata
            found += [(True, f"signature {sig.name!r}: {m}") for m in signature_problems(sig)]
    found += [(True, m) for m in check_problems(rule)]
    found += [(False, m) for m in catalogue_problems(rule)]
    for message in fixture_problems(path.stem, fixtures):
        found.append((strict_fixtures, message))
    if fixtures is not None and (fixtures / path.stem).is_dir():
        found += [(True, m) for m in outcome_problems(rule, fixtures / path.stem)]
    return [Problem(shown, rid, message, error) for error, message in found]


# -- loading ------------------------------------------------------------------------------------


def _load(path: Path) -> tuple[Rule | None, str, str | None]:
    """(RULE with `check` set, docstring, why it could not be loaded)."""
    digest = hashlib.sha1(str(path.resolve().parent).encode()).hexdigest()[:12]
    name = f"antrea_diagnose_lint_{digest}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None, "", "is not a loadable Python module"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # a broken module is a lint finding, not a crash
        return None, "", f"fails to load: {type(e).__name__}: {e}"
    finally:
        sys.modules.pop(name, None)
    rule = getattr(module, "RULE", None)
    check = getattr(module, "check", None)
    if not isinstance(rule, Rule):
        return None, "", "defines no RULE = Rule(...)"
    if not callable(check):
        return None, "", "defines no check(ev) function"
    rule.check = check
    rule.path = str(path)
    return rule, inspect.cleandoc(module.__doc__ or ""), None


def _builtin_ids() -> dict[str, str]:
    ids: dict[str, str] = {}
    for path in sorted(builtin_rules_dir().glob("*.py")):
        if not path.name.startswith("_"):
            rule, _, _ = _load(path)
            if rule is not None and isinstance(rule.id, str):
                ids[rule.id] = f"the built-in rule {path.name}"
    return ids


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# -- documentation ------------------------------------------------------------------------------

_UNDERLINE = re.compile(r"^(-{3,}|={3,})\s*$")


def doc_sections(doc: str) -> tuple[str, list[tuple[str, str]]]:
    """(summary paragraph, [(section title, body)]) of a rule docstring in the fixed format:
    titles underlined with dashes, as in the built-in rules."""
    lines = doc.splitlines()
    heads = [i for i in range(len(lines) - 1) if lines[i].strip() and _UNDERLINE.match(lines[i + 1])
             and not _UNDERLINE.match(lines[i])]
    summary = "\n".join(lines[: heads[0] if heads else len(lines)]).strip()
    sections = []
    for n, i in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        sections.append((lines[i].strip(), "\n".join(lines[i + 2: end]).strip()))
    return summary, sections


def docstring_problems(doc: str) -> list[str]:
    if not doc.strip():
        return ["no module docstring: it is the rule's documentation (" + " / ".join(DOC_SECTIONS) + ")"]
    out = []
    lines = doc.splitlines()
    first = lines[0].strip()
    if not first or _UNDERLINE.match(lines[1] if len(lines) > 1 else ""):
        out.append("the docstring must start with a one-line summary")
    elif len(lines) > 1 and lines[1].strip():
        out.append("the one-line summary must be followed by a blank line (keep it to one line)")
    _, sections = doc_sections(doc)
    titles = [t for t, _ in sections]
    missing = [s for s in DOC_SECTIONS if s not in titles]
    if missing:
        out.append(f"docstring lacks the section(s) {', '.join(missing)} (title underlined with ---)")
    unknown = [t for t in titles if t not in DOC_SECTIONS]
    if unknown:
        out.append(f"docstring has unknown section(s) {', '.join(unknown)}; the sections are "
                   + " / ".join(DOC_SECTIONS))
    known = [t for t in titles if t in DOC_SECTIONS]
    if len(set(known)) != len(known):
        out.append("a docstring section appears twice")
    elif not missing and known != list(DOC_SECTIONS):
        out.append("docstring sections are out of order: " + " / ".join(DOC_SECTIONS))
    out += [f"docstring section {t} is empty" for t, body in sections if t in DOC_SECTIONS and not body]
    return out


# -- metadata -----------------------------------------------------------------------------------


def metadata_problems(rule: Rule, path: Path) -> list[tuple[bool, str]]:
    errors: list[str] = []
    warnings: list[str] = []
    if not isinstance(rule.id, str) or not ID_PATTERN.fullmatch(rule.id):
        errors.append(f"id {rule.id!r} does not match ANT-<CATEGORY LETTERS>-<3 digits>, e.g. ANT-OVS-001")
    if rule.slug != path.stem.replace("_", "-"):
        errors.append(f"slug {rule.slug!r} must be the file name with - for _ ({path.stem.replace('_', '-')!r})")
    if not isinstance(rule.title, str) or not rule.title.strip() or "\n" in rule.title:
        errors.append("title must be one non-empty line")
    if rule.category not in CATEGORIES:
        errors.append(f"category {rule.category!r} is not in the taxonomy (diagnose.rule.CATEGORIES)")
    if rule.severity not in SEVERITIES:
        errors.append(f"severity {rule.severity!r} is not one of {', '.join(SEVERITIES)}")
    if rule.outcomes:
        names = [o.name for o in rule.outcomes]
        if len(set(names)) != len(names):
            errors.append("two outcomes have the same name")
        for o in rule.outcomes:
            if o.severity is not None and o.severity not in SEVERITIES:
                errors.append(f"outcome {o.name!r}: severity {o.severity!r} is not one of {', '.join(SEVERITIES)}")
            if o.status not in (CONFIRMED, INCONCLUSIVE):
                errors.append(f"outcome {o.name!r}: status {o.status!r} is not confirmed or inconclusive")
            errors += _template_problems(f"outcome {o.name!r} message", o.message)
        if rule.values is None or not dataclasses.is_dataclass(rule.values):
            errors.append("a rule with outcomes declares values=<its Values dataclass>")
    else:
        errors += _template_problems("message", rule.message)
    if not rule.remediation:
        errors.append("remediation has no steps")
    elif not all(isinstance(s, Step) for s in rule.remediation):
        errors.append("remediation steps must be Step(text, command)")
    else:
        if not any(s.command for s in rule.remediation):
            errors.append("no remediation step has a command the user can run")
        for n, s in enumerate(rule.remediation, 1):
            errors += _template_problems(f"remediation step {n} text", s.text)
            if s.command:
                errors += _template_problems(f"remediation step {n} command", s.command)
    if not rule.references:
        errors.append("references is empty: cite the upstream issue, PR or doc the rule comes from")
    for ref in rule.references:
        if not _linkable(ref):
            warnings.append(f"reference {ref!r} is neither owner/repo#N nor an http(s) URL (it will not be linked)")
    for what, spec in (("applies_to", rule.applies_to),
                       *((f"signature {getattr(s, 'name', '?')!r} versions", getattr(s, "versions", "all"))
                         for s in rule.signatures)):
        problem = version_spec_problem(spec)
        if problem:
            errors.append(f"{what}: {problem}")
    if rule.fixed_in is not None and not (isinstance(rule.fixed_in, str) and _VERSION.fullmatch(rule.fixed_in)):
        errors.append(f"fixed_in {rule.fixed_in!r} is not a version like v2.1.0")
    for what, cats in (("explains", rule.explains), ("lookalikes", rule.lookalikes)):
        bad = [c for c in cats if c not in CATEGORIES]
        if bad:
            errors.append(f"{what} has categories not in the taxonomy: {', '.join(map(repr, bad))}")
    if rule.category in rule.explains:
        warnings.append("explains lists the rule's own category, which the ranking ignores")
    names = [getattr(s, "name", None) for s in rule.signatures]
    if not all(isinstance(s, Signature) for s in rule.signatures):
        errors.append("signatures must be Signature(...) objects")
    elif len(set(names)) != len(names):
        errors.append("two signatures have the same name (their hits would mix)")
    return [(True, e) for e in errors] + [(False, w) for w in warnings]


def version_spec_problem(spec: Any) -> str | None:
    """Why `spec` (">=2.0.0,<2.1.0" or "all") is not a version range diagnose.versions reads."""
    if not isinstance(spec, str):
        return f"{spec!r} is not a string"
    if spec.strip() in ("", "all", "*"):
        return None
    for clause in spec.split(","):
        m = _OPERATOR.fullmatch(clause)
        if not m or not _VERSION.fullmatch(m[2].strip()) or versions.parse(m[2]) is None:
            return f"{clause.strip()!r} in {spec!r} is not <op><version> (ops >=, <=, ==, <, >; e.g. >=2.0.0,<2.1.0)"
    return None


def _template_problems(what: str, text: Any) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return [f"{what} is empty"]
    try:
        _TEMPLATES.parse(text)
        _TEMPLATES.from_string(text)
    except jinja2.TemplateError as e:
        return [f"{what} is not a valid Jinja2 template: {e}"]
    return []


def _linkable(ref: Any) -> bool:
    from diagnose.report.view import reference_url

    return reference_url(ref) is not None


# -- signatures ---------------------------------------------------------------------------------


def signature_problems(sig: Signature) -> list[str]:
    out = []
    if not sig.name or not re.fullmatch(r"\w+", sig.name):
        out.append("name must be a word (letters, digits, _)")
    bad_kinds = [k for k in sig.kinds if k not in model.LOG_KINDS]
    if not sig.kinds or bad_kinds:
        out.append(f"kinds must be log kinds ({', '.join(sorted(model.LOG_KINDS))}), got {', '.join(sig.kinds)}")
    if not isinstance(sig.follow, int) or not 0 <= sig.follow <= 200:
        out.append("follow must be 0..200 continuation lines")
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
    samples = [s for s in examples(sig.pattern, ignore_case=bool(compiled.flags & regex.IGNORECASE))
               if compiled.search(s)]
    literal_ok = True
    lacking = [s for s in samples if sig.literal not in s]
    if lacking:
        literal_ok = False
        out.append(f"literal {sig.literal!r} is not in every line the pattern matches, e.g. {_short(lacking[0])!r}: "
                   "the stdlib engine never looks at such lines")
    elif not samples and sig.literal not in _unescape(sig.pattern):
        literal_ok = False
        out.append(f"literal {sig.literal!r} does not occur in the pattern's text")
    if literal_ok:
        out += engine_problems(sig, compiled, samples)
    out += backtracking_problems(compiled, samples, sig.literal)
    return out


def _unescape(pattern: str) -> str:
    return re.sub(r"\\([^A-Za-z0-9])", r"\1", pattern)


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def engine_problems(sig: Signature, compiled: regex.Pattern[str], samples: list[str]) -> list[str]:
    """Both matchers must hand the same lines to the regex: Hyperscan's prefilter (the pattern)
    and the stdlib's literal search, on lines generated from the pattern and its literal."""
    from diagnose.matchers import ChunkFindMatcher, Pattern, candidate_lines

    header = "I0628 18:55:02.910334       1 lint.go:12] "
    lines = set()
    for s in [*samples, sig.literal]:
        lines.update({s, header + s, f'{header}"{s}" key="value"', s[:-1], s[1:], s.replace(sig.literal, "", 1)})
    lines = sorted(ln for ln in lines if ln and "\n" not in ln and "\r" not in ln)
    chunk = ("\n".join(lines) + "\n").encode()
    truth = {ln for ln in lines if compiled.search(ln)}
    matchers: list[tuple[str, Any]] = [("stdlib", ChunkFindMatcher)]
    try:
        import hyperscan  # noqa: F401  (only to know whether it is installed)

        from diagnose.matchers import HyperscanMatcher

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
    exponential: `diagnose.regexsafety`, which the scanner also runs when it loads signatures).

    Lines are screened at 16 KB (a linear search there takes microseconds); those that take
    noticeably long are timed at 100 KB, best of a few runs so that a busy machine does not fail
    a pattern. Over `SLOW` a pattern fails when it is far over (4x) or when the time grows
    faster than the line (linear: a quarter of the line takes a quarter of the time; quadratic:
    a sixteenth)."""
    nested = regexsafety.nested_repeat(compiled.pattern)
    if nested:
        return [nested]
    screened = regexsafety.adversarial_lines(samples, literal, regexsafety.LONG)
    for short, line in zip(screened, regexsafety.adversarial_lines(samples, literal, ADVERSARIAL_BYTES),
                           strict=True):
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
            return [f"takes {shown} ms on a {len(line) // 1000} KB line like {_short(line, 60)!r}, and the time "
                    "grows faster than the line: bound the repeats ([^\"]{1,200}) or make them possessive "
                    "([^\"]++) / atomic ((?>...))"]
    return []


# -- Antrea's messages ---------------------------------------------------------------------------


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


# -- check() and fixtures -----------------------------------------------------------------------


def check_problems(rule: Rule) -> list[str]:
    """check() on a bundle with nothing in it: it must not raise, and nothing is no finding."""
    from diagnose.evidence import ClusterView, RuleEvidence

    cluster = model.Cluster("lint")
    cluster.node("node1")
    try:
        findings = list(rule.check(RuleEvidence(ClusterView(cluster), rule)) or ())  # type: ignore[misc]
    except Exception as e:
        return [f"check() fails on a bundle with no evidence: {type(e).__name__}: {e}"]
    if findings:
        return [f"check() reports {len(findings)} finding(s) on a bundle with no evidence"]
    return []


def outcome_problems(rule: Rule, fixtures: Path) -> list[str]:
    """Run the rule on each of its fixture folders and render every outcome it declares with
    the values each of its findings there was made with: a variable an outcome names that the
    values lack, or a rule that raises, is an error here rather than a finding lost at scan time."""
    from diagnose import engine
    from diagnose.bundle import reader
    from diagnose.evidence import ClusterView, RuleEvidence

    if not rule.outcomes:
        return []
    problems: list[str] = []
    scanner = engine.scanner_for([rule])
    for case in sorted(d for d in fixtures.iterdir() if d.is_dir()):
        try:
            view = ClusterView(reader.read(case, scanner))
            findings = list(rule.check(RuleEvidence(view, rule)) or ())  # type: ignore[misc]
        except Exception as e:  # noqa: BLE001 - reported, not raised
            problems.append(f"check() fails on fixture {case.name}: {type(e).__name__}: {e}")
            continue
        for f in findings:
            for outcome in rule.outcomes:
                for what, template in [("message", outcome.message), *(
                        ("remediation", t) for step in (outcome.remediation or rule.remediation)
                        for t in (step.text, step.command) if t)]:
                    try:
                        rule.render(template, {**f.values, "outcome_text": ""})
                    except Exception as e:  # noqa: BLE001
                        problems.append(f"outcome {outcome.name!r} {what} cannot be rendered with the values of "
                                        f"fixture {case.name}: {type(e).__name__}: {e}")
    return sorted(set(problems))


def fixture_problems(stem: str, fixtures: Path | None) -> list[str]:
    where = f"{_show(fixtures / stem)}/" if fixtures else f"fixtures/{stem}/"
    if fixtures is None or not (fixtures / stem).is_dir():
        return [f"no fixtures: add {where} with fires-<issue>-... and quiet-<issue>-... folders"]
    folders = [d for d in (fixtures / stem).iterdir() if d.is_dir()]
    out = [f"no {kind}-* fixture folder in {where}" for kind in ("fires", "quiet")
           if not any(d.name.startswith(kind + "-") for d in folders)]
    out += [f"fixture folder {d.name} is empty" for d in sorted(folders) if not any(d.iterdir())]
    out += [f"fixture folder {d.name} has no {expectations.FILE} saying what it expects (`rules test` runs it)"
            for d in sorted(folders) if any(d.iterdir()) and not (d / expectations.FILE).exists()]
    return out
