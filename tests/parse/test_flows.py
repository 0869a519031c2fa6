"""Tests for diagnose.parse.flows (ovs-ofctl dump-flows)."""

from pathlib import Path

from diagnose.parse.flows import OFP_DEFAULT_PRIORITY, parse_flow_line, parse_flows, sniff

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_real_case_6192() -> None:
    (f,) = parse_flows(read("flows.6192.txt"))
    assert f.table == "ARPSpoofGuard"
    assert f.priority == 200
    assert f.cookie == "0x2010000000000"
    assert (f.n_packets, f.n_bytes, f.duration) == (0, 0, 377.321)
    assert f.match == 'arp,in_port="antrea-tun0",arp_spa=10.10.1.2,arp_sha=2a:0f:3f:fe:68:40'
    assert f.match_fields["in_port"] == '"antrea-tun0"' and f.match_fields["arp"] == ""
    assert f.actions == "resubmit(,ARPResponder)"
    (r,) = parse_flows(read("flows.6192.repro1.txt"))  # truncated after NXM_NX_REG0
    assert r.table == "L2ForwardingCalc" and r.n_packets == 572 and r.n_bytes == 120654
    assert r.match == "dl_dst=ea:5a:2d:63:b4:f7"
    assert r.actions.startswith("load:0x4->NXM_NX_REG1[]")


def test_of15_names_raw_and_bundle_trimmed() -> None:
    raw = parse_flows(read("flows.of15-names.txt"))
    trimmed = parse_flows(read("flows.bundle.txt"))
    assert len(raw) == len(trimmed) == 10
    assert [(f.table, f.priority, f.match, f.actions) for f in raw] == [
        (f.table, f.priority, f.match, f.actions) for f in trimmed
    ]
    tables = [f.table for f in raw]
    assert tables[0] == "PipelineRootClassifier" and "ServiceLB" in tables
    drop = raw[2]
    assert (drop.priority, drop.match, drop.actions) == (0, "", "drop")
    lb = next(f for f in raw if f.table == "ServiceLB")
    assert lb.match == "tcp,reg4=0x10000/0x70000,nw_dst=10.96.0.1,tp_dst=443"
    assert lb.actions.endswith("resubmit(,L2ForwardingCalc)")
    ct = next(f for f in raw if f.table == "ConntrackZone")
    assert ct.actions == "ct(table=ServiceLB,zone=65520,nat)"
    l2 = next(f for f in raw if f.table == "L2ForwardingCalc")
    assert l2.flags == ["reset_counts"] and l2.idle_timeout == 300 and l2.idle_age == 2
    assert l2.match == "dl_dst=ea:5a:2d:63:b4:f7" and l2.priority == 200
    default_prio = next(f for f in raw if f.table == "Output" and f.match == "ip")
    assert default_prio.priority == OFP_DEFAULT_PRIORITY  # OVS omits priority=32768
    assert default_prio.actions == 'output:"antrea-gw0"'


def test_of10_with_header_and_nostats() -> None:
    flows = parse_flows(read("flows.of10.txt"))
    assert len(flows) == 10  # header skipped
    assert flows[0].table == "0" and flows[0].idle_age == 2 and flows[0].actions == "resubmit(,1)"
    assert flows[4].match == "in_port=1"
    nostats = parse_flows(read("flows.nostats.txt"))
    assert len(nostats) == 10
    assert nostats[0].table == "0"  # omitted when 0 without stats
    assert nostats[0].n_packets is None and nostats[0].duration is None
    assert nostats[3].table == "1" and nostats[3].cookie == "0x1000000000000"


def test_other_shapes() -> None:
    f = parse_flow_line("ip,nw_dst=10.0.0.1 actions=drop")  # --no-stats, table 0, default priority
    assert f is not None and f.match == "ip,nw_dst=10.0.0.1" and f.priority == OFP_DEFAULT_PRIORITY
    a = parse_flow_line(
        "table_id=254, duration=1s, n_packets=0, n_bytes=0, priority=0,reg0=0x1,actions=controller(reason=)"
    )
    assert a is not None and a.table == "254" and a.match == "reg0=0x1" and a.actions == "controller(reason=)"
    p = parse_flow_line(' cookie=0x0, table=3, priority=5,packet_type=(0,0x800),in_port="a,b" actions=NORMAL')
    assert p is not None and p.match_fields == {"packet_type": "(0,0x800)", "in_port": '"a,b"'}
    h = parse_flow_line(
        " cookie=0x0, duration=6890.1s, table=0, n_packets=5, n_bytes=350, idle_age=6800, hard_age=65534,"
        " priority=0 actions=drop"
    )
    assert h is not None and h.hard_age == 65534


def test_garbage_and_empty() -> None:
    assert parse_flows("") == []
    assert parse_flows("NXST_FLOW reply (xid=0x4):\n") == []
    assert parse_flows("hello\nworld actions\n\x00\n" + "z" * 100_000) == []
    assert parse_flows(read("groups.bundle.txt")) == []
    assert parse_flows(read("ovsports.bundle.txt")) == []
    assert parse_flow_line("foo bar actions=drop") is not None  # bare words could be match fields
    assert parse_flow_line("foo=bar (baz actions=drop") is None


def test_sniff() -> None:
    for name in (
        "flows.6192.txt",
        "flows.6192.repro1.txt",
        "flows.of15-names.txt",
        "flows.bundle.txt",
        "flows.of10.txt",
    ):
        assert sniff(read(name)[:4096]), name
    assert sniff("OFPST_FLOW reply (OF1.5) (xid=0x2):\n")
    assert not sniff("")
    assert not sniff(read("groups.bundle.txt"))
    assert not sniff(read("ovsports.bundle.txt"))
