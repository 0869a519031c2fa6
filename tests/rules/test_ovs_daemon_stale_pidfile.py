from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "ovs_daemon_stale_pidfile"


def pid(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-OVS-001"]


def test_pidfile_check_failure_with_crashlooping_pod_870(run):
    report = run(OWN / "fires-870-antrea-ovs-crashloop")
    first = report["findings"][0]
    assert first["rule_id"] == "ANT-OVS-001" and first["nodes"] == ["worker-9"]
    assert first["severity"] == "critical" and first["status"] == "inconclusive"  # version unknown, fixed in v0.8
    assert "/var/run/openvswitch/ovsdb-server.pid" in first["summary"]
    assert "CrashLoopBackOff (antrea-agent-qdknj 1/2 restarts=32)" in first["summary"]
    assert "(1 failed start)" in first["summary"]  # the script's and ovs-ctl's start lines are one attempt
    texts = [e["text"] for e in first["evidence"]]
    assert any("pidfile check failed" in t for t in texts) and any("CrashLoopBackOff" in t for t in texts)
    assert any("ovs*.pid" in c for c in first["remediation"]["commands"])


def test_clean_ovs_start_is_quiet_880(run):
    assert pid(run(OWN / "quiet-880-clean-start")) == []
