"""antrea-io/antrea#591 as posted (Photon OS 3.0, bundle errors), scanned as a loose directory."""

from support import FIXTURES, all_findings

CASE = FIXTURES / "real-cases" / "photon-os-kernel-missing-conntrack-zones"


def test_first_finding_is_the_missing_datapath_feature(run):
    report = run(CASE)
    first = report["findings"][0]
    assert first["category"] == "ovs-datapath-feature" and first["rule_id"] == "ANT-OVS-003"
    assert first["severity"] == "critical"
    # The byte dumps decode to ct actions in zone 65520: conntrack zones (docs/os-issues.md).
    assert "CT zone" in first["summary"] and "zone=65520" in first["summary"]
    commands = " ".join(m["command"] for m in first["missing_evidence"])
    assert "dpif/show-dp-features" in commands  # the exact feature list is not in the excerpt


def test_bundle_errors_are_not_reported_as_openflow_programming_errors(run):
    assert not [f for f in all_findings(run(CASE)) if f["category"] == "ovs-flows"]
