from pathlib import Path

from support import all_findings

OWN = Path(__file__).parent / "fixtures" / "podcidr_route_conflict"


def pcd3(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-PCD-003"]


def test_one_cidr_refused_towards_two_peers_is_a_duplicate_allocation_7893(run):
    [finding] = pcd3(run(OWN / "fires-7893-two-nodes-one-podcidr"))
    assert finding["status"] == "confirmed" and finding["severity"] == "critical"
    assert finding["nodes"] == ["node-a", "node-b"]
    assert "10.42.141.0/24 is allocated to more than one Node" in finding["summary"]


def test_the_peer_given_this_nodes_own_podcidr_7893(run):
    [finding] = pcd3(run(OWN / "fires-7893-own-podcidr-known"))
    assert finding["status"] == "confirmed" and finding["nodes"] == ["node-a"]
    assert "this Node's PodCIDR is 10.42.141.0/24" in finding["summary"]


def test_other_route_errors_are_not_a_duplicate_cidr(run):
    assert pcd3(run(OWN / "quiet-7893-route-retry-recovered")) == []
