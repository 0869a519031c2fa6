"""Fixtures of the command-line tests: scratch devices, a small bundle, the CLI in-process."""

from __future__ import annotations

import shutil
import signal
import sys
from pathlib import Path

import pytest
from dev_sandbox import Dev, make_scratch_dev, namespaces_work
from support import SAMPLES

from diagnose import cli as cli_module

SAMPLE_6448 = SAMPLES / "6448-secondary-network-primary-nic"
NODE2_LOGS = SAMPLE_6448 / "node2-var-log-antrea"
NODE2_INFO = NODE2_LOGS / "antrea-agent.node2.root.log.INFO.20240628-185501.1"


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


def run_main(*args: object) -> int:
    """The console script in-process: its exit code (stdout/stderr go to capsys)."""
    old, old_term = sys.argv, signal.getsignal(signal.SIGTERM)
    sys.argv = ["antrea-diagnose", *map(str, args)]
    try:
        cli_module.main()
    except SystemExit as e:
        return int(e.code or 0)
    finally:
        sys.argv = old
        signal.signal(signal.SIGTERM, old_term)
    return 0


@pytest.fixture(name="main")
def main_fixture():
    return run_main
