from pathlib import Path

from support import all_findings

OWN = Path(__file__).parent / "fixtures" / "ipsec_not_working"


def ipsec(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-IPSEC-001"]


def test_missing_psk_is_fatal(run):
    report = run(OWN / "fires-psk-secret-missing")
    [finding] = ipsec(report)
    assert finding["severity"] == "critical" and finding["nodes"] == ["worker-1"]
    assert "ANTREA_IPSEC_PSK" in finding["summary"]
    assert report["findings"][0]["rule_id"] == "ANT-IPSEC-001"


def test_fallback_bundle_container_log_explains_the_missing_monitor(run):
    [finding] = ipsec(run(OWN / "fires-fallback-bundle-gcm-plugin-missing"))
    assert finding["nodes"] == ["worker-3"]
    assert "'gcm' plugin" in finding["summary"] and "ovs-monitor-ipsec" in finding["summary"]
    artifacts = {e["artifact"] for e in finding["evidence"]}
    assert "agent_worker-3/logs/ipsec/antrea-ipsec.log" in artifacts


def test_one_routine_daemon_restart_is_quiet(run):
    report = run(OWN / "quiet-one-daemon-restart")
    assert ipsec(report) == []
    # the pasted antrea-ipsec container log is recognised by its content
    assert [a["kind"] for a in report["source"]["artifacts"]] == ["container-log"]
