"""Session fixtures: the built-in rules and a runner of the whole pipeline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# A rule that raises is a test failure, never a quiet "could not read" note.
os.environ.setdefault("ANTREA_DIAGNOSE_RULE_ERRORS", "raise")

from diagnose.diagnosis.engine import diagnose
from diagnose.rules import rulepack


@pytest.fixture(scope="session")
def rules():
    return rulepack.load(rulepack.rule_dirs())


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """Caching on, in a cache directory and a key directory of this test's own (the signed caches
    of Hyperscan databases, regex verdicts, catalogue indexes, template code): the cache directory."""
    monkeypatch.delenv("ANTREA_DIAGNOSE_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "cache-home" / "antrea-diagnose"


@pytest.fixture(scope="session")
def run(rules):
    """run(path) -> the JSON report dict for that source, as `scan -f json` prints it."""

    def _run(path: Path) -> dict:
        return diagnose(Path(path), rules).to_dict()

    return _run
