"""The progress bar of a long scan: on stderr when it is a terminal, after a delay, then gone."""

from __future__ import annotations

import io
import time

from diagnose.cli import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_scan_shows_progress_on_a_terminal_and_clears_it(monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.05)
    stream = _Terminal()
    with progress.ScanProgress("bundle.tar.gz", 10_000_000, stream=stream):
        time.sleep(0.6)
    shown = stream.getvalue()
    assert "Scanning bundle.tar.gz" in shown
    assert shown.endswith("\x1b[?25h") or "\x1b[2K" in shown  # transient: the line is erased at the end


def test_a_quick_scan_or_a_pipe_shows_nothing(monkeypatch):
    stream = _Terminal()
    with progress.ScanProgress("bundle", 100, stream=stream):  # ends before the 2 s delay
        pass
    assert stream.getvalue() == ""
    monkeypatch.setattr(progress, "DELAY", 0.0)
    piped = io.StringIO()
    with progress.ScanProgress("bundle", 100, stream=piped):
        time.sleep(0.3)
    assert piped.getvalue() == ""
    quiet = _Terminal()
    with progress.ScanProgress("bundle", 100, enabled=False, stream=quiet):
        time.sleep(0.3)
    assert quiet.getvalue() == ""
