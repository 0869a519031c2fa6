"""Every input shape the bundle reader accepts, and the bad ones it survives."""

import os
import subprocess
import sys

import pytest
from bundles import RUNS, agent_files_node2, archive_dir
from support import tar_bytes

from diagnose.errors import InputError


def nodes(report):
    return {n["name"]: n for n in report["source"]["nodes"]}


def first(report):
    return report["findings"][0]


@pytest.mark.parametrize("fmt", ["dir", "tar.gz", "zip"])
def test_antctl_output_as_directory_tgz_or_zip(run, antctl_dir, tmp_path, fmt):
    source = antctl_dir if fmt == "dir" else archive_dir(antctl_dir, tmp_path / f"bundle.{fmt}", fmt)
    report = run(source)
    n = nodes(report)
    assert report["source"]["shape"].startswith("antctl-")
    assert n["node2"]["failed_reason"] and n["node2"]["fallback_bundle"]
    assert not n["node1"]["failed_reason"] and not n["node1"]["fallback_bundle"]
    assert n["node1"]["role"] == "control-plane" and n["node2"]["role"] == "worker"
    assert "antrea-controller" in n
    assert report["source"]["collected_at"].startswith("2024-06-28T18:58")
    kinds = {a["kind"] for a in report["source"]["artifacts"]}
    assert {"clusterinfo", "failed-nodes", "agent-log", "controller-log", "ip-route", "flows", "agentinfo"} <= kinds
    # node2's fallback log has no year in it: the bundle's collection time gives it
    f = first(report)
    assert f["nodes"] == ["node2"] and f["category"] in {"secondary-network-uplink", "apiserver-unreachable"}
    assert any(e["time"] and e["time"].startswith("2024-06-28") for e in f["evidence"])


def test_single_agent_bundle(run, tmp_path):
    path = tmp_path / "agent_node2.tar.gz"
    path.write_bytes(tar_bytes(agent_files_node2()))
    report = run(path)
    assert report["source"]["shape"] == "agent-bundle"
    assert list(nodes(report)) == ["node2"]
    assert first(report)["rule_id"] == "ANT-SEC-001"


def test_extracted_agent_bundle_directory(run, tmp_path):
    d = tmp_path / "agent_node2" / "logs" / "agent"
    d.mkdir(parents=True)
    for name, data in agent_files_node2().items():
        (tmp_path / "agent_node2" / name).write_bytes(data)
    report = run(tmp_path / "agent_node2")
    assert list(nodes(report)) == ["node2"]


def test_single_loose_file(run):
    report = run(RUNS / "antrea-agent.node2.root.log.ERROR.20240628-185717.1")
    assert report["source"]["shape"] == "single-file"
    assert first(report)["category"] == "apiserver-unreachable"


def test_cumulative_severity_files_are_counted_once(run):
    report = run(RUNS)
    api = [s for s in first(report)["symptoms"] if s["category"] == "apiserver-unreachable"]
    lines = [e["text"] for e in api[0]["evidence"]]
    assert len(lines) == len(set(lines))  # the INFO and ERROR copies of a line are one event


def test_truncated_archive_keeps_what_came_before(run, antctl_dir):
    blob = (antctl_dir / "agent_node1.tar.gz").read_bytes()
    (antctl_dir / "agent_node1.tar.gz").write_bytes(blob[: len(blob) // 2])
    report = run(antctl_dir)
    problems = report["source"]["unreadable"]
    assert any("agent_node1.tar.gz" in p["path"] and "truncated" in p["reason"] for p in problems)
    assert report["findings"] and first(report)["nodes"] == ["node2"]


def test_unknown_and_binary_files_are_listed_not_fatal(run, antctl_dir):
    (antctl_dir / "notes.bin").write_bytes(os.urandom(2048))
    (antctl_dir / "README.txt").write_text("see attached\n")
    report = run(antctl_dir)
    assert "README.txt" in report["source"]["unrecognised"]
    assert report["findings"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(run, antctl_dir):
    p = antctl_dir / "clusterinfo"
    p.chmod(0)
    report = run(antctl_dir)
    assert any("clusterinfo" in u["path"] for u in report["source"]["unreadable"])


def test_node_with_no_logs_is_still_listed(run, antctl_dir):
    (antctl_dir / "failed_nodes").write_text("node2\nnode3\n")
    report = run(antctl_dir)
    assert nodes(report)["node3"]["failed_reason"]
    assert nodes(report)["node3"]["artifacts"] == 0


def test_nothing_readable_is_an_input_error(rules, tmp_path):
    from diagnose.diagnosis.engine import diagnose

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="empty"):
        diagnose(empty, rules)
    with pytest.raises(InputError, match="does not exist"):
        diagnose(tmp_path / "missing", rules)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    with pytest.raises(InputError):
        diagnose(junk, rules)


def test_cli_exit_codes_and_no_traceback(antctl_dir, tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "diagnose", *args], capture_output=True, text=True)

    ok = cli("scan", str(antctl_dir), "-f", "json")
    assert ok.returncode == 0 and '"schema_version"' in ok.stdout
    assert cli("scan", str(antctl_dir), "--fail-on", "critical", "-f", "json").returncode == 1
    missing = cli("scan", str(tmp_path / "nope"))
    assert missing.returncode == 3 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    assert cli("scan", str(antctl_dir), "--format", "pdf").returncode == 2
    out = tmp_path / "r.md"
    assert cli("scan", str(antctl_dir), "-o", str(out)).returncode == 0 and out.read_text().strip()
    over = cli("scan", str(antctl_dir), "-o", str(antctl_dir / "clusterinfo"))
    assert over.returncode == 2 and "over the input" in over.stderr
    assert (antctl_dir / "clusterinfo").read_text().startswith("#nodes")
