"""Load rule modules from directories: the built-in pack first, then the user's `--rules` dirs.

`rules/` is not a package: each module is loaded by path, so a user's pack works the same way
as the built-in one and needs no installation.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

from diagnose.errors import UsageError
from diagnose.resources import builtin_rules_dir
from diagnose.rules.rule import CATEGORIES, SEVERITIES, Rule


def rule_dirs(extra: list[Path] | tuple[Path, ...] = ()) -> list[Path]:
    return [builtin_rules_dir(), *extra]


def module_paths(dirs: list[Path]) -> list[Path]:
    """The rule modules of these directories, in the order they are loaded."""
    paths: list[Path] = []
    for d in dirs:
        if not d.is_dir():
            raise UsageError(f"Rule directory {d} does not exist.")
        paths += [p for p in sorted(d.glob("*.py")) if not p.name.startswith("_")]
    return paths


def load(dirs: list[Path]) -> list[Rule]:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in module_paths(dirs):
        rule = load_module(path)
        if rule.id in seen:
            raise UsageError(f"Rule id {rule.id} in {path} is already used by {seen[rule.id]}.")
        seen[rule.id] = str(path)
        rules.append(rule)
    return rules


def import_module(path: Path) -> Rule:
    """The module's RULE with its `check`, docstring and path set; UsageError (one sentence)
    when the file cannot be imported or defines no RULE and check(ev)."""
    name = f"antrea_diagnose_rules_{abs(hash(str(path.parent)))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{path} is not a loadable Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # a user's rule with a bug: say which file and what
        raise UsageError(f"Rule module {path} failed to load: {type(e).__name__}: {e}.") from None
    rule = getattr(module, "RULE", None)
    check = getattr(module, "check", None)
    if not isinstance(rule, Rule) or not callable(check):
        raise UsageError(f"Rule module {path} must define RULE = Rule(...) and a check(ev) function.")
    rule.check = check
    rule.doc = inspect.cleandoc(module.__doc__ or "")
    rule.path = str(path)
    return rule


def load_module(path: Path) -> Rule:
    """`import_module`, refusing metadata a scan cannot use (the lint says more)."""
    rule = import_module(path)
    problems = []
    if rule.category not in CATEGORIES:
        problems.append(f"unknown category {rule.category!r}")
    if rule.severity not in SEVERITIES:
        problems.append(f"unknown severity {rule.severity!r}")
    if rule.slug.replace("-", "_") != path.stem:
        problems.append(f"slug {rule.slug!r} does not match the file name {path.name}")
    if problems:
        raise UsageError(f"Rule module {path}: {', '.join(problems)}.")
    return rule
