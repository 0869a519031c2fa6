"""Tests for diagnose.parse.ipaddr (ip address / ip link)."""

from pathlib import Path

from diagnose.parse.ipaddr import Link, detect, links_by_name, parse_links, sniff, sniff_link_only

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_real_case_6448_wrapped_ip_addr() -> None:
    links = parse_links(read("ip-addr.node2.partial.txt"))
    assert [(link.index, link.name) for link in links] == [
        (1, "lo"),
        (2, "enp0s1~"),
        (3, "ovs-system"),
        (4, "vxlan_sys_4789"),
    ]
    lo, nic, ovs, vx = links
    assert lo.ipv4 == ["127.0.0.1/8"] and lo.state == "UNKNOWN" and lo.link_type == "loopback"
    assert lo.addresses[1].family == "inet6" and lo.addresses[1].flags == ["noprefixroute"]
    # The wrapped header "... master o" / "vs-system state UP group defaul" / "t qlen 1000"
    assert nic.name == "enp0s1~"
    assert nic.master == "ovs-system"
    assert nic.state == "UP"
    assert nic.is_up
    assert nic.mtu == 1500
    assert nic.flags == ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"]
    assert nic.ipv4 == []
    assert [a.family for a in nic.addresses] == ["inet6"]
    assert nic.addresses[0].cidr == "fe80::47b:b6ff:fe19:fb49/64" and nic.addresses[0].scope == "link"
    assert nic.mac == "06:7b:b6:19:fb:49" and nic.link_type == "ether"
    assert nic.renamed_uplink == "enp0s1"
    assert nic.kind_hint is None  # a physical NIC
    assert ovs.state == "DOWN" and not ovs.is_up and ovs.kind_hint == "openvswitch"
    assert ovs.renamed_uplink is None
    # The excerpt is cut after the header of link 4 (wrapped too).
    assert vx.master == "ovs-system" and vx.state == "UNKNOWN" and vx.mtu == 65000
    assert vx.kind_hint == "vxlan" and vx.mac is None
    assert detect(read("ip-addr.node2.partial.txt")) == "ip-addr"


def test_kind_worker_ip_link() -> None:
    links = links_by_name(parse_links(read("ip-link.kind-worker.txt")))
    assert list(links) == [
        "lo",
        "ovs-system",
        "genev_sys_6081",
        "antrea-gw0",
        "antrea-egress0",
        "coredns--8f0a5f",
        "local-pa-5d3b2e",
        "eth0",
    ]
    gw = links["antrea-gw0"]
    assert gw.is_up and gw.state == "UNKNOWN" and gw.mtu == 1450 and gw.master is None
    assert gw.mac == "7a:29:bd:46:0d:8b" and gw.kind_hint == "openvswitch"
    gen = links["genev_sys_6081"]
    assert gen.master == "ovs-system" and gen.kind_hint == "geneve" and gen.mtu == 65000
    eg = links["antrea-egress0"]
    assert eg.state == "DOWN" and not eg.is_up and eg.flags == ["BROADCAST", "NOARP"] and eg.kind_hint == "dummy"
    pod = links["coredns--8f0a5f"]
    assert pod.peer == "if3" and pod.master == "ovs-system" and pod.kind_hint == "veth"
    assert pod.link_netnsid == "cni-4f0a7b1e-9b2c-3d1e-6a55-0c7e2f1d9a10"
    eth0 = links["eth0"]
    assert eth0.index == 11 and eth0.peer == "if12" and eth0.link_netnsid == "0"
    assert all(link.addresses == [] for link in links.values())
    assert detect(read("ip-link.kind-worker.txt")) == "ip-link"


def test_kind_worker_ip_addr() -> None:
    links = links_by_name(parse_links(read("ip-addr.kind-worker.txt")))
    assert links["antrea-gw0"].ipv4 == ["10.10.1.1/24"]
    assert links["antrea-egress0"].ipv4 == ["172.18.0.200/32"]
    eth0 = links["eth0"]
    assert eth0.ipv4 == ["172.18.0.3/16", "172.18.0.250/16"]
    assert eth0.addresses[1].label == "eth0:vip" and eth0.addresses[1].flags == ["secondary"]
    assert eth0.addresses[0].label == "eth0" and eth0.addresses[0].scope == "global"
    assert eth0.ipv6 == ["fc00:f853:ccd:e793::3/64", "fe80::42:acff:fe12:3/64"]


def test_ip_d_link_kinds_and_altname() -> None:
    links = links_by_name(parse_links(read("ip-d-link.kind-worker.txt")))
    assert links["genev_sys_6081"].kind_hint == "geneve"
    assert links["antrea-gw0"].kind_hint == "openvswitch"
    assert links["antrea-egress0"].kind_hint == "dummy"
    assert links["coredns--8f0a5f"].kind_hint == "veth"
    assert links["ens192"].kind_hint is None and links["ens192"].altnames == ["enp11s0"]
    assert detect(read("ip-d-link.kind-worker.txt")) == "ip-link"
    real = links_by_name(parse_links(read("ip-d-link.netns.txt")))
    assert real["br-test"].kind_hint == "bridge"
    assert real["coredns--f5b7e3"].kind_hint == "veth" and real["coredns--f5b7e3"].peer == "if2"


def test_real_iproute2_netns_output() -> None:
    addr = links_by_name(parse_links(read("ip-addr.netns.txt")))
    assert addr["eth0"].ipv4 == ["172.18.0.3/16"] and addr["eth0"].link_netnsid == "dgext"
    assert addr["eth0"].addresses[1].flags == ["nodad"]
    link = parse_links(read("ip-link.netns.txt"))
    assert [x.name for x in link] == [x.name for x in addr.values()]
    assert detect(read("ip-addr.netns.txt")) == "ip-addr"
    assert detect(read("ip-link.netns.txt")) == "ip-link"


def test_wrapped_line_starting_with_space_and_peer_forms() -> None:
    text = (
        "5: eth0.100@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group\n"
        " default qlen 1000\n"
        "    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n"
        "6: sit0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN group default qlen 1000\n"
        "    link/sit 0.0.0.0 brd 0.0.0.0\n"
    )
    vlan, sit = parse_links(text)
    assert vlan.name == "eth0.100" and vlan.peer == "eth0" and vlan.state == "UP"
    assert sit.peer is None and sit.link_type == "sit" and sit.mac is None


def test_garbage_and_empty() -> None:
    assert parse_links("") == []
    assert parse_links("hello\nworld\n" + "\x00" * 1000) == []
    assert parse_links("    inet 10.0.0.1/24 scope global eth0\n") == []  # orphan detail line
    # Header with a bad mtu value still parses the rest.
    (link,) = parse_links("3: x: <UP> mtu abc state UP\n    inet 1.2.3.4/8 scope global x\n")
    assert link == Link(index=3, name="x", flags=["UP"], state="UP", addresses=link.addresses)
    assert link.ipv4 == ["1.2.3.4/8"]
    assert detect("") is None
    assert not sniff("garbage") and not sniff_link_only("garbage")
