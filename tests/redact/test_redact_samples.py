"""The diagnosis of every sample bundle survives redaction: same root causes on the same Nodes."""

from __future__ import annotations

import json

import pytest
from redact_helpers import SAMPLE_DIRS, members

from diagnose.redact import commands


def _shape(report: dict, rename) -> list[tuple]:
    """What must not change: rule, category, severity, status, Nodes (renamed) and the
    symptoms each root cause explains, in ranking order."""

    def one(f: dict) -> tuple:
        return (f["rule_id"], f["category"], f["severity"], f["status"], tuple(sorted(rename(n) for n in f["nodes"])))

    return [(one(f), sorted(one(s) for s in f["symptoms"])) for f in report["findings"]]


@pytest.mark.parametrize("sample", [p.name for p in SAMPLE_DIRS])
def test_redacted_copy_gives_the_same_diagnosis(run, redacted, sample):
    r = redacted[sample]
    original, copy = run(r.source), run(r.copy)
    nodes = r.values.get("node", {})
    assert _shape(copy, lambda n: n) == _shape(original, lambda n: nodes.get(n, n))
    assert copy["source"]["unreadable"] == []
    assert {nodes.get(n["name"], n["name"]) for n in original["source"]["nodes"]} == {
        n["name"] for n in copy["source"]["nodes"]
    }
    assert not any(
        n["name"] in json.dumps(copy) for n in original["source"]["nodes"] if n["name"] != "antrea-controller"
    )


def test_a_directory_copy_keeps_the_antctl_layout(run, tmp_path):
    sample = next(p for p in SAMPLE_DIRS if p.name.startswith("6448"))
    out = tmp_path / "copy"
    commands.redact_bundle(sample, out, None, None, None, lambda _: None)
    nodes = json.loads((tmp_path / "copy.redaction-map.json").read_text())["values"]["node"]
    agent = out / "support-bundles_20240628T185800Z" / f"agent_{nodes['node1']}.tar.gz"
    assert agent.read_bytes()[:2] == b"\x1f\x8b"  # the nested Node bundle, rebuilt and gzipped again
    assert (
        out / f"{nodes['node2']}-var-log-antrea" / f"antrea-agent.{nodes['node2']}.root.log.INFO.20240628-185501.1"
    ).is_file()
    report = run(out)
    assert report["source"]["shape"] == run(sample)["source"]["shape"] == "antctl-directory + loose files"
    first = report["findings"][0]
    assert (first["rule_id"], first["nodes"], first["status"]) == ("ANT-SEC-001", [nodes["node2"]], "confirmed")


def test_the_same_address_has_the_same_pseudonym_in_every_file_and_node(redacted):
    r = redacted["6448-secondary-network-primary-nic"]
    ip = r.values["ip"]["192.168.64.28"]  # node2's address
    node2 = r.node("node2")
    files = {display.split("\n")[1]: data.decode("utf-8", "replace") for display, data in members(r.copy)}
    holding = {path for path, text in files.items() if ip in text}
    # clusterinfo, node2's own `ip addr` (pasted) and node1's memberlist, which lists node2
    assert any(p.endswith("/clusterinfo") for p in holding)
    assert any(p.endswith(f"{node2}-var-log-antrea/ip-addr.txt") for p in holding)
    assert any(p.endswith("!memberlist") and r.node("node1") in p for p in holding)
    assert not any("192.168.64.28" in text for text in files.values())
    # and the Node names next to it, in file names and in text
    assert f"agent_{node2}.tar.gz" in " ".join(files)
    assert all(node2 in files[p] for p in holding if p.endswith("!memberlist"))


def test_a_shared_key_file_gives_the_same_pseudonyms_in_every_bundle_of_a_batch(redacted, tmp_path):
    a = redacted["healthy"].values
    b = redacted["apiserver-timeout-looks-like-podcidr"].values
    shared_nodes = set(a["node"]) & set(b["node"])
    assert {"cp-1", "worker-1", "worker-2"} <= shared_nodes
    assert all(a["node"][n] == b["node"][n] for n in shared_nodes)
    shared_ips = set(a["ip"]) & set(b["ip"])
    assert shared_ips and all(a["ip"][x] == b["ip"][x] for x in shared_ips)
    # Without the key file each run draws its own key: the same Node gets another pseudonym.
    sample = redacted["healthy"].source
    commands.redact_bundle(sample, tmp_path / "alone.tar.gz", None, None, None, lambda _: None)
    alone = json.loads((tmp_path / "alone.tar.gz.redaction-map.json").read_text())["values"]["node"]
    assert alone["cp-1"] != a["node"]["cp-1"]


def test_a_redacted_bundle_redacted_again_with_its_map_is_unchanged(redacted, key_file, tmp_path, run):
    r = redacted["6448-secondary-network-primary-nic"]
    again = tmp_path / "again.tar.gz"
    map_copy = tmp_path / "map.json"
    map_copy.write_bytes(r.map_path.read_bytes())
    commands.redact_bundle(r.copy, again, map_copy, key_file, None, lambda _: None)
    assert again.read_bytes() == r.copy.read_bytes()
    # With a new key (no map) the pseudonyms change again, and the diagnosis still holds.
    other = tmp_path / "other.tar.gz"
    commands.redact_bundle(r.copy, other, None, None, None, lambda _: None)
    assert other.read_bytes() != r.copy.read_bytes()
    report = run(other)
    assert report["source"]["unreadable"] == []
    assert report["findings"][0]["rule_id"] == "ANT-SEC-001"


@pytest.mark.parametrize("sample", ["6448-secondary-network-primary-nic", "healthy"])
def test_the_stdlib_engine_writes_the_same_copy_as_hyperscan(redacted, key_file, tmp_path, monkeypatch, sample):
    r = redacted[sample]
    monkeypatch.setenv("ANTREA_DIAGNOSE_ENGINE", "stdlib")
    copy = tmp_path / "stdlib.tar.gz"
    commands.redact_bundle(r.source, copy, None, key_file, None, lambda _: None)
    assert copy.read_bytes() == r.copy.read_bytes()
