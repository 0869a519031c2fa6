"""The rule lint: checks a rule pack the way a reviewer would, before a bundle ever meets it.

`antrea-diagnose rules lint [DIR]` runs it on a user's pack, a test runs it on the built-in one.
Per module it checks the documentation (summary line, the fixed sections in order), the metadata
(id, slug, category, severity, versions, references, remediation with a command, templates that
compile) and every signature: it compiles with `regex`; its literal is in every line the pattern
matches (the stdlib engine only looks at lines holding the literal, so otherwise it silently
misses what Hyperscan finds); both engines find the same lines of a corpus generated from the
pattern; and it stays fast on adversarial 100 KB lines. Finally `check()` must survive an empty
bundle, and the built-in pack needs `fires-*` and `quiet-*` fixtures for every rule.

Each problem is one line `path: ID: problem`; warnings do not fail the lint. One module per
family of checks: `docstring`, `metadata`, `signatures`, `fixtures`; this one loads the modules
and gathers what they find.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from diagnose.errors import UsageError
from diagnose.resources import builtin_rules_dir
from diagnose.rules import rulepack
from diagnose.rules.lint.docstring import docstring_problems
from diagnose.rules.lint.fixtures import check_problems, display_path, fixture_problems, outcome_problems
from diagnose.rules.lint.metadata import metadata_problems
from diagnose.rules.lint.signatures import catalogue_problems, signature_problems
from diagnose.rules.rule import Rule
from diagnose.scan.signature import Signature


@dataclass(frozen=True)
class Problem:
    """A mistake (or a warning) the rule linter found in a rule."""

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
    if directory is None or directory.resolve() == builtin_rules_dir().resolve():
        candidates = [builtin_fixtures_dir()]
    else:
        candidates = [directory / "fixtures", directory / "tests" / "fixtures"]
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
        problems.append(Problem(display_path(directory), "-", "no rule modules (*.py) in this directory"))
    for path in paths:
        problems.extend(lint_module(path, taken, fixtures, strict_fixtures=builtin))
    return problems


def lint_module(path: Path, taken: dict[str, str], fixtures: Path | None, strict_fixtures: bool) -> list[Problem]:
    """Problems of one module; `taken` (id -> path) gathers the ids seen so far."""
    shown = display_path(path)
    rule, doc, failure = _load(path)
    if rule is None:
        return [Problem(shown, "-", failure or "cannot be loaded")]
    rid = rule.id if isinstance(rule.id, str) and rule.id else "-"
    try:
        return _module_problems(rule, doc, path, shown, rid, taken, fixtures, strict_fixtures)
    except Exception as e:  # metadata of unexpected types: say so rather than crash the lint
        return [Problem(shown, rid, f"cannot be checked: {type(e).__name__}: {e}")]


def _module_problems(
    rule: Rule,
    doc: str,
    path: Path,
    shown: str,
    rid: str,
    taken: dict[str, str],
    fixtures: Path | None,
    strict_fixtures: bool,
) -> list[Problem]:
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


def _load(path: Path) -> tuple[Rule | None, str, str | None]:
    """(RULE with `check` and its docstring set, docstring, why it could not be loaded)."""
    try:
        rule = rulepack.import_module(path)
    except UsageError as e:
        return None, "", str(e)
    return rule, rule.doc, None


def _builtin_ids() -> dict[str, str]:
    ids: dict[str, str] = {}
    for path in sorted(builtin_rules_dir().glob("*.py")):
        if not path.name.startswith("_"):
            rule, _, _ = _load(path)
            if rule is not None and isinstance(rule.id, str):
                ids[rule.id] = f"the built-in rule {path.name}"
    return ids
