"""Which part of Antrea a Go package is, and the root-cause category its messages belong to.

The message catalogue (`diagnose.facts.messages`) knows the package and file of every message;
this table turns them into what a report says: a component a user recognises ("antrea-agent
route client (iptables/ipset/routes)") and a taxonomy category (docs/taxonomy.md) for the fallback
finding and the "Unexplained errors" section.

Most packages serve one feature and give all their messages its category. A few are mixed bags
(the agent initialiser `pkg/agent`, `pkg/agent/route`, `pkg/agent/util`, the Node route
controller, the `cmd/` mains): their messages are sorted by topic, from the words of the message,
and what matches no topic keeps the package's default. The table is longest-prefix first, so a
subpackage may say more than its parent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Fallback for packages that serve no specific feature: the taxonomy's catch-all for failures of
# antrea-agent / antrea-controller themselves.
GENERIC = "agent-crash"
TOPICAL = None  # category decided by the message's topic, with the entry's default


@dataclass(frozen=True)
class Component:
    """An Antrea package path prefix, the component it is part of and its category."""

    prefix: str  # package path prefix (a whole path segment)
    name: str  # what a user calls it
    category: str | None  # TOPICAL: sorted by topic
    default: str = GENERIC  # TOPICAL entries: the category when no topic matches


_TABLE = (
    # antrea-agent
    Component("cmd/antrea-agent", "antrea-agent main (start-up and configuration)", TOPICAL),
    Component("pkg/agent", "antrea-agent initialiser (Node network, OVS bridge, gateway, tunnel)", TOPICAL),
    Component("pkg/agent/route", "antrea-agent route client (iptables/ipset/routes)", TOPICAL, "host-network-config"),
    Component("pkg/agent/util", "antrea-agent host network utilities", TOPICAL, "host-network-config"),
    Component("pkg/agent/util/iptables", "antrea-agent iptables client", "iptables-backend"),
    Component("pkg/agent/util/ipset", "antrea-agent ipset client", "iptables-backend"),
    Component("pkg/agent/util/nftables", "antrea-agent nftables client", "iptables-backend"),
    Component("pkg/agent/util/sysctl", "antrea-agent sysctl utilities", "host-network-config"),
    Component("pkg/agent/util/winnet", "antrea-agent Windows host network (HNS / VMSwitch)", "windows-hns"),
    Component("pkg/agent/util/winfirewall", "antrea-agent Windows firewall", "windows-hns"),
    Component("pkg/agent/util/powershell", "antrea-agent PowerShell runner (Windows)", "windows-hns"),
    Component(
        "pkg/agent/controller/noderoute",
        "antrea-agent Node route controller (routes and tunnels to peers)",
        TOPICAL,
        "host-network-config",
    ),
    Component("pkg/agent/cniserver", "antrea-agent CNI server", "cni"),
    Component("pkg/agent/cniserver/ipam", "antrea-agent CNI IPAM (host-local / AntreaIPAM)", "ipam"),
    Component(
        "pkg/agent/secondarynetwork",
        "antrea-agent SecondaryNetwork (secondary OVS bridge and uplink)",
        "secondary-network-uplink",
    ),
    Component("pkg/agent/openflow", "antrea-agent OpenFlow client (pipelines and flows)", "ovs-flows"),
    Component("pkg/agent/proxy", "antrea-agent AntreaProxy", "antreaproxy"),
    Component("pkg/agent/servicecidr", "antrea-agent Service CIDR discovery", "antreaproxy"),
    Component("pkg/agent/controller/serviceexternalip", "antrea-agent ServiceExternalIP controller", "antreaproxy"),
    Component("pkg/agent/controller/networkpolicy", "antrea-agent NetworkPolicy controller", "networkpolicy"),
    Component("pkg/agent/controller/l7flowexporter", "antrea-agent L7 flow exporter", "networkpolicy"),
    Component("pkg/agent/controller/egress", "antrea-agent Egress controller", "egress"),
    Component("pkg/agent/ipassigner", "antrea-agent IP assigner (Egress / ServiceExternalIP IPs)", "egress"),
    Component(
        "pkg/agent/memberlist", "antrea-agent memberlist cluster (Egress / ServiceExternalIP failover)", "egress"
    ),
    Component("pkg/agent/wireguard", "antrea-agent WireGuard client", "wireguard"),
    Component("pkg/agent/controller/ipseccertificate", "antrea-agent IPsec certificate controller", "ipsec"),
    Component("pkg/agent/multicast", "antrea-agent multicast controller", "multicast"),
    Component("pkg/agent/nodeportlocal", "antrea-agent NodePortLocal", "nodeportlocal"),
    Component("pkg/agent/client", "antrea-agent client of antrea-controller", "controller-unreachable"),
    Component("pkg/agent/multicluster", "antrea-agent Multi-cluster", "multicluster"),
    Component("pkg/agent/flowexporter", "antrea-agent FlowExporter", "flow-export"),
    Component("pkg/agent/bgp", "antrea-agent BGP speaker", "bgp"),
    Component("pkg/agent/controller/bgp", "antrea-agent BGPPolicy controller", "bgp"),
    Component("pkg/agent/controller/traceflow", "antrea-agent Traceflow controller", "diagnostics"),
    Component("pkg/agent/packetcapture", "antrea-agent PacketCapture controller", "diagnostics"),
    Component("pkg/agent/supportbundlecollection", "antrea-agent SupportBundle collection", "diagnostics"),
    Component("pkg/agent/apiserver", "antrea-agent API server (antctl endpoints)", "diagnostics"),
    Component("pkg/agent/controller/trafficcontrol", "antrea-agent TrafficControl controller", "ovs-flows"),
    Component("pkg/agent/externalnode", "antrea-agent ExternalNode (VM agent)", TOPICAL),
    Component("pkg/agent/config", "antrea-agent Node configuration", TOPICAL),
    Component("pkg/agent/antreanodeconfig", "antrea-agent AntreaNodeConfig", "agent-config"),
    Component("cmd/antrea-sysctl-init", "antrea-sysctl-init", "host-network-config"),
    # OVS clients shared by the agent
    Component("pkg/ovs/ovsconfig", "OVSDB client (bridges, ports, interfaces)", "ovs-not-running"),
    Component("pkg/ovs/openflow", "OpenFlow connection to ovs-vswitchd", "ovs-flows"),
    Component("pkg/ovs/ovsctl", "ovs-appctl / ovs-ofctl runner", "ovs-flows"),
    # antrea-controller
    Component("cmd/antrea-controller", "antrea-controller main (start-up and configuration)", TOPICAL),
    Component("pkg/controller/networkpolicy", "antrea-controller NetworkPolicy computation", "networkpolicy"),
    Component("pkg/controller/grouping", "antrea-controller group membership", "networkpolicy"),
    Component("pkg/controller/labelidentity", "antrea-controller label identities", "networkpolicy"),
    Component("pkg/controller/egress", "antrea-controller Egress controller", "egress"),
    Component("pkg/controller/externalippool", "antrea-controller ExternalIPPool controller", "egress"),
    Component("pkg/controller/serviceexternalip", "antrea-controller ServiceExternalIP controller", "antreaproxy"),
    Component("pkg/controller/ipam", "antrea-controller IPAM (AntreaIPAM / NodeIPAM)", "ipam"),
    Component("pkg/ipam", "Antrea IP pool allocator", "ipam"),
    Component("pkg/controller/certificatesigningrequest", "antrea-controller CSR approver/signer", "tls-certificate"),
    Component("pkg/apiserver/certificate", "antrea-controller API server certificate", "tls-certificate"),
    Component("pkg/controller/traceflow", "antrea-controller Traceflow controller", "diagnostics"),
    Component("pkg/controller/packetcapture", "antrea-controller PacketCapture controller", "diagnostics"),
    Component("pkg/controller/supportbundlecollection", "antrea-controller SupportBundle collection", "diagnostics"),
    Component("pkg/controller/externalnode", "antrea-controller ExternalNode controller", TOPICAL),
    Component("pkg/apiserver", "antrea-controller API server", TOPICAL),
    # Other programs and shared code
    Component("pkg/antctl", "antctl", "diagnostics"),
    Component("pkg/support", "support bundle dump", "diagnostics"),
    Component("cmd/flow-aggregator", "flow-aggregator", "flow-export"),
    Component("pkg/flowaggregator", "flow-aggregator", "flow-export"),
    Component("pkg/ipfix", "IPFIX library wrapper", "flow-export"),
    Component("pkg/util/flowexport", "flow export utilities", "flow-export"),
    Component("multicluster", "Antrea Multi-cluster controller", "multicluster"),
    Component("pkg/monitor", "AntreaAgentInfo / AntreaControllerInfo monitor", TOPICAL),
    Component("pkg/util/k8s", "Kubernetes client utilities", TOPICAL),
    Component("pkg/k8s", "Kubernetes client utilities", TOPICAL),
)

# Topics of messages in TOPICAL packages, tried in order: the first whose words occur wins.
# Specific failures first (a PodCIDR conflict before a PodCIDR, an IPsec tunnel before a tunnel).
_TOPICS = tuple(
    (re.compile(pattern, re.I), category)
    for pattern, category in (
        (r"podcidr.*(duplicate|overlap|conflict)|(duplicate|overlap|conflict).*podcidr", "podcidr-conflict"),
        (r"pod ?cidr|cidr string is empty|nodeipam|allocate-node-cidrs", "podcidr-not-allocated"),
        (r"flow-restore-wait|flow restoration", "ovs-flow-restore-wait"),
        (r"ipsec|strongswan|\bpsk\b", "ipsec"),
        (r"wireguard", "wireguard"),
        (
            r"\bhns|vmswitch|vm switch|netnat|vmnetworkadapter|compartment|netadapter|network adapter|"
            r"powershell|\bwindows\b|\bwin32\b",
            "windows-hns",
        ),
        (r"iptables|ip6tables|ipset|xtables|nftables|random-fully", "iptables-backend"),
        (r"\bmtu\b", "mtu"),
        (
            r"\bk8s api\b|from k8s\b|k8s client|kubeconfig|kube-?apiserver|apiserver override|"
            r"kubeapiserveroverride",
            "apiserver-unreachable",
        ),
        (r"antrea client|antrea service|antrea-ca|ca bundle", "controller-unreachable"),
        (r"certificate|\bcert\b|\btls|cipher|x509", "tls-certificate"),
        (r"tunnel|\bgeneve\b|\bvxlan\b|\bgre\b|\bstt\b", "tunnel"),
        (r"openflow|\bflows?\b|ofport|of port|\bgroup\b|\bmeter\b|packetin|packet-in", "ovs-flows"),
        (r"ovsdb|ovs bridge|ovs port|ovs-vswitchd|openvswitch|datapath|other_config|\bovs\b", "ovs-not-running"),
        (r"egress", "egress"),
        (r"multicast|igmp", "multicast"),
        (r"nodeportlocal|\bnpl\b", "nodeportlocal"),
        (r"antreaproxy|proxier|\bproxy\b|nodeport|loadbalancer|clusterip|service cidr", "antreaproxy"),
        (r"networkpolicy|network policy", "networkpolicy"),
        (r"\bipam\b|ippool|ip pool", "ipam"),
        (r"multi-?cluster", "multicluster"),
        (r"flow ?export|ipfix|flow ?aggregator", "flow-export"),
        (r"\bcni\b", "cni"),
        (r"secondary ?network|secondary ovs", "secondary-network-uplink"),
        (
            r"uplink|bridg|\broutes?\b|neigh|\barp\b|\bndp\b|gateway|\bgw\b|interface|\blink\b|address|"
            r"sysctl|netns|ip rule|host network",
            "host-network-config",
        ),
    )
)

# Files whose every message is about configuration: option parsing and validation.
_CONFIG_FILES = re.compile(r"^cmd/[^/]+/options[^/]*\.go$|^pkg/(agent|controller)/config/")


def component(package: str) -> Component:
    """The most specific table entry for a package path (pkg/agent/route/... -> the route client)."""
    return _component(package)


@lru_cache(maxsize=1024)
def _component(package: str) -> Component:
    best = None
    for entry in _TABLE:
        if package == entry.prefix or package.startswith(entry.prefix + "/"):
            if best is None or len(entry.prefix) > len(best.prefix):
                best = entry
    return best or Component(package, f"Antrea ({package})", TOPICAL)


def category(package: str, file: str, text: str) -> str:
    """The taxonomy category of a message: its package's, or for mixed packages its topic's."""
    entry = component(package)
    if entry.category is not TOPICAL:
        return entry.category
    if _CONFIG_FILES.search(file):
        return "agent-config"
    for pattern, topic in _TOPICS:
        if pattern.search(text):
            return topic
    return entry.default
