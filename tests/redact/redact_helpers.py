"""Helpers of the redaction tests: the sample list, a bundle's members, the command line."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from support import SAMPLES

from diagnose.bundle.archive import Walker
from diagnose.cli import main

SAMPLE_DIRS = sorted(p for p in SAMPLES.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


@dataclass
class Redacted:
    source: Path
    copy: Path
    map_path: Path

    @property
    def values(self) -> dict[str, dict[str, str]]:
        return json.loads(self.map_path.read_text())["values"]

    def node(self, name: str) -> str:
        return self.values["node"][name]


def members(source: Path) -> list[tuple[str, bytes]]:
    """("parts\ndisplay path", content) of every file of a bundle, nested archives opened."""
    found: list[tuple[str, bytes]] = []
    problems: list = []
    Walker(
        lambda parts, display, stream, size: found.append(("/".join(parts) + "\n" + display, stream.read())), problems
    ).walk(source)
    assert problems == []
    return found


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the command line as a user does: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["antrea-diagnose", *args])
    code = 0
    try:
        main()
    except SystemExit as e:
        code = int(e.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
