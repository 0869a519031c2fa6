"""The one place that finds the built-in rule pack and templates.

In a checkout they are the top-level `rules/` and `templates/` folders; in an installed wheel
they are package data under `diagnose/_data/` (pyproject.toml force-includes them there).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the built-in {name}/ folder is missing from this installation")


def builtin_rules_dir() -> Path:
    return _find("rules")


def builtin_templates_dir() -> Path:
    return _find("templates")
