from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "duplicate_pod_ip"


def dup(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-DUP-001"]


def test_two_running_pods_with_one_ip_from_clusterinfo(run):
    [finding] = dup(run(OWN / "fires-clusterinfo-two-running-pods-one-ip"))
    assert finding["nodes"] == ["worker-1"] and finding["status"] == "confirmed"
    assert "10.244.1.23" in finding["summary"]
    assert "shop/cart-5d9c7b9f7-2xq8r" in finding["summary"] and "shop/checkout-6f7d8c5b4-k2m9s" in finding["summary"]
    # host-network Pods share the Node IP and a Succeeded Pod keeps a stale podIP: neither counts.
    assert "172.18.0.3" not in finding["summary"] and "10.244.2.40" not in finding["summary"]


def test_same_ip_on_two_nodes_from_a_pasted_wide_table(run):
    [finding] = dup(run(OWN / "fires-kubectl-wide-two-nodes"))
    assert finding["nodes"] == ["worker-1", "worker-2"]
    assert "different Nodes" in finding["summary"] and "overlap" in finding["summary"]
    assert finding["evidence"][0]["artifact"] == "kubectl-get-pods-wide.txt"


def test_table_alone_cannot_rule_out_host_network(run):
    [finding] = dup(run(OWN / "fires-inconclusive-table-same-node"))
    assert finding["status"] == "inconclusive" and finding["confidence"] < 0.6
    assert any("hostNetwork" in m["command"] for m in finding["missing_evidence"])


def test_host_network_and_finished_pods_are_quiet(run):
    assert dup(run(OWN / "quiet-host-network-and-finished-pods")) == []
