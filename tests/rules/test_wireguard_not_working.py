from pathlib import Path

from support import all_findings

OWN = Path(__file__).parent / "fixtures" / "wireguard_not_working"


def wg(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-WG-001"]


def test_kernel_without_wireguard_is_a_start_up_failure(run):
    report = run(OWN / "fires-kernel-without-wireguard")
    [finding] = wg(report)
    assert finding["severity"] == "critical" and finding["nodes"] == ["rhel8-node-2"]
    assert "operation not supported" in finding["summary"]
    assert any("modprobe wireguard" in c for c in finding["remediation"]["commands"])
    assert report["findings"][0]["category"] == "wireguard"


def test_invalid_peer_key_names_the_peer(run):
    [finding] = wg(run(OWN / "fires-peer-key-annotation-invalid"))
    assert finding["severity"] == "error" and "worker-5" in finding["summary"]


def test_updated_peer_key_is_quiet(run):
    assert wg(run(OWN / "quiet-key-updated")) == []
