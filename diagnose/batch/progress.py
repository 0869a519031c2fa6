"""The progress bar on stderr: bundles done / total, failed so far, elapsed and ETA.

rich draws it live on a terminal; when stderr is not a terminal (CI logs, a pipe) rich prints
nothing while it runs, and one line per bundle would flood a log of thousands, so `--quiet` or a
pipe gets only the final counts the command prints itself.
"""

from __future__ import annotations

from typing import Any


class Progress:
    def __init__(self, total: int, enabled: bool = True):
        self.total = total
        self.done = 0
        self.failed = 0
        self._bar: Any = None
        self._task: Any = None
        if enabled and total:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            console = Console(stderr=True)
            if console.is_terminal:
                self._bar = RichProgress(
                    TextColumn("[bold]scanning"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("[red]{task.fields[failed]} failed"),
                    TimeElapsedColumn(),
                    TextColumn("ETA"),
                    TimeRemainingColumn(),
                    console=console,
                    transient=False,
                )
                self._task = self._bar.add_task("scan", total=total, failed=0)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, failed: bool) -> None:
        self.done += 1
        self.failed += int(failed)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, failed=self.failed)
