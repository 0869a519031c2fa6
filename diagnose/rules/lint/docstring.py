"""The rule's documentation: a one-line summary, then the fixed sections in order, none empty."""

from __future__ import annotations

from diagnose.rules.rule import DOC_SECTIONS, UNDERLINE, doc_sections


def docstring_problems(doc: str) -> list[str]:
    if not doc.strip():
        return ["no module docstring: it is the rule's documentation (" + " / ".join(DOC_SECTIONS) + ")"]
    out = []
    lines = doc.splitlines()
    first = lines[0].strip()
    if not first or UNDERLINE.match(lines[1] if len(lines) > 1 else ""):
        out.append("the docstring must start with a one-line summary")
    elif len(lines) > 1 and lines[1].strip():
        out.append("the one-line summary must be followed by a blank line (keep it to one line)")
    _, sections = doc_sections(doc)
    titles = [t for t, _ in sections]
    missing = [s for s in DOC_SECTIONS if s not in titles]
    if missing:
        out.append(f"docstring lacks the section(s) {', '.join(missing)} (title underlined with ---)")
    unknown = [t for t in titles if t not in DOC_SECTIONS]
    if unknown:
        out.append(
            f"docstring has unknown section(s) {', '.join(unknown)}; the sections are " + " / ".join(DOC_SECTIONS)
        )
    known = [t for t in titles if t in DOC_SECTIONS]
    if len(set(known)) != len(known):
        out.append("a docstring section appears twice")
    elif not missing and known != list(DOC_SECTIONS):
        out.append("docstring sections are out of order: " + " / ".join(DOC_SECTIONS))
    out += [f"docstring section {t} is empty" for t, body in sections if t in DOC_SECTIONS and not body]
    return out
