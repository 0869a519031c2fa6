"""Loose files pasted into a ticket are recognised by content, whatever they are named."""

import shutil
from pathlib import Path

import pytest

from diagnose.bundle import classify

DATA = Path(__file__).resolve().parents[1] / "parse" / "data"

# (fixture, kind) — the files are renamed to meaningless names before classifying.
CASES = [
    ("ip-addr.kind-worker.txt", "ip-addr"),
    ("ip-addr.node2.partial.txt", "ip-addr"),
    ("ip-link.kind-worker.txt", "ip-link"),
    ("ip-route.kubeadm-vm.txt", "ip-route"),
    ("ip-route.multipath.txt", "ip-route"),
    ("ovs-vsctl-show.reference.txt", "ovs-vsctl-show"),
    ("ovs-vsctl-list-open_vswitch.txt", "ovs-vsctl-list"),
    ("ovsdb-client-dump.txt", "ovsdb-dump"),
    ("ovsdb-client-dump.json", "ovsdb-dump-json"),
    ("flows.of15-names.txt", "flows"),
    ("ovs-vswitchd.log", "ovs-log"),
    ("klog.6448.FATAL.partial.txt", "agent-log"),
]


@pytest.mark.parametrize("name, kind", CASES)
def test_content_decides_the_kind(name, kind):
    assert classify.classify("attachment-3", (DATA / name).read_bytes()[:65536]) == kind


def test_agent_conf_kubectl_timestamps_and_prefixes():
    conf = b"featureGates:\n  SecondaryNetwork: true\ntrafficEncapMode: encap\n"
    assert classify.classify("x", conf) == "agent-config"
    stamped = b'2024-06-28T18:57:17.883444123Z I0628 18:57:17.883444       1 agent.go:107] "Starting Antrea agent"\n'
    assert classify.classify("pod.log", stamped) == "agent-log"
    assert classify.classify("notes.txt", b"the customer says the network is slow\n") is None


def test_a_ticket_folder_of_mixed_pastes_reads_into_one_node(run, tmp_path):
    ticket = tmp_path / "ticket-1234"
    ticket.mkdir()
    for i, (name, _) in enumerate(CASES[:2] + CASES[5:8]):
        shutil.copy(DATA / name, ticket / f"paste{i}.txt")
    report = run(ticket)
    kinds = sorted(a["kind"] for a in report["source"]["artifacts"])
    assert kinds == ["ip-addr", "ip-addr", "ovs-vsctl-list", "ovs-vsctl-show", "ovsdb-dump"]
    assert report["source"]["unreadable"] == []
