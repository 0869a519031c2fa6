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
The route-install failures of the agents' logs, by destination CIDR: one CIDR whose route is
refused towards two different peers (each agent sees the other as the peer) is a duplicate
allocation (confirmed); one refused with ``invalid argument`` towards one peer is the peer
holding this Node's CIDR, confirmed when the Node's own PodCIDR (clusterinfo ``#nodes``, or its
``Agent initialized`` line) or its gateway address is that CIDR, else inconclusive. Other
errors (``file exists``, ``network is unreachable``) are not counted. Failures that stopped and
were followed by normal operation are history (the engine judges it).

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

import re
from collections import defaultdict

from diagnose.facts import hostnet, lifecycle
from diagnose.model import AGENT_LOG, PSEUDO_NODES
from diagnose.rule import CONFIRMED, INCONCLUSIVE, Inputs, Missing, Rule, Signature, Step

RULE = Rule(
    id="ANT-PCD-003",
    slug="podcidr-route-conflict",
    title="A peer Node's PodCIDR route is refused: the PodCIDR is allocated twice",
    category="podcidr-conflict",
    severity="critical",
    modes=("encap", "noEncap", "hybrid"),
    platform="linux",
    inputs=Inputs(needs=(AGENT_LOG,)),
    references=("antrea-io/antrea#7893",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/route/route_linux.go"),
    signatures=(
        # The same wording in every release v1.0-v2.7 (route_linux.go, via node_route_controller.go).
        Signature("route_failed",
                  r"failed to install route to peer\s{1,4}(?P<peer>\S+) \((?P<peer_ip>[^)]{0,64})\) with netlink\. "
                  r"Route config: \{[^}]{0,400}?Dst: (?P<dst>[0-9a-fA-F.:]+/\d+)[^}]{0,400}?Gw: "
                  r"(?P<gw>[0-9a-fA-F.:]+)[^}]{0,400}\}\.?(?: Error: (?P<err>.*))?",
                  "failed to install route to peer"),
    ),
    explains=("duplicate-pod-ip", "host-network-config", "networkpolicy"),
    lookalikes=("host-network-config",),
    message="""
        {% if peers | length > 1 %}The PodCIDR {{ cidr }} is allocated to more than one Node: the agents cannot
        route it to {{ peers | join(" nor to ") }}{% else %}On {{ where }} antrea-agent cannot route the PodCIDR
        {{ cidr }} of {{ peers[0] }}: the kernel refuses the route ("{{ error }}") because its gateway
        {{ gw }} is one of this Node's own addresses{% if own_cidr %} (this Node's PodCIDR is {{ own_cidr }}){% endif
        %}, so {{ peers[0] }} was given this Node's PodCIDR{% endif %}. Pods of the two Nodes cannot reach each
        other and can get the same IPs.
    """,
    remediation=(
        Step("List the Nodes and their PodCIDRs to find the ones sharing {{ cidr }}.",
             "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR,CREATED:.metadata"
             ".creationTimestamp | grep -F '{{ cidr }}'"),
        Step("Drain and delete the newer Node (or fix its spec.podCIDR) so the allocator gives it a free range, "
             "then restart the agents of both Nodes.",
             "kubectl drain {{ peers[0] }} --ignore-daemonsets && kubectl delete node {{ peers[0] }}"),
    ),
)


def check(ev):
    failures = [e for e in ev.hits("route_failed") if "invalid argument" in (e.groups.get("err") or "")
                or not e.groups.get("err")]
    by_cidr: dict[str, list] = defaultdict(list)
    for e in failures:
        by_cidr[e.groups["dst"]].append(e)
    for cidr, events in sorted(by_cidr.items()):
        peers = sorted({e.groups["peer"] for e in events})
        if not any(e.groups.get("err") for e in events) and len(peers) < 2:
            continue  # the error text was cut: a single refusal says too little
        nodes = sorted({e.node for e in events if e.node} | ({*peers} if len(peers) > 1 else set()))
        own = _own_cidr(ev, events)
        confirmed = len(peers) > 1 or own is not None and hostnet.in_network(events[0].groups["gw"], own)
        yield RULE.finding(
            nodes=nodes or [],
            confidence=0.9 if len(peers) > 1 else 0.85 if confirmed else 0.6,
            values={"cidr": cidr, "peers": peers, "error": (events[0].groups.get("err") or "refused").strip(),
                    "gw": events[0].groups["gw"], "own_cidr": own},
            evidence=events[:6],
            status=CONFIRMED if confirmed else INCONCLUSIVE,
            missing=() if confirmed else (
                Missing("the PodCIDRs of the Nodes",
                        "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR"),),
        )


def _own_cidr(ev, events) -> str | None:
    """The PodCIDR of the Node whose agent logged the refusals, when known."""
    for name in {e.node for e in events if e.node and e.node not in PSEUDO_NODES}:
        node = ev.view.nodes.get(name)
        info = node.info if node else None
        for cidr in (info.pod_cidrs if info else []):
            return cidr
        for run in reversed(node.runs if node else []):
            init = run.first(lifecycle.key("initialized"))
            found = re.search(r"PodIPv4CIDR: (\d[\d.]+/\d+)", init.text) if init else None
            if found:
                return found[1]
    return None
