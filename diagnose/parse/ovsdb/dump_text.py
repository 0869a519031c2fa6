"""Reader of ``ovsdb-client dump`` text: ``X table`` captions over column-aligned tables."""

from __future__ import annotations

import re

from diagnose.parse.ovsdb.model import OvsdbState
from diagnose.parse.ovsdb.tables import MAX_ROWS, Row, add_table, build_state, caption
from diagnose.parse.ovsdb.values import MAX_LINE, parse_value, scan_value, split_values
from diagnose.parse.shell import split_prompt

RE_DASHES = re.compile(r"^-+(?: -+)*\s*$")


def _spans(dashes: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]


def _cell_ok(cell: str) -> bool:
    c = cell.strip()
    if not c:
        return False  # OVSDB never prints an empty cell ("" / [] / {} instead)
    got = scan_value(c, 0)
    return got is not None and got[1] == len(c)


def _split_row(line: str, spans: list[tuple[int, int]]) -> list[str]:
    """Cut a row into cells by the dash-line column widths; fall back to value tokenising when
    the widths do not fit (re-wrapped paste, multi-byte text counted in bytes by OVS...)."""
    if not line.isascii():
        # OVS pads by byte length (strlen), so slice the UTF-8 bytes.
        b = line.encode("utf-8")
        cells = [b[s:e].decode("utf-8", "replace") for s, e in spans[:-1]]
        cells.append(b[spans[-1][0] :].decode("utf-8", "replace"))
        edge_ok = all(s == 0 or (s - 1 < len(b) and b[s - 1 : s] == b" ") for s, _ in spans)
    else:
        cells = [line[s:e] for s, e in spans[:-1]]
        cells.append(line[spans[-1][0] :])  # the last column takes the rest of a wide row
        edge_ok = all(s == 0 or (s - 1 < len(line) and line[s - 1] == " ") for s, _ in spans)
    if edge_ok and all(_cell_ok(c) for c in cells):
        return [c.strip() for c in cells]
    tokens = split_values(line)
    if tokens is not None and tokens:
        return tokens
    return [c.strip() for c in cells]


def parse_dump_text(text: str) -> OvsdbState:
    """Parse ``ovsdb-client dump [DB [TABLE...]]`` text output (one or many ``X table``
    sections, each a header line, a dash line and rows)."""
    return build_state(dump_text_tables(text))


def dump_text_tables(text: str) -> dict[str, list[Row]]:
    """The tables of an ``ovsdb-client dump`` text output, as rows of parsed values."""
    tables: dict[str, list[Row]] = {}
    if not text:
        return tables
    _, text = split_prompt(text)
    lines = text.splitlines()
    n = len(lines)
    i = 0
    while i + 1 < n:
        if not (RE_DASHES.match(lines[i + 1]) and lines[i].strip() and len(lines[i]) <= MAX_LINE):
            i += 1
            continue
        header, dashes = lines[i], lines[i + 1]
        name = caption(lines[i - 1]) if i > 0 else None
        spans = _spans(dashes)
        cols = [header[s:e].strip() for s, e in spans[:-1]] + [header[spans[-1][0] :].strip()]
        i += 2
        rows: list[Row] = []
        while i < n and lines[i].strip() and caption(lines[i]) is None:
            if i + 1 < n and RE_DASHES.match(lines[i + 1]):
                break  # next table without blank line / caption
            line = lines[i]
            i += 1
            if len(line) > MAX_LINE or len(rows) >= MAX_ROWS:
                continue
            cells = _split_row(line, spans)
            rows.append({c: parse_value(v) for c, v in zip(cols, cells, strict=False) if c})
        add_table(tables, name, rows)
    return tables
