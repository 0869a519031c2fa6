from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "iptables_legacy_tables_unavailable"


def ipt(report, rule_id="ANT-IPT-001"):
    return [f for f in all_findings(report) if f["rule_id"] == rule_id]


def test_legacy_image_on_el8_kernel_3243(run):
    report = run(OWN / "fires-3243-el8-ip_tables-module-missing")
    [finding] = ipt(report)
    assert report["findings"][0]["rule_id"] == "ANT-IPT-001"
    assert finding["nodes"] == ["alma8-w1"] and finding["severity"] == "critical"
    assert finding["status"] == "confirmed" and finding["confidence"] >= 0.9
    summary = finding["summary"]
    assert "legacy" in summary and "4.18.0-348.7.1.el8_5.x86_64" in summary
    assert "v1.5.0 always uses legacy iptables" in summary and "EL8-family" in summary
    texts = " ".join(e["text"] for e in finding["evidence"])
    assert "modprobe: FATAL: Module ip_tables not found" in texts and "can't initialize iptables table" in texts
    assert "v1.5.1" in " ".join(finding["remediation"]["steps"])
    assert finding["missing_evidence"] == []  # the version was in the log


def test_wrapper_release_that_initialises_is_healthy(run):
    assert ipt(run(OWN / "quiet-3243-wrapper-initialized")) == []


def test_exit_status_4_is_the_lock_not_the_backend_287(run):
    report = run(OWN / "quiet-287-exit-status-4-is-the-lock")
    assert ipt(report) == []
    assert [f["category"] for f in report["findings"]] == ["iptables-lock"]
