"""What the hostile-input tests read from a JSON report (a module of its own: test modules must
not import a conftest)."""

from __future__ import annotations


def notes(report) -> list[str]:
    """The read problems, as "path reason" sentences."""
    return [f"{u['path']} {u['reason']}" for u in report["source"]["unreadable"]]


def categories(report) -> list[str]:
    return [f["category"] for f in report["findings"]]


def paths(report) -> list[str]:
    return [a["path"] for a in report["source"]["artifacts"]]
