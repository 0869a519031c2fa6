from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "mtu_differs_across_nodes"


def mtu(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-MTU-002"]


def test_jumbo_frame_nodes_next_to_1500_byte_nodes(run):
    [finding] = mtu(run(OWN / "fires-jumbo-frames-on-some-nodes"))
    assert finding["severity"] == "warning"
    assert sorted(finding["nodes"]) == ["ip-172-31-14-5", "ip-172-31-3-17", "ip-172-31-9-40"]
    assert "1450 on ip-172-31-14-5" in finding["summary"]
    assert "8951 on ip-172-31-3-17, ip-172-31-9-40" in finding["summary"]
    assert "9001" in finding["summary"]  # the NIC MTUs explain why
    assert len(finding["evidence"]) == 3


def test_uniform_mtu_is_quiet(run):
    assert mtu(run(OWN / "quiet-same-mtu-everywhere")) == []
