"""`antrea-diagnose diff OLD NEW` on two bundles of one cluster: the #6448 cluster before
SecondaryNetwork was enabled (sample_bundles/before-6448-secondary-network/) and the #6448 ticket
after it (the antctl bundle and node2's files the user pasted)."""

from __future__ import annotations

import json
import re

import pytest
from support import SAMPLES

from diagnose import diff as differ
from diagnose.diagnosis.engine import diagnose
from diagnose.diff import render
from diagnose.diff.compare import compare
from diagnose.diff.snapshot import NodeFacts, Snapshot

BEFORE = SAMPLES / "before-6448-secondary-network" / "support-bundles_20240628T164000Z"
AFTER = SAMPLES / "6448-secondary-network-primary-nic"


@pytest.fixture(scope="module")
def pair(rules):
    return diagnose(BEFORE, rules), diagnose(AFTER, rules)


@pytest.fixture(scope="module")
def change(pair) -> dict:
    return differ.diff(*pair)


def test_the_findings_that_appeared_root_cause_first(change):
    appeared = change["findings"]["appeared"]
    assert appeared[0]["rule_id"] == "ANT-SEC-001" and appeared[0]["nodes"] == ["node2"]
    assert appeared[0]["severity"] == "critical" and appeared[0]["explained_by"] is None
    assert len(appeared) > 1 and {f["explained_by"] for f in appeared[1:]} == {"ANT-SEC-001"}  # its symptoms
    assert change["findings"]["resolved"] == [] and change["changed"] is True


def test_the_node_that_failed_and_the_configuration_that_changed(change):
    status = [c for c in change["nodes"]["changed"] if c["field"] == "status"]
    assert status == [
        {
            "node": "node2",
            "field": "status",
            "old": "ok",
            "new": "failed, fallback bundle",
            "detail": status[0]["detail"],
        }
    ]
    assert "listed in failed_nodes" in status[0]["detail"]
    assert change["nodes"]["added"] == [] and change["nodes"]["lost"] == []
    assert change["feature_gates"] == [{"gate": "SecondaryNetwork", "old": None, "new": True}]
    keys = {c["key"]: c for c in change["agent_config"]["changes"]}
    assert keys["secondaryNetwork.ovsBridges"]["old"] is None
    assert json.loads(keys["secondaryNetwork.ovsBridges"]["new"]) == [
        {"bridgeName": "br-ext", "physicalInterfaces": ["enp0s1"]}
    ]
    assert change["versions"] == {"old": ["v2.1.0-dev-6e00ebf"], "new": ["v2.1.0-dev-6e00ebf"], "changed": []}


def test_the_host_network_per_node(change):
    hosts = {h["node"]: h for h in change["host"]}
    node1 = hosts["node1"]["interfaces"]
    added = {i["interface"]: i for i in node1["added"]}
    assert added["enp0s1~"]["master"] == "ovs-system"  # the NIC, renamed and enslaved to OVS
    assert {"interface": "enp0s1", "state": {"old": "UP", "new": "UNKNOWN"}} in node1["changed"]  # internal port
    node2 = hosts["node2"]  # from the `ip addr` / `ip route` the user pasted
    assert "10.42.0.0/24 via 10.42.0.1 dev antrea-gw0 onlink" in node2["routes"]["removed"]  # no route to node1's Pods
    assert "enp0s1~" in {i["interface"] for i in node2["interfaces"]["added"]}
    assert node2["ovs_ports"]["missing"] == "new"  # a fallback bundle carries no OVS ports: not "all removed"
    assert node2["ovs_ports"]["removed"] == []


def test_every_format_names_what_changed(change):
    terminal = render.render_terminal(change, width=80)
    markdown = render.render_markdown(change)
    data = json.loads(render.render_json(change))
    for text in (terminal, markdown):
        for fact in (
            "ANT-SEC-001",
            "SecondaryNetwork",
            "secondaryNetwork.ovsBridges",
            "node2",
            "enp0s1~",
            "failed, fallback bundle",
        ):
            assert fact in text, fact
    assert max(len(line) for line in terminal.splitlines()) <= 80
    assert markdown.startswith("## Antrea diff") and len(markdown) < 65_536
    assert data["summary"] == change["summary"]
    assert re.match(
        r"\d+ findings appeared; 1 Node changed; 1 feature gate, 1 agent setting changed; host network "
        r"changed on node1, node2$",
        change["summary"],
    )


def test_the_other_way_round_the_findings_are_resolved(pair):
    back = differ.diff(pair[1], pair[0])
    assert [f["rule_id"] for f in back["findings"]["resolved"]][0] == "ANT-SEC-001"
    assert back["findings"]["appeared"] == []
    assert back["feature_gates"] == [{"gate": "SecondaryNetwork", "old": True, "new": None}]


def test_a_bundle_against_itself_has_no_change(pair):
    same = differ.diff(pair[1], pair[1])
    assert same["changed"] is False and same["summary"] == "No change found between the two bundles."
    assert "No change found" in render.render_terminal(same)


def test_nodes_lost_and_versions_between_two_clusters(rules):
    change = differ.diff(
        diagnose(SAMPLES / "healthy", rules), diagnose(SAMPLES / "secondary-network-dedicated-nic", rules)
    )
    assert [n["node"] for n in change["nodes"]["lost"]] == ["worker-2"]
    assert change["versions"]["old"] == ["v2.2.0"] and change["versions"]["new"] == ["v2.1.0"]
    assert {"node": "cp-1", "old": "v2.2.0", "new": "v2.1.0"} in change["versions"]["changed"]
    assert "Antrea version changed" in change["summary"]


def test_the_command_exit_codes_and_formats(main, capsys, tmp_path):
    assert main("diff", BEFORE, AFTER, "--fail-on", "critical", "-q") == 1
    assert main("diff", AFTER, BEFORE, "--fail-on", "critical", "-q") == 0  # resolved is no failure
    capsys.readouterr()
    assert main("diff", BEFORE, AFTER, "-o", tmp_path / "diff.md") == 0
    assert (tmp_path / "diff.md").read_text().startswith("## Antrea diff")
    assert main("diff", BEFORE, AFTER, "-f", "json") == 0
    assert json.loads(capsys.readouterr().out)["findings"]["appeared"][0]["rule_id"] == "ANT-SEC-001"
    assert main("diff", "-", "-") == 2
    assert "Standard input (-) can be read only once" in capsys.readouterr().err


def _snapshot(**nodes: NodeFacts) -> Snapshot:
    return Snapshot(
        source="s",
        collected_at=None,
        verdict="v",
        verdict_kind=None,
        nodes=dict(nodes),
        agent_config={},
        feature_gates={},
    )


def test_routes_ports_and_hostile_names_in_markdown():
    evil = "@team <script>x</script> #12"
    old = _snapshot(
        n1=NodeFacts(
            "n1",
            routes={"default via 10.0.0.1 dev eth0"},
            ovs_ports={"gw0": 2, "tun0": 1},
            interfaces={evil: {"addresses": [], "mtu": 1500, "master": None, "state": "UP"}},
        )
    )
    new = _snapshot(
        n1=NodeFacts("n1", routes={"default via 10.0.0.254 dev eth0"}, ovs_ports={"gw0": 3, "p1": 4}, interfaces={})
    )
    change = compare(old, new)
    host = change["host"][0]
    assert host["routes"] == {
        "added": ["default via 10.0.0.254 dev eth0"],
        "removed": ["default via 10.0.0.1 dev eth0"],
    }
    assert host["ovs_ports"] == {
        "added": [{"port": "p1", "ofport": 4}],
        "removed": [{"port": "tun0", "ofport": 1}],
        "changed": [{"port": "gw0", "old": 2, "new": 3}],
    }
    markdown = render.render_markdown(change)
    assert "<script>" not in markdown.replace("`@team <script>x</script> #12`", "")
    assert f"`{evil}`" in markdown  # untrusted names only inside code spans
