"""The decoder of the OpenFlow requests old ofnet versions dumped as byte lists (v0.3-v0.8)."""

from pathlib import Path

from diagnose.parse import ofmsg

REAL = Path(__file__).parents[1] / "fixtures" / "real-cases" / "photon-os-kernel-missing-conntrack-zones"


def test_decoder_reads_the_real_photon_bytes():
    line = next(ln for ln in (REAL / "antrea-agent.log").read_text().splitlines() if "bundle error" in ln)
    msg = ofmsg.decode(ofmsg.byte_list(line))
    assert msg.in_bundle and msg.msg_type == "FLOW_MOD" and (msg.table, msg.priority) == (30, 200)
    assert [(a.zone, a.table, a.commit) for a in msg.ct_actions] == [(65520, 31, False)]
    assert msg.uses_ct_zone and not msg.truncated


def test_decoder_never_raises_on_garbage():
    for data in (b"", b"\x04", bytes(range(256)), b"\x04\x04\x00\x78" + b"\xff" * 200, b"\x06\x22\x00\x10" * 9):
        ofmsg.decode(data)
    assert ofmsg.byte_list("[1 2 3 999]") is None and ofmsg.byte_list("no bytes") is None
    head = [4, 4, 0, 120, 0, 0, 0, 51, 79, 78, 70, 0, 0, 0, 8, 253, 0, 0, 0, 4, 0, 0, 0, 1]
    cut = ofmsg.decode(bytes([*head, 4, 14, 0, 96]))  # the flow mod cut after its header
    assert cut is not None and cut.in_bundle and cut.truncated
