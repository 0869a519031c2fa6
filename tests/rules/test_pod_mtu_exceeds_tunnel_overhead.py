from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "pod_mtu_exceeds_tunnel_overhead"


def mtu(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-MTU-001"]


def test_defaultmtu_at_the_nic_mtu_with_geneve(run):
    [finding] = mtu(run(OWN / "fires-defaultmtu-1500-with-geneve"))
    assert finding["nodes"] == ["worker-1"] and finding["status"] == "confirmed"
    summary = finding["summary"]
    assert "MTU 1500" in summary and "ens160" in summary and "adds 50 bytes" in summary
    assert "larger than 1450 bytes" in summary and "defaultMTU" in summary
    assert any("1450" in s for s in finding["remediation"]["steps"])


def test_auto_detected_mtu_leaves_room_for_geneve(run):
    assert mtu(run(OWN / "quiet-auto-mtu-leaves-room")) == []


def test_noencap_needs_no_overhead(run):
    assert mtu(run(OWN / "quiet-noencap-uses-nic-mtu")) == []
