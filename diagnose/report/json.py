"""The JSON report: `Diagnosis.to_dict()` as it is, described by `schema.json`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("schema.json")


def render_json(d: dict[str, Any]) -> str:
    return json.dumps(d, indent=2, ensure_ascii=False)


@cache
def _schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON report; a fresh dict on every call."""
    return json.loads(_schema_text())
