"""`antrea-diagnose timeline`: the merged event stream of a bundle, for reading the story yourself.

Every signature hit the scan kept (the rules' signatures and the agent lifecycle markers) of
every log of every Node, in time order across Nodes, undated lines (pasted excerpts) last; with
its Node, agent run, level, kind, file and line, and the findings that cite it. The events are
those of `diagnose.report.storyline.merged`, unbounded; this module filters and prints them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from diagnose.bundle.model import Cluster
from diagnose.report import storyline, view
from diagnose.rules.rule import Finding

WIDE = 120  # columns from which the terminal table has a file:line column
CSV_COLUMNS = (
    "time",
    "node",
    "run",
    "level",
    "kind",
    "artifact",
    "line",
    "signatures",
    "findings",
    "root_cause",
    "message",
    "text",
)


@dataclass
class Row:
    """A storyline event of one Node, in the merged stream of all Nodes."""

    node: str
    story: storyline.StoryEvent

    @property
    def time(self) -> datetime | None:
        return self.story.event.time


def parse_time(text: str) -> datetime:
    """An ISO time (`2024-06-28T18:55:00`, `2024-06-28 18:55`, with a zone or `Z`) as the naive
    wall time the events carry (a zone is converted to UTC). ValueError when it is not one."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    t = datetime.fromisoformat(value)
    return t.astimezone(timezone.utc).replace(tzinfo=None) if t.tzinfo else t


def rows(
    cluster: Cluster,
    findings: list[Finding],
    nodes: tuple[str, ...] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Row]:
    """The events of `nodes` (all when empty) between `since` and `until` (inclusive; undated
    events only when neither is given), timed ones in time order, then undated ones per Node."""
    wanted = set(nodes)
    timed: list[tuple[datetime, Row]] = []
    undated: list[Row] = []
    for story in storyline.merged(cluster, findings):
        if wanted and story.node not in wanted:
            continue
        for s in story.events:
            t = s.event.time
            if t is None:
                if since is None and until is None:
                    undated.append(Row(story.node, s))
            elif (since is None or t >= since) and (until is None or t <= until):
                timed.append((t, Row(story.node, s)))
    timed.sort(key=lambda item: item[0])  # stable: Node order on ties
    return [r for _, r in timed] + undated


def render_csv(found: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in found:
        e, s = r.story.event, r.story
        writer.writerow(
            [
                e.time_text or "",
                r.node,
                s.run or "",
                s.level or "",
                s.kind,
                e.artifact,
                e.line,
                " ".join(s.signatures),
                " ".join(s.findings),
                "yes" if s.root_cause else "",
                _cell(s.label),
                _cell(e.text),
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """Control characters made visible, and no leading `=+-@` that a spreadsheet would run as a
    formula (bundle text is untrusted)."""
    text = view.clean(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def table(found: list[Row], total: int, width: int = 220) -> Any:
    """A rich Table of the rows (bundle text as Text, never as markup). Below `WIDE` columns the
    file:line column is left out (the CSV has it) and a single day is said once, in the caption,
    so that the event text keeps most of the line."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    style = {"fatal": "bold red", "error": "red", "warning": "yellow"}
    wide = width >= WIDE
    days = {r.time.date() for r in found if r.time is not None}
    with_date = wide or len(days) > 1
    caption = (
        f"{view.plural(len(found), 'event')}"
        + (f" of {total:,}" if total != len(found) else "")
        + (f" on {days.pop().isoformat()}" if not with_date and days else "")
        + "; times as logged (klog: the Node's local time, OVS: UTC); bold: evidence of the root cause"
        + ("" if wide else f"; file:line with {WIDE}+ columns or --format csv")
    )
    t = Table(
        box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, caption=caption, padding=(0, 1), collapse_padding=True
    )
    columns = [("Time", True), ("Node", False), ("Run", True), ("Level", True)]
    columns += [("Where", False)] if wide else []
    for name, no_wrap in [*columns, ("Event", False)]:
        t.add_column(name, no_wrap=no_wrap, overflow="fold", ratio=1 if name == "Event" else None)
    for r in found:
        e, s = r.story.event, r.story
        label = Text(view.oneline(s.label), style="bold" if s.root_cause else "")
        if s.kind in ("start", "restart", "fatal"):
            label = Text.assemble((f"{s.kind}: ", "bold red" if s.kind == "fatal" else "bold yellow"), label)
        cells: list[str | Text] = [
            view.clock(e.time_text, with_date=with_date) or "-",
            Text(view.oneline(r.node)),
            str(s.run or ""),
            Text(s.level or "", style=style.get(s.level or "", "")),
        ]
        if wide:
            cells.append(Text(f"{_short_path(e.artifact)}:{e.line}", style="dim"))
        t.add_row(*cells, label)
    return t


def _short_path(path: str) -> str:
    return view.oneline(path).replace("!", "/").rsplit("/", 1)[-1]
