from pathlib import Path

from support import all_findings

OWN = Path(__file__).parent / "fixtures" / "networkpolicy_realization_failed"


def np(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-NP-001"]


def test_rules_failing_repeatedly_are_reported_with_the_error(run):
    [finding] = np(run(OWN / "fires-openflow-id-exhausted"))
    assert finding["nodes"] == ["worker-6"] and finding["severity"] == "error"
    assert "2 NetworkPolicy rules" in finding["summary"]
    assert "error allocating Openflow ID" in finding["summary"] and "OpenFlow rule IDs" in finding["summary"]


def test_a_single_retry_is_not_reported(run):
    assert np(run(OWN / "quiet-single-retry")) == []
