"""The healthy and recovered classes of the corpus: for each, a builder that turns a release into a
`Scenario`, and the releases it is built for (at least two where the wording differs).

Each class is a state a real cluster is in while nothing is wrong: a healthy start, a transient
that recovered (kube-apiserver restart, control-plane reboot, OVS restart, ...) or a deployment
mode whose host state looks odd but is by design (networkPolicyOnly, bridging, two NICs, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from corpusgen import agent, facts, host, ovs
from corpusgen.agent import new_run
from corpusgen.controller import controller_run
from corpusgen.klogrun import KlogRun
from corpusgen.samplegen import seeded
from corpusgen.scenario import NodeState, Scenario
from corpusgen.topology import Cluster, Nic, Node, node

CP, WORKER = "k8s-node-control-plane", "k8s-node-worker-1"


def collected_at(tag: str) -> datetime:
    """Bundles collected a few weeks after the release came out (year matters for year-less lines)."""
    dates = {
        "v1.11.0": (2023, 4, 18),
        "v1.15.0": (2024, 2, 6),
        "v2.0.0": (2024, 5, 21),
        "v2.1.0": (2024, 8, 20),
        "v2.2.0": (2024, 11, 19),
        "v2.4.0": (2025, 6, 10),
        "v2.7.0": (2026, 9, 8),
    }
    y, m, d = dates.get(tag, (2025, 1, 15))
    return datetime(y, m, d, 10, 15, 0)


def doc_nodes(nics: Callable[[str, int], list[Nic]] | None = None) -> list[Node]:
    """The two Nodes of docs/design/ovs-pipeline.md; `nics(node_ip, index)` gives other NICs than eth0."""
    out = []
    for i, (name, ip, cidr) in enumerate(
        [(CP, "192.168.77.102", "10.10.0.0/24"), (WORKER, "192.168.77.103", "10.10.1.0/24")]
    ):
        out.append(node(name, ip, cidr, control_plane=i == 0, nics=nics(ip, i) if nics else None))
    return out


def cluster(cls: str, tag: str, nodes: list[Node] | None = None, **kw: object) -> Cluster:
    return Cluster(f"{cls}-{tag}", facts.release(tag), nodes or doc_nodes(), collected_at(tag), **kw)


# ---------------------------------------------------------------------------------------------
# Node states
# ---------------------------------------------------------------------------------------------


def ovs_for(c: Cluster, n: Node, starts: list[datetime], agent_runs: list[KlogRun]) -> tuple[ovs.OvsLog, str]:
    """ovs-vswitchd.log with one process per start in `starts`: br-int's ports attached shortly after,
    an uplink (bridging mode, SecondaryNetwork) when the agent attached it, the agent's flow_mods,
    Pod ports, up to collection."""
    o = ovs.OvsLog(c.release, f"{c.name}/{n.name}/ovs")
    ports = host.ovs_ports(c, n)
    uplinks = [p for p in ports if p[0].endswith("~")]
    infra = [p for p in ports if p[0] in ("antrea-tun0", "antrea-gw0")]
    pods = [p for p in ports if p not in infra and p not in uplinks]
    attached = logged_at(agent_runs, ("Allocated OpenFlow port for uplink interface", "Physical interface added to"))
    for k, t in enumerate(starts):
        ovs.vswitchd_start(o, t)
        ovs.bridge_ports(
            o, "br-int", infra + (pods + uplinks if k else []), f"{c.name}/{n.name}/dpid", t + timedelta(seconds=4)
        )
        ovs.flow_mods(o, 268, o.t + timedelta(seconds=3))
        ovs.memory(o, 10.0)
        if k == 0 and attached and (uplinks or c.secondary):
            if c.secondary:
                nic = c.secondary["physicalInterfaces"][0]
                ovs.bridge_ports(
                    o,
                    c.secondary["bridgeName"],
                    [(nic, 1), (nic + "~", 2)],
                    f"{c.name}/{n.name}/dpid2",
                    attached - timedelta(milliseconds=60),
                    datapath=False,
                )
            else:
                o.at(attached - timedelta(milliseconds=60))
                for name, port in uplinks:
                    o.emit("added_iface", "br-int", name, port, lo=0, hi=5)
    ovs.steady(o, c.collected - timedelta(seconds=30), [p[0] for p in pods])
    return o, ovs.ovsdb_server_log(c.release, starts[0], f"{c.name}/{n.name}/ovsdb")


def logged_at(runs: list[KlogRun], needles: tuple[str, ...]) -> datetime | None:
    """Time of the first line of `runs` containing one of `needles`."""
    for run in runs:
        for ln in run.lines:
            if any(x in ln.msg for x in needles):
                return ln.t
    return None


def healthy_state(c: Cluster, n: Node, start: datetime, **kw: object) -> NodeState:
    """One run that starts on a fresh OVS and works until collection."""
    run = new_run(c, n, start, "run")
    agent.healthy_start(run, c, n, fresh_ovs=True, **kw)
    agent.steady(run, c, n, agent.until(c))
    o, db = ovs_for(c, n, [start - timedelta(seconds=6)], [run])
    return NodeState(n, [run], o, db)


def states(c: Cluster, start: datetime, **special: NodeState) -> dict[str, NodeState]:
    out = {}
    for i, n in enumerate(c.nodes):
        out[n.name] = special.get(n.name) or healthy_state(c, n, start + timedelta(seconds=3 * i))
    return out


def scenario(cls: str, c: Cluster, nodes: dict[str, NodeState], focus: str, start: datetime, **kw: object) -> Scenario:
    ctrl = controller_run(c, start - timedelta(seconds=5), agent.until(c))
    return Scenario(cls, c, focus, nodes, ctrl, **kw)


def start_of(c: Cluster, hours: float = 2.0) -> datetime:
    """When the (first) agent run of the scenario started: `hours` before collection, at an uneven second."""
    return c.collected - timedelta(hours=hours) + timedelta(seconds=seeded(c.name, "start").uniform(1, 50))


# ---------------------------------------------------------------------------------------------
# classes
# ---------------------------------------------------------------------------------------------


def healthy(cls: str, tag: str) -> Scenario:
    """Every Node starts on a fresh OVS and works; the worker hit the flow-restore-wait race of a
    fresh start (`was not true before the delete call was made, will retry`)."""
    c = cluster(cls, tag)
    start = start_of(c)
    worker = healthy_state(c, c.node_named(WORKER), start + timedelta(seconds=3), frw_race=True)
    return scenario(cls, c, states(c, start, **{WORKER: worker}), CP, start)


def first_install(cls: str, tag: str) -> Scenario:
    """Antrea just installed: the agents start before antrea-controller serves (watch failures,
    fallback to saved policies, then the watches start) and race start_ovs for flow-restore-wait."""
    c = cluster(cls, tag)
    start = start_of(c)
    st = {
        n.name: healthy_state(c, n, start + timedelta(seconds=2 * i), frw_race=True, controller_late=True)
        for i, n in enumerate(c.nodes)
    }
    return scenario(cls, c, st, CP, start)


def run_with_events(c: Cluster, n: Node, start: datetime, events: list[tuple[datetime | None, Callable]]) -> KlogRun:
    """One agent run on a fresh OVS: a healthy start, then each event at its time (None: right after
    the start) with normal work in between and after, up to collection."""
    run = new_run(c, n, start, "run")
    agent.healthy_start(run, c, n, fresh_ovs=True)
    for at, event in events:
        if at is not None:
            agent.steady(run, c, n, at, events=10)
        event(run)
    agent.steady(run, c, n, agent.until(c), events=30)
    return run


def one_node_changed(cls: str, c: Cluster, start: datetime, n: Node, run: KlogRun) -> Scenario:
    o, db = ovs_for(c, n, [start - timedelta(seconds=6)], [run])
    return scenario(cls, c, states(c, start, **{n.name: NodeState(n, [run], o, db)}), n.name, start)


def apiserver_restart(cls: str, tag: str) -> Scenario:
    """kube-apiserver restarted mid-run: every reflector's watch ends, re-lists are refused for a few
    seconds (client-go wording of the release), then hours of normal work."""
    c = cluster(cls, tag)
    start = start_of(c, 6)
    n = c.node_named(CP)
    outage = start + timedelta(hours=1, minutes=12)
    sc = one_node_changed(cls, c, start, n, run_with_events(c, n, start, [(outage, lambda r: restart_errors(r, c))]))
    # antrea-controller watches the same API server and sees the same restart
    ctrl = controller_run(c, start - timedelta(seconds=5), outage, events=5)
    restart_errors(
        ctrl,
        c,
        kinds=[
            ("*v1.Namespace", "/api/v1/namespaces", c.release.k8s_factory),
            ("*v1.Pod", "/api/v1/pods", c.release.k8s_factory),
            ("*v1.NetworkPolicy", "/apis/networking.k8s.io/v1/networkpolicies", c.release.k8s_factory),
        ],
    )
    sc.controller = ctrl
    return sc


def restart_errors(run: KlogRun, c: Cluster, kinds: list | None = None) -> None:
    kinds = kinds or agent.informer_kinds(c)
    lost = (
        'an error on the server ("unable to decode an event from the watch stream: http2: client connection '
        'lost") has prevented the request from succeeding'
    )
    agent.reflector_errors(run, c, kinds, f"dial tcp {c.api_ip}:443: connect: connection refused", watch_ended=lost)
    for delay in (1.1, 2.3, 4.6):  # client-go's backoff between re-lists
        run.wait(delay)
        agent.reflector_errors(run, c, kinds[:2], f"dial tcp {c.api_ip}:443: connect: connection refused")


def died_then_healthy(
    cls: str, tag: str, node_name: str, pause: float, ovs_delay: float, **failure: object
) -> Scenario:
    """A first agent run that exits during start-up (`agent.failed_start`), then, `pause` s later, a
    healthy run on the OVS that started `ovs_delay` s after the first run."""
    c = cluster(cls, tag)
    start = start_of(c, 1)
    n = c.node_named(node_name)
    run1 = new_run(c, n, start, "run1")
    agent.failed_start(run1, c, n, **failure)
    run2 = new_run(c, n, run1.end + timedelta(seconds=pause), "run2")
    agent.healthy_start(run2, c, n, fresh_ovs=False, ovs_restarted=True)
    agent.steady(run2, c, n, agent.until(c))
    o, db = ovs_for(c, n, [start + timedelta(seconds=ovs_delay)], [run1, run2])
    return scenario(cls, c, states(c, start, **{n.name: NodeState(n, [run1, run2], o, db)}), n.name, start)


def control_plane_reboot(cls: str, tag: str) -> Scenario:
    """The whole cluster rebooted and the worker came up first: its first agent run cannot reach
    kube-apiserver (connection refused) and exits; the next run, 20 s later, is healthy."""
    return died_then_healthy(cls, tag, WORKER, pause=20, ovs_delay=-4, api_refused=True)


def agent_restart_ovs_kept(cls: str, tag: str) -> Scenario:
    """Only the antrea-agent container restarted (OOM kill); OVS kept running with its flows, so
    flow-restore-wait was never set again and the agent skips cleaning it up on purpose."""
    c = cluster(cls, tag)
    start = start_of(c, 30)
    n = c.node_named(CP)
    run1 = new_run(c, n, start, "run1")
    agent.healthy_start(run1, c, n, fresh_ovs=True)
    agent.steady(run1, c, n, start + timedelta(hours=26), events=20)
    run2 = new_run(c, n, run1.end + timedelta(seconds=11), "run2")
    agent.healthy_start(run2, c, n, fresh_ovs=False)
    agent.steady(run2, c, n, agent.until(c))
    o, db = ovs_for(c, n, [start - timedelta(seconds=6)], [run1, run2])
    return scenario(cls, c, states(c, start, **{CP: NodeState(n, [run1, run2], o, db)}), CP, start)


def podcidr_wait(cls: str, tag: str) -> Scenario:
    """A Node that just joined: its PodCIDR is allocated a few seconds after the agent starts, so the
    agent waits for it once (`Waiting for Node PodCIDR configuration to complete`, until v2.4)."""
    c = cluster(cls, tag)
    start = start_of(c)
    n = c.node_named(WORKER)
    st = healthy_state(c, n, start + timedelta(minutes=30), podcidr_polls=1)
    return scenario(cls, c, states(c, start, **{WORKER: st}), WORKER, start)


def ovs_boot_fatal(cls: str, tag: str) -> Scenario:
    """At boot the agent started before OVS was ready: OVSDB not connected yet (the socket appears
    seconds later), then ovs-vswitchd, busy with the new bridge, did not accept the OpenFlow
    connection within 5 s: a fatal; the restarted agent 30 s later is healthy."""
    return died_then_healthy(cls, tag, CP, pause=30, ovs_delay=1.5, ovsdb_retries=2)


def network_policy_only(chaining: str) -> Callable[[str, str], Scenario]:
    """EKS/AKS chaining (networkPolicyOnly): no spec.podCIDR, antrea-gw0 without an address, no
    tunnel, Pod IPs from the cloud network, noSNAT."""

    # (Node names, Node IPs, prefix, NIC MTU, VPC gateway) of a 2-Node EKS / AKS node group
    cloud = {
        "eks": ("ip-{}.us-west-2.compute.internal", ("192.168.77.102", "192.168.77.103"), 19, 9001, "192.168.64.1"),
        "aks": ("aks-nodepool1-27341820-vmss00000{}", ("10.224.0.4", "10.224.0.5"), 16, 1500, "10.224.0.1"),
    }

    def build(cls: str, tag: str) -> Scenario:
        pattern, ips, prefix, mtu, gw = cloud[chaining]
        nodes = [
            node(
                pattern.format(ip.replace(".", "-") if chaining == "eks" else i),
                ip,
                None,
                control_plane=i == 0,
                nics=[Nic("eth0", ip, prefix, mtu, gw)],
            )
            for i, ip in enumerate(ips)
        ]
        c = cluster(
            cls,
            tag,
            nodes,
            encap="networkPolicyOnly",
            chaining=chaining,
            api_ip="10.100.0.1",
            service_cidr="10.100.0.0/16",
        )
        start = start_of(c)
        return scenario(cls, c, states(c, start), nodes[0].name, start)

    return build


def bridging(cls: str, tag: str) -> Scenario:
    """AntreaIPAM bridging mode: the uplink is attached to br-int by design (`eth0~` in ovs-system,
    the OVS internal port `eth0` holds the Node IP and the default route)."""
    c = cluster(cls, tag, gates={"AntreaIPAM": True}, bridging=True)
    start = start_of(c)
    return scenario(cls, c, states(c, start), CP, start)


def two_nics_jumbo(cls: str, tag: str) -> Scenario:
    """Two NICs: the default route on eth0 (1500), the Node IP on eth1 with jumbo frames (9000):
    the agent derives the MTU from eth1, the transport interface."""
    nodes = doc_nodes(lambda ip, i: [Nic("eth0", f"10.0.2.{15 + i}", 24, 1500, "10.0.2.2"), Nic("eth1", ip, 24, 9000)])
    c = cluster(cls, tag, nodes)
    start = start_of(c)
    return scenario(cls, c, states(c, start), CP, start)


def memberlist_join_retry(cls: str, tag: str) -> Scenario:
    """No Egress defined; at install the peer's memberlist is not listening yet (and again while the
    peer reboots): `join cluster failed, will retry later`, then the members join."""
    c = cluster(cls, tag)
    start = start_of(c, 5)
    n, peer = c.node_named(CP), c.node_named(WORKER)
    member = f"{peer.ip}:10351"
    kv = {"error": f"Failed to join {member}: dial tcp {member}: connect: connection refused", "member": member}

    def join_failed(run: KlogRun) -> None:
        run.emit("memberlist_join_retry", kv=kv, lo=1, hi=30)

    run = run_with_events(c, n, start, [(None, join_failed), (start + timedelta(hours=2), join_failed)])
    return one_node_changed(cls, c, start, n, run)


def ovs_container_restart(cls: str, tag: str) -> Scenario:
    """The antrea-ovs container restarted under a running agent: OpenFlow disconnects, the new
    ovs-vswitchd comes up with flow-restore-wait set, the agent replays its flows and clears it."""
    c = cluster(cls, tag)
    start = start_of(c, 4)
    n = c.node_named(CP)
    restart = start + timedelta(hours=2, minutes=7)
    run = run_with_events(c, n, start, [(restart, lambda r: agent.of_reconnect(r, c, n, outage=4.0))])
    ovs_start1, ovs_start2 = start - timedelta(seconds=6), restart + timedelta(seconds=1)
    o, db = ovs_for(c, n, [ovs_start1, ovs_start2], [run])
    st = NodeState(
        n,
        [run],
        o,
        db,
        antrea_ovs=[
            ovs.antrea_ovs_container(c.release, [ovs_start1]),
            ovs.antrea_ovs_container(c.release, [ovs_start2]),
        ],
    )
    return scenario(cls, c, states(c, start, **{CP: st}), CP, start)


def ipsec_cert_retry(cls: str, tag: str) -> Scenario:
    """IPsec with certificate authentication: the first certificate sync fails before the CA is
    mounted (`Error syncing IPSec certificates, requeuing`), the retry creates the certificate."""
    c = cluster(cls, tag, encryption="ipsec", ipsec_auth="cert", tunnel="gre")  # antrea-ipsec.yml uses GRE
    start = start_of(c)
    n = c.node_named(CP)
    ca = "/var/run/openvswitch/ca/ca.crt"

    def sync_failed_then_created(run: KlogRun) -> None:
        err = f"failed to rotate certificate: error reading root CA {ca}: open {ca}: no such file or directory"
        run.emit("ipsec_cert_sync_err", err=err, lo=1, hi=10)
        run.wait(5)
        cert, key = f"/var/run/openvswitch/{n.name}.crt", f"/var/run/openvswitch/{n.name}.key"
        run.emit("ipsec_cert_created", kv={"cert": cert, "key": key}, lo=100, hi=900)

    return one_node_changed(cls, c, start, n, run_with_events(c, n, start, [(None, sync_failed_then_created)]))


def tunnel_ofport_upgraded(cls: str, tag: str) -> Scenario:
    """A Node upgraded from v1.x: OVSDB kept antrea-tun0 on OpenFlow port 1 and antrea-gw0 on 2 (the
    v1.x requests); v2.x reuses existing ports and only asks for 32768/32769 when it creates them."""
    c = cluster(cls, tag, legacy_ofports=True)
    start = start_of(c)
    nodes = {}
    for i, n in enumerate(c.nodes):
        run = new_run(c, n, start + timedelta(seconds=3 * i), "run")
        agent.healthy_start(run, c, n, fresh_ovs=False, ovs_restarted=True)  # the upgrade restarted OVS
        agent.steady(run, c, n, agent.until(c))
        o, db = ovs_for(c, n, [run.start - timedelta(seconds=6)], [run])
        nodes[n.name] = NodeState(n, [run], o, db)
    return scenario(cls, c, nodes, CP, start)


def hostnetwork_pods(cls: str, tag: str) -> Scenario:
    """`kubectl get pods -A -o wide` attached: hostNetwork Pods share their Node's IP (not a duplicate)."""
    c = cluster(cls, tag)
    start = start_of(c)
    return scenario(
        cls, c, states(c, start), CP, start, extras={"kubectl-get-pods-wide.txt": host.kubectl_get_pods_wide(c)}
    )


def windows_agent(cls: str, tag: str) -> Scenario:
    """A healthy Windows worker (transparent HNSNetwork over Ethernet0, OVS on Windows), as pasted
    from `kubectl logs` of its antrea-agent: the same run() with Windows' host-network steps."""
    nodes = doc_nodes() + [
        node(
            "win-worker-1",
            "192.168.77.104",
            "10.10.2.0/24",
            windows=True,
            nics=[Nic("Ethernet0", "192.168.77.104", 24, 1500, "192.168.77.1")],
        )
    ]
    c = cluster(cls, tag, nodes)
    start = start_of(c)
    return scenario(cls, c, states(c, start), "win-worker-1", start)


def mode(**kw: object) -> Callable[[str, str], Scenario]:
    """A healthy cluster in another deployment mode (noEncap, hybrid, WireGuard, IPsec PSK, ...)."""

    def build(cls: str, tag: str) -> Scenario:
        c = cluster(cls, tag, **kw)
        start = start_of(c)
        return scenario(cls, c, states(c, start), CP, start)

    return build


def secondary_dedicated_nic(cls: str, tag: str) -> Scenario:
    """SecondaryNetwork on a dedicated NIC (eth1 carries no IP): attached to br-ext after flow restoration."""
    nodes = doc_nodes(lambda ip, i: [Nic("eth0", ip, 24, 1500, "192.168.77.1"), Nic("eth1", None)])
    c = cluster(
        cls,
        tag,
        nodes,
        gates={"SecondaryNetwork": True, "AntreaIPAM": True},
        secondary={"bridgeName": "br-ext", "physicalInterfaces": ["eth1"]},
    )
    start = start_of(c)
    return scenario(cls, c, states(c, start), CP, start)


@dataclass(frozen=True)
class Class:
    build: Callable[[str, str], Scenario]
    releases: tuple[str, ...]
    shapes: tuple[str, ...] | None = None  # None: every shape


ALL = ("v1.11.0", "v1.15.0", "v2.0.0", "v2.1.0", "v2.2.0", "v2.4.0", "v2.7.0")
LOGS = ("antctl", "agent-tarball", "loose", "kubectl-logs", "kubectl-logs-timestamps", "cri")
HOST = ("antctl", "agent-tarball", "loose")  # classes whose point is the host/OVS state, not the log wording

CLASSES: dict[str, Class] = {
    "healthy": Class(healthy, ALL),
    "first-install": Class(first_install, ("v1.15.0", "v2.1.0", "v2.7.0")),
    "apiserver-restart": Class(apiserver_restart, ("v1.15.0", "v2.1.0", "v2.2.0", "v2.7.0")),
    "control-plane-reboot": Class(control_plane_reboot, ("v1.15.0", "v2.1.0", "v2.7.0")),
    "agent-restart-ovs-kept": Class(agent_restart_ovs_kept, ("v1.15.0", "v2.1.0", "v2.7.0")),
    "new-node-podcidr-wait": Class(podcidr_wait, ("v1.15.0", "v2.1.0", "v2.4.0")),
    "ovs-not-ready-at-boot": Class(ovs_boot_fatal, ("v2.1.0", "v2.7.0")),
    "networkpolicyonly-eks": Class(network_policy_only("eks"), ("v2.1.0", "v2.7.0")),
    "networkpolicyonly-aks": Class(network_policy_only("aks"), ("v2.2.0", "v2.7.0")),
    "antreaipam-bridging": Class(bridging, ("v2.1.0", "v2.7.0"), HOST),
    "two-nics-jumbo": Class(two_nics_jumbo, ("v2.2.0", "v2.7.0"), HOST),
    "memberlist-join-retry": Class(memberlist_join_retry, ("v2.1.0", "v2.7.0")),
    "ovs-container-restart": Class(ovs_container_restart, ("v1.15.0", "v2.2.0", "v2.7.0")),
    "ipsec-cert-retry": Class(ipsec_cert_retry, ("v2.1.0", "v2.7.0")),
    "hostnetwork-pods": Class(hostnetwork_pods, ("v2.2.0", "v2.7.0"), ("antctl", "loose", "kubectl-logs")),
    "tunnel-ofport-normal": Class(healthy, ("v1.15.0", "v2.0.0", "v2.7.0"), HOST),
    "tunnel-ofport-upgraded": Class(tunnel_ofport_upgraded, ("v2.0.0", "v2.7.0"), HOST),
    "noencap": Class(mode(encap="noEncap"), ("v2.1.0", "v2.7.0"), HOST),
    "hybrid": Class(mode(encap="hybrid"), ("v2.1.0", "v2.7.0"), HOST),
    "wireguard": Class(mode(encryption="wireGuard"), ("v2.1.0", "v2.7.0"), HOST),
    "ipsec-psk": Class(mode(encryption="ipsec", tunnel="gre"), ("v2.1.0", "v2.7.0"), HOST),
    "secondary-network-dedicated-nic": Class(secondary_dedicated_nic, ("v2.1.0", "v2.7.0"), HOST),
    "windows-agent": Class(windows_agent, ("v1.15.0", "v2.2.0", "v2.7.0"), ("kubectl-logs", "kubectl-logs-timestamps")),
}
