"""Every sniffer says True for its own format and False for all the others."""

from pathlib import Path

import pytest

from diagnose.parse import flows, ipaddr, iproute, ovsdb, vlog

DATA = Path(__file__).parent / "data"

KLOG = 'I0615 08:59:26.439778       1 agent.go:107] "Starting Antrea agent" version="v2.1.0"\n'

# fixture -> the single format it is
EXPECTED = {
    "ip-route.node2.txt": "ip-route",
    "ip-route.kind-worker.txt": "ip-route",
    "ip-route.kubeadm-vm.txt": "ip-route",
    "ip-route.multipath.txt": "ip-route",
    "ip-route.oneline.txt": "ip-route",
    "ip-route-table-all.txt": "ip-route",
    "ip-addr.node2.partial.txt": "ip-addr",
    "ip-addr.kind-worker.txt": "ip-addr",
    "ip-addr.netns.txt": "ip-addr",
    "ip-link.kind-worker.txt": "ip-link",
    "ip-link.netns.txt": "ip-link",
    "ip-d-link.kind-worker.txt": "ip-link",
    "ip-d-link.netns.txt": "ip-link",
    "ovs-vsctl-show.reference.txt": "ovs-vsctl-show",
    "ovs-vsctl-show.node2.txt": "ovs-vsctl-show",
    "ovs-vsctl-show.extra.txt": "ovs-vsctl-show",
    "ovs-vsctl-list-open_vswitch.txt": "ovs-vsctl-list",
    "ovs-vsctl-list-open_vswitch.cleared.txt": "ovs-vsctl-list",
    "ovs-vsctl-list-all.txt": "ovs-vsctl-list",
    "ovsdb-client-dump.txt": "ovsdb-dump",
    "ovsdb-client-dump-open_vswitch.txt": "ovsdb-dump",
    "ovsdb-client-dump.json": "ovsdb-dump-json",
    "ovsdb-client-dump-open_vswitch.reference.json": "ovsdb-dump-json",
    "ovs-vswitchd.log": "vlog",
    "ovsdb-server.log": "vlog",
    "flows.6192.txt": "flows",
    "flows.6192.repro1.txt": "flows",
    "flows.of15-names.txt": "flows",
    "flows.bundle.txt": "flows",
    "flows.of10.txt": "flows",
    "flows.nostats.txt": "flows",
    # formats none of these parsers own
    "groups.bundle.txt": None,
    "ovsports.bundle.txt": None,
    "klog.6448.FATAL.partial.txt": None,
    "antrea-ovs.870.log": None,
}


def verdicts(head: str) -> set[str]:
    found: set[str] = set()
    if iproute.sniff(head):
        found.add("ip-route")
    kind = ipaddr.detect(head)
    if kind:
        found.add(kind)
    if ipaddr.sniff(head):
        found.add("ip-addr")
    if ipaddr.sniff_link_only(head):
        found.add("ip-link")
    kind = ovsdb.detect(head)
    if kind:
        found.add(kind)
    if ovsdb.sniff(head) and not kind:
        found.add("ovsdb?")
    if vlog.sniff(head):
        found.add("vlog")
    if flows.sniff(head):
        found.add("flows")
    return found


def test_every_fixture_is_listed() -> None:
    on_disk = {p.name for p in DATA.iterdir() if p.suffix in (".txt", ".json", ".log")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sniffers_agree(name: str) -> None:
    head = (DATA / name).read_text(errors="replace")[:4096]
    want = EXPECTED[name]
    assert verdicts(head) == ({want} if want else set())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        KLOG,
        KLOG * 50,
        "Log file created at: 2024/06/28 18:57:17\nRunning on machine: node2\n",
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: node2\n",
        "memberlist is not enabled\n",
        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ANTREA-INPUT\nCOMMIT\n",
        "0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n",
        "\x00\x01\x02garbage\xff",
        "{" * 5000,
        "-" * 5000,
    ],
)
def test_foreign_text_is_nobodys(text: str) -> None:
    assert verdicts(text[:4096]) == set()
