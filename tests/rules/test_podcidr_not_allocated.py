from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "podcidr_not_allocated"


def pcd(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-PCD-001"]


def test_waiting_lines_prove_the_node_was_read_and_had_no_podcidr_5353(run):
    [finding] = pcd(run(OWN / "fires-5353-waiting-then-empty"))
    assert finding["nodes"] == ["kind-worker"]
    assert finding["status"] == "confirmed"
    assert "allocate-node-cidrs" in " ".join(finding["remediation"]["steps"])


def test_fatal_line_alone_is_inconclusive_and_says_what_to_collect(run):
    [finding] = pcd(run(OWN / "fires-old-wording-v1.12-fatal-only"))
    assert finding["nodes"] == ["k8s-node-3"]
    assert finding["status"] == "inconclusive" and finding["confidence"] < 0.5
    assert any("podCIDR" in m["command"] for m in finding["missing_evidence"])


def test_clusterinfo_with_an_allocated_podcidr_rules_it_out(run):
    assert pcd(run(OWN / "quiet-clusterinfo-shows-podcidr")) == []


def test_api_timeout_lookalike_is_not_a_podcidr_problem(run):
    report = run(FIX / "apiserver_unreachable" / "fires-7472-podcidr-message-hides-api-timeout")
    assert pcd(report) == []
