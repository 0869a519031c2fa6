"""The fleet: the results store as pandas tables, and the aggregates the summary shows.

Counts are of root causes at `warning` and above (a symptom that a root cause explains is not
counted again; an `info` finding is an expected state that looks like a fault, not a fault) in
scanned bundles; a bundle recorded as a duplicate of another (same content, other path) is not
counted twice. A bundle with several Antrea versions (an upgrade in progress) counts under each.
The exported tables (findings.csv, .parquet) keep every finding, `info` included.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from diagnose.batch import store as st
from diagnose.rules.rule import SEVERITIES

COUNTED = tuple(s for s in SEVERITIES if s != "info")  # what the fleet view calls a root cause
TOP_RULES = 30
TOP_UNEXPLAINED = 25
UNKNOWN_VERSION = "unknown"


@dataclass
class Fleet:
    """A batch store's bundles, findings and unexplained templates as pandas tables."""

    bundles: Any  # pandas DataFrame: one row per bundle path (the bundles table)
    findings: Any  # one row per finding, with its bundle's columns
    unexplained: Any  # one row per (bundle, unexplained template)

    @classmethod
    def load(cls, db_path: Path) -> Fleet:
        import pandas as pd

        db = st.open_readonly(db_path)
        try:
            bundles = pd.read_sql_query("SELECT * FROM bundles ORDER BY name", db)
            findings = pd.read_sql_query(
                "SELECT b.name AS bundle, b.path AS bundle_path, b.content_hash, b.antrea_versions, "
                "b.collected_at, b.node_count, f.rank, f.rule_id, f.slug, f.category, f.severity, f.confidence, "
                "f.status, f.title, f.nodes, f.symptoms, f.explained_by, b.rulepack "
                "FROM findings f JOIN bundles b ON b.id = f.bundle_id WHERE b.status = ? "
                "ORDER BY b.name, f.id",
                db,
                params=(st.SCANNED,),
            )
            unexplained = pd.read_sql_query(
                "SELECT b.name AS bundle, u.template, u.count, u.level, u.nodes, u.example, u.overflow "
                "FROM unexplained u JOIN bundles b ON b.id = u.bundle_id WHERE b.status = ? ORDER BY b.name, u.id",
                db,
                params=(st.SCANNED,),
            )
        finally:
            db.close()
        findings["is_root_cause"] = findings["explained_by"].isna()
        return cls(bundles, findings, unexplained)

    # -- the numbers ---------------------------------------------------------------------------

    @cached_property
    def scanned(self):
        return self.bundles[self.bundles["status"] == st.SCANNED]

    @cached_property
    def roots(self):
        return self.findings[self.findings["is_root_cause"] & self.findings["severity"].isin(COUNTED)]

    def totals(self) -> dict[str, Any]:
        b, scanned = self.bundles, self.scanned
        with_findings = self.roots["bundle"].nunique()
        return {
            "bundles": len(b),
            "scanned": len(scanned),
            "failed": int((b["status"] == st.FAILED).sum()),
            "duplicates": int((b["status"] == st.DUPLICATE).sum()),
            "with_findings": int(with_findings),
            "clean": len(scanned) - int(with_findings),
            "nodes": int(scanned["node_count"].fillna(0).sum()),
            "versions": len(self.version_labels()),
            "root_causes": len(self.roots),
            "rulepacks": sorted(set(b["rulepack"].dropna())),
        }

    def version_labels(self) -> list[str]:
        return sorted({v for vs in self.scanned["antrea_versions"].dropna() for v in vs.split(",") if v})

    def by_severity(self) -> list[tuple[str, dict[str, int]]]:
        counts = self.roots["severity"].value_counts()
        return [(s, {s: int(counts.get(s, 0))}) for s in COUNTED]

    def by_category(self) -> list[tuple[str, dict[str, int]]]:
        """Root causes per category, split by severity, most frequent first."""
        return _stacked(self.roots, "category")

    def by_version(self) -> list[tuple[str, dict[str, int]]]:
        """Root causes per Antrea version (bundles with several versions count under each)."""
        roots = self.roots.assign(version=self.roots["antrea_versions"].fillna(UNKNOWN_VERSION).str.split(","))
        roots = roots.explode("version")
        roots["version"] = roots["version"].replace("", UNKNOWN_VERSION)
        rows = _stacked(roots, "version")
        return sorted(rows, key=lambda r: _version_order(r[0]))

    def bundles_by_version(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for vs in self.scanned["antrea_versions"].fillna(UNKNOWN_VERSION):
            for v in vs.split(","):
                out[v or UNKNOWN_VERSION] = out.get(v or UNKNOWN_VERSION, 0) + 1
        return out

    def over_time(self) -> tuple[list[tuple[str, dict[str, int]]], str, int]:
        """(root causes per collection period split by severity, period name, bundles without a
        collection time). The period is a day, a week or a month, whichever gives <= ~40 columns."""
        import pandas as pd

        times = pd.to_datetime(self.scanned["collected_at"], errors="coerce", utc=True, format="ISO8601")
        undated = int(times.isna().sum())
        if times.notna().sum() == 0:
            return [], "day", undated
        span = (times.max() - times.min()).days
        freq, period = ("D", "day") if span <= 40 else ("W", "week") if span <= 280 else ("M", "month")
        when = dict(zip(self.scanned["name"], times, strict=True))
        roots = self.roots.assign(when=self.roots["bundle"].map(when)).dropna(subset=["when"])
        labels = pd.period_range(times.min().tz_convert(None), times.max().tz_convert(None), freq=freq)
        roots = roots.assign(period=roots["when"].dt.tz_convert(None).dt.to_period(freq))
        counts: dict[Any, dict[str, int]] = {}
        for (p, severity), n in roots.groupby(["period", "severity"]).size().items():  # one pass, not one per period
            counts.setdefault(p, {})[severity] = int(n)
        rows = []
        for p in labels:
            found = counts.get(p, {})
            label = p.start_time.strftime("%Y-%m-%d" if freq != "M" else "%Y-%m")
            rows.append((label, {s: found[s] for s in SEVERITIES if found.get(s)}))
        return rows, period, undated

    def top_rules(self, limit: int = TOP_RULES) -> list[dict[str, Any]]:
        roots = self.roots
        if roots.empty:
            return []
        total = max(1, len(self.scanned))
        rows = []
        for rule_id, sub in roots.groupby("rule_id", sort=False):
            first = sub.iloc[0]
            versions = sorted(
                {v for vs in sub["antrea_versions"].dropna() for v in vs.split(",") if v}, key=_version_order
            )
            bundles = sorted(set(sub["bundle"]))
            rows.append(
                {
                    "rule_id": rule_id,
                    "title": first["title"],
                    "category": first["category"],
                    "severity": _worst(sub["severity"]),
                    "bundles": len(bundles),
                    "share": len(bundles) / total,
                    "inconclusive": int((sub["status"] == "inconclusive").sum()),
                    "versions": versions,
                    "examples": bundles[:5],
                }
            )
        rows.sort(key=lambda r: (-r["bundles"], _sev_rank(r["severity"]), r["rule_id"]))
        return rows[:limit]

    def top_unexplained(self, limit: int = TOP_UNEXPLAINED) -> list[dict[str, Any]]:
        u = self.unexplained
        if u.empty:
            return []
        u = u[u["overflow"] == 0]
        rows = []
        for template, sub in u.groupby("template", sort=False):
            nodes = {n for ns in sub["nodes"].dropna() for n in ns.split(",") if n}
            rows.append(
                {
                    "template": template,
                    "bundles": sub["bundle"].nunique(),
                    "lines": int(sub["count"].fillna(0).sum()),
                    "level": "error" if (sub["level"] == "error").any() else "warning",
                    "nodes": len(nodes),
                    "example": sub["example"].iloc[0],
                    "example_bundle": sub["bundle"].iloc[0],
                }
            )
        rows.sort(key=lambda r: (-r["bundles"], r["level"] != "error", -r["lines"], r["template"]))
        return rows[:limit]

    def failed(self) -> list[dict[str, Any]]:
        b = self.bundles[self.bundles["status"] == st.FAILED]
        return [{"name": r.name, "path": r.path, "error": _text(r.error)} for r in b.itertuples()]

    def bundle_rows(self) -> list[dict[str, Any]]:
        top = self.roots.sort_values("rank").groupby("bundle").first()
        counts = self.roots.groupby("bundle").size()
        out = []
        for r in self.bundles.itertuples():
            first = top.loc[r.name] if r.name in top.index else None
            out.append(
                {
                    "name": r.name,
                    "path": r.path,
                    "status": r.status,
                    "versions": _text(r.antrea_versions),
                    "nodes": None if _isnan(r.node_count) else int(r.node_count),
                    "collected_at": _text(r.collected_at),
                    "worst": _text(r.worst_severity),
                    "findings": None if r.status != st.SCANNED else int(counts.get(r.name, 0)),
                    "top": None if first is None else f"{first['rule_id']} {first['title']}",
                    "error": _text(r.error),
                    "seconds": None if _isnan(r.scan_seconds) else r.scan_seconds,
                }
            )
        return out

    def export_table(self):
        """findings.csv / findings.parquet: one row per finding with its bundle's facts."""
        return self.findings.copy()


def _stacked(frame, column: str) -> list[tuple[str, dict[str, int]]]:
    rows = []
    for key, sub in frame.groupby(column, sort=False, dropna=False):
        counts = sub["severity"].value_counts()
        rows.append((str(key), {s: int(counts.get(s, 0)) for s in SEVERITIES if counts.get(s, 0)}))
    rows.sort(key=lambda r: (-sum(r[1].values()), r[0]))
    return rows


def _sev_rank(severity: Any) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _worst(series) -> str:
    return min(series.dropna(), key=_sev_rank, default="")


def _version_order(label: str) -> tuple:
    from diagnose.facts import versions

    v = versions.parse(label)
    return (v is None, v or versions.Version(0, 0, 0, True, ""), label)


def _isnan(value: Any) -> bool:
    return value is None or value != value


def _text(value: Any) -> str:
    """A text column's value; SQL NULL comes back from pandas as None or NaN."""
    return "" if _isnan(value) else str(value)
