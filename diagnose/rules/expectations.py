"""A fixture folder's `expect.yaml`: what the report of that folder must (not) contain.

Every fixture of a rule (`<fixtures>/<rule module>/<case>/`, named `fires-<issue>-...`,
`quiet-<issue>-...` or `near-miss-...`) has one beside its files:

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

Only the keys given are checked, and a rule that raises fails every case. `antrea-diagnose rules
test` and the built-in pack's test suite run every folder against its file, so adding a rule
needs no test code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from diagnose.rules.rule import PROBLEM_SEVERITIES

FILE = "expect.yaml"
FINDING_KEYS = frozenset(
    {"rule", "outcome", "nodes", "severity", "status", "category", "first", "symptom_of", "summary", "evidence"}
)
TOP_KEYS = frozenset({"expect", "quiet", "absent", "verdict"})


class SpecError(ValueError):
    """An `expect.yaml` that is not in the format above."""


@dataclass(frozen=True)
class Case:
    """One fixture folder."""

    path: Path

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def spec_path(self) -> Path:
        return self.path / FILE

    def spec(self) -> dict[str, Any]:
        """The parsed `expect.yaml`, checked for unknown keys."""
        try:
            data = yaml.safe_load(self.spec_path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as e:
            raise SpecError(f"{self.spec_path}: {e}") from None
        if not isinstance(data, dict):
            raise SpecError(f"{self.spec_path}: a mapping with {sorted(TOP_KEYS)} is expected")
        unknown = set(data) - TOP_KEYS
        for want in data.get("expect") or []:
            if not isinstance(want, dict) or "rule" not in want:
                raise SpecError(f"{self.spec_path}: each `expect` entry is a mapping with a `rule`")
            unknown |= set(want) - FINDING_KEYS
        if unknown:
            raise SpecError(f"{self.spec_path}: unknown keys {sorted(unknown)}")
        return data


def cases(fixtures: Path) -> Iterator[Case]:
    """Every fixture folder under `fixtures` (`<rule module>/<case>/`), sorted."""
    for path in sorted(p for p in fixtures.glob("*/*") if p.is_dir()):
        yield Case(path)


def problems(report: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """What of `spec` the JSON report (`Diagnosis.to_dict()`) does not meet; empty when it does."""
    found = _flatten(report)
    out = [f"rule {r['rule_id']} raised {r['error']} at {r['where']}" for r in report.get("rule_failures", [])]
    for want in spec.get("expect") or []:
        candidates = [(f, r) for f, r in found if f["rule_id"] == want["rule"]]
        misses = [_mismatches(f, r, want, report) for f, r in candidates]
        if not any(m == [] for m in misses):
            said = "; ".join(", ".join(m) for m in misses) or "no finding of this rule"
            out.append(f"{want['rule']}: {said}")
    for rule in spec.get("quiet") or []:
        loud = [f for f, _ in found if f["rule_id"] == rule and f["severity"] in PROBLEM_SEVERITIES]
        if loud:
            out.append(f"{rule} should be quiet, found {loud[0]['severity']}: {loud[0]['summary'][:160]}")
    for rule in spec.get("absent") or []:
        if any(f["rule_id"] == rule for f, _ in found):
            out.append(f"{rule} should give no finding")
    if "verdict" in spec and report["verdict"] != spec["verdict"]:
        out.append(f"verdict {report['verdict']}")
    return out


def _flatten(report: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(finding, the root it is attached to or None), roots first."""
    out: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for root in report["findings"]:
        out.append((root, None))
        out.extend((s, root) for s in root.get("symptoms", []))
    return out


def _mismatches(
    f: dict[str, Any], root: dict[str, Any] | None, want: dict[str, Any], report: dict[str, Any]
) -> list[str]:
    bad = []
    for key in ("rule", "outcome", "severity", "status", "category"):
        have = f.get("rule_id" if key == "rule" else key)
        if key in want and have != want[key]:
            bad.append(f"{key}={have!r}")
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
