from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures" / "flow_restore_never_completed"


def frw(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-FRW-001"]


def test_ovsdb_dump_showing_the_key_confirms_it_1600(run):
    [finding] = frw(run(FIX / "fires-1600-ovsdb-still-true"))
    assert finding["nodes"] == ["worker-2"] and finding["status"] == "confirmed"
    assert finding["missing_evidence"] == []  # the OVSDB state was in the bundle
    assert any('flow-restore-wait="true"' in e["text"] for e in finding["evidence"])


def test_a_run_restarted_while_waiting_never_completed(run):
    [finding] = frw(run(FIX / "fires-restarted-while-waiting"))
    assert finding["nodes"] == ["worker-5"]
    assert any("ovs-vsctl get Open_vSwitch . other_config" in m["command"] for m in finding["missing_evidence"])
    assert any("Waiting for flow restoration" in e["text"] for e in finding["evidence"])


def test_cleaned_up_is_healthy(run):
    assert frw(run(FIX / "quiet-cleaned-up")) == []


def test_a_run_still_starting_when_collected_is_not_stuck(run):
    assert frw(run(FIX / "quiet-still-starting")) == []
