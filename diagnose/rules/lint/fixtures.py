"""`check()` against evidence: it survives a bundle with nothing in it, every outcome renders
with the values of every fixture's findings, and the fixture folders exist, each with the
`expect.yaml` that `rules test` checks."""

from __future__ import annotations

from pathlib import Path

from diagnose.bundle import model
from diagnose.rules import expectations
from diagnose.rules.rule import Rule


def check_problems(rule: Rule) -> list[str]:
    """check() on a bundle with nothing in it: it must not raise, and nothing is no finding."""
    from diagnose.rules.evidence import ClusterView, RuleEvidence

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
    from diagnose.bundle import reader
    from diagnose.diagnosis import engine
    from diagnose.rules.evidence import ClusterView, RuleEvidence

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
                for what, template in [
                    ("message", outcome.message),
                    *(
                        ("remediation", t)
                        for step in (outcome.remediation or rule.remediation)
                        for t in (step.text, step.command)
                        if t
                    ),
                ]:
                    try:
                        rule.render(template, {**f.values, "outcome_text": ""})
                    except Exception as e:  # noqa: BLE001
                        problems.append(
                            f"outcome {outcome.name!r} {what} cannot be rendered with the values of "
                            f"fixture {case.name}: {type(e).__name__}: {e}"
                        )
    return sorted(set(problems))


def fixture_problems(stem: str, fixtures: Path | None) -> list[str]:
    where = f"{display_path(fixtures / stem)}/" if fixtures else f"fixtures/{stem}/"
    if fixtures is None or not (fixtures / stem).is_dir():
        return [f"no fixtures: add {where} with fires-<issue>-... and quiet-<issue>-... folders"]
    folders = [d for d in (fixtures / stem).iterdir() if d.is_dir()]
    out = [
        f"no {kind}-* fixture folder in {where}"
        for kind in ("fires", "quiet")
        if not any(d.name.startswith(kind + "-") for d in folders)
    ]
    out += [f"fixture folder {d.name} is empty" for d in sorted(folders) if not any(d.iterdir())]
    out += [
        f"fixture folder {d.name} has no {expectations.FILE} saying what it expects (`rules test` runs it)"
        for d in sorted(folders)
        if any(d.iterdir()) and not (d / expectations.FILE).exists()
    ]
    return out


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is inside it (shorter problem lines)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
