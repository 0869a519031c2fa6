from pathlib import Path

from support import all_findings

OWN = Path(__file__).parent / "fixtures" / "windows_hns_network_broken"


def win(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-WIN-001"]


def test_virtual_uplink_in_a_windows_agent_bundle(run):
    report = run(OWN / "fires-virtual-uplink-windows-bundle")
    [finding] = win(report)
    assert finding["nodes"] == ["win-node-1"] and finding["severity"] == "critical"
    assert "vEthernet (Ethernet0) is virtual" in finding["summary"]
    assert "no antrea-hnsnetwork (networks: nat)" in finding["summary"]  # read from the bundle's HNSNetwork file
    assert report["findings"][0]["rule_id"] == "ANT-WIN-001"


def test_pasted_get_hnsnetwork_with_the_ovs_extension_disabled(run):
    report = run(OWN / "fires-pasted-ovs-extension-disabled")
    [finding] = win(report)
    assert finding["nodes"] == ["win-node-2"]
    assert "Open vSwitch Extension is not enabled" in finding["summary"]
    assert finding["evidence"][0]["line"] == 6
    assert report["source"]["artifacts"][0]["kind"] == "hns-network"


def test_enabled_extension_is_quiet(run):
    assert win(run(OWN / "quiet-ovs-extension-enabled")) == []


def test_extension_list_cut_by_powershell_is_unknown_not_disabled(run):
    assert win(run(OWN / "quiet-extension-list-cut")) == []
