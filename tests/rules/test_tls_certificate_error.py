from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "tls_certificate_error"


def tls(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-TLS-001"]


def test_unknown_authority_until_the_end_is_an_error(run):
    [finding] = tls(run(OWN / "fires-persisting-unknown-authority"))
    assert finding["nodes"] == ["worker-1"]
    assert finding["severity"] == "error" and finding["status"] == "confirmed"
    assert "antrea-controller" in finding["summary"] and "certificate signed by unknown authority" in finding["summary"]


def test_transient_errors_after_a_ca_rotation_are_info_not_a_fault(run):
    report = run(OWN / "fires-info-transient-after-ca-rotation")
    [finding] = tls(report)
    assert finding["severity"] == "info"
    assert "rotated" in finding["summary"] and "no action" in finding["summary"]
    texts = [e["text"] for e in finding["evidence"]]
    assert any("Updating Antrea client with the new CA bundle" in t for t in texts)
    assert any("Started watch for NetworkPolicy" in t for t in texts)
    # Nothing at warning or above: the look-alike of a real certificate problem stays harmless.
    assert all(f["severity"] == "info" for f in report["findings"])


def test_ca_bundle_missing_is_not_a_certificate_error(run):
    report = run(FIX / "controller_unreachable" / "fires-cluster-wide-ca-bundle-missing")
    assert tls(report) == []
    assert report["findings"][0]["category"] == "controller-unreachable"


def test_expired_apiserver_certificate_names_the_peer_and_the_clock_v112(run):
    [finding] = tls(run(OWN / "fires-v1.12-expired-apiserver-cert"))
    assert finding["nodes"] == ["k8s-node-2"]
    assert "Kubernetes API server" in finding["summary"] and "clock" in finding["summary"]
    assert finding["severity"] == "error"
