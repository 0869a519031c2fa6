"""antrea-io/antrea#287 as posted (Antrea v0.2.0 `docker logs`), scanned as a loose directory."""

from support import FIXTURES

CASE = FIXTURES / "real-cases" / "iptables-eagain-xtables-lock-not-shared"


def test_first_finding_is_xtables_lock_contention(run):
    report = run(CASE)
    first = report["findings"][0]
    assert first["category"] == "iptables-lock" and first["rule_id"] == "ANT-IPT-002"
    assert first["severity"] == "critical" and first["status"] == "confirmed"
    assert "v0.2.0" in first["summary"] and "/run/xtables.lock" in first["summary"]
    assert any("Resource temporarily unavailable" in e["text"] for e in first["evidence"])


def test_the_single_ovsdb_reminder_is_not_an_ovs_outage(run):
    categories = {f["category"] for f in run(CASE)["findings"]}
    assert "ovs-not-running" not in categories and "iptables-backend" not in categories
