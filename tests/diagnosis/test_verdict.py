"""The verdict is earned: nothing judgeable read is "not enough evidence", never green."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

from support import tar_bytes

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "sample_bundles"
CASES = ROOT / "tests" / "fixtures" / "real-cases"


def scan(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "diagnose", "scan", str(path), *args], capture_output=True, text=True, cwd=ROOT
    )


def test_only_the_controller_bundle_is_not_enough(run, tmp_path):
    src = next(SAMPLES.glob("healthy/support-bundles_*"))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "controller.tar.gz").write_bytes((src / "controller.tar.gz").read_bytes())
    report = run(tmp_path / "b")
    assert report["verdict"] == "not-enough-evidence" and "no Node" in report["verdict_reason"]


def test_only_configuration_is_not_enough_and_fails_a_gate(tmp_path):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "values.yaml").write_text(
        (CASES / "6448-secondary-network-primary-nic" / "helm-values.yaml").read_text()
    )
    quiet = scan(tmp_path / "cfg")
    assert quiet.returncode == 0 and "No problems found" not in quiet.stdout
    assert "Not enough evidence" in quiet.stdout
    assert scan(tmp_path / "cfg", "--fail-on", "critical").returncode == 1


def test_an_archive_truncated_before_any_node_is_not_green(run, tmp_path):
    data = tar_bytes({"support-bundles_20240628T185800Z/clusterinfo": b"#nodes\n---\n"})
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(gzip.compress(data)[:60])
    result = scan(cut, "--format", "json")
    assert result.returncode in (0, 3)
    assert "No problems found" not in result.stdout


def test_text_files_of_no_known_kind_are_reported_not_rejected(run, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "notes.txt").write_text("The cluster broke after the upgrade.\nPlease help.\n")
    report = run(tmp_path / "t")
    assert report["verdict"] == "not-enough-evidence"
    assert report["source"]["unrecognised"] == [str(tmp_path / "t" / "notes.txt")] or report["source"]["unrecognised"][
        0
    ].endswith("notes.txt")


def test_hundreds_of_error_lines_no_rule_knows_are_a_fault(run, tmp_path):
    head = (
        "Log file created at: 2025/03/01 12:00:00\nRunning on machine: worker-5\n"
        "Binary: Built with gc go1.22.5 for linux/amd64\n"
    )
    lines = [
        f'E0301 12:{i // 60:02d}:{i % 60:02d}.000000       1 foo_controller.go:88] "Failed to reconcile '
        f'widget" err="widget {i} is stuck"\n'
        for i in range(443)
    ]
    (tmp_path / "l").mkdir()
    (tmp_path / "l" / "antrea-agent.worker-5.root.log.INFO.20250301-120000.1").write_text(head + "".join(lines))
    report = run(tmp_path / "l")
    assert report["verdict"] == "fault"
    [finding] = [f for f in report["findings"] if f["rule_id"] == "ANT-ERR-001"]
    assert finding["severity"] == "warning" and "errors that no specific rule explains" in finding["summary"]
