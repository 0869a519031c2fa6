from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "xtables_lock_contention"


def lock(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-IPT-002"]


def test_eagain_at_start_with_the_unshared_lock_287(run):
    report = run(OWN / "fires-287-eagain-agent-exits")
    first = report["findings"][0]
    assert first["rule_id"] == "ANT-IPT-002" and first["nodes"] == ["k8s-node-2"]
    assert first["severity"] == "critical"  # the agent exited
    assert "v0.2.0" in first["summary"] and "antrea-io/antrea#296" in first["summary"]
    assert any(e["text"].startswith("F0102") for e in first["evidence"])
    # The agent's fatal exit is the symptom, not a second root cause.
    assert [s["category"] for s in first["symptoms"]] in ([], ["agent-crash"])


def test_lock_failures_never_followed_by_success_1497(run):
    [finding] = lock(run(OWN / "fires-1497-lock-held-retries-never-succeed"))
    assert finding["severity"] == "error"  # retried, not fatal, but rules may be missing
    assert "3 times" in finding["summary"] and "/run/xtables.lock" in finding["summary"]
    assert any("xtables" in c for c in finding["remediation"]["commands"])


def test_contention_that_recovered_is_not_reported_1497(run):
    assert lock(run(OWN / "quiet-1497-contention-recovered")) == []


def test_backend_failure_is_not_lock_contention_3243(run):
    assert lock(run(FIX / "iptables_legacy_tables_unavailable" / "fires-3243-el8-ip_tables-module-missing")) == []
