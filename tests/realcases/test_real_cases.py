"""Real cases from public antrea-io/antrea issues, scanned as a user's paste arrives.

Each folder of `tests/fixtures/real-cases/` holds verbatim excerpts and a `case.yaml` with the
root cause the maintainers confirmed; `expected.yaml` gives the taxonomy ids a right diagnosis
names first (or the highest severity a no-fault case may get). Only the artifacts are scanned:
they are copied into an empty folder without `case.yaml`, the README or the fix PR's text.

Run `python tests/realcases/test_real_cases.py` for the score table.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

CASES = Path(__file__).parents[1] / "fixtures" / "real-cases"
EXPECTED: dict[str, dict] = yaml.safe_load((CASES / "expected.yaml").read_text())
_NOT_ARTIFACTS = {"case.yaml", "README.md"}
SEVERITY_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3}

# Cases the tool cannot get right from these artifacts, each with its reason. Strict: a case
# that starts passing must leave this list.
EXPECTED_FAILURES: dict[str, str] = {
    "flow-restore-wait-not-cleared": (
        "the pasted agent log is healthy: it says it cleaned up flow-restore-wait; what proved the key was still "
        "set (OVSDB other_config, all-zero flow counters) was described in prose in the issue, not pasted"
    ),
    "networkpolicy-duplicate-pod-ip-after-node-restart": (
        "only `kubectl get pods | grep` rows of Running Pods with old restarts were pasted; the duplicate Pod IP "
        "and the missing OVS flows that show the reconciler bug were described in prose, not pasted"
    ),
}


def artifacts(case: Path) -> list[Path]:
    meta = case / "case.yaml"
    if meta.exists():
        names = yaml.safe_load(meta.read_text()).get("artifacts") or []
        if names:
            return [case / n for n in names]
    # No list (the #6448 folder): every file but the docs and the fix PR's description.
    return sorted(
        p for p in case.iterdir() if p.is_file() and p.name not in _NOT_ARTIFACTS and not p.name.startswith("fix-pr-")
    )


def paste(case: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    for p in artifacts(case):
        shutil.copy(p, into / p.name)
    return into


def verdict(name: str, report: dict) -> tuple[bool, str]:
    """(right, what the tool said) for one case's report."""
    findings = report["findings"]
    said = "; ".join(f"{f['category']}/{f['severity']}/{f['status']}" for f in findings[:3]) or "no finding"
    want = EXPECTED[name]
    if "max_severity" in want:
        limit = SEVERITY_RANK[want["max_severity"]]
        worst = min((SEVERITY_RANK[f["severity"]] for f in findings), default=99)
        return worst >= limit, said
    return bool(findings) and findings[0]["category"] in want["first"], said


def _params():
    for name in sorted(EXPECTED):
        marks = [pytest.mark.xfail(strict=True, reason=EXPECTED_FAILURES[name])] if name in EXPECTED_FAILURES else []
        yield pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", _params())
def test_real_case_first_finding(name, run, tmp_path):
    report = run(paste(CASES / name, tmp_path / name))
    right, said = verdict(name, report)
    assert right, f"{name}: expected {EXPECTED[name]}, the tool said: {said}"


def test_every_case_folder_has_an_expectation():
    folders = {p.name for p in CASES.iterdir() if p.is_dir()}
    assert folders == set(EXPECTED)


if __name__ == "__main__":  # the score table for notes: python tests/realcases/test_real_cases.py
    import tempfile

    from diagnose.diagnosis.engine import diagnose
    from diagnose.rules import rulepack

    rules = rulepack.load(rulepack.rule_dirs())
    fallbacks = {r.id for r in rules if r.fallback}
    score = findings = from_fallbacks = led_by_fallback = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(EXPECTED):
            try:
                report = diagnose(paste(CASES / name, Path(tmp) / name), rules).to_dict()
                right, said = verdict(name, report)
            except Exception as e:  # noqa: BLE001 - the table says what went wrong
                right, said, report = False, f"{type(e).__name__}: {e}", {"findings": []}
            score += right
            ids = [f["rule_id"] for f in report["findings"]]
            findings += len(ids)
            from_fallbacks += sum(i in fallbacks for i in ids)
            led_by_fallback += bool(ids) and ids[0] in fallbacks
            print(f"{'ok ' if right else 'BAD'} {name:55} {said}")
    print(
        f"{score}/{len(EXPECTED)} right first; {from_fallbacks} of {findings} findings from the fallback rules "
        f"({', '.join(sorted(fallbacks))}), {led_by_fallback} case(s) led by one",
        file=sys.stderr,
    )
