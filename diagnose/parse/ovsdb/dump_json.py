"""Reader of ``ovsdb-client -f json dump``: one JSON object per table, concatenated."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from diagnose.parse.ovsdb.model import OvsdbState
from diagnose.parse.ovsdb.tables import MAX_ROWS, Row, add_table, build_state, caption
from diagnose.parse.ovsdb.values import from_json
from diagnose.parse.shell import split_prompt

_MAX_JSON_OBJECTS = 10_000  # bound for untrusted input

# JSON values are looked for where a line starts with "{" or "[" (ovsdb-client prints one table
# object per line, or pretty-printed with the outer braces at column 0).
_RE_JSON_START = re.compile(r"^[{\[]", re.M)


def _json_objects(text: str) -> Iterator[Any]:
    """Decode concatenated / newline-separated JSON values, skipping garbage between them.

    Each attempt is limited to the text up to the next line starting with a brace, so a
    failed attempt (whose error message counts lines from the start of its document) never
    costs more than its own chunk: linear work on any input.
    """
    dec = json.JSONDecoder()
    starts = [m.start() for m in _RE_JSON_START.finditer(text)][:_MAX_JSON_OBJECTS]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(text)
        chunk = text[start:end]
        pos = 0
        while pos < len(chunk):
            try:
                obj, pos = dec.raw_decode(chunk, pos)
            except (ValueError, RecursionError):
                break  # RecursionError: absurdly nested arrays
            yield obj
            while pos < len(chunk) and chunk[pos].isspace():
                pos += 1
            if pos < len(chunk) and chunk[pos] not in "{[":
                break


def dump_json_tables(text: str) -> dict[str, list[Row]]:
    tables: dict[str, list[Row]] = {}
    if not text:
        return tables
    _, text = split_prompt(text)
    for obj in _json_objects(text):
        objs = obj if isinstance(obj, list) else [obj]
        for o in objs:
            if not isinstance(o, dict):
                continue
            headings = o.get("headings")
            data = o.get("data")
            if not isinstance(headings, list) or not isinstance(data, list):
                continue
            cols = [h if isinstance(h, str) else str(h) for h in headings]
            rows: list[Row] = []
            for d in data[:MAX_ROWS]:
                if isinstance(d, list):
                    rows.append({c: from_json(v) for c, v in zip(cols, d, strict=False)})
            title = o.get("caption")
            add_table(tables, caption(title) if isinstance(title, str) else None, rows)
    return tables


def parse_dump_json(text: str) -> OvsdbState:
    """Parse ``ovsdb-client -f json dump`` (one JSON object per table, concatenated)."""
    return build_state(dump_json_tables(text))
