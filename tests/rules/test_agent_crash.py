from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "agent_crash"


def crash(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-CRASH-001"]


def test_panic_in_every_run_names_the_antrea_function(run):
    report = run(OWN / "fires-v2.2-nil-pointer-panic-crashloop")
    [finding] = crash(report)
    assert finding["nodes"] == ["worker-9"] and finding["status"] == "confirmed"
    assert "egress.(*EgressController).syncEgress" in finding["summary"]
    assert "in 2 runs" in finding["summary"] and "nil pointer dereference" in finding["summary"]
    assert report["findings"][0]["rule_id"] == "ANT-CRASH-001"


def test_go_runtime_panic_in_a_pasted_previous_container_log(run):
    [finding] = crash(run(OWN / "fires-previous-container-log-runtime-panic"))
    assert "index out of range [3] with length 3" in finding["summary"]
    assert "multicast.(*Controller).syncGroup" in finding["summary"]
    assert finding["nodes"] == ["(unattributed)"]  # the excerpt does not say which Node


def test_crashloop_seen_only_in_kubectl_is_inconclusive(run):
    [finding] = crash(run(OWN / "fires-crashloop-status-only"))
    assert finding["nodes"] == ["worker-8"] and finding["status"] == "inconclusive"
    assert "CrashLoopBackOff, 14 restarts" in finding["summary"]
    assert any("--previous" in m["command"] for m in finding["missing_evidence"])


def test_oomkilled_from_kubectl_describe(run):
    [finding] = crash(run(OWN / "fires-describe-oomkilled"))
    assert finding["nodes"] == ["big-node-3"] and "OOMKilled" in finding["summary"]


def test_old_restarts_of_running_pods_are_quiet(run):
    assert crash(run(OWN / "quiet-restarted-long-ago-running")) == []


def test_a_fatal_a_specific_rule_explains_is_not_reported_twice(run):
    for case, root in ((FIX / "ipsec_not_working" / "fires-psk-secret-missing", "ipsec"),
                       (FIX / "apiserver_unreachable" / "fires-v2.5-k8s-api-did-not-become-available",
                        "apiserver-unreachable")):
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
    quoted = {e["text"]: f["nodes"] for f in all_findings(report) for e in f["evidence"]
              if e["artifact"].endswith("fatal-errors.quoted-in-maintainer-comment.txt")}
    assert quoted and all(nodes in (["node2"], ["server4"]) for nodes in quoted.values())
