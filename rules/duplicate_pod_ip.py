"""The same IP is assigned to two running Pods.

Symptom
-------
Connections to one Pod reach another, replies get lost, or a Pod is reachable only from some
places; ``kubectl get pods -A -o wide`` shows two running Pods with the same IP.

Why it happens
--------------
Antrea allocates Pod IPs per Node from the Node's PodCIDR (host-local IPAM, state under
``/var/lib/cni/networks/antrea`` on the Node) or from an AntreaIPAM IPPool. Two running Pods
share an IP when two Nodes have overlapping PodCIDRs (see ``podcidr-conflict``), when the
host-local store was lost or restored while Pods kept their IPs (a Node re-imaged with
``/var/lib/cni`` on tmpfs, a restored backup), or when an IP was given to a new Pod while an old
Pod still had it (a sandbox the runtime never deleted).

Evidence
--------
Pod IPs from clusterinfo ``#pods`` (``status.podIP``, ``spec.hostNetwork``, ``status.phase``) or a
pasted ``kubectl get pods -o wide``. Host-network Pods (they share their Node's IP) and finished
Pods (Succeeded/Failed/Completed keep a stale ``podIP``) are ignored. A pasted table does not say
which Pods use the host network: an IP equal to a Node IP or shared with antrea-agent (which
runs on the host network) counts as host network; two other Pods on one Node with one IP and no
PodCIDR to check it against make the finding inconclusive. Pods on different Nodes with one IP
point at overlapping PodCIDRs.

Remediation
-----------
Delete one of the Pods so that it gets a new IP, then find out why the IP was given twice
(PodCIDRs of the Nodes, the host-local store of the Node).

References
----------
antrea-io/antrea pkg/agent/cniserver/ipam (host-local delegation and its garbage collection,
``/var/lib/cni/networks``); antrea-io/antrea docs/antrea-ipam.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from diagnose.api import (
    CLUSTER_INFO,
    INCONCLUSIVE,
    KUBECTL_PODS,
    EvidenceLine,
    Finding,
    Inputs,
    Missing,
    Outcome,
    PodRow,
    Rule,
    RuleEvidence,
    Step,
)


@dataclass
class Duplicate:
    """An IP held by more than one running Pod."""

    ip: str  # the shared IP, e.g. "10.244.1.23"
    pods: list[str]  # the Pods holding it, "namespace/name" (or the name a table without NAMESPACE shows)
    nodes: list[str]  # the Nodes those Pods run on (empty when the source does not say)


@dataclass
class Values:
    """The IPs held by more than one running Pod."""

    duplicates: list[Duplicate]  # every IP held by two or more running Pods, of this outcome
    ip: str  # the first of them, for the commands


_LIST = """
    {% for d in duplicates %}{{ d.ip }} is the IP of {{ d.pods | join(" and ") }}{% if d.nodes | length > 1 %} on
    different Nodes ({{ d.nodes | join(", ") }}){% elif d.nodes %} on {{ d.nodes[0] }}{% endif %}{% if not loop.last
    %}; {% endif %}{% endfor %}.
"""
_SAME_NODE = """
    Only one of these Pods receives the traffic for the IP; the Node's IPAM state gave the address twice (a lost or
    restored host-local store, or a sandbox never deleted).
"""

RULE = Rule(
    id="ANT-DUP-001",
    slug="duplicate-pod-ip",
    title="Two running Pods have the same IP",
    category="duplicate-pod-ip",
    severity="error",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/antrea-ipam.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/cniserver/ipam/hostlocal/gc.go",
    ),
    inputs=Inputs(any_of=(CLUSTER_INFO, KUBECTL_PODS)),
    lookalikes=("podcidr-conflict",),
    values=Values,
    outcomes=(
        Outcome(
            "cross-node",
            message=_LIST
            + """
            The same Pod IP on two Nodes means their PodCIDRs (or IPPools) overlap: traffic to it goes to whichever
            Node the route points at.
        """,
        ),
        Outcome("same-node", message=_LIST + _SAME_NODE),
        Outcome(
            "host-network-unknown",
            status=INCONCLUSIVE,
            message=_LIST
            + _SAME_NODE
            + """
            The pasted table does not say whether these Pods use the host network (they would then share the Node IP
            legitimately).
        """,
        ),
    ),
    remediation=(
        Step(
            "Confirm the duplicate and whether the Pods use the host network.",
            "kubectl get pods -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,IP:.status.podIP,"
            "NODE:.spec.nodeName,HOSTNET:.spec.hostNetwork | grep -w {{ ip }}",
        ),
        Step("Delete one of the Pods so that it gets a new IP.", "kubectl -n <namespace> delete pod <pod>"),
        Step(
            "On the Node, list what host-local IPAM thinks is allocated (one file per IP, holding the container "
            "ID) and compare with the running Pods.",
            "ls -l /var/lib/cni/networks/antrea/   # on {{ node }}",
        ),
        Step(
            "If the Pods are on different Nodes, compare the Nodes' PodCIDRs.",
            "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDRS:.spec.podCIDRs",
        ),
    ),
)

# Pods that run with hostNetwork: true wherever they are deployed: Antrea's own (build/charts/antrea
# templates: agent DaemonSet, controller Deployment), kube-proxy and the kubeadm static Pods of the
# control plane. Their podIP is their Node's IP, so any IP one of them shows is a Node IP.
_HOST_NETWORK_PODS = (
    "antrea-agent-",
    "antrea-controller-",
    "kube-proxy-",
    "etcd-",
    "kube-apiserver-",
    "kube-controller-manager-",
    "kube-scheduler-",
)
_Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def check(ev: RuleEvidence) -> Iterator[Finding]:
    rows = _running_pods(ev.view.pods)
    if not rows:
        return
    known = ev.clusterinfo.nodes if ev.clusterinfo else {}
    node_ips = {ip for info in known.values() for ip in info.internal_ips}
    node_ips |= {r.ip for r in rows if r.ip and r.name.startswith(_HOST_NETWORK_PODS)}
    cidrs = {name: [n for c in info.pod_cidrs if (n := _net(c))] for name, info in known.items()}
    by_ip: dict[str, list[PodRow]] = {}
    for r in rows:
        by_ip.setdefault(r.ip or "", []).append(r)
    found: dict[str, list[tuple[Duplicate, list[PodRow]]]] = {}
    for ip, pods in sorted(by_ip.items()):
        if len(pods) < 2 or ip in node_ips or any(p.host_network for p in pods):
            continue
        if any(p.name.startswith(_HOST_NETWORK_PODS) for p in pods):
            continue
        nodes = sorted({where for p in pods if (where := p.node or p.file_node)})
        known_spec = all(p.host_network is False for p in pods)
        node_cidrs = cidrs.get(nodes[0], []) if len(nodes) == 1 else []
        if not known_spec and node_cidrs and not _inside(ip, node_cidrs):
            continue  # one Node, an IP outside its PodCIDR: host-network Pods on another Node address
        if len(nodes) > 1:
            outcome = "cross-node"
        elif known_spec or node_cidrs:
            outcome = "same-node"
        else:
            outcome = "host-network-unknown"
        found.setdefault(outcome, []).append((Duplicate(ip, [p.key for p in pods], nodes), pods))
    for outcome, items in found.items():
        duplicates = [d for d, _ in items]
        yield RULE.finding(
            outcome,
            nodes=sorted({n for d in duplicates for n in d.nodes}),
            # Pod specs (clusterinfo) or a PodCIDR rule out host-network Pods; a bare table does not.
            confidence=0.5 if outcome == "host-network-unknown" else 0.9,
            values=Values(duplicates=duplicates, ip=duplicates[0].ip),
            evidence=[EvidenceLine(p.source, p.line, None, p.text, p.node) for _, pods in items for p in pods[:3]][:12],
            missing=[
                Missing(
                    "whether the Pods sharing the IP use the host network",
                    "kubectl get pods -A -o custom-columns=NAME:.metadata.name,IP:.status.podIP,"
                    "HOSTNET:.spec.hostNetwork | grep -w {{ ip }}",
                )
            ]
            if outcome == "host-network-unknown"
            else [],
        )


def _running_pods(pods: Iterable[PodRow]) -> list[PodRow]:
    """Pods that hold their IP now, one row per Pod (clusterinfo and a pasted table may both list it)."""
    seen: dict[tuple[str, str], PodRow] = {}
    for p in pods:
        if not p.ip or p.terminated:
            continue
        key = (p.key if p.namespace else p.name, p.ip)
        kept = seen.get(key)
        if kept is None or (kept.host_network is None and p.host_network is not None):
            seen[key] = p
    # A table without NAMESPACE and clusterinfo with it name the same Pod differently.
    named = {(p.name, p.ip) for p in seen.values() if p.namespace}
    return [p for (_, ip), p in seen.items() if p.namespace or (p.name, ip) not in named]


def _net(cidr: str) -> _Net | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def _inside(ip: str, nets: list[_Net]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(n.version == addr.version and addr in n for n in nets)
