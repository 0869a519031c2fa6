"""Host and OVS state of a healthy Node: `ip addr|link|route`, `ovs-vsctl show`, br-int flows (the
example flows of docs/design/ovs-pipeline.md at the release), `ovs-ofctl dump-ports-desc`,
agentinfo, memberlist, iptables-save, and `kubectl get pods -o wide`."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from corpusgen.agent import ofports
from corpusgen.samplegen import UP, Iface, ip_addr_text, ip_link_text, link_local, mac, seeded, to_yaml, uuid4
from corpusgen.topology import TUNNEL_DEV, Cluster, Node

# Pod interfaces named as in docs/design/ovs-pipeline.md (v2 doc); 10.10.0.24-26 are their IPs there.
DOC_PODS = [
    ("client-6-3353ef", "10.10.0.26", "5e:b5:e3:a6:90:b7"),
    ("web-7975-274540", "10.10.0.24", "fa:b7:53:74:21:a6"),
    ("db-755c6-5080e3", "10.10.0.25", "36:48:21:a2:9d:b4"),
]


@dataclass
class Layout:
    """Which interfaces a Node has, derived from the deployment mode."""

    bridged_nic: str | None  # a NIC renamed `<nic>~` and attached to an OVS bridge
    internal_holds_ip: bool  # the OVS internal port named after that NIC holds the Node IP


def layout(c: Cluster, n: Node) -> Layout:
    if c.bridging:
        return Layout(n.node_nic.name, True)
    if c.secondary:
        nic = c.secondary["physicalInterfaces"][0]
        return Layout(nic, nic == n.node_nic.name)
    return Layout(None, False)


def pods_of(c: Cluster, n: Node) -> list[tuple[str, str, str]]:
    """(interface, IP, MAC) of the Pods on the Node: the doc's Pods, renumbered into the Node's PodCIDR."""
    if not n.pod_cidr:
        base = "172.31.40"  # networkPolicyOnly: Pod IPs come from the primary CNI (e.g. a VPC subnet)
    else:
        base = n.pod_cidr.split("/")[0].rsplit(".", 1)[0]
    if base == "10.10.0":
        return DOC_PODS
    rng = seeded(c.name, n.name, "pods")
    return [
        (f"{name[:9]}{rng.randrange(16**6):06x}", f"{base}.{ip.rsplit('.', 1)[1]}", mac(rng))
        for name, ip, _mac in DOC_PODS
    ]


def ifaces(c: Cluster, n: Node) -> list[Iface]:
    lay = layout(c, n)
    out = [
        Iface(
            "lo",
            "LOOPBACK,UP,LOWER_UP",
            65536,
            "noqueue",
            "UNKNOWN",
            "",
            kind="loopback",
            inet=["127.0.0.1/8 scope host lo"],
            inet6=["::1/128 scope host noprefixroute "],
        )
    ]
    for nic in n.nics:
        m = n.nic_mac(nic.name)
        ll = [f"{link_local(m)} scope link "]
        brd = nic.ip.rsplit(".", 1)[0] + ".255" if nic.ip else ""
        inet = [f"{nic.ip}/{nic.prefix} brd {brd} scope global {nic.name}"] if nic.ip else []
        if lay.bridged_nic == nic.name:
            out.append(Iface(nic.name + "~", UP, nic.mtu, "mq", "UP", m, master="ovs-system", inet6=ll))
        else:
            out.append(Iface(nic.name, UP, nic.mtu, "mq", "UP", m, inet=inet, inet6=ll))
    out.append(
        Iface("ovs-system", "BROADCAST,MULTICAST", 1500, "noop", "DOWN", mac(seeded(c.name, n.name, "ovs-system")))
    )
    if c.uses_tunnel:
        tm = mac(seeded(c.name, n.name, "tun"))
        out.append(
            Iface(
                TUNNEL_DEV[c.tunnel],
                UP,
                65000,
                "noqueue",
                "UNKNOWN",
                tm,
                master="ovs-system",
                inet6=[f"{link_local(tm)} scope link "],
            )
        )
    gw_inet = []
    if n.gw_ip and c.encap != "networkPolicyOnly":
        prefix = n.pod_cidr.split("/")[1]
        gw_inet = [f"{n.gw_ip}/{prefix} brd {n.gw_ip.rsplit('.', 1)[0]}.255 scope global antrea-gw0"]
    out.append(
        Iface(
            "antrea-gw0",
            UP,
            c.mtu(n),
            "noqueue",
            "UNKNOWN",
            n.gw_mac,
            inet=gw_inet,
            inet6=[f"{link_local(n.gw_mac)} scope link "],
        )
    )
    if lay.bridged_nic:
        nic = next(x for x in n.nics if x.name == lay.bridged_nic)
        m = n.nic_mac(nic.name)
        inet = []
        if lay.internal_holds_ip and nic.ip:
            inet = [f"{nic.ip}/{nic.prefix} brd {nic.ip.rsplit('.', 1)[0]}.255 scope global {nic.name}"]
        out.append(
            Iface(nic.name, UP, nic.mtu, "noqueue", "UNKNOWN", m, inet=inet, inet6=[f"{link_local(m)} scope link "])
        )
    if c.encryption == "wireGuard":
        out.append(
            Iface(
                "antrea-wg0",
                "POINTOPOINT,NOARP,UP,LOWER_UP",
                c.mtu(n),
                "noqueue",
                "UNKNOWN",
                "",
                kind="none",
                qlen=False,
            )
        )
    for name, _ip, _pod_mac in pods_of(c, n):
        veth = mac(seeded(c.name, n.name, name))
        out.append(
            Iface(
                name,
                UP,
                c.mtu(n),
                "noqueue",
                "UP",
                veth,
                master="ovs-system",
                peer="if3",
                netns=f"cni-{uuid4(seeded(name, 'ns'))}",
                qlen=False,
                inet6=[f"{link_local(veth)} scope link "],
            )
        )
    return out


def ip_addr(c: Cluster, n: Node) -> str:
    return _fix_none_links(ip_addr_text(ifaces(c, n)))


def ip_link(c: Cluster, n: Node) -> str:
    return _fix_none_links(ip_link_text(ifaces(c, n)))


def _fix_none_links(text: str) -> str:
    # A WireGuard device has no L2 address: iproute2 prints `link/none`.
    return text.replace("    link/ether  brd ff:ff:ff:ff:ff:ff\n", "    link/none \n")


def ip_route(c: Cluster, n: Node) -> str:
    """`ip route` (main table), lines ending with a space as iproute2 prints them."""
    lay = layout(c, n)
    lines = []
    for nic in n.nics:
        if nic.gateway:
            dev = nic.name
            lines.append(f"default via {nic.gateway} dev {dev} proto static ")
    if n.pod_cidr and c.encap != "networkPolicyOnly":
        lines.append(f"{n.pod_cidr} dev antrea-gw0 scope link src {n.gw_ip} ")
    for p in c.peers(n):
        if not p.pod_cidr or c.encap == "networkPolicyOnly":
            continue
        same_subnet = p.ip.rsplit(".", 1)[0] == n.ip.rsplit(".", 1)[0]
        if c.encap == "noEncap" or (c.encap == "hybrid" and same_subnet) or c.encryption == "wireGuard":
            dev = "antrea-wg0" if c.encryption == "wireGuard" else n.node_nic.name
            lines.append(
                f"{p.pod_cidr} via {p.ip} dev {dev} onlink "
                if c.encryption != "wireGuard"
                else f"{p.pod_cidr} dev antrea-wg0 scope link src {n.gw_ip} "
            )
        else:
            lines.append(f"{p.pod_cidr} via {p.gw_ip} dev antrea-gw0 onlink ")
    for nic in n.nics:
        if nic.ip:
            net = nic.ip.rsplit(".", 1)[0] + ".0"
            dev = nic.name  # the OVS internal port keeps the NIC's name when it holds the IP
            if lay.bridged_nic == nic.name and not lay.internal_holds_ip:
                continue
            lines.append(f"{net}/{nic.prefix} dev {dev} proto kernel scope link src {nic.ip} ")
    head = [x for x in lines if x.startswith("default")]
    return "".join(x + "\n" for x in head + sorted(x for x in lines if not x.startswith("default")))


def ovs_vsctl_show(c: Cluster, n: Node) -> str:
    r = c.release
    lay = layout(c, n)
    out = [uuid4(seeded(c.name, n.name, "ovsdb")), "    Bridge br-int", "        datapath_type: system"]

    def port(name: str, typ: str | None = None, options: str | None = None) -> None:
        out.append(f"        Port {_q(name)}")
        out.append(f"            Interface {_q(name)}")
        if typ:
            out.append(f"                type: {typ}")
        if options:
            out.append(f"                options: {options}")

    for name, _ip, _mac in pods_of(c, n):
        port(name)
    if c.uses_tunnel:
        port("antrea-tun0", c.tunnel, "{key=flow, remote_ip=flow}" if c.tunnel != "gre" else "{remote_ip=flow}")
    port("antrea-gw0", "internal")
    if c.bridging and lay.bridged_nic:
        port(lay.bridged_nic + "~")
        port(lay.bridged_nic, "internal")
    if c.secondary:
        bridge = c.secondary["bridgeName"]
        out.append(f"    Bridge {bridge}")
        out.append("        datapath_type: system")
        nic = c.secondary["physicalInterfaces"][0]
        port(nic + "~")
        port(nic, "internal")
    out.append(f'    ovs_version: "{r.ovs}"')
    return "\n".join(out) + "\n"


def _q(name: str) -> str:
    """ovs-vsctl quotes a name that is not a plain identifier (e.g. `"eth0~"`)."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name) else f'"{name}"'


def ovs_ports(c: Cluster, n: Node) -> list[tuple[str, int]]:
    """br-int ports and OpenFlow port numbers (Pods from 1 up, reserved numbers for tun/gw)."""
    tun, gw = ofports(c)
    ports = []
    first = 1 if c.release.v2 and not c.legacy_ofports else 3  # 1 and 2 taken by tun0/gw0 before v2.0
    for k, (name, _ip, _mac) in enumerate(pods_of(c, n)):
        ports.append((name, first + k))
    if c.uses_tunnel:
        ports.append(("antrea-tun0", tun))
    ports.append(("antrea-gw0", gw))
    if c.bridging:
        ports.append((n.node_nic.name + "~", 32770 if c.release.v2 else 3))
    return ports


def ovsports_text(c: Cluster, n: Node) -> str:
    """`ovs-ofctl dump-ports-desc br-int -O Openflow15`, first line dropped."""
    out = []
    for name, port in sorted(ovs_ports(c, n), key=lambda p: p[1]):
        addr = n.gw_mac if name == "antrea-gw0" else mac(seeded(c.name, n.name, name))
        out += [f" {port}({name}): addr:{addr}", "     config:     0", "     state:      LIVE"]
        if name == "antrea-tun0":
            out += ["     speed: 0 Mbps now, 0 Mbps max"]
        else:
            out += ["     current:    10GB-FD COPPER", "     speed: 10000 Mbps now, 0 Mbps max"]
    return "\n".join(out) + "\n"


DOC_NODE_IP, DOC_PEER_IP = "192.168.77.102", "192.168.77.103"
DOC_LOCAL, DOC_PEER = "10.10.0.", "10.10.1."


def doc_flows_for(c: Cluster, n: Node) -> list[str]:
    """The doc's flows were dumped on the Node owning 10.10.0.0/24; on its peer (10.10.1.0/24) the
    same flows hold with the two Nodes' addresses swapped."""
    if (n.pod_cidr or "").startswith(DOC_LOCAL) or not n.pod_cidr:
        return c.release.flows
    table = {DOC_LOCAL: DOC_PEER, DOC_PEER: DOC_LOCAL, DOC_NODE_IP: DOC_PEER_IP, DOC_PEER_IP: DOC_NODE_IP}
    rx = re.compile("|".join(re.escape(k) for k in table))
    return [rx.sub(lambda m: table[m.group(0)], f) for f in c.release.flows]


_TUNNEL_FLOW = re.compile(r"dl_dst=aa:bb:cc:dd:ee:ff|->tun_dst|NXM_NX_TUN_IPV4_DST")
_REG1_LOAD = re.compile(r"(load:)0x[0-9a-f]+(->NXM_NX_REG1\[\])|(set_field:)0x[0-9a-f]+(->reg1)(?![\[/\w])")


def _tunnel_port(flow: str, tun: int) -> str:
    """The doc's flows were dumped with antrea-tun0 on port 1 (even the v2.x docs); on this Node the
    flows load the tunnel's own number into reg1, as the agent programs them."""
    if not _TUNNEL_FLOW.search(flow):
        return flow
    return _REG1_LOAD.sub(lambda m: f"{m[1] or m[3]}{tun:#x}{m[2] or m[4]}", flow)


def flows_text(c: Cluster, n: Node, seed: str) -> str:
    """The release's documented example flows as `ovs-ofctl dump-flows br-int --names` prints them."""
    rng = random.Random(seed)
    out = []
    tun, _ = ofports(c)
    for flow in doc_flows_for(c, n):
        if not c.uses_tunnel and "antrea-tun0" in flow:
            continue
        flow = _tunnel_port(flow, tun)
        table, rest = flow.split(", ", 1) if ", " in flow else (flow, "")
        hits = rng.randrange(0, 40000) if "actions=drop" not in rest else 0
        out.append(
            f"cookie={_cookie(rest, rng)}, duration={rng.uniform(600, 9000):.3f}s, {table}, n_packets={hits}, "
            f"n_bytes={hits * rng.randrange(60, 1400)}, idle_age={rng.randrange(0, 600)}, {rest}"
        )
    return "\n".join(out) + "\n"


def _cookie(flow: str, rng: random.Random) -> str:
    # Round 1 cookies: the category byte varies by feature; 0x1000000000000 is the pipeline's default.
    return "0x" + format(0x1000000000000 | (rng.randrange(0, 8) << 40), "x")


def agentinfo(c: Cluster, n: Node, when: datetime) -> str:
    """AntreaAgentInfo as the Go YAML encoder writes it (lower-cased field names)."""
    hb = f"{when - timedelta(seconds=17):%Y-%m-%dT%H:%M:%SZ}"
    conds = [
        {"type": t, "status": "True", "lastheartbeattime": hb, "reason": "", "message": ""}
        for t in ("AgentHealthy", "ControllerConnectionUp", "OVSDBConnectionUp", "OpenflowConnectionUp")
    ]
    empty_ref = {
        "kind": "",
        "namespace": "",
        "name": "",
        "uid": "",
        "apiversion": "",
        "resourceversion": "",
        "fieldpath": "",
    }
    obj = {
        "typemeta": {"kind": "", "apiversion": ""},
        "objectmeta": {
            "name": n.name,
            "generatename": "",
            "namespace": "",
            "selflink": "",
            "uid": "",
            "resourceversion": "",
            "generation": 0,
        },
        "version": c.release.version,
        "podref": dict(empty_ref, namespace="kube-system", name=agent_pod(n)),
        "noderef": dict(empty_ref, name=n.name),
        "nodesubnets": [n.pod_cidr] if n.pod_cidr else [],
        "ovsinfo": {"version": c.release.ovs, "bridgename": "br-int", "flowtable": {"PipelineRootClassifier": 3}},
        "networkpolicycontrollerinfo": {"networkpolicynum": 3, "addressgroupnum": 3, "appliedtogroupnum": 2},
        "localpodnum": len(pods_of(c, n)),
        "agentconditions": conds,
        "apiport": 10350,
        "nodeportlocalportrange": "",
    }
    return to_yaml(obj, sort=False)


def memberlist(c: Cluster) -> str:
    if not c.egress_enabled:
        return "memberlist is not enabled\n"
    return to_yaml([{"ip": n.ip, "nodeName": n.name, "status": "Alive"} for n in c.nodes])


def agent_pod(n: Node) -> str:
    return "antrea-agent-" + format(seeded("agent-pod", n.name).randrange(36**5), "x")[:5]


def iptables_save(c: Cluster, n: Node, when: datetime) -> str:
    stamp = f"{when:%a %b %d %H:%M:%S %Y}"
    cidr = n.pod_cidr or c.service_cidr
    return (
        f"# Generated by iptables-save v1.8.7 on {stamp}\n*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        ":ANTREA-PREROUTING - [0:0]\n:ANTREA-OUTPUT - [0:0]\n"
        '-A PREROUTING -m comment --comment "Antrea: jump to Antrea prerouting rules" -j ANTREA-PREROUTING\n'
        '-A OUTPUT -m comment --comment "Antrea: jump to Antrea output rules" -j ANTREA-OUTPUT\n'
        f"COMMIT\n# Completed on {stamp}\n# Generated by iptables-save v1.8.7 on {stamp}\n*nat\n"
        ":PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
        ":ANTREA-POSTROUTING - [0:0]\n"
        '-A POSTROUTING -m comment --comment "Antrea: jump to Antrea postrouting rules" -j ANTREA-POSTROUTING\n'
        f'-A ANTREA-POSTROUTING -s {cidr} -m comment --comment "Antrea: masquerade Pod to external packets" '
        "-m set ! --match-set ANTREA-POD-IP dst -j MASQUERADE\n"
        f"COMMIT\n# Completed on {stamp}\n"
    )


def kubectl_get_pods_wide(c: Cluster) -> str:
    """`kubectl get pods -A -o wide`: the hostNetwork Pods (Antrea, kube-proxy, ...) show their
    Node's IP, ordinary Pods their own."""
    rows = [
        ("NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES")
    ]
    cp = c.controller_node
    rows.append(
        (
            "kube-system",
            "antrea-controller-7bd8d6bc7d-" + format(seeded("ctrl").randrange(36**5), "x")[:5],
            "1/1",
            "Running",
            "0",
            "3d2h",
            cp.ip,
            cp.name,
            "<none>",
            "<none>",
        )
    )
    for n in c.nodes:
        rows.append(("kube-system", agent_pod(n), "2/2", "Running", "0", "3d2h", n.ip, n.name, "<none>", "<none>"))
        rows.append(
            (
                "kube-system",
                "kube-proxy-" + format(seeded("kp", n.name).randrange(36**5), "x")[:5],
                "1/1",
                "Running",
                "0",
                "3d2h",
                n.ip,
                n.name,
                "<none>",
                "<none>",
            )
        )
        if n.control_plane:
            for comp in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
                rows.append(
                    ("kube-system", f"{comp}-{n.name}", "1/1", "Running", "0", "3d2h", n.ip, n.name, "<none>", "<none>")
                )
        for name, ip, _mac in pods_of(c, n):
            rows.append(("default", name, "1/1", "Running", "0", "2d5h", ip, n.name, "<none>", "<none>"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("   ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n" for r in rows)
