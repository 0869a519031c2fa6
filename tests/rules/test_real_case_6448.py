"""The excerpts users really posted in antrea-io/antrea#6448, scanned as a loose directory."""

from support import FIXTURES, all_findings

CASE = FIXTURES / "real-cases" / "6448-secondary-network-primary-nic"
ROOT_CAUSES = {"secondary-network-uplink", "ovs-flow-restore-wait", "apiserver-unreachable"}


def test_root_cause_is_never_the_podcidr_lookalike(run):
    report = run(CASE)
    roots = [f["category"] for f in report["findings"]]
    assert roots, "the real #6448 excerpts must produce a diagnosis"
    assert "podcidr-not-allocated" not in roots
    assert set(roots) <= ROOT_CAUSES


def test_node2_is_diagnosed_as_the_secondary_bridge_bug_from_host_state(run):
    report = run(CASE)
    sec = next(f for f in report["findings"] if f["category"] == "secondary-network-uplink")
    assert sec["nodes"] == ["node2"]
    assert sec["severity"] == "critical"
    # The NIC in OVS and the lost API server are observed (confirmed); the agent log of the attaching
    # run, which would show the ordering, was not posted: the finding says what is missing.
    assert sec["status"] == "confirmed"
    commands = " ".join(m["command"] for m in sec["missing_evidence"])
    assert "other_config" in commands
    texts = " ".join(e["text"] for e in sec["evidence"])
    assert "enp0s1~" in texts and "master o" in texts
    # The "Spec.PodCIDR is empty" fatal of node2 is a symptom attached to it, not a root cause.
    assert "podcidr-not-allocated" in [s["category"] for s in sec["symptoms"]]
    assert "v2.1.0-dev-6e00ebf" in sec["summary"]


def test_server4_timeout_is_an_apiserver_finding(run):
    report = run(CASE)
    api = [f for f in all_findings(report) if f["category"] == "apiserver-unreachable"]
    assert api and api[0]["nodes"] == ["server4"]
    assert "10.43.0.1:443" in api[0]["summary"]


def test_files_are_attributed_to_nodes_from_content_and_names(run):
    report = run(CASE)
    by_path = {a["path"]: a for a in report["source"]["artifacts"]}
    assert by_path["antrea-agent.FATAL.node2.partial.txt"]["node"] == "node2"  # klog header
    assert by_path["ip-addr.node2.partial.txt"]["kind"] == "ip-addr"
    assert by_path["ip-route.node2.txt"]["node"] == "node2"
    assert by_path["antrea-agent-log.server4.excerpt.txt"]["node"] == "server4"
    assert by_path["helm-values.yaml"]["kind"] == "agent-config"
    assert "README.md" in report["source"]["unrecognised"]
