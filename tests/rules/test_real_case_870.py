"""antrea-io/antrea#870 and #648 as posted (antrea-ovs crash loop), scanned as a loose directory."""

from support import FIXTURES

from diagnose.bundle import classify

CASE = FIXTURES / "real-cases" / "ovsdb-server-stale-pidfile-crashloop"


def test_first_finding_is_ovs_not_running_on_stale_pidfiles(run):
    report = run(CASE)
    first = report["findings"][0]
    assert first["category"] == "ovs-not-running" and first["rule_id"] == "ANT-OVS-001"
    assert first["severity"] == "critical"
    # The excerpts carry no version and the rule is bound to versions: inconclusive, with the command.
    assert first["status"] == "inconclusive"
    assert any("jsonpath='{..image}'" in m["command"] for m in first["missing_evidence"])
    assert "pidfile check failed" in first["summary"] and "CrashLoopBackOff" in first["summary"]
    assert "antrea-io/antrea#880" in first["summary"]
    kinds = {a["path"]: a["kind"] for a in report["source"]["artifacts"]}
    # The #648 export keeps colour-code remnants ("[[1;34m2020-..."): still the antrea-ovs log.
    assert kinds["antrea-ovs.issue648.log"] == kinds["antrea-ovs.log"] == "ovs-container-log"
    assert kinds["kubectl-get-pods.txt"] == "kubectl-pods"
    assert classify.by_content((CASE / "antrea-ovs.issue648.log").read_text()) == "ovs-container-log"
