"""The rule catalogue `docs/rules.md`, generated from the built-in rule pack.

    python -m diagnose.rules.catalogue > docs/rules.md

A test compares the committed file with this output, so the catalogue never drifts from the
code. The same Markdown conversion of a rule's docstring serves `antrea-diagnose rules show`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from diagnose.rules.rule import CATEGORIES, DOC_SECTIONS, Rule, doc_sections

REGENERATE = "python -m diagnose.rules.catalogue > docs/rules.md"

_RST_CODE = re.compile(r"``(.+?)``", re.S)
_MARKDOWN_SPECIAL = re.compile(r"([\\<])")  # HTML tags and escapes; RST *emphasis* reads the same


def doc_markdown(doc: str, level: int = 4) -> str:
    """A rule docstring as Markdown: section titles become headings of `level`, RST ``code``
    becomes `code`, and characters Markdown would interpret outside code are escaped."""
    summary, sections = doc_sections(doc.strip())
    out = [_inline(summary).strip()]
    for title, body in sections:
        out += ["", f"{'#' * level} {title}", "", _inline(body).strip()]
    return "\n".join(out).strip() + "\n"


def _inline(text: str) -> str:
    parts = []
    pos = 0
    for m in _RST_CODE.finditer(text):
        parts.append(_MARKDOWN_SPECIAL.sub(r"\\\1", text[pos : m.start()]))
        code = m[1]
        ticks = "``" if "`" in code else "`"
        pad = " " if code.startswith("`") or code.endswith("`") else ""
        parts.append(f"{ticks}{pad}{code}{pad}{ticks}")
        pos = m.end()
    parts.append(_MARKDOWN_SPECIAL.sub(r"\\\1", text[pos:]))
    return "".join(parts)


def versions_text(rule: Rule) -> str:
    text = "all versions" if rule.applies_to.strip() in ("", "all", "*") else rule.applies_to
    return text + (f", fixed in {rule.fixed_in}" if rule.fixed_in else "")


def reference_markdown(ref: str) -> str:
    from diagnose.report.view import reference_url

    url = reference_url(ref)
    if url is None:
        return _MARKDOWN_SPECIAL.sub(r"\\\1", ref)
    return f"<{url}>" if url == ref.strip() else f"[{ref}]({url})"


def rule_markdown(rule: Rule, level: int = 3) -> str:
    """One rule's entry: its metadata and its documentation."""
    h = "#" * level
    module = f"rules/{Path(rule.path).name}" if rule.path else rule.slug.replace("-", "_") + ".py"
    rows = [
        ("Title", _inline(rule.title)),
        ("Category", f"`{rule.category}`"),
        ("Severity", rule.severity),
        ("Versions", versions_text(rule)),
        ("Module", f"`{module}`"),
    ]
    if rule.explains:
        rows.append(("Explains", ", ".join(f"`{c}`" for c in rule.explains)))
    if rule.lookalikes:
        rows.append(("Told apart from", ", ".join(f"`{c}`" for c in rule.lookalikes)))
    if rule.signatures:
        rows.append(
            (
                "Log signatures",
                ", ".join(
                    f"`{s.name}`" + ("" if s.versions.strip() in ("", "all", "*") else f" ({s.versions})")
                    for s in rule.signatures
                ),
            )
        )
    rows.append(("References", ", ".join(reference_markdown(r) for r in rule.references)))
    table = "\n".join(["| | |", "|---|---|", *(f"| {k} | {v.replace('|', '&#124;')} |" for k, v in rows)])
    return f"{h} {rule.id}\n\n{table}\n\n{doc_markdown(rule.doc, level + 1)}"


def render(rules: Iterable[Rule]) -> str:
    ordered = sorted(rules, key=lambda r: (r.category, r.id))
    covered = {r.category for r in ordered}
    out = [
        "# Rule catalogue",
        "",
        f"<!-- Generated from the rule modules by `{REGENERATE}`; do not edit by hand. -->",
        "",
        f"{len(ordered)} built-in rules covering {len(covered)} of the {len(CATEGORIES)} root-cause categories. "
        "Each rule is one module in `rules/`; its docstring is its documentation (the sections "
        + " / ".join(DOC_SECTIONS)
        + ") and `antrea-diagnose rules show ID` prints it. "
        "To write your own, see [writing-rules.md](writing-rules.md).",
        "",
        "## By category",
        "",
        "| Category | Rule | Severity | Title | Versions |",
        "|---|---|---|---|---|",
    ]
    for r in ordered:
        out.append(
            f"| `{r.category}` | [{r.id}](#{r.id.lower()}) | {r.severity} | {_inline(r.title)} | {versions_text(r)} |"
        )
    missing = sorted(CATEGORIES - covered)
    if missing:
        out += ["", "Categories without a rule yet: " + ", ".join(f"`{c}`" for c in missing) + "."]
    out += ["", "## Rules", ""]
    for r in ordered:
        out += [rule_markdown(r, 3).rstrip("\n"), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def builtin_catalogue() -> str:
    from diagnose.resources import builtin_rules_dir
    from diagnose.rules import rulepack

    return render(rulepack.load([builtin_rules_dir()]))


def main() -> None:
    sys.stdout.write(builtin_catalogue())


if __name__ == "__main__":
    main()
