from pathlib import Path

from support import all_findings

OWN = Path(__file__).parent / "fixtures" / "persistent_errors"


def err(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-ERR-001"]


def test_a_pasted_error_line_no_rule_knows_is_named_by_its_component(run):
    [finding] = err(run(OWN / "fires-pasted-route-sync-error"))
    assert finding["severity"] == "error" and finding["category"] == "host-network-config"
    assert "Failed to sync route" in finding["summary"]
    assert "route_linux.go" in finding["summary"]  # the catalogue's source line


def test_an_error_repeating_to_the_end_of_a_whole_log_is_a_warning(run):
    report = run(OWN / "fires-repeating-error-whole-log")
    [finding] = err(report)
    assert finding["severity"] == "warning" and finding["nodes"] == ["worker-3"]
    assert "20 errors" in finding["summary"] and report["verdict"] == "fault"


def test_an_error_that_stopped_while_the_agent_went_on_is_quiet(run):
    report = run(OWN / "quiet-error-that-stopped")
    assert err(report) == [] and report["verdict"] == "no-fault"


def test_an_error_a_specific_rule_explains_is_not_repeated(run):
    report = run(OWN / "quiet-error-a-rule-explains")
    assert report["findings"] and err(report) == []
