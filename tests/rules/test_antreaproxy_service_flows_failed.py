from pathlib import Path

from support import all_findings

OWN = Path(__file__).parent / "fixtures" / "antreaproxy_service_flows_failed"


def proxy(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-PROXY-001"]


def test_install_failures_name_the_services(run):
    [finding] = proxy(run(OWN / "fires-clusterip-group-install-failing"))
    assert finding["nodes"] == ["worker-2"]
    assert "shop/cart:http" in finding["summary"] and "shop/checkout:grpc" in finding["summary"]
    assert "4 times" in finding["summary"] and "group of Endpoints" in finding["summary"]


def test_uninstall_errors_are_not_load_balancing_failures(run):
    assert proxy(run(OWN / "quiet-uninstall-only")) == []
