"""The `batch` and `summary` commands as a user runs them: exit codes, messages, Ctrl-C."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_corpus import klog_folder
from support import ROOT

from diagnose.batch.store import FILE_NAME
from diagnose.cli import main


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run the command line in this process (the worker server is already up): (code, stdout, stderr)."""

    def _cli(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["antrea-diagnose", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as e:
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err

    return _cli


def test_usage_and_unreadable_input_exit_codes(tmp_path, cli):
    code, _, err = cli("batch", str(tmp_path / "missing"), "--out", str(tmp_path / "r"))
    assert code == 3
    assert f"{tmp_path / 'missing'} does not exist." in err and "No bundle to scan" in err
    assert not (tmp_path / "r").exists()  # nothing is written for nothing
    (tmp_path / "file").write_text("x")
    code, _, err = cli("batch", str(tmp_path), "--out", str(tmp_path / "file"))
    assert code == 2 and "is a file, not a folder" in err
    code, _, err = cli("batch", str(tmp_path), "--reports", "pdf")
    assert code == 2 and "unknown format 'pdf'" in err
    code, _, err = cli("summary", str(tmp_path))
    assert code == 3 and "run `antrea-diagnose batch" in err


def test_batch_then_summary_and_fail_on(corpus, tmp_path, cli):
    out = tmp_path / "results"
    code, _, err = cli(
        "batch",
        str(corpus / "ticket-6448"),
        str(corpus / "corrupt.tar.gz"),
        "--out",
        str(out),
        "-j",
        "1",
        "--fail-on",
        "critical",
    )
    assert code == 1, err  # ticket-6448 is the critical antrea-io/antrea#6448
    assert "1 scanned, 1 failed, 0 already scanned" in err
    code, _, err = cli("batch", str(corpus / "corrupt.tar.gz"), "--out", str(out))
    assert code == 3 and "No bundle of this batch could be read" in err
    assert "0 scanned, 0 failed, 1 already scanned" in err  # a failed bundle is not retried by default
    code, md, _ = cli("summary", str(out), "--format", "md", "-o", "-")
    assert code == 0 and md.startswith("# Antrea fleet view")
    assert "ANT-SEC-001" in md and "corrupt.tar.gz" in md
    (out / "summary.html").unlink()
    code, _, _ = cli("summary", str(out))
    assert code == 0 and (out / "summary.html").is_file() and (out / "findings.parquet").is_file()


def test_ctrl_c_stops_the_batch_and_keeps_what_finished(tmp_path, trap_rules):
    corpus = tmp_path / "bundles"
    corpus.mkdir()
    for i in range(2):
        klog_folder(corpus, f"ticket-{i}", f"node{i}")
    klog_folder(corpus, "zz-hangs", "hang-node")  # sorted last: the others finish first
    out = tmp_path / "results"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "diagnose",
            "batch",
            str(corpus),
            "--out",
            str(out),
            "-j",
            "1",
            "--rules",
            str(trap_rules),
            "--timeout",
            "300",
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _count(out / FILE_NAME) < 2:
            time.sleep(0.1)
        assert _count(out / FILE_NAME) == 2, "the two other bundles should be done by now"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group gets it
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "Interrupted: the bundles that finished are kept" in stderr and "Traceback" not in stderr
    with sqlite3.connect(out / FILE_NAME) as db:
        names = {r[0] for r in db.execute("SELECT name FROM bundles")}
    assert names == {"ticket-0", "ticket-1"}  # the interrupted one is not recorded: the next run scans it
    assert "ticket-1" in (out / "summary.md").read_text()


def _count(db_path: Path) -> int:
    if not db_path.is_file():
        return 0
    try:
        with sqlite3.connect(db_path) as db:
            return db.execute("SELECT COUNT(*) FROM bundles").fetchone()[0]
    except sqlite3.Error:
        return 0
