"""Constants and helpers of the command-line tests (conftest.py holds the fixtures; test modules
import from here, never from conftest, whose name is not unique across test folders)."""

from __future__ import annotations

import signal
import sys

from support import SAMPLES

from diagnose import cli as cli_module

SAMPLE_6448 = SAMPLES / "6448-secondary-network-primary-nic"
NODE2_LOGS = SAMPLE_6448 / "node2-var-log-antrea"
NODE2_INFO = NODE2_LOGS / "antrea-agent.node2.root.log.INFO.20240628-185501.1"


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
