"""The Markdown report: one GitHub issue comment (at most 65,536 characters).

Bundle text is untrusted and lands in a place where Markdown pings people (`@team`), links
issues (`#12`), embeds images and renders HTML. So, in the template:

- raw lines (evidence, commands) go in fenced code blocks (`fence`) whose fence is longer than
  any backtick run in the content, so nothing inside can close it;
- short values inline go in code spans (`code`), built the same way;
- all other text goes through `escape` (`md`): one line, every Markdown/HTML special
  backslash-escaped, `@` and `#<digit>` broken with a zero-width joiner so nobody is mentioned
  and no issue is cross-referenced, `://` broken so no bare URL is auto-linked.

If the report is too long, evidence lines, symptom lists, file lists and long texts are cut
step by step (on a copy of the dict) until it fits, and a note at the top says what was cut.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diagnose.report import view

MAX_CHARS = 65_536  # GitHub's limit for an issue or comment body
TEMPLATE = "report.md.j2"

ZWJ = "\u200d"
# Specials anywhere in a line (`$` is GitHub math); `-`, `+`, `=` and `1.` only matter at the
# start of a line (lists, setext underlines), where `_BLOCK_START` escapes them.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>!|~&#$])")
_BLOCK_START = re.compile(r"^(?:([+=-])|(\d+)\.)")
_MENTION = re.compile(r"@")
_ISSUE_REF = re.compile(r"#(?=\d)")
_AUTOLINK = re.compile(r"(?i):(?=//)|(?<![\w.])(www)(?=\.)")
_BACKTICKS = re.compile(r"`+")


def escape(value: Any) -> str:
    """Plain text for anywhere in a Markdown document (paragraph, list item, table cell, heading)."""
    text = _SPECIAL.sub(r"\\\1", view.oneline(value))
    text = _BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\.", text)
    text = _MENTION.sub("@" + ZWJ, text)
    text = _ISSUE_REF.sub("#" + ZWJ, text)
    return _AUTOLINK.sub(lambda m: (m[1] or ":") + ZWJ, text)


def code(value: Any, cell: bool = False) -> str:
    """An inline code span that no backtick in the value can close. `cell=True` inside a table,
    where GitHub splits cells on `|` even inside code spans."""
    text = view.oneline(value)
    if not text:
        return ""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    if cell:
        text = text.replace("|", "\\|")
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(value: Any, lang: str = "", indent: int = 0) -> str:
    """A fenced code block, indented by `indent` spaces (inside a list item)."""
    text = view.clean(value).rstrip("\n")
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * max(3, longest + 1)
    lines = [f"{ticks}{lang}", *text.split("\n"), ticks]
    pad = " " * indent
    return "\n".join(pad + line if line else line for line in lines)


def evidence_fence(lines: Iterable[dict[str, Any]]) -> str:
    """Evidence lines in one code block: `artifact:line  time  (node)` above each raw line."""
    blocks = [f"{view.evidence_location(e)}\n{view.clean(e.get('text')).rstrip()}" for e in lines]
    return fence("\n\n".join(blocks), "text")


def reference_link(ref: Any) -> str:
    """`[antrea-io/antrea#6448](https://github.com/...)` or escaped text when not a link."""
    url = view.reference_url(ref)
    if url is None:
        return escape(ref)
    if url == str(ref).strip():
        return f"<{url}>"
    return f"[{escape(ref)}](<{url}>)"


@dataclass(frozen=True)
class _Budget:
    """How much of each list survives one shrinking step (None: all of it)."""

    evidence: int | None = None  # evidence lines per root cause
    explains: int | None = None  # symptom lines per root cause
    findings: int | None = None  # root causes
    artifacts: int | None = None
    unrecognised: int | None = None
    unreadable: int | None = None
    nodes: int | None = None  # rows of the Nodes table
    text: int | None = None  # characters of any one string
    items: int | None = None  # items of any other list (nodes of a finding, steps, references...)
    unexplained: int | None = None  # rows of "Unexplained errors" (the template shows 25 at most)


_STEPS = (
    _Budget(),
    _Budget(evidence=50, explains=50, artifacts=200, unrecognised=200, unreadable=200, text=4000, unexplained=15),
    _Budget(evidence=20, explains=20, artifacts=0, unrecognised=50, unreadable=100, nodes=300, text=2000),
    _Budget(evidence=8, explains=10, artifacts=0, unrecognised=20, unreadable=50, nodes=100, text=1000,
            findings=30, unexplained=10),
    _Budget(evidence=3, explains=5, artifacts=0, unrecognised=10, unreadable=20, nodes=50, text=500,
            findings=15, items=30, unexplained=5),
    _Budget(evidence=1, explains=3, artifacts=0, unrecognised=5, unreadable=10, nodes=20, text=300,
            findings=8, items=10, unexplained=3),
    _Budget(evidence=0, explains=0, artifacts=0, unrecognised=0, unreadable=5, nodes=10, text=200,
            findings=3, items=5, unexplained=0),
)


def render_markdown(d: dict[str, Any], templates_dirs: Iterable[Path | str] | None = None,
                    max_chars: int = MAX_CHARS) -> str:
    from diagnose.report.templating import environment

    template = environment(templates_dirs).get_template(TEMPLATE)
    text = ""
    for budget in _STEPS:
        shown, cuts = _shrink(d, budget)
        text = template.render(d=shown, truncated=_cut_note(cuts, max_chars))
        if len(text) < max_chars:
            return text
    return _hard_cut(text, max_chars)


def _shrink(d: dict[str, Any], b: _Budget) -> tuple[dict[str, Any], Counter[str]]:
    """A copy of `d` cut to the budget, and how many of what were left out. The cut counts are
    kept on the copy (`omitted_*` keys) so the template can say "N more" where they were."""
    cuts: Counter[str] = Counter()
    if b == _Budget():
        return d, cuts
    out = copy.deepcopy(d)
    src = out["source"]
    for key, limit, what in (
        ("artifacts", b.artifacts, "artifact paths"),
        ("unrecognised", b.unrecognised, "unrecognised paths"),
        ("unreadable", b.unreadable, "unreadable files"),
        ("nodes", b.nodes, "Node rows"),
    ):
        src["omitted_" + key] = _cut_list(src, key, limit, what, cuts)
    out["omitted_findings"] = _cut_list(out, "findings", b.findings, "root causes", cuts)
    out["omitted_unexplained"] = _cut_list(out, "unexplained", b.unexplained, "unexplained error templates", cuts)
    for f in out["findings"]:
        f["omitted_evidence"] = _cut_list(f, "evidence", b.evidence, "evidence lines", cuts)
        f["omitted_explains"] = _cut_list(f, "explains", b.explains, "symptom findings", cuts)
        if b.items is not None:
            for key in ("nodes", "missing_evidence", "ruled_out", "references"):
                f["omitted_" + key] = _cut_list(f, key, b.items, "list items", cuts)
            rem = f["remediation"]
            f["omitted_steps"] = _cut_list(rem, "detail", b.items, "remediation steps", cuts)
            rem["steps"] = [s["text"] for s in rem["detail"]]
            rem["commands"] = [s["command"] for s in rem["detail"] if s.get("command")]
            for s in f["explains"]:
                s["nodes"] = s["nodes"][: b.items]
    if b.text is not None:
        _cut_strings(out, b.text, cuts)
    return out, cuts


def _cut_list(holder: dict[str, Any], key: str, limit: int | None, what: str, cuts: Counter[str]) -> int:
    items = holder.get(key) or []
    if limit is None or len(items) <= limit:
        return 0
    holder[key] = items[:limit]
    cuts[what] += len(items) - limit
    return len(items) - limit


def _cut_strings(obj: Any, limit: int, cuts: Counter[str]) -> Any:
    if isinstance(obj, dict):
        for k, v in obj.items():
            obj[k] = _cut_strings(v, limit, cuts)
    elif isinstance(obj, list):
        obj[:] = [_cut_strings(v, limit, cuts) for v in obj]
    elif isinstance(obj, str) and len(obj) > limit:
        cuts["long texts shortened"] += 1
        return obj[: limit - 1] + "…"
    return obj


def _cut_note(cuts: Counter[str], max_chars: int) -> str | None:
    if not cuts:
        return None
    parts = [f"{n:,} {what}" for what, n in cuts.items()]
    return (
        f"This report was shortened to fit in a GitHub comment ({max_chars:,} characters): "
        f"left out {', '.join(parts)}. The HTML and JSON reports have everything."
    )


def _hard_cut(text: str, max_chars: int) -> str:
    """Last resort (a report that is long even with every list cut): cut at a line end, close
    a code block left open, and say so."""
    note = f"\n\n**Report cut at {max_chars:,} characters.** The HTML and JSON reports have everything.\n"
    head = text[: max(0, max_chars - len(note) - 1000)]
    head = head[: head.rfind("\n") + 1]
    open_fence = ""  # the opening line's indent and backticks, repeated to close it
    for line in head.split("\n"):
        run = re.match(r"( {0,12})(`{3,})(.*)$", line)
        if not run:
            continue
        if not open_fence:
            open_fence = run[1] + run[2]
        elif len(run[2]) >= len(open_fence.lstrip(" ")) and not run[3].strip():
            open_fence = ""
    return head + (open_fence + "\n" if open_fence else "") + note
