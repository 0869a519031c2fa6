"""The Markdown report: one GitHub issue comment (at most 65,536 characters).

Bundle text is untrusted and lands in a place where Markdown pings people (`@team`), links
issues (`#12`), embeds images and renders HTML: every value goes through the filters of
`diagnose.report.mdtext` (fences, code spans, escaped text).

If the report is too long, the least important parts are cut first, step by step (on a copy of
the dict) until it fits: the artifact list and other file lists, then timeline rows, the lines
around evidence lines, evidence and symptom lists, long texts, the "why" paragraph, the timeline,
and at last the remaining root causes; a note at the top says what was cut.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_CHARS = 65_536  # GitHub's limit for an issue or comment body
TEMPLATE = "report.md.j2"

TIMELINE_NODES = 5  # timeline tables (Nodes with problems) in a report that fits
TIMELINE_ROWS = 40  # key events per table


@dataclass(frozen=True)
class _Budget:
    """How much of each list survives one shrinking step (None: all of it)."""

    evidence: int | None = None  # evidence lines per root cause
    symptoms: int | None = None  # symptom lines per root cause
    findings: int | None = None  # root causes
    artifacts: int | None = None
    unrecognised: int | None = None
    unreadable: int | None = None
    nodes: int | None = None  # rows of the Nodes table
    text: int | None = None  # characters of any one string
    items: int | None = None  # items of any other list (nodes of a finding, steps, references...)
    unexplained: int | None = None  # rows of "Unexplained errors" (the template shows 25 at most)
    context: bool = True  # the lines around each evidence line
    why: bool = True  # the root cause's "Why it happens" paragraph
    timeline_nodes: int | None = TIMELINE_NODES  # Nodes with a timeline table
    timeline_rows: int | None = TIMELINE_ROWS  # key events per timeline table


# Least important first: file lists, then timeline rows and evidence context, then evidence and
# symptoms, then the explanation and the timeline; the root causes themselves go last.
_STEPS = (
    _Budget(),
    _Budget(
        evidence=50,
        symptoms=50,
        artifacts=200,
        unrecognised=200,
        unreadable=200,
        text=4000,
        unexplained=15,
        timeline_rows=25,
    ),
    _Budget(
        evidence=20,
        symptoms=20,
        artifacts=0,
        unrecognised=50,
        unreadable=100,
        nodes=300,
        text=2000,
        timeline_nodes=3,
        timeline_rows=15,
        context=False,
    ),
    _Budget(
        evidence=8,
        symptoms=10,
        artifacts=0,
        unrecognised=20,
        unreadable=50,
        nodes=100,
        text=1000,
        findings=30,
        unexplained=10,
        timeline_nodes=2,
        timeline_rows=10,
        context=False,
    ),
    _Budget(
        evidence=3,
        symptoms=5,
        artifacts=0,
        unrecognised=10,
        unreadable=20,
        nodes=50,
        text=500,
        findings=15,
        items=30,
        unexplained=5,
        timeline_nodes=1,
        timeline_rows=8,
        context=False,
        why=False,
    ),
    _Budget(
        evidence=1,
        symptoms=3,
        artifacts=0,
        unrecognised=5,
        unreadable=10,
        nodes=20,
        text=300,
        findings=8,
        items=10,
        unexplained=3,
        timeline_nodes=0,
        context=False,
        why=False,
    ),
    _Budget(
        evidence=0,
        symptoms=0,
        artifacts=0,
        unrecognised=0,
        unreadable=5,
        nodes=10,
        text=200,
        findings=3,
        items=5,
        unexplained=0,
        timeline_nodes=0,
        context=False,
        why=False,
    ),
)


def render_markdown(
    d: dict[str, Any], templates_dirs: Iterable[Path | str] | None = None, max_chars: int = MAX_CHARS
) -> str:
    from diagnose.report.templating import environment

    template = environment(templates_dirs).get_template(TEMPLATE)
    text = ""
    for budget in _STEPS:
        shown, cuts = _shrink(d, budget)
        story = _story(d, budget, cuts)
        text = template.render(d=shown, story=story, truncated=_cut_note(cuts, max_chars))
        if len(text) < max_chars:
            return text
    return _hard_cut(text, max_chars)


def _story(d: dict[str, Any], b: _Budget, cuts: Counter[str]) -> list[dict[str, Any]]:
    """The timeline tables: the Nodes with problems, each with its key events (the most telling
    ones kept when there are too many: root-cause evidence, fatal exits, restarts, starts)."""
    from diagnose.report import lanes

    nodes = [n for n in (d.get("timeline") or {}).get("nodes", []) if n.get("affected")]
    limit = len(nodes) if b.timeline_nodes is None else b.timeline_nodes
    if len(nodes) > limit:
        cuts["Node timelines"] += len(nodes) - limit
    out = []
    for n in nodes[:limit]:
        keys = lanes.key_events(n)
        if b.timeline_rows is not None and len(keys) > b.timeline_rows:
            cuts["timeline rows"] += len(keys) - b.timeline_rows
            keys = sorted(sorted(keys, key=lanes.priority)[: b.timeline_rows], key=lambda k: k["n"])
        out.append({"node": n, "keys": keys, "omitted": len(lanes.key_events(n)) - len(keys)})
    return out


def _shrink(d: dict[str, Any], b: _Budget) -> tuple[dict[str, Any], Counter[str]]:
    """A copy of `d` cut to the budget, and how many of what were left out. The cut counts are
    kept on the copy (`omitted_*` keys) so the template can say "N more" where they were."""
    cuts: Counter[str] = Counter()
    if b == _Budget():
        return d, cuts
    # The timeline is not copied: its tables are cut by `_story`, from the original.
    out = copy.deepcopy({k: v for k, v in d.items() if k != "timeline"})
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
        if not b.context:
            _drop_context(f, cuts)
        if not b.why and f.get("why"):
            f["why"] = ""
            cuts["explanations (why it happens)"] += 1
        f["omitted_evidence"] = _cut_list(f, "evidence", b.evidence, "evidence lines", cuts)
        f["omitted_symptoms"] = _cut_list(f, "symptoms", b.symptoms, "symptom findings", cuts)
        if b.items is not None:
            for key in ("nodes", "missing_evidence", "ruled_out", "references"):
                f["omitted_" + key] = _cut_list(f, key, b.items, "list items", cuts)
            rem = f["remediation"]
            f["omitted_steps"] = _cut_list(rem, "detail", b.items, "remediation steps", cuts)
            rem["steps"] = [s["text"] for s in rem["detail"]]
            rem["commands"] = [s["command"] for s in rem["detail"] if s.get("command")]
            for s in f["symptoms"]:
                s["nodes"] = s["nodes"][: b.items]
    if b.text is not None:
        _cut_strings(out, b.text, cuts)
    return out, cuts


def _drop_context(f: dict[str, Any], cuts: Counter[str]) -> None:
    for e in f.get("evidence", []):
        if e.get("context"):
            cuts["lines around evidence lines"] += len(e["context"])
            e["context"] = []
    for s in f.get("symptoms", []):
        _drop_context(s, cuts)


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
