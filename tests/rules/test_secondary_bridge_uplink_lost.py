from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures" / "secondary_bridge_uplink_lost"


def sec2(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-SEC-002"]


def test_release_build_with_the_primary_nic_left_in_the_bridge_8297(run):
    report = run(FIX / "fires-8297-release-build-nic-left-bridged-api-down")
    first = report["findings"][0]
    assert first["rule_id"] == "ANT-SEC-002" and first["nodes"] == ["worker-9"]
    assert first["status"] == "confirmed"  # the NIC in OVS and the API lost are both observed
    assert "not the #6448 ordering bug" in first["summary"] and "eth0" in first["summary"]
    assert "apiserver-unreachable" in [s["category"] for s in first["symptoms"]]
    assert not [f for f in all_findings(report) if f["rule_id"] == "ANT-SEC-001"]


def test_a_failed_restore_is_confirmed_from_the_log(run):
    [finding] = sec2(run(FIX / "fires-restore-failed-nic-half-moved"))
    assert finding["status"] == "confirmed" and finding["nodes"] == ["worker-4"]
    assert "Restore host interface name failed" in finding["summary"]


def test_the_6448_dev_build_belongs_to_the_ordering_rule(run):
    report = run(FIX / "quiet-6448-dev-build-is-the-ordering-bug")
    assert sec2(report) == []
    assert report["findings"][0]["rule_id"] == "ANT-SEC-001"


def test_a_dedicated_secondary_nic_is_fine(run):
    assert sec2(run(FIX / "quiet-dedicated-nic")) == []
