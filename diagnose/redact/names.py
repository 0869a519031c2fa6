"""Which names are pseudonymised, and how strictly they are looked for in free text.

A name found in the bundle (a Node, a host, a Pod, a Namespace, a user) is replaced wherever it
appears, not only where it was found: the same Node name is in `agent_<node>.tar.gz`, the klog
file names and header, clusterinfo, agentinfo and log messages. Three things keep that safe:

- generic names identify nothing and are left alone (`root`, `default`, `kube-system`, `master`,
  the Pods of system Namespaces such as `antrea-agent-x2k4q`, ...);
- a name with a digit, a dash or a dot (`node2`, `k8s-node1`, `web-5d8f9`) is specific: it is
  replaced next to any non-alphanumeric character, so `node2-var-log-antrea/` and
  `agent_node2.tar.gz` lose it too; a plain word (`payments`) only where no letter, digit, `_`
  or `-` touches it;
- a name that is a piece of Antrea's own text (found in a rule signature, e.g. a Node named
  `bridge`) would break the signatures if replaced everywhere, so it is replaced only as the
  value of a key (`name: bridge`, `nodeName="bridge"`, `Running on machine: bridge`) and in
  file names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

# Classes of names, in the order that wins when one string was found as two of them.
CLASSES = ("node", "host", "pod", "app", "namespace", "user", "cluster", "org")
PREFIX = {
    "node": "node",
    "host": "host",
    "pod": "pod",
    "app": "app",
    "namespace": "ns",
    "user": "user",
    "cluster": "cluster",
    "org": "org",
    "sub": "sub",
    "domain": "domain",
}
# What --keep-names accepts, and the classes each keeps.
KEEPABLE = {"pods": ("pod", "app"), "pod": ("pod", "app"), "namespaces": ("namespace",), "namespace": ("namespace",)}

# A pseudonym this tool made: never harvested again (redacting twice is stable).
PSEUDONYM = re.compile(
    r"^(?:node|host|pod|app|ns|user|cluster|org|sub|domain)-[0-9a-f]{4,12}"
    r"(?:\.(?:sub|domain)-[0-9a-f]{6,12})*(?:\.example)?$"
)

SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
# Namespaces of the platform itself (Kubernetes, Antrea and its flow aggregator, OpenShift).
_SYSTEM_NAMESPACE_PREFIXES = ("kube-", "antrea-", "openshift-", "flow-aggregator", "flow-visibility")

# Names that say nothing about anyone's infrastructure, or that are words of Antrea's own text.
GENERIC = frozenset(
    {
        "root",
        "admin",
        "administrator",
        "nobody",
        "daemon",
        "system",
        "user",
        "ubuntu",
        "ec2-user",
        "centos",
        "core",
        "debian",
        "fedora",
        "azureuser",
        "cloud-user",
        "vagrant",
        "docker",
        "git",
        "noreply",
        "localhost",
        "localhost.localdomain",
        "kubernetes",
        "kubernetes-admin",
        "default",
        "master",
        "worker",
        "node",
        "nodes",
        "host",
        "server",
        "client",
        "agent",
        "controller",
        "control-plane",
        "antrea",
        "antrea-agent",
        "antrea-controller",
        "antrea-ovs",
        "antrea-ipsec",
        "install-cni",
        "ovs",
        "openvswitch",
        "br-int",
        "br-ext",
        "br-phy",
        "antrea-gw0",
        "antrea-tun0",
        "ovs-system",
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "kube-proxy",
        "coredns",
        "kube-dns",
        "etcd",
        "kubelet",
        "minikube",
        "docker-desktop",
        "kind-control-plane",
        "none",
        "null",
        "true",
        "false",
        "unknown",
        "(unattributed)",
        # Kubernetes API groups and the namespaces every cluster has a copy of.
        "apps",
        "batch",
        "policy",
        "networking",
        "storage",
        "events",
        "metrics",
        "logging",
        "monitoring",
    }
)
# File and directory names of the antctl layout (antrea-io/antrea pkg/support/dump.go): never renamed.
LAYOUT = frozenset(
    {
        "clusterinfo",
        "failed_nodes",
        "controllerinfo",
        "logs",
        "agent",
        "controller",
        "ovs",
        "install-cni",
        "ipsec",
        "sysctl-init",
        "kubelet",
        "route",
        "route-table-all",
        "address",
        "link",
        "rule",
        "flows",
        "groups",
        "ovsports",
        "agentinfo",
        "iptables",
        "ipset",
        "nftables",
        "memberlist",
        "memprofile",
        "goroutinestacks",
        "networkpolicies",
        "addressgroups",
        "appliedtogroups",
        "network-adapters",
        "ipconfig",
        "routes",
        "HNSNetwork",
        "HNSEndpoint",
    }
)
# Interface names are evidence (eth0, eth0~, enp0s1, antrea-gw0): never taken for a host name.
_INTERFACE = re.compile(
    r"^(?:lo|eth\d+|ens\d+\w*|enp\d+\w*|eno\d+\w*|enx[0-9a-f]{12}|em\d+|bond\d+|team\d+|"
    r"wlan\d+|wlp\w+|veth\w*|vxlan\w*|genev_sys_\d+|gre\w*|br-\w+|br\d+|docker\d+|cni\d+|"
    r"flannel\.\d+|cali\w+|tun\d+|tap\w+|antrea-\w+|ovs-\w+|vlan\d+|ib\d+|wg\d+|nodelocaldns|"
    r"kube-ipvs0)(?:[.@~][\w.@~-]*)?~?$",
    re.I,
)
_LETTER = re.compile(r"[a-z]")
_ADDRESS_LIKE = re.compile(r"[\d.:a-f]+")
_VALID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.@-]{0,251}[A-Za-z0-9])?$")


def is_system_namespace(ns: str) -> bool:
    return ns in SYSTEM_NAMESPACES or ns.startswith(_SYSTEM_NAMESPACE_PREFIXES)


def worth_hiding(value: str) -> bool:
    """A name that identifies something: not generic, not an interface, not a number or address."""
    low = value.lower()
    if not _VALID.match(value) or low in GENERIC or PSEUDONYM.match(low) or _INTERFACE.match(low):
        return False
    if not _LETTER.search(low) or _ADDRESS_LIKE.fullmatch(low) and (":" in low or low.count(".") == 3):
        return False
    return len(low) >= 3 or any(c.isdigit() for c in low)


def is_specific(value: str) -> bool:
    """Specific names are replaced next to any non-alphanumeric character (see the module doc)."""
    return any(c.isdigit() or c in "-._" for c in value)


def signature_text(patterns: Iterable[str]) -> str:
    """Signature patterns and literals, lower-cased and joined: a name found in it is a piece of
    Antrea's own text and is replaced only in key contexts and file names."""
    return "\n".join(p.lower() for p in patterns if p)


@functools.lru_cache(maxsize=1)
def builtin_signature_text() -> str:
    """The text of the built-in rule pack's and the timeline's signatures (loaded when needed)."""
    from diagnose.facts import lifecycle as timeline
    from diagnose.rules import rulepack

    try:
        rules = rulepack.load(rulepack.rule_dirs())
    except Exception:  # a broken pack must not stop a redaction; the timeline's text still counts
        rules = []
    sigs = [*timeline.SIGNATURES, *(s for r in rules for s in r.signatures)]
    return signature_text([t for s in sigs for t in (s.pattern, s.literal)])
