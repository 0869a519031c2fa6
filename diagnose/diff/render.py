"""The diff in every format: terminal (rich), Markdown (an issue comment) and JSON.

Terminal and Markdown are drawn from one list of sections built here, so they say the same
things. Each line is made of pieces with a role (`value`: a name or value from the bundles,
shown as code; `sign`: + - ~; `strong`; `dim`; plain text). Bundle values are untrusted text:
the terminal gets them as rich `Text` (never markup), Markdown through the report's escaping
filters (`code`, `escape`).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from diagnose.report import view

MAX_ITEMS = 40  # lines per list; the JSON has them all
MAX_VALUE = 160  # characters of one config value shown
SIGN_STYLE = {"+": "bold green", "-": "bold red", "~": "bold yellow", "!": "bold magenta"}
SEVERITY_STYLE = {"critical": "bold red", "error": "red", "warning": "yellow", "info": "blue"}

Piece = tuple[str, str]  # (role, text)


@dataclass
class Line:
    """A line of the rendered diff: its sign, styled pieces and nested lines."""

    sign: str  # "+", "-", "~", "!" (attention) or ""
    pieces: list[Piece]
    children: list[Line] = field(default_factory=list)


@dataclass
class Section:
    """A titled part of the rendered diff."""

    title: str
    lines: list[Line]
    note: str = ""


# -- the content, once ------------------------------------------------------------------------------


def sections(d: dict[str, Any]) -> list[Section]:
    out = [
        s
        for s in (
            _findings(d),
            _nodes(d),
            _versions(d),
            _gates(d),
            _config(d, "agent_config", "Agent config (antrea-agent.conf)"),
            _config(d, "controller_config", "Controller config (antrea-controller.conf)"),
            _host(d),
        )
        if s is not None
    ]
    return out


def _findings(d: dict[str, Any]) -> Section | None:
    f = d["findings"]
    lines = []
    for sign, key in (("+", "appeared"), ("-", "resolved"), ("~", "changed")):
        for x in f[key]:
            pieces: list[Piece] = [
                ("severity", x["severity"]),
                ("", " "),
                ("value", x["rule_id"]),
                ("", " "),
                ("strong", view.oneline(x["title"])),
            ]
            if x["nodes"]:
                pieces.append(("", f" {'on' if sign != '-' else 'no longer on'} {view.nodes_text(x['nodes'], 8)}"))
            if key == "changed":
                parts = []
                if x["old_severity"] != x["severity"]:
                    parts.append(f"{x['old_severity']} → {x['severity']}")
                if x["old_status"] != x["status"]:
                    parts.append(f"{x['old_status']} → {x['status']}")
                pieces.append(("", ": " + ", ".join(parts)))
            if x.get("explained_by"):
                pieces.append(("dim", f" (a symptom of {x['explained_by']})"))
            lines.append(Line(sign, pieces))
    if not lines:
        return Section("Findings", [], "The same findings in both bundles.")
    return Section("Findings", lines)


def _nodes(d: dict[str, Any]) -> Section | None:
    n = d["nodes"]
    lines = []
    for sign, key, word in (("+", "added", "new"), ("-", "lost", "no longer in the bundle")):
        for x in n[key]:
            note = ", ".join(filter(None, [x["role"], word]))
            lines.append(Line(sign, [("value", x["node"]), ("dim", f" ({note})")]))
    for c in n["changed"]:
        label = {"pod_cidrs": "PodCIDRs", "internal_ips": "Node IPs", "ready": "Ready"}.get(c["field"], c["field"])
        pieces: list[Piece] = [
            ("value", c["node"]),
            ("", f" {label}: "),
            ("value", _show(c["old"])),
            ("", " → "),
            ("value", _show(c["new"])),
        ]
        line = Line("!" if c["field"] in ("status", "ready") else "~", pieces)
        if c.get("detail"):
            line.children.append(Line("", [("dim", view.oneline(c["detail"]))]))
        lines.append(line)
    return Section("Nodes", lines) if lines else None


def _versions(d: dict[str, Any]) -> Section | None:
    v = d["versions"]
    if not v["changed"] and v["old"] == v["new"]:
        return None
    lines = [
        Line(
            "~",
            [
                ("", "cluster: "),
                ("value", ", ".join(v["old"]) or "unknown"),
                ("", " → "),
                ("value", ", ".join(v["new"]) or "unknown"),
            ],
        )
    ]
    for c in v["changed"]:
        lines.append(
            Line("~", [("value", c["node"]), ("", ": "), ("value", c["old"]), ("", " → "), ("value", c["new"])])
        )
    return Section("Antrea version", lines)


def _gates(d: dict[str, Any]) -> Section | None:
    lines = [
        Line(
            "~", [("value", g["gate"]), ("", ": "), ("value", _gate(g["old"])), ("", " → "), ("value", _gate(g["new"]))]
        )
        for g in d["feature_gates"]
    ]
    return Section("Feature gates (antrea-agent.conf)", lines) if lines else None


def _gate(value: bool | None) -> str:
    return "default" if value is None else "true" if value else "false"


def _config(d: dict[str, Any], key: str, title: str) -> Section | None:
    part = d[key]
    if part.get("missing"):
        return Section(title, [], f"Not in the {part['missing']} bundle: not compared.")
    lines = []
    for c in part["changes"]:
        sign = "+" if c["old"] is None else "-" if c["new"] is None else "~"
        pieces: list[Piece] = [("value", c["key"]), ("", ": ")]
        if sign == "~":
            pieces += [("value", _cut(c["old"])), ("", " → "), ("value", _cut(c["new"]))]
        else:
            pieces += [("value", _cut(c["new"] if sign == "+" else c["old"]))]
            pieces.append(("dim", " (added)" if sign == "+" else " (removed)"))
        lines.append(Line(sign, pieces))
    return Section(title, lines) if lines else None


def _host(d: dict[str, Any]) -> Section | None:
    lines = []
    for h in d["host"]:
        node = Line("", [("strong", view.oneline(h["node"]))])
        missing = [
            what
            for what, k in (
                ("routes", "routes"),
                ("interfaces and addresses", "interfaces"),
                ("OVS ports", "ovs_ports"),
            )
            if h[k].get("missing")
        ]
        if missing:
            sides = {h[k]["missing"] for k in ("routes", "interfaces", "ovs_ports") if h[k].get("missing")}
            where = " and ".join(f"the {s} bundle" for s in sorted(sides, reverse=True))
            node.children.append(Line("", [("dim", f"not compared: {', '.join(missing)} not in {where}")]))
        r = h["routes"]
        node.children += [Line("+", [("", "route "), ("value", x)]) for x in r["added"]]
        node.children += [Line("-", [("", "route "), ("value", x)]) for x in r["removed"]]
        i = h["interfaces"]
        for x in i["added"]:
            node.children.append(Line("+", [("", "interface "), ("value", x["interface"]), *_iface(x)]))
        for x in i["removed"]:
            node.children.append(Line("-", [("", "interface "), ("value", x["interface"]), *_iface(x)]))
        for x in i["changed"]:
            pieces: list[Piece] = [("", "interface "), ("value", x["interface"]), ("", ":")]
            for a in x.get("addresses_added", []):
                pieces += [("", " +"), ("value", a)]
            for a in x.get("addresses_removed", []):
                pieces += [("", " -"), ("value", a)]
            for fld in ("master", "mtu", "state"):
                if fld in x:
                    pieces += [
                        ("", f" {fld} "),
                        ("value", _show(x[fld]["old"])),
                        ("", " → "),
                        ("value", _show(x[fld]["new"])),
                    ]
            node.children.append(Line("~", pieces))
        p = h["ovs_ports"]
        node.children += [
            Line("+", [("", "OVS port "), ("value", x["port"]), ("dim", f" (ofport {x['ofport']})")])
            for x in p["added"]
        ]
        node.children += [
            Line("-", [("", "OVS port "), ("value", x["port"]), ("dim", f" (ofport {x['ofport']})")])
            for x in p["removed"]
        ]
        node.children += [
            Line("~", [("", "OVS port "), ("value", x["port"]), ("", f": ofport {x['old']} → {x['new']}")])
            for x in p["changed"]
        ]
        lines.append(node)
    return Section("Host network per Node (routes, interfaces, OVS ports)", lines) if lines else None


def _iface(x: dict[str, Any]) -> list[Piece]:
    facts = [f"master {x['master']}" if x.get("master") else "", ", ".join(x.get("addresses") or [])]
    text = "; ".join(f for f in facts if f)
    return [("dim", f" ({view.oneline(text)})")] if text else []


def _show(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return _cut(value)


def _cut(value: Any) -> str:
    text = "(not set)" if value is None else view.oneline(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _capped(lines: list[Line]) -> tuple[list[Line], int]:
    return lines[:MAX_ITEMS], max(0, len(lines) - MAX_ITEMS)


# -- terminal -------------------------------------------------------------------------------------------


def renderables(d: dict[str, Any]) -> list[Any]:
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column(overflow="fold")
    for label, side in (("Old", d["old"]), ("New", d["new"])):
        text = Text(view.oneline(side["source"]))
        if side.get("collected_at"):
            text.append(f", collected {view.oneline(side['collected_at'])}", style="dim")
        text.append("\n")
        text.append(view.oneline(side["verdict"]), style="dim")
        head.add_row(label, text)
    parts: list[Any] = [Text(view.oneline(d["summary"]), style="bold"), head]
    if not d["same_cluster"]:
        parts.append(Text("The two bundles have no Node in common: are they of the same cluster?", style="yellow"))
    out: list[Any] = [
        Panel(
            Group(*parts),
            title=Text("Antrea diff", style="bold"),
            title_align="left",
            border_style="yellow" if d["changed"] else "green",
        )
    ]
    for s in sections(d):
        out.append(Text(s.title, style="bold underline"))
        if s.note:
            out.append(Text(f"  {s.note}", style="dim"))
        shown, more = _capped(s.lines)
        for line in shown:
            out.extend(_terminal_line(line, 1))
        if more:
            out.append(Text(f"  … {more} more (--format json has them all)", style="dim"))
    return out


def _terminal_line(line: Line, depth: int) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    text = Text()
    for role, value in line.pieces:
        if role == "severity":
            text.append(value.upper(), style=SEVERITY_STYLE.get(value, "bold"))
        elif role == "value":
            text.append(value, style="cyan")
        elif role == "strong":
            text.append(value, style="bold")
        elif role == "dim":
            text.append(value, style="dim")
        else:
            text.append(value)
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(Text("  " * depth + (f"{line.sign} " if line.sign else ""), style=SIGN_STYLE.get(line.sign, "")), text)
    out: list[Any] = [grid]
    shown, more = _capped(line.children)
    for child in shown:
        out.extend(_terminal_line(child, depth + 1))
    if more:
        out.append(Text("  " * (depth + 1) + f"… {more} more (--format json has them all)", style="dim"))
    return out


def print_terminal(d: dict[str, Any], console: Any) -> None:
    for r in renderables(d):
        console.print(r, highlight=False, emoji=False)


def render_terminal(d: dict[str, Any], width: int = 80, color: bool = False) -> str:
    from rich.console import Console

    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        legacy_windows=False,
        record=True,
    )
    print_terminal(d, console)
    return console.export_text(styles=color)


# -- Markdown ----------------------------------------------------------------------------------------------


def render_markdown(d: dict[str, Any]) -> str:
    from diagnose.report.markdown import MAX_CHARS
    from diagnose.report.mdtext import code, escape

    def inline(line: Line) -> str:
        out = []
        for role, value in line.pieces:
            if role == "severity":
                out.append(f"{view.SEVERITY_ICON.get(value, '')} {escape(value)}")
            elif role == "value":
                out.append(code(value))
            elif role == "strong":
                out.append(_spaced(value, f"**{escape(value)}**"))
            elif role == "dim":
                out.append(_spaced(value, f"_{escape(value)}_") if value.strip() else value)
            else:
                out.append(_spaced(value, escape(value)) if value.strip() else value)
        sign = {"+": "➕ ", "-": "➖ ", "~": "🔁 ", "!": "⚠️ "}.get(line.sign, "")
        return sign + "".join(out)

    lines = ["## Antrea diff", "", f"**{escape(d['summary'])}**", ""]
    lines.append("| | Bundle | Collected | Verdict |")
    lines.append("|---|---|---|---|")
    for label, side in (("Old", d["old"]), ("New", d["new"])):
        lines.append(
            f"| {label} | {code(side['source'], cell=True)} | {escape(side.get('collected_at') or '')} | "
            f"{escape(side['verdict'])} |"
        )
    lines.append("")
    if not d["same_cluster"]:
        lines += ["> [!WARNING]", "> The two bundles have no Node in common: are they of the same cluster?", ""]
    for s in sections(d):
        lines += [f"### {escape(s.title)}", ""]
        if s.note:
            lines += [escape(s.note), ""]
        shown, more = _capped(s.lines)
        for line in shown:
            lines.append(f"- {inline(line)}")
            kids, kid_more = _capped(line.children)
            lines += [f"  - {inline(k)}" for k in kids]
            if kid_more:
                lines.append(f"  - … {kid_more} more (`--format json` has them all)")
        if more:
            lines.append(f"- … {more} more (`--format json` has them all)")
        lines.append("")
    tool = d["tool"]
    lines.append(f"<sub>{escape(tool['name'])} {escape(tool['version'])} · generated {escape(d['generated_at'])}</sub>")
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_CHARS:  # an issue comment has a size limit: cut at a line, say so
        cut = text[: MAX_CHARS - 200].rsplit("\n", 1)[0]
        text = cut + "\n\n_… cut to fit a GitHub comment; `--format json` has everything._\n"
    return text


def _spaced(raw: str, text: str) -> str:
    """`text` (escaping drops the spaces around a value) with the spaces of `raw` put back."""
    return " " * (len(raw) - len(raw.lstrip())) + text + " " * (len(raw) - len(raw.rstrip()))


def render_json(d: dict[str, Any]) -> str:
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"
