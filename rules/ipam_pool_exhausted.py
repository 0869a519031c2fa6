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
network Pods are compared with the range size to tell a full range (90% or more of it in use)
from leaked IPs (under half); otherwise the cause is left open and the Pods are asked for. A
requested static IP outside the range (``is not available in range set``) is not exhaustion.

Whether it lasted: kubelet retries a failed sandbox with a back-off of at most a few minutes for
as long as the Pod exists, and every CNI ADD that finds no free IP logs ``Failed to request IP
addresses for container`` at error level (pkg/agent/cniserver/server.go, v1.12 to v2.7.0; no
code path skips it). Failures that stopped while the agent kept logging mean the Pods got IPs or
were deleted: history at ``info``. Pasted ``kubectl describe pod`` events are the Pod's state
now and are not judged that way.

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
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    CLUSTER_INFO,
    KUBECTL_DESCRIBE_POD,
    KUBECTL_PODS,
    PSEUDO_NODES,
    EvidenceLine,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
)

NO_IP = "no IP addresses available in range set"


@dataclass
class Values:
    """The full range or IPPool and how full it is."""

    range: str | None  # the host-local range that is full, e.g. "10.244.2.1-10.244.2.254"
    pool: str | None  # the AntreaIPAM IPPool that is full, e.g. "pool-vlan100" (None: a host-local range)
    all_pools: bool  # every IPPool the Pod may use is full ("all IPPools exhausted", v2.7+)
    count: int  # failed allocations seen (log lines and Pod events)
    pods: int | None  # running Pods on the Node's Pod network (clusterinfo), None when unknown
    size: int | None  # addresses in the range, None when unknown
    leak_logged: bool  # the agent's start-up garbage collection said "some IPs may be leaked"


_NO_FREE = """
    The Pod IP range {{ range or "of the PodCIDR" }} has no free address on {{ where }} ({{ count }} failed
    allocation{{ "s" if count != 1 }})
"""
_GC = """
    {% if leak_logged %}The agent also failed to release unused IPs at start-up ("some IPs may be leaked").{% endif %}
"""

RULE = Rule(
    id="ANT-IPAM-001",
    slug="ipam-pool-exhausted",
    title="No free Pod IP on the Node (PodCIDR range or IPPool exhausted)",
    category="ipam",
    severity="error",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/antrea-ipam.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/cniserver/ipam/hostlocal/gc.go",
        "https://github.com/containernetworking/plugins/tree/main/plugins/ipam/host-local",
    ),
    inputs=Inputs(any_of=(AGENT_LOG, KUBECTL_DESCRIBE_POD), optional=(CLUSTER_INFO, KUBECTL_PODS)),
    signatures=(
        # host-local (containernetworking/plugins plugins/ipam/host-local/backend/allocator/allocator.go), inside the agent's "Failed to request IP addresses" err.
        Signature(
            "range_full",
            r"no IP addresses available in range set: (?P<range>[0-9a-fA-F.:]{2,45}-[0-9a-fA-F.:]{2,45})",
            NO_IP,
        ),
        Signature("pool_full_old", r"Pool (?P<pool>[\w.-]{1,253}) is exausted", "is exausted", versions="<2.5.0"),
        Signature("pool_full", r"Pool (?P<pool>[\w.-]{1,253}) is exhausted", "is exhausted", versions=">=2.5.0"),
        Signature("pools_full", r"all IPPools exhausted", "all IPPools exhausted", versions=">=2.7.0"),
        # Start-up garbage collection of host-local IPs: a hint to leaked IPs, not a failure itself.
        Signature("gc_leak", r"some IPs may be leaked", "some IPs may be leaked", versions=">=1.15.0", role="context"),
    ),
    lookalikes=("duplicate-pod-ip", "podcidr-not-allocated"),
    values=Values,
    outcomes=(
        Outcome(
            "leaked",
            message=_NO_FREE.rstrip()
            + """, while only {{ pods }} running Pods use the Pod network there out of {{ size }} addresses: IPs have
            leaked in the host-local store (/var/lib/cni/networks/antrea), sandboxes deleted without releasing their
            IP. New Pods on the Node cannot start.
        """
            + _GC,
        ),
        Outcome(
            "full",
            message=_NO_FREE.rstrip()
            + """, and {{ pods }} running Pods use the Pod network there out of {{ size }} addresses: the range is really
            full, the Node runs more Pods than its PodCIDR holds. New Pods on the Node cannot start.
        """
            + _GC,
        ),
        Outcome(
            "exhausted",
            message=_NO_FREE.rstrip()
            + """{% if pods is not none %}, with {{ pods }} running Pods on the Pod network there out of {{ size }}
            addresses{% endif %}. New Pods on the Node cannot start. Whether IPs leaked in the host-local store or the
            Node runs more Pods than its PodCIDR holds is not told by this evidence.
        """
            + _GC,
        ),
        Outcome(
            "pool-exhausted",
            message="""
            {% if all_pools %}Every AntreaIPAM IPPool the Pods may use{% else %}The AntreaIPAM IPPool {{ pool }}{% endif %}
            has no free address on {{ where }} ({{ count }} failed allocation{{ "s" if count != 1 }}): more Pods
            select {{ "them than they have" if all_pools else "it than it has" }} addresses. New Pods that use
            {{ "them" if all_pools else "it" }} cannot start.
        """,
            remediation=(
                Step(
                    "Compare the IPPool's ranges with its allocations, and add a range to it.",
                    "kubectl get ippools.crd.antrea.io -o wide; kubectl get ippool {{ pool or '<pool>' }} -o yaml",
                ),
            ),
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            {% if pool or all_pools %}An AntreaIPAM IPPool{% else %}The Pod IP range {{ range or "of the PodCIDR" }}{%
            endif %} on {{ where }} had no free address for a while ({{ count }} failed allocation{{ "s" if count != 1
            }}). {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            {% if pool or all_pools %}An AntreaIPAM IPPool{% else %}The Pod IP range {{ range or "of the PodCIDR" }}{%
            endif %} on {{ where }} had no free address during an earlier agent run. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Compare the running Pods of the Node with the size of its PodCIDR.",
            "kubectl get node {{ node }} -o jsonpath='{.spec.podCIDR}'; "
            "kubectl get pods -A --field-selector spec.nodeName={{ node }},status.phase=Running -o wide | wc -l",
        ),
        Step(
            "List the IPs host-local holds on the Node; a file whose container no longer exists is a leaked IP.",
            "ls /var/lib/cni/networks/antrea/ | wc -l; crictl pods -q | wc -l   # on {{ node }}",
        ),
        Step(
            "Leaked IPs: restart the agent on the Node (from v1.15 it releases IPs of Pods that no longer exist).",
            "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}",
        ),
        Step(
            "A really full range: lower kubelet maxPods or allocate larger PodCIDRs "
            "(kube-controller-manager --node-cidr-mask-size).",
            "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR",
        ),
    ),
)

_Key = tuple[str | None, str | None, str | None]  # (Node, range, pool); pool "*" for all IPPools


def check(ev: RuleEvidence) -> Iterator[Finding]:
    failures = _failures(ev)
    leak = ev.hits("gc_leak")
    for (node, rng, pool), items in sorted(failures.items(), key=lambda kv: tuple(x or "" for x in kv[0])):
        size, pods = (None, None) if pool else _usage(ev, node, rng)
        values = Values(
            range=rng,
            pool=pool if pool != "*" else None,
            all_pools=pool == "*",
            count=len(items),
            pods=pods,
            size=size,
            leak_logged=any(e.node == node for e in leak),
        )
        outcome, confidence = _conclusion(pool, pods, size)
        evidence: list[LogEvent | EvidenceLine] = items[:2] + items[-1:] if len(items) > 2 else list(items)
        evidence += [e for e in leak if e.node == node][:1]
        yield RULE.finding(
            outcome,
            nodes=[node] if node else [],
            confidence=confidence,
            values=values,
            evidence=evidence,
            missing=[
                Missing(
                    "the running Pods of the Node and its PodCIDR (a full range and leaked IPs look the same "
                    "in the log)",
                    "kubectl get pods -A -o wide --field-selector spec.nodeName={{ node }}; "
                    "kubectl get node {{ node }} -o jsonpath='{.spec.podCIDR}'",
                )
            ]
            if outcome == "exhausted" and pods is None and _lasting(ev, node, items)
            else [],
        )


def _conclusion(pool: str | None, pods: int | None, size: int | None) -> tuple[str, float]:
    if pool:
        return "pool-exhausted", 0.9
    if pods is not None and size:
        if pods >= size * 0.9:
            return "full", 0.9
        if pods < size * 0.5:
            return "leaked", 0.85
    return "exhausted", 0.85


def _failures(ev: RuleEvidence) -> dict[_Key, list[LogEvent | EvidenceLine]]:
    """Failed allocations by (Node, range, pool): the agent's log lines and pasted Pod events."""
    found: dict[_Key, list[LogEvent | EvidenceLine]] = {}
    for name in ("range_full", "pool_full_old", "pool_full", "pools_full"):
        for e in ev.hits(name):
            rng = e.groups.get("range")
            node = (e.node if e.node not in PSEUDO_NODES else None) or _node_of_range(ev, rng)
            pool = e.groups.get("pool") or ("*" if name == "pools_full" else None)
            found.setdefault((node, rng, pool), []).append(e)
    for pod in ev.view.described_pods:
        for event in pod.events:
            if NO_IP in event.message:
                rng = _range_in(event.message)
                node = pod.node or _node_of_range(ev, rng)
                found.setdefault((node, rng, None), []).append(
                    EvidenceLine(pod.source, event.line, None, f"{event.type} {event.reason} {event.message}", node)
                )
    return found


def _lasting(ev: RuleEvidence, node: str | None, items: list[LogEvent | EvidenceLine]) -> bool:
    """Whether the failures still matter (what to collect is asked only then): Pod events are the
    state now; log lines are judged (diagnose.facts.outcome)."""
    logged = [e for e in items if isinstance(e, LogEvent)]
    view = ev.view.nodes.get(node) if node else None
    if len(logged) < len(items) or view is None:
        return True
    judged = view.outcome(logged)
    return judged is None or judged.current


def _range_in(text: str) -> str | None:
    tail = text.split(NO_IP + ":", 1)
    return tail[1].split()[0].rstrip(".,\"'") if len(tail) == 2 and tail[1].split() else None


def _bounds(rng: str | None) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...] | None:
    try:
        return tuple(ipaddress.ip_address(x) for x in (rng or "").split("-", 1))
    except ValueError:
        return None


def _node_of_range(ev: RuleEvidence, rng: str | None) -> str | None:
    """The Node whose PodCIDR holds the range (a pasted event may not say which Node it came from)."""
    bounds = _bounds(rng)
    if not bounds or ev.clusterinfo is None:
        return None
    for name, info in ev.clusterinfo.nodes.items():
        for cidr in info.pod_cidrs:
            try:
                if bounds[0] in ipaddress.ip_network(cidr, strict=False):
                    return name
            except (ValueError, TypeError):
                continue
    return None


def _usage(ev: RuleEvidence, node: str | None, rng: str | None) -> tuple[int | None, int | None]:
    """(addresses in the range, running Pods on the Pod network of the Node), when known."""
    bounds = _bounds(rng)
    size = None
    if bounds and len(bounds) == 2 and bounds[0].version == bounds[1].version and int(bounds[1]) >= int(bounds[0]):
        size = int(bounds[1]) - int(bounds[0]) + 1
    info = ev.clusterinfo.nodes.get(node) if ev.clusterinfo and node else None
    if size is None and info and info.pod_cidrs:
        try:
            size = ipaddress.ip_network(info.pod_cidrs[0], strict=False).num_addresses - 3
        except ValueError:
            size = None
    if node is None or not any(p.source == "clusterinfo" for p in ev.view.pods):
        return size, None
    pods = [p for p in ev.view.pods if p.node == node and p.ip and not p.terminated and p.host_network is False]
    return size, len(pods)
