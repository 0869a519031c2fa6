"""antrea-agent cannot route a peer Node's PodCIDR because the same PodCIDR is also this Node's or another peer's.

Symptom
-------
Pods on some Nodes cannot reach Pods on others; the agent log repeats ``Error syncing Node
<peer>, requeuing. Error: failed to install route to peer <peer> (<ip>) with netlink. Route
config: {... Dst: 10.42.141.0/24 ... Gw: 10.42.141.1 ...}. Error: invalid argument``.

Why it happens
--------------
For every other Node the agent routes that Node's PodCIDR through ``antrea-gw0`` to the peer's
gateway address, the first address of the peer's PodCIDR (pkg/agent/route/route_linux.go). The
kernel refuses the route when that gateway address is one of this Node's own addresses
(``invalid argument``): the peer was given the same PodCIDR as this Node. Duplicate PodCIDRs
come from the allocator (kube-controller-manager or Antrea's NodeIPAM releasing a CIDR of a Node
still being deleted during fast Node rotation, antrea-io/antrea#7893) or from a hand-set
``spec.podCIDR``. Two Nodes with one PodCIDR also get duplicate Pod IPs.

Evidence
--------
The route-install failures of the agents' logs (the same wording in every release v1.0-v2.7), by
destination CIDR: one CIDR whose route is refused towards two different peers (each agent sees
the other as the peer) is a duplicate allocation (confirmed); one refused with ``invalid
argument`` towards one peer is the peer holding this Node's CIDR, confirmed when the Node's own
PodCIDR (clusterinfo ``#nodes``, or its ``Agent initialized`` line) holds the refused gateway,
inconclusive when the Node's PodCIDR is unknown, and not this failure when it is known and does
not hold it. Two peers with one PodCIDR seen from a third Node are not refused but skipped (``is
duplicate with Node``, every release): the fallback names that line. Other errors (``file
exists``, ``network is unreachable``) are not counted. Failures that stopped and were followed by
normal operation are history (the engine judges it).

Remediation
-----------
Find the Nodes sharing the CIDR, drain and delete one of them (or fix its ``spec.podCIDR``) so
the allocator gives it a free range, then restart the agents of both Nodes.

References
----------
antrea-io/antrea#7893, antrea-io/antrea pkg/agent/route/route_linux.go,
pkg/agent/controller/noderoute/node_route_controller.go.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    CLUSTER_INFO,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
    hostnet,
)


@dataclass
class Values:
    """The PodCIDR route the kernel refused and why."""

    cidr: str  # the PodCIDR whose route is refused, e.g. "10.42.141.0/24"
    peers: list[str]  # the peer Nodes the route was refused towards
    error: str  # the kernel's answer, e.g. "invalid argument"
    gw: str  # the route's gateway: the first address of the CIDR
    own_cidr: str  # the refusing Node's own PodCIDR that holds the gateway; "" when unknown


RULE = Rule(
    id="ANT-PCD-003",
    slug="podcidr-route-conflict",
    title="A peer Node's PodCIDR route is refused: the PodCIDR is allocated twice",
    category="podcidr-conflict",
    severity="critical",
    modes=("encap", "noEncap", "hybrid"),
    platform="linux",
    inputs=Inputs(needs=(AGENT_LOG,), optional=(CLUSTER_INFO,)),
    references=(
        "antrea-io/antrea#7893",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/route/route_linux.go",
    ),
    signatures=(
        # The same wording in every release v1.0-v2.7 (route_linux.go, via node_route_controller.go).
        # The route is netlink's Route.String(): `{Ifindex: N Dst: ... Src: ... [NewDst/Encap/Via]
        # Gw: ...}`; the gaps before Dst and Gw are bounded by what those fields print (wider
        # gaps let a crafted line make the lazy repeats try each other's lengths).
        Signature(
            "route_failed",
            r"failed to install route to peer\s{1,4}(?P<peer>\S{1,253}) \((?P<peer_ip>[^)]{0,64})\) with netlink\. "
            r"Route config: \{[^}]{0,40}?Dst: (?P<dst>[0-9a-fA-F.:]{2,45}/\d{1,3})[^}]{0,200}?Gw: "
            r"(?P<gw>[0-9a-fA-F.:]{2,45})[^}]{0,400}\}\.?(?: Error: (?P<err>.*))?",
            "failed to install route to peer",
        ),
    ),
    explains=("duplicate-pod-ip", "host-network-config", "networkpolicy"),
    lookalikes=("host-network-config",),
    values=Values,
    outcomes=(
        Outcome(
            "allocated_twice",
            message="""
            The PodCIDR {{ cidr }} is allocated to more than one Node: the agents cannot route it to
            {{ peers | join(" nor to ") }}. Pods of the two Nodes cannot reach each other and can get the same IPs.
        """,
        ),
        Outcome(
            "peer_has_own_cidr",
            message="""
            On {{ where }} antrea-agent cannot route the PodCIDR {{ cidr }} of {{ peers[0] }}: the kernel refuses the
            route ("{{ error }}") because its gateway {{ gw }} is one of this Node's own addresses (this Node's
            PodCIDR is {{ own_cidr }}), so {{ peers[0] }} was given this Node's PodCIDR. Pods of the two Nodes cannot
            reach each other and can get the same IPs.
        """,
        ),
        # The refused gateway points at a duplicate, but the Node's own PodCIDR is not in the bundle.
        Outcome(
            "peer_may_have_own_cidr",
            status="inconclusive",
            message="""
            On {{ where }} antrea-agent cannot route the PodCIDR {{ cidr }} of {{ peers[0] }}: the kernel refuses the
            route ("{{ error }}"), which it does when the gateway {{ gw }} is one of this Node's own addresses, that
            is when {{ peers[0] }} was given this Node's PodCIDR. This Node's own PodCIDR is not in the bundle to
            confirm it.
        """,
        ),
        # The engine's judgement: the refusals stopped (a Node deleted, its CIDR released) or an earlier run's.
        Outcome(
            "recovered",
            severity="info",
            message="""
            The route to the PodCIDR {{ cidr }} of {{ peers | join(", ") }} was refused ("{{ error }}") for a while.
            {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            The route to the PodCIDR {{ cidr }} of {{ peers | join(", ") }} was refused ("{{ error }}") in an earlier
            run. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "List the Nodes and their PodCIDRs to find the ones sharing {{ cidr }}.",
            "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR,CREATED:.metadata"
            ".creationTimestamp | grep -F '{{ cidr }}'",
        ),
        Step(
            "Drain and delete the newer Node (or fix its spec.podCIDR) so the allocator gives it a free range, "
            "then restart the agents of both Nodes.",
            "kubectl drain {{ peers[0] }} --ignore-daemonsets && kubectl delete node {{ peers[0] }}",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    by_cidr: dict[str, list[LogEvent]] = defaultdict(list)
    for e in ev.hits("route_failed"):
        if "invalid argument" in (e.groups.get("err") or "") or not e.groups.get("err"):
            by_cidr[e.groups["dst"]].append(e)
    for cidr, events in sorted(by_cidr.items()):
        peers = sorted({e.groups["peer"] for e in events})
        if not any(e.groups.get("err") for e in events) and len(peers) < 2:
            continue  # the error text was cut: a single refusal says too little
        gw = events[0].groups["gw"]
        values = Values(
            cidr=cidr, peers=peers, error=(events[0].groups.get("err") or "refused").strip(), gw=gw, own_cidr=""
        )
        if len(peers) > 1:
            nodes = sorted({e.node for e in events if e.node} | set(peers))
            yield RULE.finding("allocated_twice", nodes=nodes, confidence=0.9, values=values, evidence=events[:6])
            continue
        own = _own_cidrs(ev, events)
        nodes = sorted({e.node for e in events if e.node})
        if not own:
            yield RULE.finding(
                "peer_may_have_own_cidr",
                nodes=nodes,
                confidence=0.6,
                values=values,
                evidence=events[:6],
                missing=(
                    Missing(
                        "the PodCIDRs of the Nodes",
                        "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR",
                    ),
                ),
            )
            continue
        holding = next((c for c in own if hostnet.in_network(gw, c)), None)
        if holding is None:
            continue  # the gateway is not this Node's: the refusal has another cause
        values.own_cidr = holding
        yield RULE.finding("peer_has_own_cidr", nodes=nodes, confidence=0.85, values=values, evidence=events[:6])


def _own_cidrs(ev: RuleEvidence, events: list[LogEvent]) -> list[str]:
    """The PodCIDRs of the Nodes whose agents logged the refusals, when known."""
    return [
        cidr
        for name in sorted({e.node for e in events if e.node})
        if (node := ev.view.nodes.get(name)) is not None
        for cidr in node.pod_cidrs
    ]
