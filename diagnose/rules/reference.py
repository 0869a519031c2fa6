"""Reference pages generated from the code, so they cannot drift from it:

    python -m diagnose.rules.reference taxonomy > docs/taxonomy.md    # the root-cause categories
    python -m diagnose.rules.reference api > docs/rule-api.md         # what a rule module can import

A test keeps the committed pages equal to what this prints.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
from typing import Any

from diagnose import api
from diagnose.bundle import artifacts
from diagnose.rules.rule import TAXONOMY


def taxonomy_md() -> str:
    lines = [
        "# Root-cause taxonomy",
        "",
        "Every finding's `category` is one of these ids (generated from `diagnose.rules.rule.TAXONOMY`). A rule",
        "declares its category, the categories it can cause (`explains`) and the look-alikes it is told",
        "apart from (`lookalikes`); the fallback findings take theirs from the message catalogue.",
        "",
        "| id | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{k}` | {v} |" for k, v in TAXONOMY.items()]
    return "\n".join(lines) + "\n"


def _first_line(obj: Any) -> str:
    return " ".join((inspect.getdoc(obj) or "").split("\n\n")[0].split())


def _fields(cls: type) -> list[str]:
    """One row per field: its type and the comment written beside it in the source."""
    comments = dict(re.findall(r"^    (\w+): [^#\n]*#\s*(.+)$", inspect.getsource(cls), re.M))
    out = []
    for f in dataclasses.fields(cls):
        hint = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        what = comments.get(f.name, "").replace("|", "\\|")
        out.append(f"| `{f.name}` | `{hint.replace('|', chr(92) + '|')}` | {what} |")
    return out


def api_md() -> str:
    lines = [
        "# Rule API",
        "",
        "Everything a rule module imports comes from `diagnose.api` (generated from that module; the",
        "walk-through is [writing-rules.md](writing-rules.md)).",
        "",
    ]
    for name in ("Rule", "Outcome", "Signature", "Recall", "Inputs", "Step", "Missing"):
        cls = getattr(api, name)
        lines += [
            f"## `{name}`",
            "",
            _first_line(cls),
            "",
            "| field | type | what |",
            "|---|---|---|",
            *_fields(cls),
            "",
        ]
    lines += ["## What `check(ev)` reads", ""]
    for name in ("RuleEvidence", "NodeView", "ClusterView"):
        cls = getattr(api, name)
        lines += [f"### `{name}`", "", _first_line(cls), "", "| member | what |", "|---|---|"]
        for member, value in sorted(vars(cls).items()):
            if member.startswith("_"):
                continue
            target = value.fget if isinstance(value, property) else getattr(value, "func", value)
            if callable(target) or isinstance(value, property):
                kind = "" if isinstance(value, property) or hasattr(value, "func") else "()"
                lines.append(f"| `{member}{kind}` | {_first_line(target)} |")
        lines.append("")
    lines += [
        "## Artifact kinds",
        "",
        "For `Inputs` and `NodeView.has()`; the engine names the command that collects each one when a rule lacks it.",
        "",
        "| name in `diagnose.api` | kind | what | collected with |",
        "|---|---|---|---|",
    ]
    by_kind = {k.name: k for k in artifacts.KINDS}
    for name in sorted(n for n in api.__all__ if n.isupper() and isinstance(getattr(api, n), str)):
        artifact = by_kind.get(getattr(api, name))
        if artifact is not None:
            lines.append(f"| `{name}` | `{artifact.name}` | {artifact.title} | `{artifact.collect}` |")
    return "\n".join(lines) + "\n"


PAGES = {"taxonomy": taxonomy_md, "api": api_md}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in PAGES:
        sys.exit(f"usage: python -m diagnose.rules.reference {{{'|'.join(PAGES)}}}")
    sys.stdout.write(PAGES[argv[0]]())


if __name__ == "__main__":
    main()
