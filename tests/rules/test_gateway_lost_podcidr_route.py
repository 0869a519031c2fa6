from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "gateway_lost_podcidr_route"


def gw(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-HOST-001"]


def test_gateway_flushed_by_a_network_manager_626(run):
    [finding] = gw(run(OWN / "fires-626-networkd-flushed-gateway"))
    assert finding["nodes"] == ["coreos-w2"] and finding["category"] == "host-network-config"
    assert "antrea-gw0 has no IP address" in finding["summary"]
    assert "10.10.2.0/24" in finding["summary"]  # the PodCIDR comes from clusterinfo
    assert any("antrea-gw0:" in e["text"] for e in finding["evidence"])
    assert any("Unmanaged" in s for s in finding["remediation"]["steps"])


def test_healthy_gateway_and_route(run):
    assert gw(run(OWN / "quiet-healthy-gateway")) == []


def test_no_gateway_yet_is_not_a_host_problem(run):
    assert gw(run(OWN / "quiet-gateway-not-created-yet")) == []
