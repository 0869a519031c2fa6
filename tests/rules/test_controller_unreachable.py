from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "controller_unreachable"


def ctrl(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-CTRL-001"]


def test_ca_bundle_missing_on_every_node_points_at_the_controller(run):
    report = run(OWN / "fires-cluster-wide-ca-bundle-missing")
    [finding] = ctrl(report)
    assert finding["nodes"] == ["worker-1", "worker-2"]
    assert "all 2 Nodes" in finding["summary"] and "antrea-ca ConfigMap is missing" in finding["summary"]
    # No fallback files and no controller: the initial NetworkPolicy sync never completes.
    assert finding["severity"] == "critical"
    assert report["findings"][0]["rule_id"] == "ANT-CTRL-001"
    assert any("antrea-ca" in c for c in finding["remediation"]["commands"])


def test_one_node_timing_out_while_another_watches_is_that_nodes_path_v27(run):
    [finding] = ctrl(run(OWN / "fires-v2.7-one-node-path-blocked"))
    assert finding["nodes"] == ["worker-3"]
    assert "i/o timeout" in finding["summary"] and "10.0.0.11:10349" in finding["summary"]
    assert "worker-4" in finding["summary"]  # the healthy Node is named
    assert finding["severity"] == "error"  # it synced from its on-disk fallback
    assert "nc -vz -w 3 10.0.0.11 10349" in " ".join(finding["remediation"]["commands"])


def test_failures_followed_by_a_new_watch_are_a_controller_restart(run):
    assert ctrl(run(OWN / "quiet-controller-restart-recovered")) == []


def test_x509_watch_failures_are_left_to_the_tls_rule(run):
    report = run(FIX / "tls_certificate_error" / "fires-persisting-unknown-authority")
    assert ctrl(report) == []
    assert report["findings"][0]["category"] == "tls-certificate"


def test_pasted_excerpt_is_attributed_to_the_node_in_the_watch_url(run):
    [finding] = ctrl(run(OWN / "fires-pasted-excerpt-node-from-watch-url"))
    assert finding["nodes"] == ["worker-12"]
    assert "no route to host" in finding["summary"] and "192.168.10.4:10349" in finding["summary"]
