"""`ovs-ofctl dump-ports-desc` / the bundle's `ovsports`: OpenFlow port numbers by name."""

from pathlib import Path

from diagnose.parse import ofports

OVSPORTS = (
    Path(__file__).parents[1]
    / "rules"
    / "fixtures"
    / "tunnel_ofport_mismatch"
    / "fires-6192-noencap-to-encap-reinstall"
    / "ovsports"
)


def test_port_parser_and_sniffer():
    text = OVSPORTS.read_text()
    assert ofports.parse_ports(text) == {"antrea-tun0": 1, "antrea-gw0": 2, "toolbox--6339c0": 4}
    assert ofports.sniff(text) and ofports.sniff("OFPST_PORT_DESC reply (OF1.5) (xid=0x2):\n")
    assert not ofports.sniff("default via 10.0.0.1 dev eth0\n") and ofports.parse_ports("\x00garbage(") == {}
