"""The summary's plots as inline SVG strings: no plotting library, no script, no external file.

Two shapes cover the fleet view: horizontal stacked bars (a label per row: categories, versions,
severities) and stacked columns (a time axis). Every label is escaped here, since categories and
versions come from bundles; the caller inserts the returned markup as is.
"""

from __future__ import annotations

from html import escape

from diagnose.rules.rule import SEVERITIES

# Colours with enough contrast on white and on the dark theme's panel.
SEVERITY_COLORS = {"critical": "#b42318", "error": "#e8590c", "warning": "#d4a72c", "info": "#4393e4"}
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12"'
_MAX_LABEL = 34


def hbars(rows: list[tuple[str, dict[str, int]]], title: str, width: int = 720) -> str:
    """One bar per row, stacked by series (severities), the total at its end."""
    if not rows:
        return _empty(title, width)
    row_h, top, label_w = 22, 34, 230
    plot_w = width - label_w - 60
    height = top + row_h * len(rows) + 10
    biggest = max(sum(v.values()) for _, v in rows) or 1
    parts = [_open(title, width, height), _legend(rows, width)]
    for i, (label, values) in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="currentColor">'
            f"<title>{escape(label)}</title>{escape(_cut(label))}</text>"
        )
        x = float(label_w)
        for series in _series(values):
            w = plot_w * values[series] / biggest
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" '
                f'fill="{SEVERITY_COLORS.get(series, "#888")}"><title>{escape(label)}: '
                f"{values[series]} {escape(series)}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" fill="currentColor">{sum(values.values())}</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(rows: list[tuple[str, dict[str, int]]], title: str, width: int = 720) -> str:
    """One column per row (a time period), stacked by series; the axis labels thinned out."""
    if not rows:
        return _empty(title, width)
    left, top, bottom, height = 64, 34, 62, 260  # left: room for the first rotated date label
    plot_h = height - top - bottom
    step = min((width - left - 10) / len(rows), 48.0)  # a lone period is a column, not a wall
    biggest = max((sum(v.values()) for _, v in rows), default=0) or 1
    parts = [_open(title, width, height), _legend(rows, width)]
    for tick in sorted({0, biggest // 2, biggest}):  # a light integer scale: 0, about half, the maximum
        y = top + plot_h * (1 - tick / biggest)
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="currentColor" '
            f'stroke-opacity="0.15"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="currentColor">{tick}</text>'
        )
    every = max(1, len(rows) // 12)
    for i, (label, values) in enumerate(rows):
        x = left + i * step
        y = float(top + plot_h)
        for series in _series(values):
            h = plot_h * values[series] / biggest
            y -= h
            parts.append(
                f'<rect x="{x + step * 0.1:.1f}" y="{y:.1f}" width="{max(step * 0.8, 1):.1f}" '
                f'height="{h:.1f}" fill="{SEVERITY_COLORS.get(series, "#888")}"><title>{escape(label)}: '
                f"{values[series]} {escape(series)}</title></rect>"
            )
        if i % every == 0:
            cx, cy = x + step / 2, top + plot_h + 12
            parts.append(
                f'<text x="{cx:.1f}" y="{cy}" text-anchor="end" fill="currentColor" '
                f'transform="rotate(-40 {cx:.1f} {cy})">{escape(_cut(label))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _open(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" {_FONT}>'
        f"<title>{escape(title)}</title>"
        f'<text x="0" y="14" font-weight="600" fill="currentColor">{escape(title)}</text>'
    )


def _legend(rows: list[tuple[str, dict[str, int]]], width: int) -> str:
    present = [s for s in SEVERITIES if any(s in v for _, v in rows)]
    parts, x = [], width - 80 * len(present)
    for s in present:
        parts.append(
            f'<rect x="{x}" y="5" width="10" height="10" fill="{SEVERITY_COLORS[s]}"/>'
            f'<text x="{x + 14}" y="14" fill="currentColor">{s}</text>'
        )
        x += 80
    return "".join(parts)


def _series(values: dict[str, int]) -> list[str]:
    known = [s for s in SEVERITIES if values.get(s)]
    return known + sorted(s for s in values if s not in SEVERITIES and values[s])


def _empty(title: str, width: int) -> str:
    return _open(title, width, 48) + '<text x="0" y="38" fill="currentColor" opacity="0.7">nothing to plot</text></svg>'


def _cut(label: str) -> str:
    return label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "…"
