"""Geometry of the HTML report's timeline drawings (inline SVG): coordinates and short texts.

The template draws the elements from these numbers, so every bundle string still goes through
its autoescaping and lands only in element text (`<text>`, `<title>`), never in an attribute.
Everything is computed from the report dict's `timeline` (diagnose.report.storyline).

A Node's detail lane shows, left to right on its own time axis: its agent runs as bars (coloured
by how they ended), markers for starts, restarts, fatal exits, flow-restoration steps, evidence
of the findings and errors on the bar, OVS events on a row below, the other hits as ticks, and
labels for the key events stacked above the bar so that a burst of events in one second stays
readable. The overview puts every Node on one shared axis.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from diagnose.report import view

WIDTH = 1000  # viewBox units; the SVG scales to the page width
GUTTER = 58  # left margin for the row names
RIGHT = 16
CHAR = 6.4  # approximate width of a label character at font-size 12
LABEL_ROW = 16
MAX_LABEL_ROWS = 8
MAX_LABELS = 16
LABEL_CHARS = 64
OVERVIEW_GUTTER = 140
OVERVIEW_ROW = 24

# Tick steps in seconds: round numbers from a millisecond to a week.
_STEPS = [
    0.001,
    0.002,
    0.005,
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
    172800,
    604800,
]
_KEY_KINDS = frozenset({"start", "restart", "fatal", "lifecycle", "ovs"})
_SHAPES = {"start": "start", "restart": "restart", "fatal": "fatal", "lifecycle": "dot", "ovs": "square"}
_KIND_PRIORITY = {"fatal": 1, "restart": 1, "start": 2, "lifecycle": 4, "ovs": 5}


def parse_time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


class Axis:
    """Maps times in [t0, t1] onto [x0, x1] (a single instant gets a two-second window)."""

    def __init__(self, t0: datetime, t1: datetime, x0: float, x1: float):
        if t1 <= t0:
            t0, t1 = t0 - timedelta(seconds=1), t0 + timedelta(seconds=1)
        self.first, self.last = t0, t1
        pad = (t1 - t0) * 0.015
        self.t0, self.t1, self.x0, self.x1 = t0 - pad, t1 + pad, x0, x1

    def x(self, t: datetime) -> float:
        span = (self.t1 - self.t0).total_seconds()
        return round(self.x0 + (t - self.t0).total_seconds() / span * (self.x1 - self.x0), 1)

    def ticks(self) -> list[dict[str, Any]]:
        span = (self.t1 - self.t0).total_seconds()
        step = next((s for s in _STEPS if span / s <= 8), _STEPS[-1])
        day = self.t0.replace(hour=0, minute=0, second=0, microsecond=0)  # ticks at round times of day
        k = int((self.t0 - day).total_seconds() // step) + 1
        fmt = "%H:%M:%S" if step < 60 else "%H:%M" if step < 10800 else "%m-%d %H:%M" if step < 86400 else "%m-%d"
        out: list[dict[str, Any]] = []
        while True:
            t = day + timedelta(seconds=k * step)
            if t > self.t1:
                return out
            label = t.strftime(fmt) + (f".{t.microsecond // 1000:03d}" if step < 1 else "")
            out.append({"x": self.x(t), "label": label})
            k += 1

    def caption(self) -> str:
        a, b = self.first, self.last
        days = a.strftime("%Y-%m-%d") + ("" if a.date() == b.date() else " to " + b.strftime("%Y-%m-%d"))
        return f"{days}, times as logged"


def is_key(e: dict[str, Any]) -> bool:
    """Events drawn as markers and listed in the key-event tables; the rest are ticks."""
    return (
        e.get("kind") in _KEY_KINDS
        or bool(e.get("findings"))
        or bool(e.get("root_cause"))
        or e.get("level") in ("fatal", "error")
    )


def key_events(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The key events of a Node with a number (in time order), bursts of the same signature in a
    row folded into their first event with a `repeat` count."""
    out: list[dict[str, Any]] = []
    for e in node.get("events", []):
        if not is_key(e):
            continue
        prev = out[-1] if out else None
        if prev is not None and _same_burst(prev, e):
            prev["repeat"] += 1
            prev["last_time"] = e.get("time")
            continue
        out.append(dict(e, n=len(out) + 1, repeat=1, last_time=e.get("time")))
    return out


def _same_burst(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a.get("signatures") == b.get("signatures")
        and a.get("kind") == b.get("kind") == "log"
        and a.get("root_cause") == b.get("root_cause")
        and a.get("run") == b.get("run")
    )


def priority(k: dict[str, Any]) -> tuple[int, int]:
    """Which key events to show first when not all fit (lower first): root-cause evidence, fatal
    exits and restarts, starts, evidence of other findings and errors, lifecycle, OVS events;
    undated ones after dated ones of their class; then time order."""
    if k.get("root_cause"):
        rank = 0
    elif k.get("kind") in _KIND_PRIORITY and k.get("kind") not in ("lifecycle", "ovs"):
        rank = _KIND_PRIORITY[k["kind"]]
    elif k.get("findings") or k.get("level") in ("fatal", "error"):
        rank = 3
    else:
        rank = _KIND_PRIORITY.get(str(k.get("kind")), 6)
    return (2 * rank + (0 if k.get("time") else 1), k.get("n", 0))


def event_class(e: dict[str, Any]) -> str:
    """CSS classes from fixed names only (kind and level are enums of the schema)."""
    kind = e.get("kind") if e.get("kind") in _SHAPES or e.get("kind") == "log" else "log"
    level = e.get("level") if e.get("level") in ("fatal", "error", "warning", "info") else "none"
    cls = f"k-{kind} l-{level}"
    if e.get("root_cause"):
        cls += " rc"
    elif e.get("findings"):
        cls += " ev"
    return cls


def _kind(e: dict[str, Any]) -> str:
    kind = e.get("kind")
    return kind if isinstance(kind, str) and (kind in _SHAPES or kind == "log") else "log"


def geometry(name: str, x: float, y: float, scale: float = 1.0) -> dict[str, Any]:
    """The marker's shape as SVG attribute values (numbers only)."""

    def pts(*xy: float) -> str:
        pairs = zip(xy[::2], xy[1::2], strict=True)
        return " ".join(f"{round(x + a * scale, 1)},{round(y + b * scale, 1)}" for a, b in pairs)

    if name in ("start", "restart"):
        return {"shape": "polygon", "points": pts(-5, -7, 7, 0, -5, 7)}
    if name == "diamond":
        return {"shape": "polygon", "points": pts(0, -7, 7, 0, 0, 7, -7, 0)}
    if name == "fatal":
        a = round(6 * scale, 1)
        return {"shape": "path", "d": f"M{x - a} {y - a}L{x + a} {y + a}M{x + a} {y - a}L{x - a} {y + a}"}
    if name == "square":
        a = round(4.5 * scale, 1)
        return {"shape": "rect", "rx": round(x - a, 1), "ry": round(y - a, 1), "size": round(2 * a, 1)}
    return {"shape": "circle", "cx": x, "cy": y, "r": round(4 * scale, 1)}


def shape(e: dict[str, Any]) -> str:
    return _SHAPES.get(str(e.get("kind")), "diamond" if e.get("findings") or e.get("root_cause") else "dot")


def tooltip(e: dict[str, Any]) -> str:
    when = view.oneline(e.get("time")) or "no time"
    run = f" · run {e['run']}" if e.get("run") else ""
    where = f"{short_path(e.get('artifact'))}:{e.get('line')}"
    repeat = f" (×{e['repeat']})" if e.get("repeat", 1) > 1 else ""
    return f"{when}{run} · {where}{repeat}\n{view.clean(e.get('text'))}"


def short_path(path: Any) -> str:
    """The file name of a display path (archive members are joined with `!`)."""
    text = view.oneline(path)
    return text.replace("!", "/").rsplit("/", 1)[-1] or text


def run_label(r: dict[str, Any]) -> str:
    ended = {"fatal": "fatal exit", "restart": "no fatal line, restarted", "running": "running when the logs end"}.get(
        str(r.get("ended")), ""
    )
    version = f" · {view.oneline(r.get('version'))}" if r.get("version") else ""
    return f"run {r.get('number')} · {ended}{version}"


# -- one Node's lane ------------------------------------------------------------------------------


def lane(node: dict[str, Any], width: int = WIDTH) -> dict[str, Any] | None:
    """The detail drawing of one Node, or None when none of its events has a time."""
    events = [e for e in node.get("events", []) if parse_time(e.get("time"))]
    t0, t1 = parse_time(node.get("start")), parse_time(node.get("end"))
    if not events or t0 is None or t1 is None:
        return None
    axis = Axis(t0, t1, GUTTER, width - RIGHT)
    keys = [k for k in key_events(node) if parse_time(k.get("time"))]
    has_ovs = any(e.get("kind") == "ovs" for e in events)
    hits = [e for e in events if not is_key(e)]

    labels, rows = _place_labels(keys, axis, width)
    # Top down: label rows, the agent's event markers, its run bars, OVS events, other hits, axis.
    # A Node without agent runs or agent markers (the controller, an OVS log alone) has no
    # marker or bar row.
    has_agent = bool(node.get("runs")) or any(k.get("kind") != "ovs" for k in keys)
    mark_y = 8 + rows * LABEL_ROW + (4 if rows else 0) + 9
    bar_y, bar_h = mark_y + 11, 17
    y = bar_y + bar_h + 4 if has_agent else mark_y - 9
    ovs_y = None
    if has_ovs:
        ovs_y, y = y + 8, y + 17
    hits_y = None
    if hits:
        hits_y, y = y + 2, y + 14
    axis_y = y + 4
    height = axis_y + 30

    runs = []
    for r in node.get("runs", []):
        a, b = parse_time(r.get("start")), parse_time(r.get("end"))
        if a is None or b is None:
            continue
        x0, x1 = axis.x(a), axis.x(b)
        w = max(x1 - x0, 3.0)
        text = run_label(r)
        fit = int((w - 10) / CHAR)
        runs.append(
            {
                "x": x0,
                "w": round(w, 1),
                "ended": r.get("ended") if r.get("ended") in ("fatal", "restart", "running") else "running",
                "label": text if len(text) <= fit else (text[: fit - 1] + "…" if fit >= 8 else ""),
                "title": f"{text}\n{view.oneline(r.get('start'))} to {view.oneline(r.get('end'))}"
                + (f"\n{view.oneline(r.get('fatal'))}" if r.get("fatal") else ""),
            }
        )
    markers = []
    for k in keys:
        t = parse_time(k.get("time"))
        assert t is not None
        row_y = ovs_y if k.get("kind") == "ovs" and ovs_y is not None else mark_y
        markers.append(
            {
                "x": axis.x(t),
                "y": row_y,
                "cls": event_class(k),
                "n": k["n"],
                "kind": _kind(k),
                "title": tooltip(k),
                **geometry(shape(k), axis.x(t), row_y),
            }
        )
    ticks = [
        {
            "x": axis.x(t),
            "cls": event_class(e),
            "y": ovs_y - 5 if e.get("kind") == "ovs" and ovs_y is not None else hits_y,
        }
        for e in hits
        if (t := parse_time(e["time"])) is not None
    ]
    restarts = [m["x"] for m in markers if m["kind"] == "restart"]
    return {
        "width": width,
        "height": height,
        "gutter": GUTTER,
        "has_agent": has_agent,
        "mark_y": mark_y,
        "bar_y": bar_y,
        "bar_h": bar_h,
        "ovs_y": ovs_y,
        "hits_y": hits_y,
        "axis_y": axis_y,
        "ticks": axis.ticks(),
        "caption": axis.caption(),
        "runs": runs,
        "markers": markers,
        "hits": ticks,
        "labels": labels,
        "restarts": restarts,
        "key": keys,
    }


def _place_labels(keys: list[dict[str, Any]], axis: Axis, width: int) -> tuple[list[dict[str, Any]], int]:
    """Labels for the most important key events, each in the lowest free row above the bar
    (greedy, in time order); an event that finds no free row keeps its marker and table row."""
    chosen = sorted(keys, key=priority)[:MAX_LABELS]
    rows: list[list[tuple[float, float]]] = []
    placed: list[dict[str, Any]] = []
    for k in sorted(chosen, key=lambda k: k["n"]):
        t = parse_time(k.get("time"))
        assert t is not None
        x = axis.x(t)
        text = label_text(k)
        w = len(text) * CHAR
        anchor = "start" if x + w <= width - 4 else "end"
        span = (x - 2, x + w + 6) if anchor == "start" else (x - w - 6, x + 2)
        for i in range(MAX_LABEL_ROWS):
            if i == len(rows):
                rows.append([])
            if all(span[1] < a or span[0] > b for a, b in rows[i]):
                rows[i].append(span)
                placed.append({"x": x, "row": i, "anchor": anchor, "text": text, "cls": event_class(k)})
                break
    used = len([r for r in rows if r])
    for p in placed:
        # Row 0 on top: a burst of events reads top-down in time order.
        p["y"] = 8 + p["row"] * LABEL_ROW + 11
        p["tx"] = p["x"] + (4 if p["anchor"] == "start" else -4)
    return placed, used


def label_text(k: dict[str, Any]) -> str:
    text = view.oneline(k.get("label"))
    if k.get("kind") == "fatal":
        text = "fatal: " + text
    elif k.get("kind") == "restart":
        text = f"restart (run {k.get('run')}): " + text
    if len(text) > LABEL_CHARS:
        # An error's cause is at the end of its chain ("...: dial tcp ...: i/o timeout").
        if k.get("level") in ("fatal", "error", "warning"):
            head = LABEL_CHARS * 2 // 5
            text = text[:head] + "…" + text[len(text) - (LABEL_CHARS - head - 1) :]
        else:
            text = text[: LABEL_CHARS - 1] + "…"
    if k.get("repeat", 1) > 1:
        text += f" ×{k['repeat']}"
    return f"{k['n']} {text}"


# -- all Nodes on one axis ------------------------------------------------------------------------


def overview(timeline: dict[str, Any], width: int = WIDTH) -> dict[str, Any] | None:
    """One row per Node with timed events on a shared axis; None when fewer than two such Nodes."""
    nodes: list[tuple[dict[str, Any], datetime, datetime]] = []
    for n in timeline.get("nodes", []):
        start, end = parse_time(n.get("start")), parse_time(n.get("end"))
        if start is not None and end is not None:
            nodes.append((n, start, end))
    if len(nodes) < 2:
        return None
    t0 = min(start for _, start, _ in nodes)
    t1 = max(end for _, _, end in nodes)
    axis = Axis(t0, t1, OVERVIEW_GUTTER, width - RIGHT)
    rows = []
    for i, (n, start, end) in enumerate(nodes):
        y = 6 + i * OVERVIEW_ROW
        runs = []
        for r in n.get("runs", []):
            a, b = parse_time(r.get("start")), parse_time(r.get("end"))
            if a is not None and b is not None:
                runs.append(
                    {
                        "x": axis.x(a),
                        "w": round(max(axis.x(b) - axis.x(a), 3.0), 1),
                        "ended": r.get("ended") if r.get("ended") in ("fatal", "restart", "running") else "running",
                        "title": run_label(r),
                    }
                )
        markers = [
            {
                "x": axis.x(t),
                "cls": event_class(k),
                "kind": _kind(k),
                "title": tooltip(k),
                **geometry(shape(k), axis.x(t), y + 9, 0.75),
            }
            for k in key_events(n)
            if (t := parse_time(k.get("time"))) is not None
            and (k.get("kind") in ("fatal", "restart", "start", "ovs") or k.get("root_cause"))
        ]
        name = view.oneline(n.get("node"))
        hits = sorted({axis.x(t) for e in n.get("events", []) if not is_key(e) and (t := parse_time(e.get("time")))})
        rows.append(
            {
                "node": n.get("node"),
                "name": name if len(name) <= 20 else name[:19] + "…",
                "y": y,
                "mid": y + 9,
                "runs": runs,
                "markers": markers,
                "hits": hits,
                "span": (axis.x(start), axis.x(end)),
            }
        )
    axis_y = 6 + len(nodes) * OVERVIEW_ROW + 2
    return {
        "width": width,
        "height": axis_y + 30,
        "gutter": OVERVIEW_GUTTER,
        "rows": rows,
        "axis_y": axis_y,
        "ticks": axis.ticks(),
        "caption": axis.caption(),
    }
