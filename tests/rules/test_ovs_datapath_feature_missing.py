from pathlib import Path

from support import all_findings

from diagnose.parse import ofmsg

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "ovs_datapath_feature_missing"
REAL = FIX.parent.parent / "fixtures" / "real-cases" / "photon-os-kernel-missing-conntrack-zones"


def dp(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-OVS-003"]


def test_bundle_errors_and_vswitchd_probe_name_ct_zone_591(run):
    report = run(OWN / "fires-591-photon-bundle-errors")
    first = report["findings"][0]
    assert first["rule_id"] == "ANT-OVS-003" and first["nodes"] == ["photon-1"]
    assert first["status"] == "confirmed" and first["missing_evidence"] == []
    assert "CT zone" in first["summary"] and "CONFIG_NF_CONNTRACK_ZONES" in first["summary"]
    assert "ct(commit,table=110,zone=65520)" in first["summary"]  # decoded from the byte dump
    texts = " ".join(e["text"] for e in first["evidence"])
    assert "Datapath does not support ct_zone" in texts and "Received bundle error msg" in texts
    assert not [f for f in all_findings(report) if f["category"] == "ovs-flows"]


def test_v1_3_startup_check_is_fatal_2571(run):
    [finding] = dp(run(OWN / "fires-2571-dp-feature-check-fatal"))
    assert finding["nodes"] == ["photon-2"] and "refuses to start" in finding["summary"]


def test_a_rejected_group_without_ct_is_an_openflow_error_not_a_datapath_gap(run):
    report = run(OWN / "quiet-591-rejected-group-without-ct")
    assert dp(report) == []
    assert [f["category"] for f in report["findings"]] == ["ovs-flows"]


def test_datapath_with_every_ct_feature_is_healthy(run):
    assert dp(run(OWN / "quiet-healthy-datapath-probe")) == []


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
