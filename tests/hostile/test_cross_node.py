"""Cross-Node rules on clusters of thousands of Nodes: the work grows as N log N, not with the
number of Node pairs, and the report stays readable (a capped list of conflicts and a count).
A 12 KB clusterinfo of 2,000 Nodes sharing one PodCIDR used to cost 1.3 GiB and a 90 MB report;
20,000 legal Nodes did not finish in 120 s. The time and memory budget of these inputs is checked
by the CLI corpus (test_corpus_cli.py: 1 GiB address space, well under the timeout)."""

from __future__ import annotations

import pytest
from hostile_corpus import many_nodes_clusterinfo

PCD = "ANT-PCD-002"


def pcd(report) -> list[dict]:
    return [f for f in report["findings"] if f["rule_id"] == PCD]


@pytest.fixture
def cluster(tmp_path):
    def _cluster(nodes: int, shared_cidr: str | None = None):
        b = tmp_path / "support-bundles_20250120T100000Z"
        b.mkdir(exist_ok=True)
        many_nodes_clusterinfo(b / "clusterinfo", nodes, shared_cidr)
        return b

    return _cluster


def test_one_podcidr_shared_by_2000_nodes_is_one_readable_finding(run, cluster):
    report = run(cluster(2000, shared_cidr="10.244.0.0/24"))
    [finding] = pcd(report)
    assert len(finding["nodes"]) == 2000
    assert finding["summary"].startswith(
        "PodCIDR conflict: node-00000, node-00001, node-00002 and 1,997 other Nodes all have PodCIDR 10.244.0.0/24."
    )
    assert len(finding["summary"]) < 2000


def test_20000_nodes_with_distinct_podcidrs_are_quiet(run, cluster):
    assert pcd(run(cluster(20_000))) == []


def test_many_conflicts_are_listed_up_to_a_cap_and_counted(run, tmp_path):
    # 300 Nodes: each /24 is shared by two Nodes, and every Node IP is inside a PodCIDR of others.
    docs = []
    for i in range(300):
        cidr = f"10.1.{i // 2}.0/24"
        docs.append(
            f"metadata: {{name: n{i:03d}}}\nspec: {{podCIDRs: [{cidr}]}}\n"
            f"status: {{addresses: [{{type: InternalIP, address: 10.1.{(i // 2 + 1) % 150}.9}}]}}\n"
        )
    b = tmp_path / "support-bundles_20250120T100000Z"
    b.mkdir()
    (b / "clusterinfo").write_text("#nodes\n" + "---\n".join(docs))
    [finding] = pcd(run(b))
    assert "n000 and n001 both have PodCIDR 10.1.0.0/24" in finding["summary"]
    assert "430 more not listed (450 conflicts in all)" in finding["summary"]
    assert finding["summary"].count("PodCIDR 10.1.") == 20
    assert len(finding["nodes"]) == 300
    assert len(finding["evidence"]) <= 12
