"""The committed sample bundles (real antctl layout) give the diagnosis their README promises."""

import pytest
from support import SAMPLES, all_findings

SEVERE = {"critical", "error", "warning"}


def roots(report):
    return report["findings"]


def test_6448_names_the_secondary_bridge_root_cause_on_the_worker_only(run):
    report = run(SAMPLES / "6448-secondary-network-primary-nic")
    first = roots(report)[0]
    assert (first["rule_id"], first["category"], first["severity"]) == (
        "ANT-SEC-001",
        "secondary-network-uplink",
        "critical",
    )
    assert first["nodes"] == ["node2"] and first["status"] == "confirmed"
    texts = " ".join(e["text"] for e in first["evidence"])
    assert "Physical interface added to secondary OVS bridge" in texts
    assert "Waiting for flow restoration to complete" in texts
    assert any("flow-restore-wait" in m["what"] and "other_config" in m["command"] for m in first["missing_evidence"])
    assert first["remediation"]["steps"] and first["remediation"]["commands"]
    # The symptoms are attached to the root cause, not listed as root causes of their own.
    assert {"apiserver-unreachable", "ovs-flow-restore-wait"} <= {s["category"] for s in first["symptoms"]}
    assert not any(f["category"] in ("apiserver-unreachable", "podcidr-not-allocated") for f in roots(report))
    # node1 went through the same sequence but its API server is local: not a root cause there.
    assert "node1" in first["summary"]
    assert not any("node1" in f["nodes"] and f["severity"] in SEVERE for f in roots(report))
    nodes = {n["name"]: n for n in report["source"]["nodes"]}
    assert nodes["node2"]["failed_reason"] and nodes["node2"]["fallback_bundle"]


@pytest.mark.parametrize("sample", ["healthy", "secondary-network-dedicated-nic"])
def test_healthy_clusters_have_no_finding_at_warning_or_above(run, sample):
    report = run(SAMPLES / sample)
    assert [(f["rule_id"], f["nodes"]) for f in all_findings(report) if f["severity"] in SEVERE] == []
    assert report["source"]["unreadable"] == []


def test_podcidr_sample_is_a_cluster_wide_allocation_problem(run):
    report = run(SAMPLES / "podcidr-not-allocated")
    first = roots(report)[0]
    assert first["category"] == "podcidr-not-allocated" and first["status"] == "confirmed"
    assert len(first["nodes"]) == 3
    assert "No Node of the cluster has a PodCIDR" in first["summary"]
    assert "apiserver-unreachable" not in [f["category"] for f in all_findings(report)]


def test_api_timeout_sample_is_not_taken_for_a_podcidr_problem(run):
    report = run(SAMPLES / "apiserver-timeout-looks-like-podcidr")
    first = roots(report)[0]
    assert first["category"] == "apiserver-unreachable" and first["nodes"] == ["worker-2"]
    assert "podcidr-not-allocated" not in [f["category"] for f in all_findings(report)]
    assert [f for f in roots(report) if f["severity"] in SEVERE and f["nodes"] != ["worker-2"]] == []


def test_every_sample_report_validates_against_the_schema(run):
    import jsonschema

    from diagnose.report.json import schema

    for sample in sorted(p for p in SAMPLES.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        jsonschema.validate(run(sample), schema())
