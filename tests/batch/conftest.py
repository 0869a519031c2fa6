"""Fixtures of the batch tests: the corpus and the trap rule pack (see batch_corpus.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_corpus import TRAP_RULE, build_corpus


@pytest.fixture
def corpus(tmp_path) -> Path:
    return build_corpus(tmp_path / "bundles")


@pytest.fixture
def trap_rules(tmp_path) -> Path:
    d = tmp_path / "trap-rules"
    d.mkdir()
    (d / "batch_test_trap.py").write_text(TRAP_RULE)
    return d
