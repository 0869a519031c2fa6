"""The HTML report: one self-contained file (inline CSS and SVG, no network) with a
Content-Security-Policy that forbids fetches and every script but the report's own.

The template is autoescaped; bundle text only ever appears as escaped element text. The only
script is the template's small inline one (copy buttons, opening folds for printing); the page
works without it. It is allowed by its sha256 hash, computed here from the rendered page, so a
script that is not byte for byte the template's cannot run even if bundle text slipped through.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TEMPLATE = "report.html.j2"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-src 'none'"
)
# Only what the template writes: bundle text is escaped, so `<script>` in the output is its own.
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def render_html(d: dict[str, Any], templates_dirs: Iterable[Path | str] | None = None) -> str:
    from diagnose.report.templating import environment

    template = environment(templates_dirs).get_template(TEMPLATE)
    marker = f"csp-{secrets.token_hex(16)}"  # unguessable: bundle text cannot contain it
    page = template.render(d=d, csp=marker)
    return page.replace(marker, policy(page), 1)


def policy(page: str) -> str:
    """The CSP for `page`: scripts allowed by the hash of each inline script it contains."""
    hashes = [script_hash(body) for body in _SCRIPT.findall(page)]
    if not hashes:
        return CSP
    return CSP + "; script-src " + " ".join(f"'{h}'" for h in hashes)


def script_hash(body: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
