"""No free Pod IP: the Node's PodCIDR range or an AntreaIPAM IPPool is exhausted.

Symptom
-------
New Pods on a Node stay in ContainerCreating with ``FailedCreatePodSandBox`` events ending in
``failed to allocate for range 0: no IP addresses available in range set: <first>-<last>``, or,
with AntreaIPAM, ``failed to allocate IP: Pool <name> is exhausted``.

Why it happens
--------------
By default antrea-agent allocates Pod IPs with the host-local IPAM plugin from the Node's
PodCIDR, keeping one file per allocated IP under ``/var/lib/cni/networks/antrea``. The range is
really full when the Node runs more Pods than the PodCIDR holds (kubelet ``maxPods`` above the
PodCIDR size, e.g. a /26 with maxPods 110). It is falsely full when IPs leaked: sandboxes torn
down without a CNI DEL (runtime crash, Node reboot) leave their files behind. From v1.15 the
agent releases IPs of Pods that no longer exist when it starts (its host-local garbage
collection); it logs ``some IPs may be leaked`` when that fails. AntreaIPAM IPPools are exhausted
when more Pods select the pool than it has addresses.

Evidence
--------
``no IP addresses available in range set`` in the agent log (inside ``Failed to request IP
addresses for container``) or in pasted ``kubectl describe pod`` events; ``Pool <name> is
exausted`` (spelling up to v2.4), ``is exhausted`` (v2.5+) and ``all IPPools exhausted`` (v2.7+)
for AntreaIPAM. When clusterinfo lists the Node's PodCIDR and its Pods, the running non-host-
network Pods are compared with the range size to tell a full range from leaked IPs.

Remediation
-----------
A full range: lower kubelet ``maxPods`` or give Nodes larger PodCIDRs (kube-controller-manager
``--node-cidr-mask-size``). Leaked IPs: restart the agent (v1.15+ releases them) or remove the
files of IPs no running Pod uses. An IPPool: add IP ranges to it.

References
----------
antrea-io/antrea pkg/agent/cniserver/ipam/hostlocal/gc.go (v1.15.0), pkg/ipam/poolallocator
(AntreaIPAM); containernetworking/plugins host-local allocator; antrea-io/antrea docs/antrea-ipam.md.
"""

from __future__ import annotations

import ipaddress

from diagnose.model import PSEUDO_NODES
from diagnose.rule import EvidenceLine, Missing, Rule, Signature, Step

RULE = Rule(
    id="ANT-IPAM-001",
    slug="ipam-pool-exhausted",
    title="No free Pod IP on the Node (PodCIDR range or IPPool exhausted)",
    category="ipam",
    severity="error",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/antrea-ipam.md",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/cniserver/ipam/hostlocal/gc.go",
                "https://github.com/containernetworking/plugins/tree/main/plugins/ipam/host-local"),
    signatures=(
        # host-local (antrea-reference.md §3.8), inside the agent's "Failed to request IP addresses" err.
        Signature("range_full", r"no IP addresses available in range set: (?P<range>[0-9a-fA-F.:]{2,45}-[0-9a-fA-F.:]{2,45})",
                  "no IP addresses available in range set"),
        Signature("pool_full_old", r"Pool (?P<pool>[\w.-]{1,253}) is exausted", "is exausted", versions="<2.5.0"),
        Signature("pool_full", r"Pool (?P<pool>[\w.-]{1,253}) is exhausted", "is exhausted", versions=">=2.5.0"),
        Signature("pools_full", r"all IPPools exhausted", "all IPPools exhausted", versions=">=2.7.0"),
        Signature("gc_leak", r"some IPs may be leaked", "some IPs may be leaked", versions=">=1.15.0"),
    ),
    lookalikes=("duplicate-pod-ip", "podcidr-not-allocated"),
    message="""
        {% for n in per_node %}{% if n.pool %}AntreaIPAM IPPool {{ n.pool }}{% else %}The Pod IP range
        {{ n.range or "of the PodCIDR" }}{% endif %} has no free address on {{ n.node or "the Node" }}
        ({{ n.count }} failed allocation{{ "s" if n.count != 1 }}){% if n.pods is not none %}, while
        {{ n.pods }} running Pods use the Pod network there out of {{ n.size }} addresses{% endif %}.
        {% if n.verdict == "leak" %}Far fewer Pods than addresses: IPs have leaked in the host-local store
        (/var/lib/cni/networks/antrea), sandboxes deleted without releasing their IP.{% elif n.verdict == "full"
        %}The range is really full: the Node runs more Pods than its PodCIDR holds.{% endif %}
        {% endfor %}New Pods on {{ "these Nodes" if nodes | length > 1 else "this Node" }} cannot start.
        {% if leak_logged %}The agent also failed to release unused IPs at start-up ("some IPs may be leaked").{% endif %}
    """,
    remediation=(
        Step("Compare the running Pods of the Node with the size of its PodCIDR.",
             "kubectl get node {{ node }} -o jsonpath='{.spec.podCIDR}'; "
             "kubectl get pods -A --field-selector spec.nodeName={{ node }},status.phase=Running -o wide | wc -l"),
        Step("List the IPs host-local holds on the Node; a file whose container no longer exists is a leaked IP.",
             "ls /var/lib/cni/networks/antrea/ | wc -l; crictl pods -q | wc -l   # on {{ node }}"),
        Step("Leaked IPs: restart the agent on the Node (from v1.15 it releases IPs of Pods that no longer exist).",
             "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}"),
        Step("A really full range: lower kubelet maxPods or allocate larger PodCIDRs "
             "(kube-controller-manager --node-cidr-mask-size); an exhausted IPPool: add ranges to it.",
             "kubectl get ippools.crd.antrea.io -o wide"),
    ),
)


def check(ev):
    failures: dict[tuple, list] = {}  # (node, range, pool) -> events or evidence lines
    for name in ("range_full", "pool_full_old", "pool_full", "pools_full"):
        for e in ev.hits(name):
            node = e.node if e.node not in PSEUDO_NODES else None
            rng = e.groups.get("range")
            node = node or _node_of_range(ev, rng)
            failures.setdefault((node, rng, e.groups.get("pool") or ("" if name != "pools_full" else "(all)")),
                                []).append(e)
    for pod in ev.view.described_pods:
        for event in pod.events:
            if "no IP addresses available in range set" in event.message:
                rng = _range_in(event.message)
                node = pod.node or _node_of_range(ev, rng)
                failures.setdefault((node, rng, ""), []).append(
                    EvidenceLine(pod.source, event.line, None, f"{event.type} {event.reason} {event.message}", node))
    if not failures:
        return
    per_node, evidence, unknown_usage = [], [], False
    for (node, rng, pool), items in sorted(failures.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
        size, pods = (None, None) if pool else _usage(ev, node, rng)
        unknown_usage |= pods is None and not pool
        verdict = None
        if pods is not None and size:
            verdict = "full" if pods >= size * 0.9 else "leak" if pods < size * 0.5 else None
        per_node.append({"node": node, "range": rng, "pool": pool or None, "count": len(items),
                         "pods": pods, "size": size, "verdict": verdict})
        evidence.extend(items[:2] + items[-1:] if len(items) > 2 else items)
    leak = ev.hits("gc_leak")
    nodes = sorted({n["node"] for n in per_node if n["node"]})
    yield RULE.finding(
        nodes=nodes,
        confidence=0.9,
        values={"per_node": per_node, "leak_logged": bool(leak)},
        evidence=(evidence + leak[:1])[:12],
        missing=() if not unknown_usage else (
            Missing("the running Pods of the Node and its PodCIDR (a full range and leaked IPs look the same in "
                    "the log)", "kubectl get pods -A -o wide --field-selector spec.nodeName={{ node }}; "
                                "kubectl get node {{ node }} -o jsonpath='{.spec.podCIDR}'"),),
    )


def _range_in(text: str) -> str | None:
    tail = text.split("no IP addresses available in range set:", 1)
    return tail[1].split()[0].rstrip(".,\"'") if len(tail) == 2 and tail[1].split() else None


def _bounds(rng: str | None):
    try:
        first, last = (ipaddress.ip_address(x) for x in (rng or "").split("-", 1))
        return first, last
    except ValueError:
        return None


def _node_of_range(ev, rng: str | None) -> str | None:
    """The Node whose PodCIDR holds the range (a pasted event may not say which Node it came from)."""
    bounds = _bounds(rng)
    if bounds is None or ev.clusterinfo is None:
        return None
    for name, info in ev.clusterinfo.nodes.items():
        for cidr in info.pod_cidrs:
            try:
                if bounds[0] in ipaddress.ip_network(cidr, strict=False):
                    return name
            except (ValueError, TypeError):
                continue
    return None


def _usage(ev, node: str | None, rng: str | None) -> tuple[int | None, int | None]:
    """(addresses in the range, running Pods on the Pod network of the Node), when known."""
    bounds = _bounds(rng)
    size = None
    if bounds and bounds[0].version == bounds[1].version and bounds[1] >= bounds[0]:
        size = int(bounds[1]) - int(bounds[0]) + 1
    if size is None and node is not None:
        info = ev.clusterinfo.nodes.get(node) if ev.clusterinfo else None
        cidrs = info.pod_cidrs if info else []
        try:
            size = ipaddress.ip_network(cidrs[0], strict=False).num_addresses - 3 if cidrs else None
        except ValueError:
            size = None
    pods = [p for p in ev.view.pods if p.node == node and p.ip and not p.terminated and p.host_network is False]
    if node is None or not any(p.source == "clusterinfo" for p in ev.view.pods):
        return size, None
    return size, len(pods)
