from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures" / "secondary_bridge_took_node_nic"


def sec(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-SEC-001"]


def test_attach_before_flow_restore_then_api_loss_is_confirmed_6448(run):
    report = run(FIX / "fires-6448-agent-klog-runs")
    first = report["findings"][0]
    assert first["rule_id"] == "ANT-SEC-001"
    assert first["nodes"] == ["node2"] and first["status"] == "confirmed" and first["severity"] == "critical"
    texts = [e["text"] for e in first["evidence"]]
    assert any("Physical interface added to secondary OVS bridge" in t for t in texts)
    assert any("Renaming interface" in t for t in texts)
    assert any("Waiting for flow restoration" in t for t in texts)
    explained = {s["category"] for s in first["symptoms"]}
    assert {"apiserver-unreachable", "ovs-flow-restore-wait"} <= explained
    assert "podcidr-not-allocated" not in [f["category"] for f in report["findings"]]
    assert any("other_config" in m["command"] for m in first["missing_evidence"])
    assert "v2.1.0" in " ".join(first["remediation"]["steps"])


def test_dedicated_nic_attached_after_the_flag_was_cleared_is_the_supported_setup(run):
    assert sec(run(FIX / "quiet-dedicated-nic-attached-after-clear")) == []


def test_release_build_with_a_bridged_nic_is_not_this_bug(run):
    report = run(FIX / "quiet-release-build-nic-bridged-api-down")
    assert sec(report) == []
    # The right other explanation: the NIC left in the bridge on a fixed release (ANT-SEC-002).
    assert report["findings"][0]["rule_id"] == "ANT-SEC-002"
