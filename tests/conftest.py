"""Shared test helpers: run the whole pipeline the way the CLI does."""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnose import rulepack
from diagnose.engine import diagnose

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = ROOT / "sample_bundles"


@pytest.fixture(scope="session")
def rules():
    return rulepack.load(rulepack.rule_dirs())


@pytest.fixture(scope="session")
def run(rules):
    """run(path) -> the JSON report dict for that source."""

    def _run(path: Path) -> dict:
        return diagnose(Path(path), rules).to_dict()

    return _run


def categories(report: dict) -> list[str]:
    return [f["category"] for f in report["findings"]]


def all_findings(report: dict) -> list[dict]:
    """Root causes and the symptoms attached to them."""
    out = []
    for f in report["findings"]:
        out.append(f)
        out.extend(f["explains"])
    return out
