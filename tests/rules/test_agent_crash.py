"""ANT-CRASH-001 across rules: the fallback yields to a specific finding of the same fatal, and
quoted fatal lines are placed on the Node they name. Its own cases are fixtures (expect.yaml)."""

from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"


def test_a_fatal_a_specific_rule_explains_is_not_reported_twice(run):
    for case, root in (
        (FIX / "ipsec_not_working" / "fires-psk-secret-missing", "ipsec"),
        (FIX / "apiserver_unreachable" / "fires-v2.5-k8s-api-did-not-become-available", "apiserver-unreachable"),
    ):
        report = run(case)
        first = report["findings"][0]
        assert first["category"] == root
        assert "agent-crash" not in [f["category"] for f in report["findings"]]
        # The fallback yields: the specific finding cites the fatal line, or carries the crash.
        fatal_cited = any("Error running agent" in e["text"] for e in first["evidence"])
        assert fatal_cited or "agent-crash" in [s["category"] for s in first["symptoms"]]


def test_quoted_fatal_lines_go_to_the_node_they_name(run):
    report = run(Path(__file__).parents[1] / "fixtures" / "real-cases" / "6448-secondary-network-primary-nic")
    assert "agent-crash" not in [f["category"] for f in report["findings"]]
    # Each quoted fatal line is evidence on the Node it names, not on "the Node of these files".
    quoted = {
        e["text"]: f["nodes"]
        for f in all_findings(report)
        for e in f["evidence"]
        if e["artifact"].endswith("fatal-errors.quoted-in-maintainer-comment.txt")
    }
    assert quoted and all(nodes in (["node2"], ["server4"]) for nodes in quoted.values())
