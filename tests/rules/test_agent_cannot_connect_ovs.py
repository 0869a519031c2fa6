from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "agent_cannot_connect_ovs"


def ovs(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-OVS-002"]


def test_ovsdb_socket_never_answers(run):
    [finding] = ovs(run(OWN / "fires-ovsdb-socket-never-answers"))
    assert finding["nodes"] == ["worker-5"] and finding["severity"] == "critical"
    assert "7 times" in finding["summary"]
    assert any("-c antrea-ovs --previous" in m["command"] for m in finding["missing_evidence"])


def test_v2_7_structured_wording(run):
    [finding] = ovs(run(OWN / "fires-v2.7-structured-not-connected"))
    assert "5 times" in finding["summary"]


def test_one_reminder_then_setup_is_the_normal_start_race_287(run):
    assert ovs(run(OWN / "quiet-287-one-retry-then-setup")) == []
