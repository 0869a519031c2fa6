"""The JSON report: `Diagnosis.to_dict()` as it is, described by `schema.json`."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path
from typing import Any

from diagnose.output import encode

SCHEMA_PATH = Path(__file__).with_name("schema.json")


def render_json(d: dict[str, Any]) -> str:
    return json.dumps(d, indent=2, ensure_ascii=False)


def render_json_utf8(d: dict[str, Any]) -> bytes:
    """`render_json(d)` in UTF-8, encoded a few thousand fragments at a time. With `indent`
    the encoder is json's Python one, which yields ~10^5 small strings for a large report:
    joining them all (what `json.dumps` does) holds the fragments, the text and its encoding at
    once, ~4 MiB of peak memory for a 1 MB report; this holds the encoding alone."""
    out = io.BytesIO()
    fragments: list[str] = []
    for fragment in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(d):
        fragments.append(fragment)
        if len(fragments) == 4096:
            out.write(encode("".join(fragments)))
            fragments.clear()
    out.write(encode("".join(fragments)))
    return out.getvalue()


@cache
def _schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON report; a fresh dict on every call."""
    return json.loads(_schema_text())
