from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "ipam_pool_exhausted"


def ipam(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-IPAM-001"]


def test_range_full_with_few_pods_is_leaked_ips(run):
    [finding] = ipam(run(OWN / "fires-leaked-ips-few-pods"))
    assert finding["nodes"] == ["worker-2"]
    assert "10.244.2.1-10.244.2.254" in finding["summary"]
    assert "12 running Pods" in finding["summary"] and "leaked" in finding["summary"]
    assert finding["missing_evidence"] == []


def test_describe_pod_events_name_the_node_and_the_range(run):
    [finding] = ipam(run(OWN / "fires-describe-pod-sandbox-events"))
    assert finding["nodes"] == ["worker-5"]
    assert "10.244.5.1-10.244.5.62" in finding["summary"]
    assert finding["evidence"][0]["artifact"] == "describe-web.txt"
    # Without the Node's Pods a full range and leaked IPs look the same: say what to collect.
    assert any("spec.nodeName=worker-5" in m["command"] for m in finding["missing_evidence"])


def test_antreaipam_pool_with_the_pre_v25_spelling(run):
    [finding] = ipam(run(OWN / "fires-v2.4-antreaipam-pool-exausted"))
    assert "IPPool pool-vlan100" in finding["summary"]
    assert finding["nodes"] == ["bm-node-7"]


def test_a_requested_ip_outside_the_range_is_not_exhaustion(run):
    assert ipam(run(OWN / "quiet-static-ip-not-in-range")) == []
