"""Report renderers: one `Diagnosis.to_dict()` dict in, one format out.

Every format reads the same dict and computes nothing from the bundle, so all of them show the
same facts; shared wording (the verdict, a Node's status) lives in `view`. jinja2 and rich are
imported only when a report is rendered, never when this package is imported (`--help` stays fast).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FORMATS = ("terminal", "md", "html", "json")
SUFFIXES = {"terminal": ".txt", "md": ".md", "html": ".html", "json": ".json"}


def render(
    diagnosis_dict: dict[str, Any],
    fmt: str,
    templates_dirs: list[Path] | None = None,
    *,
    width: int = 100,
    color: bool = False,
) -> str:
    """The report in `fmt` as a string. `templates_dirs` override the built-in templates (first
    wins); `width` and `color` (ANSI styles) apply to the terminal format only."""
    if fmt == "json":
        from diagnose.report.json import render_json

        return render_json(diagnosis_dict)
    if fmt == "md":
        from diagnose.report.markdown import render_markdown

        return render_markdown(diagnosis_dict, templates_dirs)
    if fmt == "html":
        from diagnose.report.html import render_html

        return render_html(diagnosis_dict, templates_dirs)
    if fmt == "terminal":
        from diagnose.report.terminal import render_terminal

        return render_terminal(diagnosis_dict, width=width, color=color)
    raise ValueError(f"unknown report format {fmt!r}: choose one of {', '.join(FORMATS)}")


def print_terminal(diagnosis_dict: dict[str, Any], console: Any = None) -> None:
    """Print the terminal report to `console` (a rich Console; default: stdout)."""
    from diagnose.report.terminal import print_terminal as _print

    _print(diagnosis_dict, console)
