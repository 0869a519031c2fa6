"""YAML loading for untrusted bundle text: safe loader only, bounded input, never raises."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

MAX_DOC_BYTES = 8 * 1024 * 1024


def load(text: str) -> Any:
    """One YAML document, or None when it is not valid YAML. PyYAML is imported here, on the
    first document (~10-15 ms): a bundle of logs alone never pays for it."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C one when PyYAML has libyaml
    if len(text) > MAX_DOC_BYTES:
        return None
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def child(obj: Mapping[Any, Any], key: str) -> dict[Any, Any]:
    """`obj[key]` when it is a mapping, else an empty one: loaded bundle YAML may hold anything anywhere."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def string(obj: Mapping[Any, Any], key: str) -> str | None:
    """`obj[key]` when it is a string, else None."""
    value = obj.get(key)
    return value if isinstance(value, str) else None


def split_documents(text: str) -> Iterator[str]:
    """Documents separated by `---` lines (the way antctl writes clusterinfo)."""
    current: list[str] = []
    for line in text.splitlines():
        if line.rstrip() == "---":
            if any(x.strip() for x in current):
                yield "\n".join(current)
            current = []
        else:
            current.append(line)
    if any(x.strip() for x in current):
        yield "\n".join(current)
