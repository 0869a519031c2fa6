"""What `scan` and `timeline` read: `-` (standard input) and several sources read as one paste."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from cli_support import NODE2_INFO, NODE2_LOGS, SAMPLE_6448
from dev_sandbox import ROOT


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """Temp folders of the command go here, so a test can see that none is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def scan_json(run):
    def _scan(*args: object, stdin: bytes = b"") -> tuple[int, dict | None, str]:
        code, out, err = run("scan", *args, "-f", "json", stdin=stdin)
        return code, json.loads(out) if code in (0, 1) and out.strip() else None, err

    return _scan


def _ids(report: dict) -> list[str]:
    return [f["rule_id"] for f in report["findings"]]


def test_a_log_piped_in_is_diagnosed(private_tmp, scan_json):
    code, report, err = scan_json("-", stdin=NODE2_INFO.read_bytes())
    assert code == 0, err
    assert report["source"]["path"] == "(standard input)"
    assert "ANT-SEC-001" in _ids(report)
    assert [a["path"] for a in report["source"]["artifacts"]] == ["stdin"]
    assert os.listdir(private_tmp) == []  # the copy of standard input is gone


def test_an_archive_piped_in_is_opened(scan_json):
    bundle = SAMPLE_6448 / "support-bundles_20240628T185800Z" / "agent_node1.tar.gz"
    code, report, err = scan_json("-", stdin=bundle.read_bytes())
    assert code == 0, err
    assert {n["name"] for n in report["source"]["nodes"]} >= {"node1"}
    assert any(a["kind"] == "agent-log" for a in report["source"]["artifacts"])


def test_empty_standard_input_is_unreadable_input(private_tmp, run):
    code, _, err = run("scan", "-")
    assert (code, err) == (3, "antrea-diagnose: Standard input is empty: nothing was piped in.\n")
    assert os.listdir(private_tmp) == []


def test_a_terminal_on_standard_input_is_a_usage_error():
    controller, terminal = os.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "diagnose", "scan", "-"],
            stdin=terminal,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=60,
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert proc.returncode == 2
    assert proc.stderr.startswith("antrea-diagnose: Standard input is a terminal: pipe the logs in")


def test_several_files_are_read_as_one_paste(tmp_path, private_tmp, scan_json):
    files = [NODE2_LOGS / "ip-addr.txt", NODE2_LOGS / "ip-route.txt", NODE2_INFO]
    code, together, err = scan_json(*files)
    assert code == 0, err
    pasted = tmp_path / "pasted"
    pasted.mkdir()
    for f in files:
        shutil.copy(f, pasted)
    _, as_folder, _ = scan_json(pasted)
    assert together["source"]["path"] == " + ".join(map(str, files))
    assert together["source"]["shape"] == "loose-files"
    assert sorted(a["path"] for a in together["source"]["artifacts"]) == sorted(f.name for f in files)
    assert _ids(together) == _ids(as_folder) and "ANT-SEC-001" in _ids(together)
    assert os.listdir(private_tmp) == []
    assert sorted(os.listdir(NODE2_LOGS)) == sorted(os.listdir(SAMPLE_6448 / "node2-var-log-antrea"))


def test_files_with_the_same_name_keep_their_folder(tmp_path, scan_json):
    for node in ("node1", "node2"):
        (tmp_path / f"{node}-logs").mkdir()
        shutil.copy(NODE2_LOGS / "ip-route.txt", tmp_path / f"{node}-logs" / "route.txt")
    code, report, err = scan_json(tmp_path / "node1-logs" / "route.txt", tmp_path / "node2-logs" / "route.txt")
    assert code == 0, err
    assert sorted(a["path"] for a in report["source"]["artifacts"]) == ["node1-logs/route.txt", "node2-logs/route.txt"]


def test_a_folder_and_standard_input_together(tmp_path, scan_json):
    folder = tmp_path / "more"
    folder.mkdir()
    shutil.copy(NODE2_LOGS / "ip-addr.txt", folder)
    code, report, err = scan_json(folder, "-", stdin=NODE2_INFO.read_bytes())
    assert code == 0, err
    assert report["source"]["path"] == f"{folder} + (standard input)"
    assert sorted(a["path"] for a in report["source"]["artifacts"]) == ["more/ip-addr.txt", "stdin"]


def test_the_same_file_twice_is_read_once(scan_json):
    code, report, err = scan_json(NODE2_INFO, NODE2_INFO, NODE2_LOGS / "ip-addr.txt")
    assert code == 0, err
    assert len([a for a in report["source"]["artifacts"] if a["kind"] == "agent-log"]) == 1
    assert {"path": str(NODE2_INFO), "reason": "is named twice; read once"} in report["source"]["unreadable"]


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["-", "-"], 2, "Standard input (-) can be read only once."),
        ([str(NODE2_INFO), "/nonexistent/route.txt"], 3, "/nonexistent/route.txt does not exist."),
    ],
)
def test_bad_sources_are_one_sentence(run, args, code, message):
    got, _, err = run("scan", *args, stdin=b"x")
    assert (got, err) == (code, f"antrea-diagnose: {message}\n")


def test_timeline_reads_standard_input_too(run):
    code, out, err = run("timeline", "-", "-f", "csv", stdin=NODE2_INFO.read_bytes())
    assert code == 0, err
    assert "Physical interface added to secondary OVS bridge" in out


def test_a_terminated_scan_leaves_no_temp_folder(tmp_path):
    """SIGTERM while standard input is still being read: the private copy is removed."""
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "diagnose", "scan", str(NODE2_INFO), "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None
    proc.stdin.write(NODE2_INFO.read_bytes())
    proc.stdin.flush()
    deadline = time.monotonic() + 30
    while not any(temp.iterdir()) and time.monotonic() < deadline:  # the command has started copying
        time.sleep(0.05)
    assert any(temp.iterdir())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    proc.stdin.close()
    assert list(temp.iterdir()) == []
