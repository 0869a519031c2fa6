from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "podcidr_overlap"


def overlap(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-PCD-002"]


def test_duplicate_and_overlapping_podcidrs_across_nodes(run):
    [finding] = overlap(run(OWN / "fires-duplicate-podcidr-two-allocators"))
    assert finding["nodes"] == ["worker-1", "worker-2", "worker-3", "worker-4"]
    assert "worker-1 and worker-2 both have PodCIDR 10.244.1.0/24" in finding["summary"]
    assert "10.244.2.0/24 and 10.244.2.128/25" in finding["summary"]
    assert "cp-1" not in finding["nodes"]
    # antrea-controller.conf enables NodeIPAM: the two-allocator cause is named.
    assert "NodeIPAM" in finding["summary"]
    assert finding["severity"] == "critical"


def test_node_ip_inside_another_nodes_podcidr(run):
    [finding] = overlap(run(OWN / "fires-node-ip-inside-podcidr"))
    assert finding["nodes"] == ["node-2", "node-3"]
    assert "192.168.1.10 of node-3 is inside the PodCIDR 192.168.1.0/24 of node-2" in finding["summary"]
    assert "NodeIPAM" not in finding["summary"]


def test_distinct_podcidrs_are_quiet(run):
    assert overlap(run(OWN / "quiet-distinct-podcidrs")) == []


def test_nodes_without_podcidr_are_not_a_conflict(run):
    assert overlap(run(FIX / "podcidr_not_allocated" / "quiet-clusterinfo-shows-podcidr")) == []
