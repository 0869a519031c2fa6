"""Ranked findings: root causes first, the symptoms they explain attached to them.

`Diagnosis.to_dict()` is the one report model: the JSON report is exactly this dict and the
Markdown, HTML and terminal renderers read the same dict, so no format knows more than another.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from diagnose import __version__
from diagnose.model import Cluster
from diagnose.report import storyline
from diagnose.rule import CONFIRMED, SEVERITY_RANK, Finding

SCHEMA_VERSION = "1.0"


def rank(findings: list[Finding]) -> list[Finding]:
    """Attach every finding whose category another finding explains on the same Nodes, then
    order the remaining root causes: worst severity, confirmed before inconclusive, most
    confident, most explaining."""
    roots: list[Finding] = []
    candidates = sorted(findings, key=lambda f: (-len(f.explains), _order(f)))
    for f in candidates:
        host = next((r for r in roots if _explains(r, f)), None)
        if host is not None:
            host.symptoms.append(f)
        else:
            roots.append(f)
    # A root found later may still explain one placed before it.
    for r in list(roots):
        host = next((o for o in roots if o is not r and _explains(o, r)), None)
        if host is not None:
            roots.remove(r)
            host.symptoms.append(r)
            host.symptoms.extend(r.symptoms)
            r.symptoms = []
    for r in roots:
        r.symptoms.sort(key=_order)
    return sorted(roots, key=_order)


def _order(f: Finding) -> tuple:
    return (SEVERITY_RANK[f.severity], f.status != CONFIRMED, -f.confidence, -len(f.symptoms), f.rule_id)


def _explains(root: Finding, other: Finding) -> bool:
    return (
        other.category in root.explains
        and other.category != root.category
        and bool(other.nodes)
        and set(other.nodes) <= set(root.nodes)
    )


@dataclass
class NodeSummary:
    name: str
    role: str | None = None
    antrea_version: str | None = None
    artifacts: int = 0
    log_lines_matched: int = 0
    failed_reason: str | None = None  # in failed_nodes: antctl could not collect its bundle
    fallback_bundle: bool = False


@dataclass
class Diagnosis:
    cluster: Cluster
    findings: list[Finding]
    nodes: list[NodeSummary]
    rules_run: int
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    # Error/warning line templates no rule signature matched (diagnose.unexplained), most frequent first.
    unexplained: list[dict[str, Any]] = field(default_factory=list)

    def worst_severity(self) -> str | None:
        return min((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__, default=None)

    def to_dict(self) -> dict[str, Any]:
        c = self.cluster
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "antrea-diagnose", "version": __version__},
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "source": {
                "path": c.source,
                "shape": c.shape,
                "collected_at": c.collected_at.isoformat() if c.collected_at else None,
                "nodes": [asdict(n) for n in self.nodes],
                "artifacts": [
                    {"path": a.path, "kind": a.kind, "node": a.node, "size": a.size, "truncated": a.truncated}
                    for a in c.all_artifacts()
                ],
                "unreadable": [{"path": p.path, "reason": p.reason} for p in c.problems],
                "unrecognised": list(c.ignored),
                "rules_run": self.rules_run,
            },
            "findings": [_finding_dict(f) for f in self.findings],
            "unexplained": self.unexplained,
            "timeline": storyline.build(c, self.findings),
        }


def _finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "slug": f.slug,
        "category": f.category,
        "severity": f.severity,
        "confidence": f.confidence,
        "nodes": f.nodes,
        "title": f.title,
        "summary": f.summary,
        "status": f.status,
        "missing_evidence": [asdict(m) for m in f.missing],
        "evidence": [asdict(e) for e in f.evidence],
        "remediation": {
            "steps": [s.text for s in f.remediation],
            "commands": [s.command for s in f.remediation if s.command],
            "detail": [asdict(s) for s in f.remediation],
        },
        "references": f.references,
        "ruled_out": f.ruled_out,
        "explains": [_finding_dict(s) for s in f.symptoms],
        "why": f.why,
    }
