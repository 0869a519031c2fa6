"""Tests for diagnose.parse.iproute (ip route / ip route show table all)."""

from pathlib import Path

from diagnose.parse.iproute import Route, default_routes, parse_route_line, parse_routes, sniff

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_real_case_6448_node2() -> None:
    routes = parse_routes(read("ip-route.node2.txt"))  # starts with "root@node2:~# ip route"
    assert [r.dst for r in routes] == [
        "default",
        "10.42.1.0/24",
        "192.168.64.0/24",
        "192.168.64.0/24",
        "192.168.64.1",
    ]
    d = routes[0]
    assert (d.via, d.dev, d.proto, d.src, d.metric, d.scope, d.table, d.type) == (
        "192.168.64.1",
        "enp0s1",
        "dhcp",
        "192.168.64.28",
        100,
        None,
        None,
        None,
    )
    assert d.raw == "default via 192.168.64.1 dev enp0s1 proto dhcp src 192.168.64.28 metric 100"
    gw = routes[1]
    assert (gw.dev, gw.scope, gw.src, gw.proto, gw.metric) == ("antrea-gw0", "link", "10.42.1.1", None, None)
    assert routes[3].metric == 100 and routes[2].metric is None
    assert default_routes(routes) == [d]


def test_kind_worker_encap_routes() -> None:
    routes = parse_routes(read("ip-route.kind-worker.txt"))
    assert len(routes) == 5
    by_dst = {r.dst: r for r in routes}
    assert by_dst["default"].via == "172.18.0.1" and by_dst["default"].dev == "eth0"
    peer = by_dst["10.10.2.0/24"]
    assert (peer.via, peer.dev, peer.flags) == ("10.10.2.1", "antrea-gw0", ["onlink"])
    assert by_dst["10.10.1.0/24"].src == "10.10.1.1"


def test_kubeadm_vm_with_prompt_and_linkdown() -> None:
    routes = parse_routes(read("ip-route.kubeadm-vm.txt"))
    assert routes[0].dst == "default" and routes[0].dev == "ens192" and routes[0].proto == "static"
    assert routes[-1].dev == "docker0" and routes[-1].flags == ["linkdown"]
    assert any(r.dst == "169.254.0.253" and r.scope == "link" for r in routes)


def test_multipath_continuation_lines() -> None:
    routes = parse_routes(read("ip-route.multipath.txt"))
    d = routes[0]
    assert d.dst == "default" and d.proto == "static" and d.metric == 100
    assert d.via is None and d.dev is None
    assert d.nexthops == [("172.18.0.1", "eth0"), ("192.168.77.1", "eth1")]
    assert d.devices == ["eth0", "eth1"]
    assert "\tnexthop via 192.168.77.1" in d.raw
    assert [(r.type, r.dst) for r in routes[1:3]] == [("prohibit", "10.98.0.0/16"), ("unreachable", "10.99.0.0/16")]
    assert default_routes(routes) == [d]


def test_oneline_multipath() -> None:
    routes = parse_routes(read("ip-route.oneline.txt"))
    assert routes[0].nexthops == [("172.18.0.1", "eth0"), ("192.168.77.1", "eth1")]
    assert len(routes) == 6


def test_table_all() -> None:
    routes = parse_routes(read("ip-route-table-all.txt"))
    types = {r.type for r in routes}
    assert {"local", "broadcast", "multicast", "throw", "prohibit", "unreachable", None} <= types
    t100 = [r for r in routes if r.table == "100"]
    assert [(r.type, r.dst) for r in t100] == [(None, "10.96.0.0/12"), ("throw", "10.97.0.0/16")]
    local = [r for r in routes if r.type == "local" and r.dst == "172.18.0.3"][0]
    assert (local.table, local.proto, local.scope, local.src, local.dev) == (
        "local",
        "kernel",
        "host",
        "172.18.0.3",
        "eth0",
    )
    v6 = [r for r in routes if r.dst == "default" and r.via == "fd00:10:244::1"][0]
    assert v6.metric == 1024 and v6.dev == "eth0"
    bcast = [r for r in routes if r.type == "broadcast"]
    assert len(bcast) == 3 and all(r.table == "local" for r in bcast)
    # Both default routes (IPv4 multipath and IPv6) are usable defaults; no typed ones.
    assert {r.via or r.nexthops[0][0] for r in default_routes(routes)} == {"172.18.0.1", "fd00:10:244::1"}


def test_typed_default_is_not_usable() -> None:
    routes = parse_routes(
        "unreachable default dev lo table unspec proto kernel metric 4294967295 error -101 pref medium\n"
        "default via fe80::1 dev eth0 proto ra metric 1024 expires 1797sec hoplimit 64 pref medium\n"
    )
    assert routes[0].type == "unreachable" and routes[0].metric == 4294967295
    assert default_routes(routes) == [routes[1]]
    assert routes[1].proto == "ra" and routes[1].via == "fe80::1"


def test_keywords_with_values_do_not_confuse() -> None:
    r = parse_route_line(
        "10.1.0.0/16 nhid 5 encap ip id 100 src 1.1.1.1 dst 2.2.2.2 ttl 64 tos 0 via inet6 fe80::1 dev eth0 "
        "proto bird src 10.0.0.9 metric 20 mtu lock 1400 advmss 1360 onlink"
    )
    assert r is not None
    assert (r.via, r.dev, r.proto, r.src, r.metric, r.flags) == ("fe80::1", "eth0", "bird", "10.0.0.9", 20, ["onlink"])


def test_garbage_and_empty() -> None:
    assert parse_routes("") == []
    assert parse_routes("hello world\nfoo bar baz\n\x00\x01\n" + "x" * 100_000) == []
    assert parse_routes("   \tnexthop via 1.2.3.4 dev eth0\n") == []  # orphan continuation
    assert parse_route_line("10.0.0.0/8") is None  # a bare prefix proves nothing
    assert parse_route_line("cafe dev eth0") is None
    # Blackhole routes have no device and are still routes.
    assert parse_route_line("blackhole 10.9.0.0/16") == Route(
        dst="10.9.0.0/16", type="blackhole", raw="blackhole 10.9.0.0/16"
    )
    # Mixed garbage keeps the good lines.
    routes = parse_routes("garbage\ndefault via 10.0.0.1 dev eth0\n\xff\xfe junk\n")
    assert [r.dst for r in routes] == ["default"]


def test_sniff() -> None:
    for name in (
        "ip-route.node2.txt",
        "ip-route.kind-worker.txt",
        "ip-route.kubeadm-vm.txt",
        "ip-route.multipath.txt",
        "ip-route.oneline.txt",
        "ip-route-table-all.txt",
    ):
        assert sniff(read(name)[:4096]), name
    assert not sniff("")
    assert not sniff("hello\n")
