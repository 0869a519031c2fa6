from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "openflow_entries_rejected"


def flows(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-OVS-004"]


def test_flows_pointing_at_groups_lost_on_ovs_restart_2134(run):
    [finding] = flows(run(OWN / "fires-2134-bad-out-group-after-ovs-restart"))
    assert finding["nodes"] == ["worker-4"] and finding["severity"] == "error"
    assert "OFPBAC_BAD_OUT_GROUP x2" in finding["summary"] and "antrea-io/antrea#2134" in finding["summary"]
    assert any("dump-groups" in m["command"] for m in finding["missing_evidence"])


def test_group_exists_after_a_timed_out_commit_8190(run):
    [finding] = flows(run(OWN / "fires-8190-group-exists-after-bundle-timeout"))
    assert "OFPGMFC_GROUP_EXISTS" in finding["summary"] and "antrea-io/antrea#8190" in finding["summary"]
    assert "2 Service group installations failed" in finding["summary"]


def test_conntrack_support_errors_belong_to_the_datapath_rule_591(run):
    report = run(OWN / "quiet-591-ct-datapath-errors-are-datapath")
    assert flows(report) == []
    assert report["findings"][0]["category"] == "ovs-datapath-feature"
