from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "benign_states"


def benign(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-BEN-001"]


def test_egress_dummy_down_is_information_only(run):
    report = run(OWN / "fires-egress0-dummy-down")
    [finding] = benign(report)
    assert finding["severity"] == "info" and finding["nodes"] == ["worker-2"]
    assert "antrea-egress0 is DOWN" in finding["summary"] and "expected" in finding["summary"]
    assert finding["evidence"][0]["line"] == 12
    assert [f["severity"] for f in report["findings"]] == ["info"]


def test_a_real_interface_down_is_not_called_benign(run):
    report = run(OWN / "quiet-gateway-down-is-not-benign")
    assert benign(report) == []


def test_flow_restore_wait_retry_then_cleaned_is_a_start_race_v21(run):
    [finding] = benign(run(OWN / "fires-v2.1-frw-not-true-start-race"))
    assert finding["severity"] == "info" and "start-up race" in finding["summary"]
    assert any("Cleaned up flow-restore-wait config" in e["text"] for e in finding["evidence"])


def test_the_warning_without_a_cleanup_is_not_benign(run):
    report = run(OWN / "quiet-frw-warning-never-cleaned")
    assert benign(report) == []


def test_ca_published_late_is_benign_and_not_a_controller_problem(run):
    report = run(FIX / "tls_certificate_error" / "quiet-new-ca-bundle-without-errors")
    assert [f["rule_id"] for f in all_findings(report)] == []
