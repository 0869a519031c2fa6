"""antrea-io/antrea#6192 as posted (tunnel ofport mismatch), scanned as a loose directory."""

from support import FIXTURES

CASE = FIXTURES / "real-cases" / "tunnel-ofport-mismatch-after-reinstall"


def test_first_finding_is_the_tunnel_ofport_mismatch(run):
    report = run(CASE)
    first = report["findings"][0]
    assert first["category"] == "tunnel" and first["rule_id"] == "ANT-TUN-001"
    assert first["status"] == "inconclusive"  # no version in the excerpts; the bug is fixed in v2.0.0
    assert "read back port 4" in first["summary"] and "v2.0.0" in first["summary"]
    texts = " ".join(e["text"] for e in first["evidence"])
    assert 'in_port="antrea-tun0",arp_spa=10.10.1.2' in texts
    assert "load:0x4->NXM_NX_REG1[]" in texts
