"""What the results store keeps of one JSON report: bundle facts, finding rows, unexplained rows.

Runs in the worker, so only these few rows (and the report text) travel back to the parent. It
reads the report dict defensively: a key another version of the report lacks (`unexplained`
arrived later than the rest) yields an empty list, never an exception.
"""

from __future__ import annotations

from typing import Any

from diagnose.bundle.model import CONTROLLER_NODE
from diagnose.facts import versions
from diagnose.rules.rule import SEVERITY_RANK

MAX_TEXT = 2000  # characters kept of an untrusted example line or template in the store


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    source = report.get("source") or {}
    nodes = [n for n in source.get("nodes") or [] if isinstance(n, dict)]
    found = [v for n in nodes if (v := n.get("antrea_version"))]
    findings = finding_rows(report.get("findings") or [])
    worst = min(
        (f["severity"] for f in findings if f["severity"] in SEVERITY_RANK), key=SEVERITY_RANK.__getitem__, default=None
    )
    return {
        "shape": source.get("shape"),
        "collected_at": source.get("collected_at"),
        "antrea_versions": sorted(set(found), key=_version_key),
        "node_count": sum(1 for n in nodes if n.get("name") != CONTROLLER_NODE),
        "problems": len(source.get("unreadable") or []),
        "worst_severity": worst,
        "findings": findings,
        "unexplained": unexplained_rows(report.get("unexplained") or []),
    }


def finding_rows(roots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Root causes in report order, each followed by the symptoms it explains (`explained_by`)."""
    rows: list[dict[str, Any]] = []
    for rank, f in enumerate(r for r in roots if isinstance(r, dict)):
        rows.append(_finding(f, rank, None))
        for s in f.get("symptoms") or f.get("explains") or []:  # reports before schema 2.0 said "explains"
            if isinstance(s, dict):
                rows.append(_finding(s, rank, f.get("rule_id")))
    return rows


def _finding(f: dict[str, Any], rank: int, explained_by: str | None) -> dict[str, Any]:
    return {
        "rank": rank,
        "rule_id": str(f.get("rule_id") or ""),
        "slug": f.get("slug"),
        "category": f.get("category"),
        "severity": f.get("severity"),
        "confidence": f.get("confidence"),
        "status": f.get("status"),
        "title": f.get("title"),
        "nodes": list(f.get("nodes") or []),
        "symptoms": [s.get("category") for s in f.get("symptoms") or [] if isinstance(s, dict)],
        "explained_by": explained_by,
    }


def unexplained_rows(items: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for u in items:
        if not isinstance(u, dict) or not u.get("template"):
            continue
        example = u.get("example")
        if isinstance(example, dict):
            example = example.get("text")
        nodes = u.get("nodes")
        rows.append(
            {
                "template": str(u["template"])[:MAX_TEXT],
                "count": _int(u.get("count")),
                "level": u.get("level"),
                "nodes": [str(n) for n in nodes] if isinstance(nodes, list) else [],
                "example": str(example or "")[:MAX_TEXT],
                "overflow": bool(u.get("overflow")),
            }
        )
    return rows


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _version_key(text: str) -> tuple:
    v = versions.parse(text)
    return (v is None, v or versions.Version(0, 0, 0, True, ""), text)
