"""The verdict sentence every format leads with (diagnose.report.view)."""

from __future__ import annotations

from diagnose.report import view


def report(nodes: list[str], **extra) -> dict:
    finding = {
        "title": "Tunnel flows use a stale port",
        "severity": "critical",
        "status": "confirmed",
        "confidence": 0.9,
        "nodes": nodes,
    }
    return {"findings": [finding], "verdict": "fault", **extra}


def test_named_nodes_are_named():
    assert "on worker-1 (critical" in view.verdict(report(["worker-1"]))


def test_files_that_name_no_node_are_the_pasted_files():
    sentence = view.verdict(report(["(unattributed)"]))
    assert "in the pasted files" in sentence and "(unattributed)" not in sentence


def test_a_failed_rule_qualifies_a_clean_verdict():
    d = {
        "findings": [],
        "verdict": "no-fault",
        "rule_failures": [{"rule_id": "ANT-X-001", "error": "KeyError: 'a'", "where": "x.py:1"}],
    }
    assert view.verdict(d) == "No problems found by the rules that ran (1 rule failed)"
    assert "ANT-X-001 (KeyError: 'a' at x.py:1)" in view.rule_failures_note(d)
