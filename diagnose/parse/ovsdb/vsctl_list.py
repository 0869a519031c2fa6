"""Reader of ``ovs-vsctl list`` (and ``ovsdb-client -f list dump``): records of ``column : value``
lines, several tables' outputs possibly pasted one after another."""

from __future__ import annotations

import re

from diagnose.parse.ovsdb.model import OvsdbState
from diagnose.parse.ovsdb.tables import MAX_ROWS, TABLE_NAMES, Row, build_state, caption, guess_table
from diagnose.parse.ovsdb.values import MAX_LINE, parse_value
from diagnose.parse.shell import match_prompt

RE_LIST_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]{0,63})\s*: ?(.*)$")
_RE_LIST_CMD = re.compile(r"\b(?:list|find)\s+([A-Za-z_]+)")


def _table_of_command(cmd: str) -> str | None:
    m = _RE_LIST_CMD.search(cmd)
    return TABLE_NAMES.get(m.group(1).lower()) if m else None


def parse_vsctl_list(text: str) -> OvsdbState:
    """Parse ``ovs-vsctl list <table>`` output, possibly several tables concatenated.

    Records are separated by blank lines; a column seen twice also starts a new record (two
    command outputs pasted back to back).  The table of each record comes from an
    ``ovsdb-client -f list`` caption, the prompt command (``ovs-vsctl list open_vswitch``, which
    matters with ``--columns=other_config``), or its columns.
    """
    if not text:
        return OvsdbState()
    hint: str | None = None
    tables: dict[str, list[Row]] = {}
    row: Row = {}
    for line in text.splitlines():
        if len(line) > MAX_LINE:
            continue
        if not line.strip():
            _add_row(tables, hint, row)
            row = {}
            continue
        table = caption(line)
        if table is not None:
            _add_row(tables, hint, row)
            row = {}
            hint = TABLE_NAMES.get(table.lower(), table)
            continue
        m = RE_LIST_LINE.match(line)
        if m is None:
            # A prompt or other text between outputs: what follows may be another table; a
            # prompt line says which one.
            _add_row(tables, hint, row)
            row = {}
            prompt = match_prompt(line)
            hint = _table_of_command(prompt.command) if prompt else None
            continue
        col = m.group(1)
        if col in row:
            # Same column again without a blank line: a second command's output begins.
            _add_row(tables, hint, row)
            row = {}
            hint = None
        row[col] = parse_value(m.group(2))
    _add_row(tables, hint, row)
    _fix_hinted(tables)
    return build_state(tables)


def _fix_hinted(tables: dict[str, list[Row]]) -> None:
    """Move rows filed under a hinted table whose columns clearly say another table (a prompt
    hint covers only the first command of a paste)."""
    for table in list(tables):
        keep: list[Row] = []
        for row in tables[table]:
            guessed = guess_table(row)
            if guessed and guessed != table and guessed != "Controller":
                tables.setdefault(guessed, []).append(row)
            else:
                keep.append(row)
        tables[table] = keep


def _add_row(tables: dict[str, list[Row]], table: str | None, row: Row) -> None:
    if not row:
        return
    table = table or guess_table(row)
    if table is None:
        return
    rows = tables.setdefault(table, [])
    if len(rows) < MAX_ROWS:
        rows.append(row)
