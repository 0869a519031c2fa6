"""Run the CLI against `/dev/null`, `/dev/full` and `/dev/stdout` without risking the real ones.

As root with `unshare`, each run gets a private mount namespace in which a scratch folder (with
`null`, `full`, ... device nodes and the `stdout` links) is bind-mounted over /dev: the command
really writes `-o /dev/null`, and afterwards the test looks at the scratch folder to see whether
the device is still a device. Elsewhere the same scratch devices are used under their own paths
(mknod needs root); the tests of literal /dev paths are skipped there, because a regression
would damage the real /dev.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8), "urandom": (1, 9)}
LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}


def make_scratch_dev(folder: Path) -> bool:
    """A /dev-like folder; False when device nodes cannot be made or opened here."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for name, (major, minor) in DEVICES.items():
            os.mknod(folder / name, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
        with open(folder / "null", "wb") as f:  # a nodev file system refuses this
            f.write(b"probe")
    except OSError:
        return False
    for name, target in LINKS.items():
        (folder / name).symlink_to(target)
    return True


@functools.cache
def namespaces_work() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    try:
        probe = subprocess.run(
            ["unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt && umount /mnt"], capture_output=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


@dataclass
class Dev:
    """Where the scratch devices are and how to run the CLI so that it sees them."""

    scratch: Path
    sandboxed: bool  # the scratch folder is /dev for the command

    def path(self, name: str) -> str:
        return f"/dev/{name}" if self.sandboxed else str(self.scratch / name)

    def kind(self, name: str) -> str:
        """What the scratch entry is now: char, symlink, file, fifo, missing."""
        p = self.scratch / name
        try:
            mode = os.lstat(p).st_mode
        except FileNotFoundError:
            return "missing"
        if stat.S_ISLNK(mode):
            return "symlink"
        if stat.S_ISCHR(mode):
            return "char"
        if stat.S_ISFIFO(mode):
            return "fifo"
        return "file" if stat.S_ISREG(mode) else "other"

    def entries(self) -> set[str]:
        return {p.name for p in self.scratch.iterdir()}

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        stdout=subprocess.PIPE,
        stdin=None,
        umask: int | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
        command = [sys.executable, "-m", "diagnose", *map(str, args)]
        if umask is not None:
            command = ["sh", "-c", f'umask {umask:03o} && exec "$@"', "sh", *command]
        if self.sandboxed:
            command = [
                "unshare",
                "-m",
                "sh",
                "-c",
                'mount --bind "$1" /dev && shift && exec "$@"',
                "sh",
                str(self.scratch),
                *command,
            ]
        return subprocess.run(
            command, cwd=cwd, stdout=stdout, stdin=stdin, stderr=subprocess.PIPE, env=env, timeout=timeout
        )
