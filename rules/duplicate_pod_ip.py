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

from diagnose.rule import CONFIRMED, INCONCLUSIVE, EvidenceLine, Missing, Rule, Step

RULE = Rule(
    id="ANT-DUP-001",
    slug="duplicate-pod-ip",
    title="Two running Pods have the same IP",
    category="duplicate-pod-ip",
    severity="error",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/antrea-ipam.md",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/cniserver/ipam/hostlocal/gc.go"),
    lookalikes=("podcidr-conflict",),
    message="""
        {% for d in duplicates %}{{ d.ip }} is the IP of {{ d.pods | join(" and ") }}{% if d.nodes | length > 1 %}
        on different Nodes ({{ d.nodes | join(", ") }}){% elif d.nodes %} on {{ d.nodes[0] }}{% endif %}{% if
        not loop.last %}; {% endif %}{% endfor %}.
        {% if cross_node %}The same Pod IP on two Nodes means their PodCIDRs (or IPPools) overlap: traffic to it goes
        to whichever Node the route points at.{% else %}Only one of these Pods receives the traffic for the IP; the
        Node's IPAM state gave the address twice (a lost or restored host-local store, or a sandbox never deleted).{% endif %}
        {% if not confirmed %}The pasted table does not say whether these Pods use the host network (they would then
        share the Node IP legitimately).{% endif %}
    """,
    remediation=(
        Step("Confirm the duplicate and whether the Pods use the host network.",
             "kubectl get pods -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,IP:.status.podIP,"
             "NODE:.spec.nodeName,HOSTNET:.spec.hostNetwork | grep -w {{ ip }}"),
        Step("Delete one of the Pods so that it gets a new IP.", "kubectl -n <namespace> delete pod <pod>"),
        Step("On the Node, list what host-local IPAM thinks is allocated (one file per IP, holding the container "
             "ID) and compare with the running Pods.", "ls -l /var/lib/cni/networks/antrea/   # on {{ node }}"),
        Step("If the Pods are on different Nodes, compare the Nodes' PodCIDRs.",
             "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDRS:.spec.podCIDRs"),
    ),
)

# Pods that run with hostNetwork: true wherever they are deployed: Antrea's own (build/charts/antrea
# templates: agent DaemonSet, controller Deployment), kube-proxy and the kubeadm static Pods of the
# control plane. Their podIP is their Node's IP, so any IP one of them shows is a Node IP.
_HOST_NETWORK_PODS = ("antrea-agent-", "antrea-controller-", "kube-proxy-", "etcd-", "kube-apiserver-",
                      "kube-controller-manager-", "kube-scheduler-")


def check(ev):
    rows = _running_pods(ev.view.pods)
    if not rows:
        return
    known = ev.clusterinfo.nodes if ev.clusterinfo else {}
    node_ips = {ip for info in known.values() for ip in info.internal_ips}
    node_ips |= {r.ip for r in rows if r.name.startswith(_HOST_NETWORK_PODS)}
    cidrs = {name: [_net(c) for c in info.pod_cidrs] for name, info in known.items()}
    by_ip: dict[str, list] = {}
    for r in rows:
        by_ip.setdefault(r.ip, []).append(r)
    duplicates, evidence, confirmed = [], [], True
    for ip, pods in sorted(by_ip.items()):
        if len(pods) < 2 or ip in node_ips or any(p.host_network for p in pods):
            continue
        if any(p.name.startswith(_HOST_NETWORK_PODS) for p in pods):
            continue
        nodes = sorted({p.node or p.file_node for p in pods if p.node or p.file_node})
        known_spec = all(p.host_network is False for p in pods)
        node_cidrs = [n for n in cidrs.get(nodes[0], []) if n] if len(nodes) == 1 else []
        if not known_spec and node_cidrs and not _inside(ip, node_cidrs):
            continue  # one Node, an IP outside its PodCIDR: host-network Pods on another Node address
        if not (known_spec or len(nodes) > 1 or node_cidrs):
            confirmed = False
        duplicates.append({"ip": ip, "pods": [p.key for p in pods], "nodes": nodes})
        evidence.extend(EvidenceLine(p.source, p.line, None, p.text, p.node) for p in pods[:3])
    if not duplicates:
        return
    nodes = sorted({n for d in duplicates for n in d["nodes"]})
    yield RULE.finding(
        nodes=nodes,
        confidence=0.9 if confirmed else 0.5,
        values={"duplicates": duplicates, "cross_node": any(len(d["nodes"]) > 1 for d in duplicates),
                "confirmed": confirmed, "ip": duplicates[0]["ip"]},
        evidence=evidence[:12],
        status=CONFIRMED if confirmed else INCONCLUSIVE,
        missing=() if confirmed else (
            Missing("whether the Pods sharing the IP use the host network",
                    "kubectl get pods -A -o custom-columns=NAME:.metadata.name,IP:.status.podIP,"
                    "HOSTNET:.spec.hostNetwork | grep -w {{ ip }}"),),
    )


def _running_pods(pods):
    """Pods that hold their IP now, one row per Pod (clusterinfo and a pasted table may both list it)."""
    seen: dict[tuple, object] = {}
    for p in pods:
        if not p.ip or p.terminated:
            continue
        key = (p.key if p.namespace else p.name, p.ip)
        if key not in seen or (seen[key].host_network is None and p.host_network is not None):
            seen[key] = p
    # A table without NAMESPACE and clusterinfo with it name the same Pod differently.
    named = {(p.name, p.ip) for p in seen.values() if p.namespace}
    return [p for (_, ip), p in seen.items() if p.namespace or (p.name, ip) not in named]


def _net(cidr: str):
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def _inside(ip: str, nets) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(n is not None and n.version == addr.version and addr in n for n in nets)
