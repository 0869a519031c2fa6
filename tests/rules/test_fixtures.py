"""Every rule fixture folder against the `expect.yaml` beside it: the one test a new rule needs.

A fixture is a small bundle or paste under `tests/rules/fixtures/<rule module>/<case>/`, named
`fires-<issue>-...`, `quiet-<issue>-...` or `near-miss-...`, with an `expect.yaml`:

    # One line: what this case shows and where it comes from.
    expect:                 # findings that must be in the report (roots or attached symptoms)
      - rule: ANT-API-001
        outcome: fatal      # the rule's declared outcome (or the engine's: recovered, superseded, once)
        nodes: [worker-2]
        severity: critical
        status: confirmed
        category: apiserver-unreachable
        first: true         # ranked first among the root causes
        symptom_of: ANT-SEC-001   # attached under that rule's finding
        summary: ["10.96.0.1:443", "i/o timeout"]   # substrings of the summary
        evidence: ["dial tcp"]                       # substrings found among the evidence lines
    quiet: [ANT-API-001]    # these rules give nothing at warning or above
    absent: [ANT-API-001]   # these rules give no finding at all
    verdict: no-fault       # the report's verdict

Only the keys given are checked. Rule-specific Python tests remain for behaviour across rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).parent / "fixtures"
SEVERE = ("critical", "error", "warning")
_KEYS = {"rule", "outcome", "nodes", "severity", "status", "category", "first", "symptom_of", "summary",
         "evidence"}


def cases() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*") if p.is_dir())


def with_expectations() -> list[Path]:
    return [p for p in cases() if (p / "expect.yaml").exists()]


def _flatten(report: dict) -> list[tuple[dict, dict | None]]:
    """(finding, the root it is attached to or None), roots first."""
    out: list[tuple[dict, dict | None]] = []
    for root in report["findings"]:
        out.append((root, None))
        out.extend((s, root) for s in root.get("symptoms", []))
    return out


def _matches(f: dict, root: dict | None, want: dict, report: dict) -> list[str]:
    """What of `want` does not hold for finding `f` (empty: it matches)."""
    bad = []
    for key in ("rule", "outcome", "severity", "status", "category"):
        if key in want and f.get("rule_id" if key == "rule" else key) != want[key]:
            bad.append(f"{key}={f.get('rule_id' if key == 'rule' else key)!r}")
    if "nodes" in want and f["nodes"] != sorted(want["nodes"]):
        bad.append(f"nodes={f['nodes']}")
    if want.get("first") and not (root is None and report["findings"] and report["findings"][0] is f):
        bad.append("not first")
    if "symptom_of" in want and (root is None or root["rule_id"] != want["symptom_of"]):
        bad.append(f"symptom_of={root['rule_id'] if root else None}")
    for text in want.get("summary", []):
        if text not in f["summary"]:
            bad.append(f"summary lacks {text!r}")
    lines = " ".join(e["text"] for e in f["evidence"])
    for text in want.get("evidence", []):
        if text not in lines:
            bad.append(f"evidence lacks {text!r}")
    return bad


@pytest.mark.parametrize("case", with_expectations(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_meets_its_expectations(case: Path, run) -> None:
    spec = yaml.safe_load((case / "expect.yaml").read_text()) or {}
    report = run(case)
    found = _flatten(report)
    problems = []
    for want in spec.get("expect", []):
        unknown = set(want) - _KEYS
        assert not unknown, f"{case}/expect.yaml: unknown keys {sorted(unknown)}"
        candidates = [(f, r) for f, r in found if f["rule_id"] == want["rule"]]
        misses = [_matches(f, r, want, report) for f, r in candidates]
        if not any(m == [] for m in misses):
            said = "; ".join(", ".join(m) for m in misses) or "no finding of this rule"
            problems.append(f"{want['rule']}: {said}")
    for rule in spec.get("quiet", []):
        loud = [f for f, _ in found if f["rule_id"] == rule and f["severity"] in SEVERE]
        if loud:
            problems.append(f"{rule} should be quiet, found {loud[0]['severity']}: {loud[0]['summary'][:160]}")
    for rule in spec.get("absent", []):
        if any(f["rule_id"] == rule for f, _ in found):
            problems.append(f"{rule} should give no finding")
    if "verdict" in spec and report["verdict"] != spec["verdict"]:
        problems.append(f"verdict {report['verdict']}")
    assert not problems, f"{case.relative_to(FIXTURES)}: " + " | ".join(problems)


def test_every_fixture_says_what_it_expects() -> None:
    missing = [str(p.relative_to(FIXTURES)) for p in cases() if not (p / "expect.yaml").exists()]
    assert missing == [], f"fixture folders without expect.yaml: {missing}"
