"""The rule's metadata as data: id, slug, title, category, severity, outcomes and their templates,
remediation, references, versions, the categories it explains and is told apart from."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import jinja2

from diagnose.facts import versions
from diagnose.rules.rule import CATEGORIES, CONFIRMED, INCONCLUSIVE, SEVERITIES, Rule, Step
from diagnose.scan.signature import Signature

ID_PATTERN = re.compile(r"ANT-[A-Z]+-\d{3}")
_VERSION = re.compile(r"v?\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?")
_OPERATOR = re.compile(r"\s*(>=|<=|==|<|>)\s*(.*)")
_TEMPLATES = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


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
        errors.append(f"category {rule.category!r} is not in the taxonomy (diagnose.rules.rule.CATEGORIES)")
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
    for what, spec in (
        ("applies_to", rule.applies_to),
        *((f"signature {getattr(s, 'name', '?')!r} versions", getattr(s, "versions", "all")) for s in rule.signatures),
    ):
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
    signature_names = [getattr(s, "name", None) for s in rule.signatures]
    if not all(isinstance(s, Signature) for s in rule.signatures):
        errors.append("signatures must be Signature(...) objects")
    elif len(set(signature_names)) != len(signature_names):
        errors.append("two signatures have the same name (their hits would mix)")
    return [(True, e) for e in errors] + [(False, w) for w in warnings]


def version_spec_problem(spec: Any) -> str | None:
    """Why `spec` (">=2.0.0,<2.1.0" or "all") is not a version range diagnose.facts.versions reads."""
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
