from pathlib import Path

from support import all_findings

OWN = Path(__file__).parent / "fixtures" / "multicast_not_working"


def mc(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-MC-001"]


def test_multicast_socket_failure_is_fatal_and_explains_the_crash(run):
    report = run(OWN / "fires-mroute-socket-unavailable")
    [finding] = mc(report)
    assert finding["severity"] == "critical" and finding["nodes"] == ["worker-3"]
    assert report["findings"][0]["rule_id"] == "ANT-MC-001"
    first = report["findings"][0]
    assert "agent-crash" not in [f["category"] for f in report["findings"]]
    assert any("Error running agent" in e["text"] for e in first["evidence"]) or \
        "agent-crash" in [s["category"] for s in first["symptoms"]]


def test_join_failures_with_enobufs_point_at_the_membership_limit(run):
    [finding] = mc(run(OWN / "fires-igmp-membership-limit"))
    assert "igmp_max_memberships" in finding["summary"] and "239.1.1.21" in finding["summary"]
    assert any("igmp_max_memberships" in c for c in finding["remediation"]["commands"])


def test_one_failed_sync_is_retried_and_quiet(run):
    assert mc(run(OWN / "quiet-one-join-retried")) == []
