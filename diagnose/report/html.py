"""The HTML report: one self-contained file (inline CSS, no script, no network) with a
Content-Security-Policy that forbids scripts and fetches even if bundle text slipped through.
The template is autoescaped; bundle text only ever appears as escaped element text."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

TEMPLATE = "report.html.j2"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-src 'none'"
)


def render_html(d: dict[str, Any], templates_dirs: Iterable[Path | str] | None = None) -> str:
    from diagnose.report.templating import environment

    template = environment(templates_dirs).get_template(TEMPLATE)
    return template.render(d=d, csp=CSP)
