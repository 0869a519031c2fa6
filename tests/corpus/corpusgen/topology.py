"""The cluster a corpus input comes from: Nodes, their NICs and PodCIDRs, the deployment mode.

The default topology is the one `docs/design/ovs-pipeline.md` dumps its example flows on (Node
`k8s-node-control-plane` 192.168.77.102 with PodCIDR 10.10.0.0/24, peer 192.168.77.103 with
10.10.1.0/24, Service CIDR 10.96.0.0/12), so the flows taken from that document match the Node's
addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from corpusgen.facts import Release
from corpusgen.samplegen import mac, seeded

ENCAP_OVERHEAD = {"geneve": 50, "vxlan": 50, "gre": 42, "stt": 50}  # pkg/agent/config/node_config.go
WIREGUARD_OVERHEAD = 60
IPSEC_ESP_OVERHEAD = 38
TUNNEL_DEV = {"geneve": "genev_sys_6081", "vxlan": "vxlan_sys_4789", "gre": "gre_sys", "stt": "stt_sys_7471"}
TUNNEL_PORT = {"geneve": 6081, "vxlan": 4789, "gre": 0, "stt": 7471}


@dataclass
class Nic:
    name: str
    ip: str | None  # None: the NIC carries no IPv4 address
    prefix: int = 24
    mtu: int = 1500
    gateway: str | None = None  # set on the NIC that holds the default route


@dataclass
class Node:
    name: str
    ip: str  # the Node's InternalIP (transport address)
    nics: list[Nic]
    pod_cidr: str | None
    control_plane: bool = False
    windows: bool = False

    @property
    def node_nic(self) -> Nic:
        """The NIC that holds the Node IP."""
        return next(n for n in self.nics if n.ip == self.ip)

    def nic_mac(self, nic: str) -> str:
        return mac(seeded("nic", self.name, nic), local=False)

    @property
    def gw_mac(self) -> str:
        return mac(seeded("gw", self.name))

    @property
    def gw_ip(self) -> str | None:
        if not self.pod_cidr:
            return None
        return self.pod_cidr.split("/")[0].rsplit(".", 1)[0] + ".1"


def node(
    name: str,
    ip: str,
    pod_cidr: str | None,
    *,
    gateway: str = "192.168.77.1",
    control_plane: bool = False,
    nics: list[Nic] | None = None,
    windows: bool = False,
) -> Node:
    return Node(name, ip, nics or [Nic("eth0", ip, 24, 1500, gateway)], pod_cidr, control_plane, windows)


@dataclass
class Cluster:
    name: str
    release: Release
    nodes: list[Node]
    collected: datetime
    api_ip: str = "10.96.0.1"
    service_cidr: str = "10.96.0.0/12"
    encap: str = "encap"  # encap | noEncap | hybrid | networkPolicyOnly
    tunnel: str = "geneve"
    encryption: str = "none"  # none | ipsec | wireGuard
    ipsec_auth: str = "psk"  # psk | cert
    gates: dict[str, bool] = field(default_factory=dict)
    bridging: bool = False  # AntreaIPAM enableBridgingMode: the transport NIC is attached to br-int
    secondary: dict | None = None  # {"bridgeName": "br-ext", "physicalInterfaces": ["eth1"]}
    multicast: bool = False
    egress_defined: bool = False  # an Egress resource exists
    chaining: str | None = None  # "eks" | "aks" for networkPolicyOnly
    legacy_ofports: bool = False  # upgraded from v1.x: OVSDB kept antrea-tun0=1 and antrea-gw0=2
    distro: str = "kubeadm"

    @property
    def controller_node(self) -> Node:
        return next((n for n in self.nodes if n.control_plane), self.nodes[0])

    def node_named(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    @property
    def uses_tunnel(self) -> bool:
        """NetworkConfig.NeedsTunnelInterface(): encap and hybrid create antrea-tun0, except with
        WireGuard, whose inter-Node traffic goes through antrea-wg0."""
        return self.encap in ("encap", "hybrid") and self.encryption != "wireGuard"

    @property
    def egress_enabled(self) -> bool:
        # Egress is a beta gate enabled by default since v1.6 (pkg/features/antrea_features.go).
        return self.gates.get("Egress", True) and self.encap != "networkPolicyOnly"

    def mtu(self, n: Node) -> int:
        """Pod/gateway MTU the agent derives from the transport NIC (CalculateMTUDeduction)."""
        base = n.node_nic.mtu
        if self.encap == "networkPolicyOnly":
            return base
        deduction = ENCAP_OVERHEAD[self.tunnel] if self.uses_tunnel else 0
        if self.encryption == "wireGuard":
            deduction = WIREGUARD_OVERHEAD
        elif self.encryption == "ipsec":
            deduction += IPSEC_ESP_OVERHEAD
        return base - deduction

    def peers(self, n: Node) -> list[Node]:
        return [p for p in self.nodes if p is not n]
