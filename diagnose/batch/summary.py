"""The fleet view files in the output folder, rebuilt from the store alone:

    summary.html      self-contained (inline CSS and SVG plots, no script, no network)
    summary.md        the same tables in Markdown, for a ticket or a wiki
    findings.csv      one row per finding with its bundle's facts (pandas)
    findings.parquet  the same table, typed (pyarrow: the `antrea-diagnose[parquet]` extra)
    bundles.csv       one row per bundle: status, error, versions, Nodes, scan time

`antrea-diagnose summary results/` calls the same functions, so the view can be re-rendered
without scanning anything.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from diagnose import __version__
from diagnose.batch import outputs, svg
from diagnose.batch.fleet import Fleet
from diagnose.batch.store import FILE_NAME

FORMATS = ("html", "md")
FILES = {"html": "summary.html", "md": "summary.md"}
_TEMPLATES = Path(__file__).resolve().parent / "templates"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-src 'none'"
)


def render(out: Path, fmt: str, context: dict[str, Any] | None = None) -> str:
    context = context or _context(out, Fleet.load(out / FILE_NAME))
    template = _environment().get_template(f"summary.{fmt}.j2")
    return template.render(s=context, csp=CSP)


def write_all(out: Path) -> tuple[list[Path], list[str]]:
    """Write every summary file; returns (files written, notes for the user)."""
    fleet = Fleet.load(out / FILE_NAME)
    context = _context(out, fleet)
    written, notes = [], []
    for fmt in FORMATS:
        path = out / FILES[fmt]
        outputs.write_atomically(path, render(out, fmt, context))
        written.append(path)
    table = fleet.export_table()
    outputs.write_atomically(out / "findings.csv", table.to_csv(index=False))
    written.append(out / "findings.csv")
    bundles = fleet.bundles.drop(columns=["id", "stat_key"], errors="ignore")
    outputs.write_atomically(out / "bundles.csv", bundles.to_csv(index=False))
    written.append(out / "bundles.csv")
    parquet = out / "findings.parquet"
    try:
        import pyarrow  # noqa: F401  (pandas writes parquet through it: an optional extra)
    except ImportError:
        parquet.unlink(missing_ok=True)  # one from an earlier run would disagree with findings.csv
        notes.append(
            "findings.parquet was not written: pyarrow is not installed (pip install "
            "'antrea-diagnose[parquet]'); findings.csv has the same rows."
        )
    else:
        import io

        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        outputs.write_atomically(parquet, buf.getvalue())
        written.append(parquet)
    return written, notes


def warm_up() -> None:
    """Import pandas and jinja2 and compile the summary templates: what `write_all` would do
    first. `batch` runs this in a thread while its workers start, so the summary at the end
    costs little more than reading the store."""
    import pandas  # noqa: F401

    env = _environment()
    for fmt in FORMATS:
        env.get_template(f"summary.{fmt}.j2")


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    from diagnose.report import mdtext, view

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=True, default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=mdtext.escape, code=mdtext.code, oneline=view.oneline, pct=_pct, human_size=view.human_size)
    return env


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _context(out: Path, fleet: Fleet) -> dict[str, Any]:
    time_rows, period, undated = fleet.over_time()
    bundles = fleet.bundle_rows()
    for b in bundles:
        b["report"] = _report_link(out, b["name"])
    by_category, by_version, by_severity = fleet.by_category(), fleet.by_version(), fleet.by_severity()
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "tool_version": __version__,
        "totals": fleet.totals(),
        "charts": {
            "category": svg.hbars(by_category, "Root causes by category"),
            "version": svg.hbars(by_version, "Root causes by Antrea version"),
            "severity": svg.hbars(by_severity, "Root causes by severity"),
            "time": svg.columns(time_rows, f"Root causes by collection {period}"),
        },
        "by_category": by_category,
        "by_version": by_version,
        "bundles_by_version": fleet.bundles_by_version(),
        "by_severity": by_severity,
        "time_rows": time_rows,
        "period": period,
        "undated": undated,
        "top_rules": fleet.top_rules(),
        "unexplained": fleet.top_unexplained(),
        "failed": fleet.failed(),
        "bundles": bundles,
    }


def _report_link(out: Path, name: str) -> str | None:
    """Relative link to the bundle's best report (names are [A-Za-z0-9._-] only: safe in an href)."""
    folder = outputs.bundle_dir(out, name)
    for fmt in ("html", "md", "json"):
        if (folder / outputs.REPORT_FILES[fmt]).is_file():
            return f"{outputs.BUNDLES_DIR}/{name}/{outputs.REPORT_FILES[fmt]}"
    return None
