"""`antrea-diagnose timeline`: the merged event stream of a bundle, in the terminal or as CSV."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import datetime

import pytest
from click.testing import CliRunner
from support import SAMPLES

from diagnose.cli import cli
from diagnose.report.stream import parse_time

SAMPLE = str(SAMPLES / "6448-secondary-network-primary-nic")


def _run(*args: str):
    return CliRunner().invoke(cli, ["timeline", SAMPLE, *args], env={"COLUMNS": "200"})


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_every_node_in_time_order_with_runs_and_evidence(tmp_path):
    out = tmp_path / "events.csv"
    result = _run("-o", str(out))
    assert result.exit_code == 0, result.output
    rows = _csv(out.read_text())
    assert {r["node"] for r in rows} == {"node1", "node2", "antrea-controller"}
    timed = [r["time"] for r in rows if r["time"]]
    assert timed == sorted(timed) and all(not r["time"] for r in rows[len(timed) :])  # undated last
    attach = next(r for r in rows if "Physical interface added" in r["message"] and r["node"] == "node2")
    assert attach["node"] == "node2" and attach["run"] == "1" and attach["root_cause"] == "yes"
    assert attach["findings"] == "ANT-SEC-001" and attach["artifact"].endswith("INFO.20240628-185501.1")
    assert attach["line"] == "22" and attach["signatures"] == "ANT-SEC-001:uplink_added"
    fatal = next(r for r in rows if r["kind"] == "fatal")
    assert (fatal["node"], fatal["run"], fatal["level"]) == ("node2", "2", "fatal")
    assert [r["kind"] for r in rows if r["node"] == "node2" and r["kind"] in ("start", "restart")] == [
        "start",
        "restart",
    ]
    assert "core:frw_cleaned" in {r["signatures"] for r in rows if r["node"] == "node1"}


def test_node_and_time_window():
    result = _run(
        "--node", "node2", "--since", "2024-06-28T18:55:30", "--until", "2024-06-28 18:56:50", "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    rows = _csv(result.output)
    assert rows and {r["node"] for r in rows} == {"node2"}
    assert all("2024-06-28T18:55:30" <= r["time"] <= "2024-06-28T18:56:50" for r in rows)
    assert "restart" in [r["kind"] for r in rows]  # 18:56:47: the second run starts inside the window


def test_terminal_table_keeps_bundle_text_as_text():
    result = _run("--node", "node2", "--until", "2024-06-28T18:55:03")
    assert result.exit_code == 0, result.output
    out = result.output
    assert re.search(r"2024-06-28 18:55:01\.204 +node2", out) and "start: Starting Antrea agent" in out
    assert "Physical interface added to secondary OVS bridge device=enp0s1~" in out
    assert "antrea-agent.node2.root.log.INFO.20240628-185501.1:22" in out
    assert "events of" in out and "Fatal" not in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "yesterday"], "is not a time such as 18:57"),
        (["--node", "node9"], "No events for Node 'node9'; Nodes with events: node2, node1, antrea-controller."),
    ],
)
def test_bad_options_are_usage_errors(args, message):
    proc = subprocess.run([sys.executable, "-m", "diagnose", "timeline", SAMPLE, *args], capture_output=True, text=True)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_times_with_a_zone_are_compared_in_utc():
    assert parse_time("2024-06-28T18:55:00") == datetime(2024, 6, 28, 18, 55)
    assert parse_time("2024-06-28T20:55:00+02:00") == datetime(2024, 6, 28, 18, 55)
    assert parse_time("2024-06-28T18:55:00Z") == datetime(2024, 6, 28, 18, 55)
    with pytest.raises(ValueError):
        parse_time("18h55")
