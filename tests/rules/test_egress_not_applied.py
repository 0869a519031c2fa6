from pathlib import Path

from support import all_findings

OWN = Path(__file__).parent / "fixtures" / "egress_not_applied"


def egress(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-EGR-001"]


def test_exhausted_externalippool_from_the_controller_log(run):
    [finding] = egress(run(OWN / "fires-externalippool-exhausted"))
    assert "cannot allocate IP in any range" in finding["summary"]
    assert finding["nodes"] == ["antrea-controller"]


def test_memberlist_blocked_between_nodes(run):
    [finding] = egress(run(OWN / "fires-memberlist-blocked"))
    assert finding["nodes"] == ["worker-1", "worker-2"]
    assert "10351" in finding["summary"]


def test_one_sync_error_that_recovers_is_quiet(run):
    assert egress(run(OWN / "quiet-egress-assigned")) == []
