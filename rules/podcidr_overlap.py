"""Two Nodes have the same or overlapping PodCIDRs, or a PodCIDR covers Node addresses.

Symptom
-------
Pods on some Nodes cannot reach Pods on others, or traffic between two Nodes goes to the wrong
one; two Pods on different Nodes may even get the same IP. Nodes whose Node IP falls inside a
PodCIDR lose connectivity to that Node.

Why it happens
--------------
Each Node's ``spec.podCIDR(s)`` must be a distinct slice of the cluster CIDR: antrea-agent
installs one route (or tunnel flow) per peer PodCIDR and allocates local Pod IPs from its own.
Slices collide when two allocators run at once (Antrea's NodeIPAM in antrea-controller while
kube-controller-manager also runs ``--allocate-node-cidrs``, which antrea-io/antrea
docs/antrea-ipam.md warns "would cause conflicts"), when PodCIDRs are set by hand or by an
external tool, or when Nodes were re-created from a backup. A cluster CIDR chosen inside the
Node network puts Node IPs inside PodCIDRs.

Evidence
--------
The PodCIDRs of every Node in clusterinfo ``#nodes``, compared pairwise (identical or
overlapping networks of the same family), and each Node's InternalIP checked against every
PodCIDR. This is a cross-Node rule: it needs clusterinfo (``antctl supportbundle`` run from
outside the cluster) and fires on the Nodes involved. When Antrea NodeIPAM is enabled in the
``antrea-controller.conf`` of ``#configs``, the finding says so.

Remediation
-----------
Keep one PodCIDR allocator, give each Node a distinct PodCIDR (a Node's ``spec.podCIDR`` is
immutable: delete and re-join the Node), then restart the agents.

References
----------
antrea-io/antrea docs/antrea-ipam.md (NodeIPAM); antrea-io/antrea docs/getting-started.md
(``--allocate-node-cidrs``, ``--cluster-cidr``).
"""

from __future__ import annotations

import ipaddress

from diagnose.parse import yamlsafe
from diagnose.rule import EvidenceLine, Rule, Step

RULE = Rule(
    id="ANT-PCD-002",
    slug="podcidr-overlap",
    title="Nodes have duplicate or overlapping PodCIDRs",
    category="podcidr-conflict",
    severity="critical",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/antrea-ipam.md",
                "https://github.com/antrea-io/antrea/blob/main/docs/getting-started.md"),
    explains=("duplicate-pod-ip", "host-network-config"),
    lookalikes=("podcidr-not-allocated", "duplicate-pod-ip"),
    message="""
        PodCIDR conflict{{ "s" if conflicts | length > 1 }}: {{ conflicts | join("; ") }}.
        {% if overlaps %}Each Node routes its peers' PodCIDRs to them and allocates its own Pods from its
        PodCIDR, so traffic for these addresses goes to the wrong Node and the same Pod IP can be given twice.{% endif %}
        {% if node_ip_inside %}A Node IP inside a PodCIDR is routed into the Pod network of the Node owning that
        PodCIDR: the Node becomes unreachable from it.{% endif %}
        {% if both_allocators %}Antrea NodeIPAM is enabled in antrea-controller: if kube-controller-manager also
        allocates PodCIDRs (--allocate-node-cidrs), the two allocators hand out the same ranges.{% endif %}
    """,
    remediation=(
        Step("List each Node's PodCIDRs and InternalIP.",
             "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDRS:.spec.podCIDRs,"
             "IP:.status.addresses[0].address"),
        Step("Keep a single PodCIDR allocator: either kube-controller-manager --allocate-node-cidrs with "
             "--cluster-cidr, or Antrea NodeIPAM (nodeIPAM.enableNodeIPAM in antrea-controller.conf), not both; pick "
             "a cluster CIDR that does not overlap the Node network."),
        Step("spec.podCIDR cannot be changed: drain, delete and re-join each conflicting Node so that it gets a new "
             "PodCIDR, then restart the agents.",
             "kubectl drain {{ node }} --ignore-daemonsets && kubectl delete node {{ node }}"),
    ),
)


def check(ev):
    if ev.clusterinfo is None or not ev.clusterinfo.nodes:
        return
    nodes_info = ev.clusterinfo.nodes
    cidrs = _cidr_rows(nodes_info)
    conflicts, nodes, overlaps = [], set(), False
    for a, b in _overlapping(cidrs):
        overlaps = True
        nodes.update((a["node"], b["node"]))
        if a["net"] == b["net"]:
            conflicts.append(f"{a['node']} and {b['node']} both have PodCIDR {a['net']}")
        else:
            conflicts.append(f"{a['node']} and {b['node']} have overlapping PodCIDRs {a['net']} and {b['net']}")
    inside = []
    for name, info in nodes_info.items():
        for ip in info.internal_ips:
            addr = _ip(ip)
            for c in cidrs:
                if addr is not None and c["node"] != name and addr.version == c["net"].version and addr in c["net"]:
                    inside.append((name, ip, c))
    for node, ip, c in inside:
        nodes.update((node, c["node"]))
        conflicts.append(f"the Node IP {ip} of {node} is inside the PodCIDR {c['net']} of {c['node']}")
    if not conflicts:
        return
    evidence = [EvidenceLine("clusterinfo", None, None,
                             f"#nodes {n}: podCIDRs={', '.join(nodes_info[n].pod_cidrs if n in nodes_info else [])}", n)
                for n in sorted(nodes)]
    yield RULE.finding(
        nodes=sorted(nodes),
        confidence=0.95,
        values={"conflicts": conflicts, "overlaps": overlaps, "node_ip_inside": bool(inside),
                "both_allocators": _antrea_node_ipam(ev)},
        evidence=evidence[:12],
    )


def _cidr_rows(nodes_info) -> list[dict]:
    """One row per (Node, PodCIDR); invalid CIDRs are dropped."""
    out = []
    for name, info in nodes_info.items():
        for cidr in info.pod_cidrs:
            try:
                out.append({"node": name, "net": ipaddress.ip_network(cidr, strict=False)})
            except ValueError:
                continue
    return out


def _overlapping(rows: list[dict]):
    """Pairs of rows of different Nodes whose networks overlap; a sweep over networks sorted by
    start address, so thousands of Nodes stay cheap."""
    for version in (4, 6):
        ordered = sorted((r for r in rows if r["net"].version == version),
                         key=lambda r: (int(r["net"].network_address), -r["net"].prefixlen))
        open_rows: list[dict] = []
        for r in ordered:
            start = int(r["net"].network_address)
            open_rows = [o for o in open_rows if int(o["net"].broadcast_address) >= start]
            for o in open_rows:
                if o["node"] != r["node"]:
                    yield o, r
            open_rows.append(r)


def _ip(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _antrea_node_ipam(ev) -> bool:
    text = ev.clusterinfo.controller_conf_text if ev.clusterinfo else None
    conf = yamlsafe.load(text) if text else None
    ipam = conf.get("nodeIPAM") if isinstance(conf, dict) else None
    return isinstance(ipam, dict) and ipam.get("enableNodeIPAM") is True
