"""One batch at a time per output folder: an exclusive lock on `OUT/.lock` for the whole run.

Two batches writing one store would race for report folder names and overwrite each other's
reports; the second one is refused with a sentence naming the first. The lock is the operating
system's (flock, or msvcrt on Windows), so it goes away with the process that holds it, even
after kill -9: there is never a stale lock to clean up. The file keeps the holder's pid for
the message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from diagnose.errors import UsageError

FILE_NAME = ".lock"


class OutLock:
    def __init__(self, out: Path):
        self.path = out / FILE_NAME
        self._fd: int | None = None

    def __enter__(self) -> OutLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            holder = _read_pid(fd)
            os.close(fd)
            who = f" (process {holder})" if holder else ""
            raise UsageError(
                f"another batch is writing to {self.path.parent}{who}; wait for it to finish or choose another --out."
            )
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock; the file stays (removing it would race)
            self._fd = None


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows has msvcrt, not fcntl
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except (OSError, AttributeError):
        return ""
    return text if text.isdigit() else ""
