from pathlib import Path

from support import all_findings

from diagnose.parse import ofports

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "tunnel_ofport_mismatch"


def tun(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-TUN-001"]


def test_logged_port_differs_from_ovs_and_pod_flow_on_tunnel_6192(run):
    [finding] = tun(run(OWN / "fires-6192-noencap-to-encap-reinstall"))
    assert finding["nodes"] == ["kind-worker"] and finding["status"] == "confirmed"
    assert "read back port 4" in finding["summary"] and "OVS now has antrea-tun0 on port 1" in finding["summary"]
    texts = [e["text"] for e in finding["evidence"]]
    assert any('table=ARPSpoofGuard' in t and 'in_port="antrea-tun0"' in t for t in texts)
    assert any("load:0x4->NXM_NX_REG1[]" in t for t in texts)  # flows still send to the stale port
    assert not any('in_port="antrea-gw0"' in t for t in texts)


def test_allocated_port_alone_is_inconclusive(run):
    [finding] = tun(run(OWN / "fires-6192-allocated-port-only"))
    assert finding["status"] == "inconclusive" and finding["confidence"] <= 0.5
    commands = " ".join(m["command"] for m in finding["missing_evidence"])
    assert "ofport" in commands and "dump-flows" in commands


def test_reserved_ports_from_v2_0_6202(run):
    assert tun(run(OWN / "quiet-6202-reserved-port")) == []


def test_requested_port_granted_is_healthy(run):
    assert tun(run(OWN / "quiet-requested-port-granted")) == []


def test_port_parser_and_sniffer():
    text = (OWN / "fires-6192-noencap-to-encap-reinstall" / "ovsports").read_text()
    assert ofports.parse_ports(text) == {"antrea-tun0": 1, "antrea-gw0": 2, "toolbox--6339c0": 4}
    assert ofports.sniff(text) and ofports.sniff("OFPST_PORT_DESC reply (OF1.5) (xid=0x2):\n")
    assert not ofports.sniff("default via 10.0.0.1 dev eth0\n") and ofports.parse_ports("\x00garbage(") == {}
