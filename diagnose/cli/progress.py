"""A progress bar on stderr for a scan that takes a while (never in the report, never on a pipe).

It appears only after `DELAY` seconds, so a quick scan prints nothing extra, and disappears when
the scan ends. The engine reports no progress itself; the bar measures what the process has
read from disk so far (`rchar` of /proc/self/io on Linux) against the size of the source files,
which is what a scan spends its time on. Where that counter is missing it shows the time spent.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any

DELAY = 2.0
_TICK = 0.25


def _bytes_read() -> int | None:
    try:
        with open("/proc/self/io", encoding="ascii") as f:
            for line in f:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class ScanProgress:
    def __init__(self, label: str, total: int | None, enabled: bool = True, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and _is_tty(self.stream)
        self.label = label
        self.total = total or None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = _bytes_read()

    def __enter__(self) -> ScanProgress:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="scan-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        if self._done.wait(DELAY):
            return
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = Console(file=self.stream, highlight=False, emoji=False)
        measured = self._start is not None
        columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
        if measured:
            columns += [BarColumn(), DownloadColumn()]
        columns.append(TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(f"Scanning {self.label}", total=self.total if measured else None)
            while not self._done.wait(_TICK):
                now = _bytes_read()
                if measured and now is not None and self._start is not None:
                    done = now - self._start
                    if self.total:
                        done = min(done, int(self.total * 0.99))  # the last percent is the rules and report
                    bar.update(task, completed=done)


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
