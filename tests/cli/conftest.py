"""Fixtures of the command-line tests: scratch devices, a small bundle, the CLI in-process."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest
from cli_support import NODE2_LOGS, run_main
from dev_sandbox import Dev, make_scratch_dev, namespaces_work


@pytest.fixture
def dev(tmp_path) -> Dev:
    scratch = tmp_path / "dev"
    if not make_scratch_dev(scratch):
        pytest.skip("device nodes cannot be made here (needs root and a file system that allows devices)")
    return Dev(scratch, sandboxed=namespaces_work())


@pytest.fixture
def sandboxed_dev(dev) -> Dev:
    if not dev.sandboxed:
        pytest.skip("needs root and unshare -m: a literal /dev path is only written inside a private mount namespace")
    return dev


@pytest.fixture
def bundle(tmp_path) -> Path:
    """A copy of node2's pasted files (fast to scan; findings at critical)."""
    target = tmp_path / "ticket"
    shutil.copytree(NODE2_LOGS, target)
    return target


@pytest.fixture(name="main")
def main_fixture():
    return run_main


@pytest.fixture
def run(capsys, monkeypatch):
    """run(*args, stdin=b"") -> (exit code, stdout, stderr): the CLI in-process through main(), so
    with its exit codes and one-sentence errors."""

    def _run(*args: object, stdin: bytes = b"") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        code = run_main(*args)
        out, err = capsys.readouterr()
        return code, out, err

    return _run
