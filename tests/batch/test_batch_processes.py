"""`batch` as processes: one batch per output folder at a time, and nothing left running when the
batch process is killed (its workers, the forkserver and the resource tracker end with it, also
when a worker is stuck in C code that holds the GIL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_corpus import klog_folder
from support import ROOT

from diagnose.batch import run
from diagnose.errors import UsageError


def _session(sid: int) -> list[int]:
    """The live processes of session `sid` (the batch started with start_new_session)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
            pids.append(int(entry))
    return pids


def _start_stuck_batch(tmp_path: Path, trap_rules: Path, nodes: list[str]) -> tuple[subprocess.Popen, Path]:
    corpus = tmp_path / "bundles"
    corpus.mkdir()
    for i, node in enumerate(nodes):
        klog_folder(corpus, f"ticket-{i}", node)
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
            "-q",
            "-j",
            str(len(nodes)),
            "--rules",
            str(trap_rules),
            "--timeout",
            "600",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    # The batch, the resource tracker, the forkserver and one busy worker per bundle.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(_session(proc.pid)) < 3 + len(nodes):
        time.sleep(0.2)
    time.sleep(2)  # the workers are inside the trap rule by now
    return proc, out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_kill_9_of_the_batch_leaves_no_process_behind(tmp_path, trap_rules):
    proc, _ = _start_stuck_batch(tmp_path, trap_rules, ["hang-node", "gil-node"])
    started = _session(proc.pid)
    try:
        assert len(started) >= 5, started
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _session(proc.pid):
            time.sleep(0.1)
        assert _session(proc.pid) == []  # before: the workers ran on past --timeout, holding the others
    finally:
        for pid in _session(proc.pid):
            os.kill(pid, signal.SIGKILL)


def test_a_second_batch_on_the_same_out_is_refused_while_the_first_runs(tmp_path, trap_rules):
    proc, out = _start_stuck_batch(tmp_path, trap_rules, ["hang-node"])
    try:
        other = tmp_path / "other-bundle"
        other.mkdir()
        klog_folder(other, "ticket", "node1")
        with pytest.raises(
            UsageError,
            match=rf"another batch is writing to {out} \(process {proc.pid}\); wait for "
            r"it to finish or choose another --out\.",
        ):
            run.run_batch(run.Options(sources=[str(other)], out=out, progress=False, jobs=1, say=lambda s: None))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    # The lock went with the process: the next batch runs.
    outcome = run.run_batch(run.Options(sources=[str(other)], out=out, progress=False, jobs=1, say=lambda s: None))
    assert outcome.scanned == 1
