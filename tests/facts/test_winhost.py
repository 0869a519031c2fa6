"""Which Windows adapter carries the Node, which is the uplink (diagnose.facts.winhost), and the
NodeView accessors that serve them from a bundle or a paste."""

from __future__ import annotations

from pathlib import Path

from diagnose.bundle import reader
from diagnose.diagnosis.engine import scanner_for
from diagnose.facts import winhost
from diagnose.parse import hns, winadapters, winipconfig, winroutes
from diagnose.rules.evidence import ClusterView

DATA = Path(__file__).parents[1] / "parse" / "data" / "windows"
FIX = Path(__file__).parents[1] / "rules" / "fixtures"


def parsed(name: str):
    text = (DATA / name).read_text()
    if name.startswith("ipconfig"):
        return winipconfig.parse(text)
    if name.startswith("route-print"):
        return winroutes.parse(text)
    return winadapters.parse(text)


def network(adapter: str) -> list[hns.HnsNetwork]:
    return [hns.HnsNetwork(name="antrea-hnsnetwork", type="Transparent", adapter=adapter)]


def test_healthy_node_br_int_holds_the_node_ip_and_ethernet0_is_the_uplink():
    host = winhost.build(
        parsed("ipconfig.ws2019.bundle.txt"),
        parsed("get-netadapter.ws2019.bundle.txt"),
        parsed("route-print.ws2019.bundle.txt"),
        network("Ethernet0"),
        node_ips={"192.168.77.104"},
    )
    assert host is not None
    assert host.uplink_name == "Ethernet0" and host.uplink.net.status == "Up" and host.uplink.ip is None
    [role] = host.needs_node_ip()
    assert (role.adapter.name, role.role) == ("br-int", "bridge")
    assert [a.name for a in host.node_ip_holders()] == ["br-int"]
    assert [r.gateway for r in host.default_routes()] == ["192.168.77.1"]
    # ipconfig's full name and Get-NetAdapter's cut one are the same adapter
    internal = host.adapter("vEthernet (HNS Internal NIC)")
    assert internal.ip is not None and internal.net is not None and internal.without_lease


def test_without_hns_the_uplink_is_the_physical_adapter_whose_mac_br_int_took():
    host = winhost.build(None, parsed("get-netadapter.list.txt"), None, None)
    assert host.uplink_name == "Ethernet0" and host.uplink.status == "Disconnected"
    assert host.management.name == "br-int"


def test_before_the_rename_the_vnic_of_the_uplink_must_hold_the_node_ip():
    host = winhost.build(
        parsed("ipconfig.ws2022.apipa.txt"), parsed("get-netadapter.ws2022.txt"), None, network("Ethernet 2")
    )
    [role] = host.needs_node_ip()
    assert (role.adapter.name, role.role) == ("vEthernet (Ethernet 2)", "management")
    assert role.adapter.without_lease and host.node_ip_holders() == []


def test_an_hns_network_nothing_names_is_found_through_its_vnic():
    host = winhost.build(parsed("ipconfig.ws2022.apipa.txt"), parsed("get-netadapter.ws2022.txt"), None, None)
    [role] = host.needs_node_ip()
    assert role.adapter.name == "vEthernet (Ethernet 2)" and "Ethernet 2" in role.why


def test_a_configured_transport_interface_and_nothing_collected():
    cfg = winipconfig.parse("Ethernet adapter Ethernet1:\n\n   IPv4 Address. . . . . : 10.0.0.9(Preferred)\n")
    host = winhost.build(cfg, None, None, None, transport_interface="Ethernet1", bridge="br-ext")
    [role] = host.needs_node_ip()
    assert (role.adapter.name, role.role) == ("Ethernet1", "transport")
    assert winhost.build(None, None, None, None) is None


def test_node_view_accessors_read_a_windows_bundle():
    cluster = reader.read(FIX / "windows_adapter_without_lease" / "quiet-healthy-ws2019-bundle", scanner_for([]))
    node = ClusterView(cluster).nodes["win-worker-1"]
    assert node.os == "windows"
    assert node.ipconfig.source.endswith("agent_win-worker-1/ipconfig") and len(node.ipconfig.adapters) == 4
    assert node.net_adapters.named("Ethernet0").mac == "00-50-56-8E-2A-11"
    assert len(node.win_routes.defaults()) == 1
    host = node.windows_host
    assert host.antrea_network.management_ip == "192.168.77.104"
    assert "192.168.77.104" in host.node_ips  # the agent's NodeIPv4 and the HNS network's ManagementIP
    line = node.evidence_line(node.ipconfig.source, host.adapter("br-int").ip.line)
    assert line.text == "Ethernet adapter br-int:"


def test_the_node_ip_on_a_vnic_of_another_vswitch_is_a_taken_uplink():
    """antrea-io/antrea#2246: another HNS network (Docker's, a previous CNI's) holds the physical
    adapter, so the Node IP sits on its vNIC and Antrea refuses that uplink."""
    table = winadapters.parse(
        "Name                      InterfaceDescription                    ifIndex Status\n"
        "----                      --------------------                    ------- ------\n"
        "vEthernet (Ethernet0)     Hyper-V Virtual Ethernet Adapter             14 Up           "
        "00-50-56-8E-2A-11        10 Gbps\n"
        "Ethernet0                 vmxnet3 Ethernet Adapter                      6 Up           "
        "00-50-56-8E-2A-11        10 Gbps\n"
    )
    ext = [hns.HnsNetwork(name="ext", type="Transparent", adapter="Ethernet0")]
    taken = winhost.build(None, table, None, ext).taken_uplink()
    assert (taken.vnic.name, taken.physical.name, taken.network.name) == ("vEthernet (Ethernet0)", "Ethernet0", "ext")
    cfg = winipconfig.parse(
        "Ethernet adapter vEthernet (Ethernet0):\n\n"
        "   Description . . . . . . . . . . . : Hyper-V Virtual Ethernet Adapter\n"
        "   IPv4 Address. . . . . . . . . . . : 192.168.77.104(Preferred)\n"
        "   Default Gateway . . . . . . . . . : 192.168.77.1\n"
    )
    assert winhost.build(cfg, table, None, None, node_ips={"192.168.77.104"}).taken_uplink().network is None
    # Antrea's own network, or br-int: the vNIC is Antrea's, nothing is taken
    assert winhost.build(cfg, table, None, network("Ethernet0")).taken_uplink() is None
    healthy = winhost.build(
        parsed("ipconfig.ws2019.bundle.txt"), parsed("get-netadapter.ws2019.bundle.txt"), None, None
    )
    assert healthy.taken_uplink() is None
