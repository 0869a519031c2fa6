from pathlib import Path

from support import all_findings

OWN = Path(__file__).parent / "fixtures" / "nodeportlocal_port_allocation_failed"


def npl(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-NPL-001"]


def test_no_free_port_is_an_exhausted_range(run):
    [finding] = npl(run(OWN / "fires-port-range-exhausted"))
    assert finding["nodes"] == ["worker-7"]
    assert "exhausted" in finding["summary"] and "web/frontend-6f9c7d8b5-2kq9z" in finding["summary"]
    assert "1 port(s) of the range are held by other processes" in finding["summary"]


def test_pod_sync_errors_of_other_controllers_are_not_nodeportlocal(run):
    assert npl(run(OWN / "quiet-other-controller-pod-sync")) == []
