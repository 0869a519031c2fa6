"""The terminal report as a user sees it: the #6448 sample printed in a real 80- and 100-column
terminal (tmux), where no table cell may wrap to more than 3 lines (a failed Node's Status cell
once wrapped to 9 lines at 100 columns and 23 at 80). .ci/run installs tmux; without it the test
is skipped locally and fails in CI."""

from __future__ import annotations

import os
import re
import sys

import pytest
import tmux_screen
from cli_support import SAMPLE_6448
from dev_sandbox import ROOT

MAX_CELL_LINES = 3


@pytest.fixture(autouse=True)
def tmux():
    """Skipped without tmux, except in CI (CI=true), where .ci/run installs it and its absence fails."""
    if not tmux_screen.available():
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is not installed; .ci/run installs it (apt-get install tmux)", pytrace=False)
        pytest.skip("tmux is not installed (apt-get install tmux)")


def _screen(tmp_path, width: int, *args: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return tmux_screen.screen([sys.executable, "-m", "diagnose", "scan", str(SAMPLE_6448), *args], width, tmp_path, env)


def _row_heights(lines: list[str], starts: list[int], end: int) -> list[int]:
    bounds = [*starts, end]
    return [bounds[i + 1] - bounds[i] for i in range(len(starts))]


def _node_rows(lines: list[str], names: list[str]) -> list[int]:
    """Heights of the rows of the Node table in the header panel."""
    head = next(i for i, line in enumerate(lines) if re.match(r"^│ Node\s+Role\s", line))
    starts = []
    for name in names:
        starts.append(next(i for i in range(head + 2, len(lines)) if lines[i].startswith(f"│ {name} ")))
    end = next(
        i for i in range(starts[-1] + 1, len(lines)) if lines[i].startswith("╰") or re.match(r"^│ \S+: ", lines[i])
    )
    assert starts == sorted(starts)
    return _row_heights(lines, starts, end)


def _grid_rows(lines: list[str], start: re.Pattern[str], continuation: re.Pattern[str]) -> list[int]:
    """Heights of the rows of a grid whose rows begin with `start`, wrapped lines with `continuation`."""
    heights: list[int] = []
    current = 0
    for line in lines:
        if start.match(line):
            if current:
                heights.append(current)
            current = 1
        elif current and continuation.match(line):
            current += 1
        elif current:
            heights.append(current)
            current = 0
    if current:
        heights.append(current)
    return heights


@pytest.mark.parametrize("width", [80, 100])
def test_no_table_cell_wraps_to_more_than_three_lines(tmp_path, width):
    lines = _screen(tmp_path, width)
    assert lines and max(len(line) for line in lines) <= width
    assert any("SecondaryNetwork bridged the Node's NIC" in line for line in lines)

    nodes = _node_rows(lines, ["node2", "node1", "antrea-controller"])
    assert nodes and max(nodes) <= MAX_CELL_LINES, nodes

    timeline = _grid_rows(lines, re.compile(r"^  \d\d:\d\d:\d\d\.\d{3} "), re.compile(r"^ {10,}\S"))
    assert len(timeline) >= 10 and max(timeline) <= MAX_CELL_LINES, timeline

    # Evidence excerpts: numbered rows, the evidence line (>) wrapped under its text.
    evidence = _grid_rows(lines, re.compile(r"^[┃│]\s+>\s*\d+ "), re.compile(r"^[┃│] {6,}\S"))
    assert len(evidence) >= 5 and max(evidence) <= MAX_CELL_LINES, evidence

    assert "failed, fallback" in "\n".join(lines)  # the Status cell, short; its reason is said below the table
    reason = "│ node2: failed, fallback bundle (logs only): listed in failed_nodes"
    assert any(line.startswith(reason) for line in lines)


@pytest.mark.parametrize("width", [80, 100])
def test_the_quiet_table_reads_at_80_and_100_columns(tmp_path, width):
    lines = _screen(tmp_path, width, "-q")
    assert max(len(line) for line in lines) <= width
    rows = _grid_rows(lines, re.compile(r"^\d+\s+(critical|error|warning|info)\s"), re.compile(r"^\s{5,}\S"))
    assert rows and max(rows) <= MAX_CELL_LINES, rows
    assert lines[0].startswith("Most likely root cause: SecondaryNetwork bridged")
    assert not any(line.startswith(("╭", "┏", "Timeline of")) for line in lines)  # verdict and table only
