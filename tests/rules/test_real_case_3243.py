"""antrea-io/antrea#3243 as posted (EL8, Antrea v1.5.0), scanned as a loose directory."""

from support import FIXTURES

CASE = FIXTURES / "real-cases" / "el8-iptables-legacy-ip_tables-module-missing"


def test_first_finding_is_the_iptables_backend(run):
    report = run(CASE)
    first = report["findings"][0]
    assert first["category"] == "iptables-backend" and first["rule_id"] == "ANT-IPT-001"
    assert first["severity"] == "critical"
    # The excerpts carry no version and the rule is bound to versions: inconclusive, with the command.
    assert first["status"] == "inconclusive"
    assert any("jsonpath='{..image}'" in m["command"] for m in first["missing_evidence"])
    assert "legacy" in first["summary"] and "4.18.0-348.7.1.el8_5.x86_64" in first["summary"]
    texts = " ".join(e["text"] for e in first["evidence"])
    assert "Module ip_tables not found" in texts and "can't initialize iptables table `raw'" in texts


def test_lock_and_extension_lookalikes_stay_quiet(run):
    categories = {f["category"] for f in run(CASE)["findings"]}
    assert not categories & {"iptables-lock", "netfilter-feature", "kernel-module"}
