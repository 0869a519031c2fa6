from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures" / "apiserver_unreachable"


def api(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-API-001"]


def test_podcidr_message_with_timeout_err_is_an_api_failure_7472(run):
    report = run(FIX / "fires-7472-podcidr-message-hides-api-timeout")
    [finding] = api(report)
    assert finding["nodes"] == ["ip-10-0-12-7.ec2.internal"]
    assert finding["severity"] == "critical" and finding["status"] == "confirmed"
    assert "172.20.0.1:443" in finding["summary"]
    assert report["findings"][0]["category"] == "apiserver-unreachable"
    assert not any(f["category"] == "podcidr-not-allocated" for f in report["findings"])


def test_v25_wording(run):
    [finding] = api(run(FIX / "fires-v2.5-k8s-api-did-not-become-available"))
    assert finding["nodes"] == ["worker-3"]
    assert "context deadline exceeded" in finding["summary"]


def test_informer_failures_until_the_end_of_the_log(run):
    [finding] = api(run(FIX / "fires-informers-never-recover"))
    assert finding["severity"] == "error"  # the agent runs, it is not down
    assert "no route to host" in finding["summary"]


def test_recovered_list_failures_are_history_at_info(run):
    report = run(FIX / "quiet-transient-list-failures-recovered")
    assert all(f["severity"] == "info" and "recovered" in f["summary"] for f in api(report))
    assert report["verdict"] == "no-fault"


def test_forbidden_is_a_credentials_problem_not_reachability(run):
    assert api(run(FIX / "quiet-forbidden-is-not-reachability")) == []
