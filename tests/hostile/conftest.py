"""Fixtures of the hostile-input tests; the runner itself is in hostile_cli.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hostile_cli import TIMEOUT, CliRun, run_cli

from diagnose.bundle import limits as lim


@pytest.fixture(scope="session")
def cli_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("matcher-cache")


@pytest.fixture
def cli(tmp_path, cli_cache):
    """cli(*args) runs the CLI fenced in `tmp_path/sandbox`."""

    def _cli(*args: str, timeout: float = TIMEOUT) -> CliRun:
        return run_cli([str(a) for a in args], tmp_path / "sandbox", timeout, cli_cache)

    return _cli


@pytest.fixture
def scan(run):
    """scan(source, **limits) -> the JSON report, read under these limits (defaults otherwise)."""

    def _scan(source, **overrides):
        with lim.applied(replace(lim.Limits(), **overrides)):
            return run(source)

    return _scan
