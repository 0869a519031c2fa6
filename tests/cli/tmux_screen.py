"""Run a command in a real terminal (tmux) of a given width and read back every line it drew."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

DONE = "__antrea_diagnose_test_done__"


def available() -> bool:
    return shutil.which("tmux") is not None


def screen(command: list[str], width: int, folder: Path, env: dict[str, str], timeout: float = 120) -> list[str]:
    """The lines `command` printed in a `width`-column tmux pane (scrollback included), as the
    terminal shows them: wrapped, without colours."""
    socket = folder / "tmux.sock"
    conf = folder / "tmux.conf"
    conf.write_text("set -g history-limit 50000\nset -g remain-on-exit on\n")
    script = folder / "run.sh"
    quoted = " ".join("'" + c.replace("'", "'\\''") + "'" for c in command)
    script.write_text(f"#!/bin/sh\n{quoted}\necho {DONE}\nsleep 600\n")
    script.chmod(0o755)
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES", "TMUX")}
    env["TERM"] = "xterm-256color"
    base = ["tmux", "-S", str(socket), "-f", str(conf)]
    subprocess.run(
        [*base, "new-session", "-d", "-x", str(width), "-y", "50", "-s", "t", str(script)],
        env=env,
        check=True,
        timeout=30,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            lines = subprocess.run(
                [*base, "capture-pane", "-p", "-t", "t", "-S", "-", "-E", "-"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            ).stdout.splitlines()
            if any(line.strip() == DONE for line in lines):
                end = next(i for i, line in enumerate(lines) if line.strip() == DONE)
                return [line.rstrip() for line in lines[:end]]
            if time.monotonic() > deadline:
                raise TimeoutError(f"{command} did not finish in {timeout} s in tmux")
            time.sleep(0.2)
    finally:
        subprocess.run([*base, "kill-server"], env=env, capture_output=True, timeout=30)
        if socket.exists():
            os.unlink(socket)
