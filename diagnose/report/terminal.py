"""The terminal report (rich): a header panel, one panel per root cause, a closing line.

Bundle text is only ever handed to rich as `Text` objects (never as markup strings), so a log line
holding `[bold]` or `:smile:` prints as it is, and control characters are made visible first
(`view.clean`) so a line cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

import io
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from diagnose.report import view

MAX_EVIDENCE = 8  # evidence lines shown per root cause; the others are counted
MAX_NODES = 20  # Node rows in the header
MAX_SYMPTOMS = 15
MAX_PATHS = 15  # unreadable files listed
MAX_UNEXPLAINED = 10  # unexplained error templates listed
MAX_TIMELINE_NODES = 3  # Nodes with problems whose key events are printed
MAX_TIMELINE_EVENTS = 12  # key events per Node (root-cause evidence, fatal exits and restarts first)
MAX_LABEL_CHARS = 100  # of a timeline event (the timeline command prints it whole)
MAX_TEMPLATE_CHARS = 150  # of an unexplained error template (the JSON and HTML reports have it whole)

SEVERITY_STYLE = {
    "critical": "bold white on red",
    "error": "bold red",
    "warning": "bold yellow",
    "info": "bold blue",
}
BORDER_STYLE = {"critical": "red", "error": "red", "warning": "yellow", "info": "blue"}


VERDICT_LABEL = {
    "fault": ("Fault", "bold red"),
    "no-fault": ("No fault", "bold green"),
    "not-enough-evidence": ("Not enough evidence", "bold yellow"),
}
LOOKS_HEALTHY = (
    "No findings: no rule matched what was read. A bundle that misses the failing Node's logs can "
    "look healthy; check the Nodes above."
)
NODE_NAME_COLUMNS = 28  # a longer Node name folds rather than squeezing the other columns


def render_terminal(d: dict[str, Any], width: int = 100, color: bool = False, quiet: bool = False) -> str:
    """The terminal report as a string: plain text, or with ANSI styles when `color`."""
    console = Console(
        file=io.StringIO(),
        record=True,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    print_terminal(d, console, quiet=quiet)
    return console.export_text(styles=color)


def print_terminal(d: dict[str, Any], console: Console | None = None, quiet: bool = False) -> None:
    console = console or Console(highlight=False, emoji=False)
    for renderable in short(d) if quiet else renderables(d):
        console.print(renderable, highlight=False, emoji=False)


def renderables(d: dict[str, Any]) -> list[RenderableType]:
    out: list[RenderableType] = [_header(d)]
    out.extend(_rule_failures(d))
    if not d.get("findings") and d.get("verdict") != "not-enough-evidence":
        out.append(Text(LOOKS_HEALTHY, style="yellow"))
    for i, f in enumerate(d.get("findings", []), 1):
        out.append(_finding_panel(f, i, primary=i == 1 and bool(view.problems(d))))
    out.extend(_timeline(d.get("timeline") or {}))
    out.extend(_unexplained(d.get("unexplained") or []))
    out.extend(_read_problems(d.get("source", {})))
    out.append(_closing(d))
    return out


def short(d: dict[str, Any]) -> list[RenderableType]:
    """`scan -q`: the verdict and the table of root causes, nothing else."""
    out: list[RenderableType] = [_verdict(d)]
    if d.get("verdict_reason"):
        out.append(_t(d["verdict_reason"], "dim"))
    out.extend(_rule_failures(d))
    findings = d.get("findings", [])
    if not findings:
        if d.get("verdict") != "not-enough-evidence":
            out.append(Text(LOOKS_HEALTHY.replace(" above", " in the full report"), style="yellow"))
        return out
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1), collapse_padding=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", no_wrap=True, style="dim")
    table.add_column("Root cause", overflow="fold")
    table.add_column("Nodes", overflow="fold", max_width=24)
    table.add_column("Status", no_wrap=True)
    for i, f in enumerate(findings, 1):
        sev = view.oneline(f.get("severity"))
        status = f"{view.oneline(f.get('status'))} {view.percent(f.get('confidence'))}"
        table.add_row(
            str(i),
            Text(sev, style=SEVERITY_STYLE.get(sev, "")),
            _t(f.get("rule_id")),
            _t(f.get("title")),
            _t(view.nodes_text(f.get("nodes"), 3)),
            status,
        )
    out.append(table)
    return out


def _rule_failures(d: dict[str, Any]) -> list[RenderableType]:
    note = view.rule_failures_note(d)
    return [Text.assemble(("! ", "bold red"), Text(note, style="bold red"))] if note else []


def _t(value: Any, style: str = "") -> Text:
    """Bundle text as a rich Text (never parsed as markup), on one line."""
    return Text(view.oneline(value), style=style)


def _severity(sev: Any) -> Text:
    return Text(f" {view.oneline(sev).upper()} ", style=SEVERITY_STYLE.get(str(sev), "bold"))


def _verdict(d: dict[str, Any]) -> Text:
    """The verdict sentence, led by the report's verdict (fault, no fault, not enough evidence)
    where that adds to it; one paragraph across the whole width."""
    found = view.problems(d)
    style = (
        SEVERITY_STYLE.get(found[0]["severity"], "bold")
        if found
        else "bold yellow"
        if d.get("verdict") == "not-enough-evidence"
        else "bold green"
    )
    style = style.replace(" on red", "").replace("white", "red")
    text = Text()
    label = VERDICT_LABEL.get(str(d.get("verdict")))
    if d.get("verdict") == "not-enough-evidence" and not found:
        label = None  # the sentence says it
    # "Fault" before "Most likely root cause" (or "No fault" before "No problems found") says
    # nothing more; the label leads only when it adds to the sentence.
    if label and d.get("verdict") != ("fault" if found else "no-fault"):
        text.append(f"{label[0]}: ", style=label[1])
    text.append(view.oneline(view.verdict(d)), style=style)
    return text


def _header(d: dict[str, Any]) -> Panel:
    src = d.get("source", {})
    found = view.problems(d)
    parts: list[RenderableType] = [_verdict(d)]
    if d.get("verdict_reason"):
        parts.append(_t(d["verdict_reason"]))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    if found:
        grid.add_row("Found", _t(view.closing_line(d)))
    source = _t(src.get("path"))
    source.append(f" ({view.oneline(src.get('shape'))})", style="dim")
    if src.get("collected_at"):
        source.append(f", collected {view.oneline(src['collected_at'])}", style="dim")
    grid.add_row("Source", source)
    grid.add_row("Nodes", _t(view.nodes_headline(d)))
    parts.append(grid)
    nodes = src.get("nodes", [])
    if nodes:
        parts.append(_node_table(nodes))
        parts.extend(_node_notes(nodes))
    footer = Text(
        f"{view.oneline(d.get('tool', {}).get('name'))} {view.oneline(d.get('tool', {}).get('version'))}"
        f" · {src.get('rules_run', 0)} rules run · generated {view.oneline(d.get('generated_at'))}",
        style="dim",
    )
    return Panel(
        Group(*parts),
        title=Text("Antrea diagnosis", style="bold"),
        subtitle=footer,
        border_style=BORDER_STYLE.get(found[0]["severity"], "white") if found else "green",
    )


def _node_table(nodes: list[dict[str, Any]]) -> Table:
    """One short row per Node; why a Node failed is said below the table, not in a cell (a
    sentence in a narrow column wraps into a tower of fragments)."""
    shown = nodes[:MAX_NODES]
    versions = {view.oneline(n.get("antrea_version")) for n in shown if n.get("antrea_version")}
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=False, padding=(0, 1))
    longest = max((len(view.oneline(n.get("name"))) for n in shown), default=4)
    table.add_column("Node", overflow="fold", min_width=min(max(longest, 4), NODE_NAME_COLUMNS))
    table.add_column("Role", no_wrap=True)
    if len(versions) > 1:  # one version for all is in the "Nodes" line above
        table.add_column("Antrea", overflow="fold")
    table.add_column("Files", justify="right", no_wrap=True)
    table.add_column("Log hits", justify="right", no_wrap=True)
    table.add_column("Status", overflow="fold", min_width=len("failed, fallback"))
    for n in shown:
        state = view.node_state(n)
        style = {"failed": "bold red", "fallback": "yellow"}.get(state, "green")
        row: list[RenderableType] = [_t(n.get("name")), _t(n.get("role"))]
        if len(versions) > 1:
            row.append(_t(n.get("antrea_version")))
        row += [
            Text(str(n.get("artifacts", 0))),
            Text(str(n.get("log_lines_matched", 0))),
            Text(_short_status(n), style=style),
        ]
        table.add_row(*row)
    if len(nodes) > MAX_NODES:
        table.add_row(Text(f"… {len(nodes) - MAX_NODES} more", style="dim"))
    return table


def _short_status(node: dict[str, Any]) -> str:
    failed, fallback = bool(node.get("failed_reason")), bool(node.get("fallback_bundle"))
    if failed and fallback:
        return "failed, fallback"
    return "failed" if failed else "fallback" if fallback else "ok"


def _node_notes(nodes: list[dict[str, Any]]) -> list[RenderableType]:
    notes: list[RenderableType] = []
    for n in nodes[:MAX_NODES]:
        if n.get("failed_reason") or n.get("fallback_bundle"):
            style = "bold red" if n.get("failed_reason") else "yellow"
            notes.append(_hanging(f"{view.oneline(n.get('name'))}: ", _t(view.node_status(n)), style))
    return notes


def _finding_panel(f: dict[str, Any], index: int, primary: bool) -> Panel:
    sev = f.get("severity")
    title = Text.assemble(f"{index}. ", _severity(sev), " ", _t(f.get("title"), "bold"))
    body: list[RenderableType] = []
    if primary:
        body.append(Text("Most likely root cause", style="bold underline"))
    facts = Text.assemble(
        ("category ", "dim"),
        _t(f.get("category")),
        (" · confidence ", "dim"),
        view.percent(f.get("confidence")),
        (" · ", "dim"),
        _t(f.get("status"), "bold" if f.get("status") == "confirmed" else "bold magenta"),
        (" · Nodes: ", "dim"),
        _t(view.nodes_text(f.get("nodes"), 10)),
    )
    body.append(facts)
    body.append(Text(""))
    body.append(Text(view.clean(f.get("summary"))))

    evidence = f.get("evidence", [])
    if evidence:
        body.append(_heading(f"Evidence ({view.plural(len(evidence), 'line')})"))
        for x in view.excerpts(evidence[:MAX_EVIDENCE]):
            body.append(_t(x["location"], "dim"))
            body.append(Padding(_excerpt(x), (0, 0, 0, 2)))
        if len(evidence) > MAX_EVIDENCE:
            body.append(Text(f"  … {len(evidence) - MAX_EVIDENCE} more (see the HTML or JSON report)", style="dim"))

    missing = f.get("missing_evidence", [])
    if missing:
        needed = " (needed to confirm this)" if f.get("status") == "inconclusive" else ""
        body.append(_heading(f"Missing evidence{needed}"))
        for m in missing:
            body.append(_hanging("• ", _t(m.get("what"))))
            body.append(_command(m.get("command")))

    steps = f.get("remediation", {}).get("detail", [])
    if steps:
        body.append(_heading("Remediation"))
        for i, s in enumerate(steps, 1):
            body.append(_hanging(f"{i}. ", _t(s.get("text"))))
            if s.get("command"):
                body.append(_command(s["command"]))

    symptoms = f.get("symptoms", [])
    if symptoms:
        body.append(_heading(f"Explains ({view.plural(view.count_symptoms(f), 'symptom')})"))
        body.extend(_symptom_lines(symptoms, depth=0, budget=[MAX_SYMPTOMS]))

    if f.get("ruled_out"):
        body.append(_heading("Ruled out"))
        body.extend(_hanging("• ", _t(r)) for r in f["ruled_out"])
    if f.get("references"):
        body.append(_heading("References"))
        for r in f["references"]:
            url = view.reference_url(r)
            line = Text.assemble("• ", _t(r))
            if url and url != r:
                line.append(f"  {url}", style="dim")
            body.append(line)

    return Panel(
        Group(*body),
        title=title,
        title_align="left",
        subtitle=_t(f.get("rule_id"), "dim"),
        subtitle_align="right",
        border_style=BORDER_STYLE.get(str(sev), "white"),
        box=box.HEAVY if primary else box.ROUNDED,
    )


def _excerpt(x: dict[str, Any]) -> RenderableType:
    """An evidence line alone, or numbered with the lines around it (those dimmed)."""
    if not x["rows"]:
        return Text(x["text"], overflow="fold")
    width = len(str(x["rows"][-1]["line"]))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True, style="dim")
    grid.add_column(overflow="fold")
    for r in x["rows"]:
        # Context lines stay on one line each so they frame the evidence without burying it.
        text = (
            Text(r["text"], overflow="fold")
            if r["hit"]
            else Text(r["text"], style="dim", no_wrap=True, overflow="ellipsis")
        )
        grid.add_row(f"{'>' if r['hit'] else ' '}{r['line']:>{width}}", text)
    return grid


def _timeline(timeline: dict[str, Any]) -> list[RenderableType]:
    """The key events of the Nodes with problems, a few lines each (the HTML report draws them all)."""
    from diagnose.report import lanes

    out: list[RenderableType] = []
    for n in [n for n in timeline.get("nodes", []) if n.get("affected")][:MAX_TIMELINE_NODES]:
        keys = lanes.key_events(n)
        if not keys:
            continue
        runs = n.get("runs", [])
        head = Text.assemble(
            ("Timeline of ", "bold"), _t(n.get("node"), "bold"), (f": {view.plural(len(runs), 'agent run')}", "dim")
        )
        if n.get("restarts"):
            head.append(f", {view.plural(n['restarts'], 'restart')}", style="dim")
        out.append(head)
        shown = sorted(sorted(keys, key=lanes.priority)[:MAX_TIMELINE_EVENTS], key=lambda k: k["n"])
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True, style="dim")
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")
        for k in shown:
            run = f"run {k['run']}" if k.get("run") else ""
            label = Text(
                _cut(view.oneline(k.get("label")), MAX_LABEL_CHARS), style="bold" if k.get("root_cause") else ""
            )
            kind = k.get("kind")
            if kind in ("start", "restart", "fatal"):
                label = Text.assemble((f"{kind}: ", "bold red" if kind == "fatal" else "bold yellow"), label)
            if k.get("repeat", 1) > 1:
                label.append(f" ×{k['repeat']}", style="dim")
            table.add_row(view.clock(k.get("time")) or "(no time)", run, label)
        out.append(Padding(table, (0, 0, 0, 2)))
        if len(keys) > len(shown):
            out.append(
                Text(
                    f"  … {len(keys) - len(shown)} more key events in the HTML report or `antrea-diagnose timeline`",
                    style="dim",
                )
            )
    return out


def _heading(text: str) -> Text:
    return Text.assemble("\n", (text, "bold"))


def _hanging(prefix: str, text: Text, prefix_style: str = "") -> Table:
    """`prefix text` with wrapped lines indented under the text, not under the prefix."""
    grid = Table.grid()
    grid.add_column(no_wrap=True, style=prefix_style)
    grid.add_column(overflow="fold")
    grid.add_row(prefix, text)
    return grid


def _command(command: Any) -> Padding:
    return Padding(_hanging("$ ", Text(view.clean(command).strip(), style="cyan"), "dim"), (0, 0, 0, 3))


def _symptom_lines(symptoms: list[dict[str, Any]], depth: int, budget: list[int]) -> list[Text]:
    lines: list[Text] = []
    for s in symptoms:
        if budget[0] <= 0:
            lines.append(Text(f"{'  ' * depth}… more symptoms in the HTML or JSON report", style="dim"))
            return lines
        budget[0] -= 1
        lines.append(
            Text.assemble(
                "  " * depth,
                "• ",
                _severity(s.get("severity")),
                " ",
                _t(s.get("title")),
                (" · ", "dim"),
                _t(view.nodes_text(s.get("nodes"))),
                (" · ", "dim"),
                _t(s.get("rule_id"), "dim"),
            )
        )
        lines.extend(_symptom_lines(s.get("symptoms", []), depth + 1, budget))
    return lines


def _unexplained(templates: list[dict[str, Any]]) -> list[RenderableType]:
    """The most frequent error/warning templates no rule explains."""
    if not templates:
        return []
    lines = sum(int(u.get("count", 0)) for u in templates)
    out: list[RenderableType] = [
        Text.assemble(
            ("Unexplained errors", "bold yellow"),
            (f" ({view.plural(lines, 'line')} no rule explains, {view.plural(len(templates), 'template')}):", "dim"),
        )
    ]
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for u in templates[:MAX_UNEXPLAINED]:
        level = view.oneline(u.get("level"))
        # The Nodes go after the template in the same cell: a fourth column would leave the
        # template a sliver at 80 columns. Templates are cut so a row stays within a few lines.
        text = _t(_cut(view.oneline(u.get("template")), MAX_TEMPLATE_CHARS))
        text.append(f"  ({view.nodes_text(u.get('nodes'), 3)})", style="dim")
        table.add_row(Text(f"{int(u.get('count', 0)):,}"), Text(level, style=SEVERITY_STYLE.get(level, "")), text)
    out.append(Padding(table, (0, 0, 0, 2)))
    if len(templates) > MAX_UNEXPLAINED:
        out.append(
            Text(f"  … {len(templates) - MAX_UNEXPLAINED} more templates in the HTML or JSON report", style="dim")
        )
    return out


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_problems(src: dict[str, Any]) -> list[RenderableType]:
    out: list[RenderableType] = []
    unreadable = src.get("unreadable", [])
    if unreadable:
        out.append(Text(f"Could not read ({len(unreadable)}):", style="bold yellow"))
        for p in unreadable[:MAX_PATHS]:
            out.append(Text.assemble("  • ", _t(p.get("path")), (": ", "dim"), _t(p.get("reason"))))
        if len(unreadable) > MAX_PATHS:
            out.append(Text(f"  … {len(unreadable) - MAX_PATHS} more", style="dim"))
    unrecognised = src.get("unrecognised", [])
    if unrecognised:
        shown = ", ".join(view.oneline(p) for p in unrecognised[:5])
        more = f" and {len(unrecognised) - 5} more" if len(unrecognised) > 5 else ""
        out.append(Text.assemble((f"Not recognised ({len(unrecognised)}): ", "bold"), Text(shown + more)))
    return out


def _closing(d: dict[str, Any]) -> Text:
    found = view.problems(d)
    if not found and d.get("verdict") == "not-enough-evidence":
        return Text.assemble(("? ", "bold yellow"), Text(view.closing_line(d), style="bold yellow"))
    if not found:
        return Text.assemble(("✔ ", "bold green"), Text(view.closing_line(d), style="bold green"))
    style = BORDER_STYLE.get(found[0]["severity"], "bold")
    return Text.assemble(("✘ ", f"bold {style}"), Text(view.closing_line(d), style=f"bold {style}"))
