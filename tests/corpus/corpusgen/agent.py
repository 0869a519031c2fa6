"""antrea-agent runs: the start-up sequence of `cmd/antrea-agent/agent.go` run() and
`pkg/agent/agent.go` Initialize() at each release, the steady state, and the building blocks of
the transient classes (reflector errors, OVS reconnection, PodCIDR wait, fatal first runs).

Every line goes through `KlogRun.emit(site_key, ...)`: the wording, severity and `file:line` come
from the release facts, and a line the release does not print is skipped. Arguments are given
both positionally (printf/print sites) and by key (structured sites) so one call renders right
whichever way that release wrote it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from corpusgen.facts import Release
from corpusgen.golog import render
from corpusgen.klogrun import KlogRun
from corpusgen.samplegen import Raw, hexid, seeded, uuid4
from corpusgen.topology import ENCAP_OVERHEAD, Cluster, Node

MB = 1024 * 1024
OF_CONNECT_SECONDS = 5  # maxRetryForOFSwitch in pkg/agent/openflow/client.go (v1.11-v2.7)
OVSDB_SOCK = "/var/run/openvswitch/db.sock"
OVSDB_PIPE = "\\\\.\\pipe\\C:openvswitchvarrunopenvswitchdb.sock"  # GetConnAddress on Windows
TUN_OFPORT_V1, GW_OFPORT_V1 = 1, 2  # config.DefaultTunOFPort / HostGatewayOFPort before v2.0
TUN_OFPORT_V2, GW_OFPORT_V2 = 32768, 32769  # ovsconfig.FirstControllerOFPort + iota from v2.0
NP_OBJECTS = ("AppliedToGroup", "AddressGroup", "NetworkPolicy")
POLICIES = [
    "K8sNetworkPolicy:default/web-app-db-network-policy",
    "AntreaNetworkPolicy:default/allow-client",
    "AntreaClusterNetworkPolicy:acnp-default-deny-egress",
]
PODS = [
    ("default", "client-6cd9dcd8b8-3353ef"),
    ("default", "web-7975b4c6f7-274540"),
    ("default", "db-755c6c7d4b-5080e3"),
    ("kube-system", "coredns-787d4945fb-hxm2k"),
    ("monitoring", "node-exporter-8kfnp"),
    ("shop", "cart-6b8d4f5c7-x2x9q"),
]


def ofports(c: Cluster) -> tuple[int, int]:
    """OpenFlow ports of antrea-tun0 and antrea-gw0: requested 1/2 before v2.0, 32768/32769 from
    v2.0; a port created by an older release keeps its number after an upgrade."""
    if c.release.v2 and not c.legacy_ofports:
        return TUN_OFPORT_V2, GW_OFPORT_V2
    return TUN_OFPORT_V1, GW_OFPORT_V1


def new_run(c: Cluster, n: Node, start: datetime, tag: str, verbosity: int = 0) -> KlogRun:
    os_arch = "windows/amd64" if n.windows else "linux/amd64"
    return KlogRun(c.release, n.name, start, f"{c.name}/{n.name}/{tag}", os_arch=os_arch, verbosity=verbosity)


# ---------------------------------------------------------------------------------------------
# start-up
# ---------------------------------------------------------------------------------------------


def startup(run: KlogRun, c: Cluster, windows: bool = False) -> None:
    """main(): log setup; run(): version, K8s clients, Antrea client, OVSDB connection."""
    sock = OVSDB_PIPE if windows else OVSDB_SOCK
    run.emit("log_max", 100 * MB, lo=0.2, hi=1.0)
    run.emit("log_monitor", 4, lo=0.01, hi=0.2)
    run.emit("agent_start", c.release.version, kv={"version": c.release.version}, lo=0.05, hi=0.5)
    run.emit("k8s_incluster", lo=0.05, hi=0.5)
    run.emit("antrea_incluster", lo=0.05, hi=0.5)
    run.emit("ovsdb_connect", sock, kv={"address": sock}, lo=1, hi=8)


def ovsdb_not_ready(run: KlogRun, retries: int) -> None:
    """ovs_client.go: the OVSDB socket is not there yet (antrea-ovs still starting)."""
    backoff = 2
    for _ in range(retries):
        run.wait(backoff / 2)
        text = f"{backoff}s"
        err = f"dial unix {OVSDB_SOCK}: connect: no such file or directory"
        # v2.7 logs the error and the time.Duration as values: klog quotes both (error, Stringer)
        run.emit("ovsdb_retry", text, kv={"error": err, "retryBackoff": text}, lo=0, hi=1)
        backoff = min(8, backoff * 2)


def initialize(
    run: KlogRun, c: Cluster, n: Node, *, fresh_ovs: bool, podcidr_polls: int = 0, openflow_timeout: bool = False
) -> None:
    """Initializer.Initialize(): Node config, OVS bridge and ports, iptables, OpenFlow pipeline.

    openflow_timeout: ovs-vswitchd does not accept the OpenFlow connection within 5 s (the init
    error is logged; the caller writes the fatal)."""
    run.emit("svccidr_start", lo=0.2, hi=2)
    run.emit("setup_node", lo=5, hi=40)
    for _ in range(podcidr_polls):  # pkg/agent/agent.go polls the Node every 5 s
        run.emit("podcidr_wait", kv={"nodeName": n.name}, lo=20, hi=60)
        run.wait(5)
    run.emit("got_mtu", kv={"MTU": c.mtu(n)}, lo=10, hi=60)
    if n.windows and fresh_ovs:
        windows_host_network(run, c, n)
    bridge_uuid = uuid4(seeded(c.name, n.name, "br-int"))
    if c.bridging:
        run.emit("flexipam_prepare", lo=1, hi=5)
        run.emit("uplink_found", kv={"Name": n.node_nic.name, "Index": 2, "ofPort": 0}, lo=1, hi=5)
    if fresh_ovs:
        run.emit("bridge_created", bridge_uuid, kv={"bridge": "br-int", "uuid": bridge_uuid}, lo=20, hi=80)
    else:
        run.emit("bridge_exists", bridge_uuid, kv={"bridge": "br-int", "uuid": bridge_uuid}, lo=5, hi=20)
    if n.windows and fresh_ovs:  # prepareOVSBridge attaches the uplink before the tunnel and gateway
        run.emit(
            "win_uplink_alloc", kv={"port": n.node_nic.name, "ofPort": 32770 if c.release.v2 else 3}, lo=30, hi=120
        )
    tun, gw = ofports(c)
    if fresh_ovs and c.uses_tunnel:
        run.emit("tun_alloc", kv={"port": "antrea-tun0", "ofPort": tun}, lo=30, hi=120)
    if fresh_ovs:
        run.emit("gw_alloc", kv={"port": "antrea-gw0", "ofPort": gw}, lo=30, hi=120)
    if not n.windows:  # route_windows.go has no iptables
        run.emit("ipt_init", lo=5, hi=20)
    if fresh_ovs:
        run.emit("round_none", 1, lo=2, hi=10)
    else:
        run.emit("round_using", 3, lo=2, hi=10)
    if openflow_timeout:
        run.wait(OF_CONNECT_SECONDS)
        run.emit("of_init_fail", wrap(c.release, "err_of_connect", OF_CONNECT_SECONDS), lo=0, hi=2)
        return
    run.emit("of_connected", dpid(c, n), lo=20, hi=80)
    run.emit("agent_initialized", node_config(c, n), network_config(c), lo=100, hi=300)


def windows_host_network(run: KlogRun, c: Cluster, n: Node) -> None:
    """PrepareHNSNetwork: the transparent HNSNetwork over the uplink (first start on the Node)."""
    nic = n.node_nic
    adapter = Raw(
        f"&{{Index:6 MTU:{nic.mtu} Name:{nic.name} HardwareAddr:{n.nic_mac(nic.name)} "
        "Flags:up|broadcast|multicast|running}"
    )
    run.emit(
        "win_hns_creating",
        kv={"name": "antrea-hnsnetwork", "subnet": n.pod_cidr, "nodeIP": f"{n.ip}/{nic.prefix}", "adapter": adapter},
        lo=10,
        hi=50,
    )
    hns_id = uuid4(seeded(c.name, n.name, "hns")).upper()
    run.emit("win_hns_created", kv={"name": "antrea-hnsnetwork", "id": hns_id}, lo=4000, hi=9000)
    run.emit("win_rsc", "antrea-hnsnetwork", lo=200, hi=900)


def dpid(c: Cluster, n: Node) -> str:
    h = hexid(seeded(c.name, n.name, "dpid"), 12)
    return "00:00:" + ":".join(h[i : i + 2] for i in range(0, 12, 2))


def node_config(c: Cluster, n: Node) -> str:
    """`%v` of *config.NodeConfig: its String() method (pkg/agent/config/node_config.go, the same
    wording v1.11-v2.7), with GatewayConfig's String() inside."""
    nic = n.node_nic
    gw = f"Name antrea-gw0: IPv4 {n.gw_ip or '<nil>'}, IPv6 <nil>, MAC {n.gw_mac}"
    return (
        f"NodeName: {n.name}, OVSBridge: br-int, PodIPv4CIDR: {n.pod_cidr or '<nil>'}, PodIPv6CIDR: <nil>, "
        f"NodeIPv4: {n.ip}/{nic.prefix}, NodeIPv6: <nil>, TransportIPv4: {n.ip}/{nic.prefix}, "
        f"TransportIPv6: <nil>, Gateway: {gw}"
    )


def network_config(c: Cluster) -> str:
    """`%v` of *config.NetworkConfig: the struct's fields in order, TrafficEncapMode first (its
    String() gives encap/noEncap/hybrid/networkPolicyOnly), then TunnelType, TunnelPort,
    TunnelCsum, TrafficEncryptionMode (None/IPsec/WireGuard), IPsecConfig, TransportIface..."""
    enc = {"none": "None", "ipsec": "IPsec", "wireGuard": "WireGuard"}
    nic = c.nodes[0].node_nic.name
    return (
        f"&{{{c.encap} {c.tunnel} 0 false {enc[c.encryption]} {{ {{  }}}} {nic} [] true false "
        f"{ENCAP_OVERHEAD.get(c.tunnel, 50)} 60 {c.mtu(c.nodes[0])} false None}}"
    )


def iptables_done(run: KlogRun, n: Node) -> None:
    if not n.windows:
        run.emit("ipt_done", lo=100, hi=400)


# ---------------------------------------------------------------------------------------------
# controllers, NetworkPolicy sync, flow restoration, API server
# ---------------------------------------------------------------------------------------------


def controllers(run: KlogRun, c: Cluster, n: Node) -> list[str]:
    """The goroutines started after Initialize (CNI server, Node route, Egress, ...)."""
    cp = c.controller_node
    run.emit("endpoint_resolver_start", kv={"name": "ServiceEndpointResolver:kube-system/antrea"}, lo=1, hi=20)
    waited = []
    if c.release.has("endpoint_resolver_start"):
        waited.append("ServiceEndpointResolver:kube-system/antrea")
        cache_wait(run, waited[-1])
    run.emit("endpoint_selected", kv={"service": "kube-system/antrea", "url": f"https://{cp.ip}:10349"}, lo=5, hi=60)
    run.emit("antrea_client_ca", lo=0.5, hi=3)
    if c.encryption == "ipsec" and c.ipsec_auth == "cert":
        run.emit("ipsec_cert_start", "AntreaAgentIPsecCertificateController", lo=0.2, hi=2)
    run.emit("cni_start", lo=1, hi=5)
    run.emit("cni_listening", lo=0.1, hi=1)
    names = []
    if c.encap != "networkPolicyOnly":
        run.emit("noderoute_start", "AntreaAgentNodeRouteController", lo=0.1, hi=1)
        names.append("AntreaAgentNodeRouteController")
    run.emit("traceflow_start", "AntreaAgentTraceflowController", lo=0.1, hi=1)
    names.append("AntreaAgentTraceflowController")
    if c.egress_enabled and not n.windows:  # Egress and memberlist are Linux-only
        run.emit(
            "egress_start",
            "AntreaAgentEgressController",
            kv={"controller": "AntreaAgentEgressController"},
            lo=0.1,
            hi=1,
        )
        names.append("AntreaAgentEgressController")
        run.emit("memberlist_start", kv={"controllerName": "MemberListCluster"}, lo=0.1, hi=1)
        names.append("MemberListCluster")
    if c.secondary:
        run.emit("sec_ctrl_start", lo=0.1, hi=1)
        run.emit("sec_podwatch_start", kv={"controller": "SecondaryNetworkController"}, lo=0.1, hi=1)
        names.append("SecondaryNetworkController")
    for name in names:
        cache_wait(run, name)
    run.emit("agent_monitor_start", lo=0.1, hi=2)
    run.emit("np_wait_client", lo=0.5, hi=3)
    return waited + names


def cache_wait(run: KlogRun, name: str) -> None:
    run.emit("cache_wait", name, kv={"controller": name}, lo=0.02, hi=0.4)


def cache_synced(run: KlogRun, names: list[str]) -> None:
    for name in names:
        run.emit("cache_synced", name, kv={"controller": name}, lo=2, hi=80)


def watch_start(run: KlogRun, obj: str) -> None:
    """`Starting watch for X` (printf up to v2.6, structured from v2.7)."""
    if not run.emit("np_watch_start", obj, lo=0.05, hi=1):
        run.emit("np_watch_start_s", kv={"objectType": obj}, lo=0.05, hi=1)


def np_watches(run: KlogRun, counts: tuple[int, int, int] = (2, 3, 2)) -> None:
    run.emit("np_client_ready", lo=100, hi=400)
    for obj in NP_OBJECTS:
        watch_start(run, obj)
    for obj in NP_OBJECTS:
        run.emit("np_watch_started", obj, lo=5, hi=40)
    run.emit("np_full_wait", lo=0.1, hi=2)
    for obj, count in zip(NP_OBJECTS, counts, strict=True):
        run.emit("np_init_events", count, obj, lo=5, hi=60)
    run.emit("np_full_done", lo=1, hi=5)
    run.emit("np_workers", lo=5, hi=30)
    run.emit("np_idalloc", lo=0.1, hi=2)


def np_watches_controller_late(run: KlogRun) -> None:
    """antrea-controller not up yet (first install): after 5 s the agent stops waiting for its
    client, its watches fail and it falls back to the policies saved on disk (v2.0+); the watches
    succeed once the controller serves, seconds later."""
    for _ in range(2):
        run.wait(2)
        run.emit("np_wait_client", lo=0, hi=5)
    run.wait(1)
    run.emit("np_client_stop", lo=0, hi=5)
    for obj in NP_OBJECTS:
        watch_start(run, obj)
        if not run.emit("np_watch_fail", obj, "Antrea client is not ready", lo=0.05, hi=1):
            run.emit("np_watch_fail_s", err="Antrea client is not ready", kv={"objectType": obj}, lo=0.05, hi=1)
        run.emit("np_fallback", kv={"objectType": obj}, lo=0.05, hi=1)
    run.emit("np_full_wait", lo=0.1, hi=2)
    run.emit("np_full_done", lo=5, hi=40)
    run.emit("np_workers", lo=5, hi=30)
    run.emit("np_idalloc", lo=0.1, hi=2)
    run.wait(6)
    for obj in NP_OBJECTS:
        watch_start(run, obj)
        run.emit("np_watch_started", obj, lo=5, hi=40)


def node_routes(run: KlogRun, c: Cluster, n: Node) -> None:
    if c.encap == "networkPolicyOnly":
        return
    run.emit("noderoute_reconcile", "AntreaAgentNodeRouteController", lo=1, hi=10)
    for peer in c.peers(n):
        add_node_route(run, peer)


def add_node_route(run: KlogRun, peer: Node) -> None:
    if not peer.pod_cidr:
        return
    addresses = Raw(f"[{{Type:InternalIP Address:{peer.ip}}} {{Type:Hostname Address:{peer.name}}}]")
    run.emit(
        "noderoute_add",
        kv={"Node": peer.name, "podCIDRs": Raw(f"[{peer.pod_cidr}]"), "addresses": addresses},
        lo=0.2,
        hi=5,
    )


def flow_restoration(run: KlogRun, *, ovs_restarted: bool, retry: bool = False) -> None:
    """FlowRestoreComplete(): after an OVS (re)start the agent clears flow-restore-wait; after an
    agent-only restart the flag was never set again and the agent says so (since v1.1.0, #2134)."""
    run.emit("cni_reconcile", lo=1, hi=10)
    run.emit("frw_wait", lo=1, hi=20)
    if ovs_restarted:
        run.emit("frw_cleaning", lo=0.5, hi=3)
        if retry:
            run.emit("frw_retry", lo=2, hi=8)
            run.wait(0.1)
        run.emit("frw_cleaned", lo=2, hi=10)
    elif not run.emit("frw_skip", lo=0.5, hi=3):  # before v1.12 the flag was cleaned up every time
        run.emit("frw_cleaning", lo=0.5, hi=3)
        run.emit("frw_cleaned", lo=2, hi=10)
    run.emit("frw_done", lo=0.05, hi=0.5)


def api_server_lines(run: KlogRun, address: str = "[::]:10350") -> None:
    """An Antrea API server (k8s.io/apiserver): the agent's on 10350 after flow restoration, the
    controller's on 10349."""
    run.emit("reqheader_start", "RequestHeaderAuthRequestController", lo=5, hi=50)
    for name in (
        "client-ca::kube-system::extension-apiserver-authentication::client-ca-file",
        "client-ca::kube-system::extension-apiserver-authentication::requestheader-client-ca-file",
    ):
        run.emit("cafile_start", kv={"name": name}, lo=0.01, hi=0.2)
        cache_wait(run, name)
    run.emit("serving", address, lo=0.1, hi=2)
    run.emit("dyn_serving", lo=0.01, hi=0.3)
    run.emit(
        "cache_synced",
        "RequestHeaderAuthRequestController",
        kv={"controller": "RequestHeaderAuthRequestController"},
        lo=80,
        hi=200,
    )


def stale_flows(run: KlogRun) -> None:
    """initOpenFlowPipeline's goroutine: 10 s after start-up the previous round's flows go."""
    run.wait(10)
    run.emit("stale_flows", lo=0, hi=100)
    run.emit("round_persist", 4, lo=5, hi=50)
    run.emit("round_persisted", 4, lo=5, hi=50)


def secondary_bridge(run: KlogRun, c: Cluster, n: Node) -> None:
    """The SecondaryNetwork bridge: created before flow restoration, the NIC attached after it."""
    bridge = c.secondary["bridgeName"]
    run.emit("sec_bridge", kv={"bridge": bridge}, lo=1, hi=10)


def secondary_attach(run: KlogRun, c: Cluster, n: Node) -> None:
    bridge = c.secondary["bridgeName"]
    nic = c.secondary["physicalInterfaces"][0]
    run.emit("sec_bridge_ready", kv={"bridge": bridge}, lo=1, hi=10)
    run.emit("sec_prepare", kv={"bridge": bridge, "interface": nic}, lo=1, hi=10)
    run.emit("sec_rename", kv={"oldName": nic, "newName": nic + "~"}, lo=5, hi=15)
    attrs = Raw(f"&{{Index:9 MTU:1500 TxQLen:1000 Name:{nic} HardwareAddr:{n.nic_mac(nic)} Flags:broadcast|multicast}}")
    run.emit("sec_local_port", kv={"type": "openvswitch", "attrs": attrs}, lo=100, hi=220)
    run.emit("sec_prepared", kv={"bridge": bridge, "interface": nic}, lo=1, hi=10)
    run.emit("sec_phy_added", kv={"device": nic + "~"}, lo=60, hi=140)
    run.emit("sec_connected", kv={"bridge": bridge, "interfaces": Raw(f"[{nic}~]")}, lo=1, hi=10)
    run.emit("sec_reconciled", lo=1, hi=10)


def bridging_uplink(run: KlogRun, c: Cluster, n: Node) -> None:
    """AntreaIPAM bridging mode: ConnectUplinkToOVSBridge right after FlowRestoreComplete."""
    nic = n.node_nic.name
    run.emit("uplink_bridging", lo=0.5, hi=3)
    run.emit("sec_rename", kv={"oldName": nic, "newName": nic + "~"}, lo=5, hi=15)
    run.emit("uplink_alloc", kv={"port": nic + "~", "ofPort": 32770 if c.release.v2 else 3}, lo=50, hi=150)


def healthy_start(
    run: KlogRun,
    c: Cluster,
    n: Node,
    *,
    fresh_ovs: bool,
    ovs_restarted: bool | None = None,
    frw_race: bool = False,
    controller_late: bool = False,
    podcidr_polls: int = 0,
) -> None:
    """A complete, successful start-up: initialized, policies synced, flows restored, serving.

    fresh_ovs: OVSDB is new (bridge and ports created); ovs_restarted: OVS started since the last
    agent run, so flow-restore-wait is set (default: fresh_ovs); frw_race: the agent tried to clear
    the flag before start_ovs had set it and retried (a warning every fresh install may show);
    controller_late: antrea-controller was not serving yet (first install)."""
    startup(run, c, windows=n.windows)
    initialize(run, c, n, fresh_ovs=fresh_ovs, podcidr_polls=podcidr_polls)
    if c.secondary:
        secondary_bridge(run, c, n)
    names = controllers(run, c, n)
    iptables_done(run, n)
    if controller_late:
        np_watches_controller_late(run)
    else:
        np_watches(run)
    cache_synced(run, names)
    node_routes(run, c, n)
    flow_restoration(run, ovs_restarted=fresh_ovs if ovs_restarted is None else ovs_restarted, retry=frw_race)
    if c.bridging:
        bridging_uplink(run, c, n)
    if c.secondary:
        secondary_attach(run, c, n)
    api_server_lines(run)
    stale_flows(run)


# ---------------------------------------------------------------------------------------------
# steady state
# ---------------------------------------------------------------------------------------------


def steady(run: KlogRun, c: Cluster, n: Node, until: datetime, events: int = 40) -> None:
    """A working agent up to `until`: Pods created and deleted (CNI ADD/DEL), policies applied to
    them, a peer Node's routes refreshed, in a fixed rotation at irregular intervals."""
    if until <= run.t or events <= 0:
        return
    gap = (until - run.t).total_seconds() / (events + 1)
    live: list[tuple[str, str, str]] = []
    rotation = ("add", "policy", "add", "del", "route", "add", "policy", "del")
    for i in range(events):
        run.wait(gap * run.rng.uniform(0.3, 1.0))
        step = rotation[i % len(rotation)]
        if step == "add" or (step == "del" and not live):
            ns, name = PODS[len(live) % len(PODS)]
            live.append((ns, name, hexid(run.rng, 64)))
            cni_add(run, c, n, *live[-1])
        elif step == "del":
            cni_del(run, *live.pop(0))
        elif step == "policy":
            policy_applied(run, POLICIES[i % len(POLICIES)])
        elif c.peers(n):
            add_node_route(run, c.peers(n)[i % len(c.peers(n))])
    run.at(until)


def policy_applied(run: KlogRun, policy: str) -> None:
    run.emit("np_applied", policy, kv={"policyName": policy}, lo=0.1, hi=2)
    rule = hexid(run.rng, 16)
    run.emit("np_reconcile", rule, policy, kv={"rule": rule, "policy": policy}, lo=0.5, hi=10)


def cni_args(ns: str, name: str, cid: str, uid: str) -> str:
    return (
        f"K8S_POD_INFRA_CONTAINER_ID={cid};K8S_POD_UID={uid};IgnoreUnknown=1;K8S_POD_NAMESPACE={ns};K8S_POD_NAME={name}"
    )


def cni_request(ns: str, name: str, cid: str, netns: str, uid: str) -> str:
    conf = '{"cniVersion":"0.3.0","ipam":{"type":"host-local"},"name":"antrea","type":"antrea"}'.replace('"', '\\"')
    return (
        f'cni_args:{{container_id:"{cid}" netns:"{netns}" ifname:"eth0" args:"{cni_args(ns, name, cid, uid)}" '
        f'path:"/opt/cni/bin" network_configuration:"{conf}"}}'
    )


def cni_add(run: KlogRun, c: Cluster, n: Node, ns: str, name: str, cid: str) -> None:
    rng = run.rng
    uid = uuid4(rng)
    request = cni_request(ns, name, cid, f"/var/run/netns/cni-{uuid4(rng)}", uid)
    run.emit("cni_add", request, kv={"request": Raw(request)}, lo=1, hi=20)
    base = (n.pod_cidr or "10.10.0.0/24").split("/")[0].rsplit(".", 1)[0]
    ip = f"{base}.{rng.randrange(2, 250)}"
    result = (
        f"&{{CNIVersion:0.3.0 Interfaces:[] IPs:[{{Interface:<nil> Address:{{IP:{ip} Mask:ffffff00}} "
        f"Gateway:{n.gw_ip}}}] Routes:[] DNS:{{Nameservers:[] Domain: Search:[] Options:[]}}}}"
    )
    run.emit("cni_alloc", kv={"container": cid, "result": Raw(result)}, lo=5, hi=40)
    iface = (name[:8] + "-" + cid[:6])[:15]
    run.emit(
        "cni_configured",
        cid,
        kv={"Pod": f"{ns}/{name}", "container": cid, "interface": iface, "IPs": Raw(f"[{ip}/24]")},
        lo=50,
        hi=300,
    )
    run.emit("cni_add_ok", cid, kv={"container": cid}, lo=1, hi=20)


def cni_del(run: KlogRun, ns: str, name: str, cid: str) -> None:
    request = cni_request(ns, name, cid, "", uuid4(run.rng))
    run.emit("cni_del", request, kv={"request": Raw(request)}, lo=1, hi=20)
    iface = (name[:8] + "-" + cid[:6])[:15]
    run.emit("cni_del_port", cid, kv={"container": cid, "interface": iface}, lo=20, hi=200)
    run.emit("cni_del_ok", cid, kv={"container": cid}, lo=1, hi=20)


# ---------------------------------------------------------------------------------------------
# failures that a later run (or the same run) recovers from
# ---------------------------------------------------------------------------------------------


def goroutine_dump(program: str = "antrea-agent") -> str:
    """The stacks klog writes after a Fatal line (abridged: the first goroutine)."""
    return (
        f"goroutine 1 [running]:\n"
        "k8s.io/klog/v2/internal/dbg.Stacks(0x1)\n"
        "\tk8s.io/klog/v2/internal/dbg/dbg.go:35 +0x85\n"
        "k8s.io/klog/v2.Fatalf(...)\n"
        f"main.newAgentCommand.func1(0xc0001e6c08?, {{0xc0004a2e00?, 0x0?, 0x7?}})\n"
        f"\tantrea.io/antrea/cmd/{program}/main.go:53 +0x1e5\n"
        "main.main()\n"
        f"\tantrea.io/antrea/cmd/{program}/main.go:30 +0x1e\n"
    )


def fatal(run: KlogRun, inner: str, lo: float = 0.1, hi: float = 0.5) -> None:
    """`Error running agent: <inner>` and the goroutine dump; klog exits with 255."""
    site = run.release.site("fatal_run")
    run.raw("F", f"{site['file']}:{site['line']}", render(site, [inner]), extra=goroutine_dump(), lo=lo, hi=hi)


def wrap(release: Release, key: str, *args: object) -> str:
    return render(release.site(key), args)


def failed_start(run: KlogRun, c: Cluster, n: Node, *, api_refused: bool = False, ovsdb_retries: int = 0) -> None:
    """A run that exits during start-up: kube-apiserver refuses the Node Get (control plane still
    down), or, with OVS still starting, OVSDB is retried and the OpenFlow connection times out."""
    r = c.release
    startup(run, c, windows=n.windows)
    ovsdb_not_ready(run, ovsdb_retries)
    if api_refused:
        run.emit("svccidr_start", lo=0.2, hi=2)
        run.emit("setup_node", lo=5, hi=40)
        url = (
            f'Get "https://{c.api_ip}:443/api/v1/nodes/{n.name}": dial tcp {c.api_ip}:443: connect: connection refused'
        )
        fatal(run, wrap(r, "err_init", wrap(r, "err_get_node", n.name, url)), lo=1, hi=5)
        return
    initialize(run, c, n, fresh_ovs=True, openflow_timeout=True)
    fatal(run, wrap(r, "err_init", wrap(r, "err_of_connect", OF_CONNECT_SECONDS)))


def api_list_url(c: Cluster, path: str) -> str:
    return f'Get "https://{c.api_ip}:443{path}?limit=500&resourceVersion=0"'


def reflector_errors(
    run: KlogRun, c: Cluster, kinds: list[tuple[str, str, str]], tail: str, watch_ended: str | None = None
) -> None:
    """client-go reflectors losing kube-apiserver: the watch ends, the re-list fails (wording of the
    release's client-go), until the API server is back."""
    r = c.release
    for kind, _path, factory in kinds:
        if watch_ended is not None:
            run.emit(
                "refl_watch_ended",
                factory,
                kind,
                watch_ended,
                kv={"reflector": factory, "type": kind, "err": watch_ended},
                lo=0.01,
                hi=0.3,
            )
    for kind, path, factory in kinds:
        err = f"{api_list_url(c, path)}: {tail}"
        run.emit("refl_list_fail", factory, kind, err, lo=0.01, hi=0.2)
        site = r.sites.get("refl_watch_fail")
        if site and site["style"] == "handle_error":
            run.emit("refl_watch_fail", factory, kind, f"failed to list {kind}: {err}", err=None, lo=0.01, hi=0.05)
        else:
            run.emit(
                "refl_watch_fail",
                err=f"failed to list {kind}: {err}",
                kv={"reflector": factory, "type": kind},
                lo=0.01,
                hi=0.05,
            )


def informer_kinds(c: Cluster) -> list[tuple[str, str, str]]:
    """The agent's K8s and CRD informers that list/watch kube-apiserver (type, path, reflector)."""
    k8s, crd = c.release.k8s_factory, c.release.crd_factory
    kinds = [
        ("*v1.Node", "/api/v1/nodes", k8s),
        ("*v1.Service", "/api/v1/services", k8s),
        ("*v1.Namespace", "/api/v1/namespaces", k8s),
        ("*v1beta1.Traceflow", "/apis/crd.antrea.io/v1beta1/traceflows", crd),
    ]
    if c.egress_enabled:
        kinds.append(("*v1beta1.ExternalIPPool", "/apis/crd.antrea.io/v1beta1/externalippools", crd))
    return kinds


def of_reconnect(run: KlogRun, c: Cluster, n: Node, outage: float) -> None:
    """antrea-ovs restarted under a running agent: OpenFlow disconnects, reconnects after the new
    ovs-vswitchd is up, flows and port configs are replayed and flow-restore-wait is cleared."""
    run.emit("of_disconnected", dpid(c, n), lo=0, hi=1)
    run.wait(outage)
    run.emit("of_connected", dpid(c, n), lo=0, hi=500)
    run.emit("replay", lo=0.5, hi=5)
    run.emit("replay_done", lo=50, hi=400)
    run.emit("port_restore", lo=0.1, hi=2)
    run.emit("port_restore_done", lo=1, hi=20)
    run.emit("frw_cleaning", lo=200, hi=900)
    run.emit("frw_cleaned", lo=2, hi=10)


def until(c: Cluster) -> datetime:
    return c.collected - timedelta(seconds=20)
