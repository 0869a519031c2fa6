"""Nodes give their Pods different MTUs, so large packets between some Nodes are lost.

Symptom
-------
Pods on some pairs of Nodes exchange small packets fine but large transfers between them
stall, while the same workload between other Nodes works; typically after adding Nodes of
another instance type or NIC configuration (jumbo frames on some Nodes only).

Why it happens
--------------
Unless ``defaultMTU`` is set, antrea-agent derives each Node's Pod MTU from its own transport
NIC (minus the tunnel overhead), so Nodes with a 9000-byte NIC give their Pods about 8950 while
1500-byte Nodes give 1450. TCP negotiates the MSS from both ends, but UDP, tunnels inside Pods
and any path whose real MTU is the smaller one see packets from the large-MTU Nodes that the
other side (or the network between them) cannot carry; encapsulated packets are not
fragmented back into the Pod, so they are dropped.

Evidence
--------
The ``antrea-gw0`` MTU (the Pod MTU) of every Node whose ``ip link``/``ip addr`` is in the
bundle, and each Node's transport NIC MTU (the NIC holding the Node IP, as Antrea picks it, or
the physical ``<nic>~`` under it when bridged into OVS; not the default-route NIC, which can be
another one). Fires when two or more Nodes have different gateway MTUs; one Node alone, or all
equal, stays quiet. Only ``encap`` and ``hybrid`` Nodes are compared: there the oversized packet
is dropped inside the tunnel, where no ICMP "fragmentation needed" reaches the sending Pod;
noEncap traffic is routed and path MTU discovery works, and in networkPolicyOnly mode the
primary CNI sets the Pod MTU. A single Node whose MTU is too large for its own NIC is
``pod-mtu-exceeds-tunnel-overhead``.

Remediation
-----------
Make the MTU uniform: set ``defaultMTU`` in antrea-agent.conf to the smallest value that fits
every Node (smallest NIC MTU minus the tunnel overhead), or give all Nodes the same NIC MTU;
restart the agents and recreate the Pods.

References
----------
antrea-io/antrea docs/configuration.md (defaultMTU applies to every Node),
pkg/agent/agent.go (getInterfaceMTU: per-Node auto-detection).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    IP_ADDR,
    IP_LINK,
    EvidenceLine,
    Finding,
    Inputs,
    Outcome,
    Rule,
    RuleEvidence,
    Step,
)

GATEWAY = "antrea-gw0"


@dataclass
class Values:
    """The Pod MTUs of the Nodes, grouped."""

    groups: list[str]  # the Pod MTUs with their Nodes, smallest first, e.g. ["1450 on n1", "8951 on n2, n3"]
    largest: int  # the largest Pod MTU
    smallest: int  # the smallest Pod MTU
    large_nodes: list[str]  # the Nodes with the largest
    small_nodes: list[str]  # the Nodes with the smallest
    nic_groups: list[str]  # the transport NIC MTUs likewise, when they differ too ([] otherwise)


RULE = Rule(
    id="ANT-MTU-002",
    slug="mtu-differs-across-nodes",
    title="Pod MTU differs between Nodes",
    category="mtu",
    severity="warning",
    applies_to="all",
    modes=("encap", "hybrid"),
    platform="linux",
    inputs=Inputs(any_of=(IP_LINK, IP_ADDR)),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/configuration.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/agent.go",
    ),
    values=Values,
    outcomes=(
        Outcome(
            "differs",
            message="""
            The Pod MTU (antrea-gw0) is not the same on every Node: {{ groups | join("; ") }}. Pods on the
            {{ largest }}-MTU Node{{ "s" if large_nodes | length > 1 else "" }} ({{ large_nodes | join(", ") }}) can
            send packets that the {{ smallest }}-MTU Node{{ "s" if small_nodes | length > 1 else "" }}
            ({{ small_nodes | join(", ") }}) or the network between them cannot carry once encapsulated: large
            transfers between Pods on these Nodes are dropped.{% if nic_groups %} Transport NIC MTUs:
            {{ nic_groups | join("; ") }}.{% endif %}
        """,
        ),
    ),
    remediation=(
        Step(
            "Compare the MTUs of all Nodes.",
            "kubectl get nodes -o name | cut -d/ -f2 | while read n; do echo $n; "
            "kubectl debug node/$n -q --image=busybox -- ip link show antrea-gw0 | grep -o 'mtu [0-9]*'; done",
        ),
        Step(
            "Set defaultMTU in antrea-agent.conf to {{ smallest }} (the smallest working value) or give all Nodes the "
            "same NIC MTU, then restart the agents.",
            "kubectl -n kube-system edit configmap antrea-config; "
            "kubectl -n kube-system rollout restart daemonset/antrea-agent",
        ),
        Step("Recreate the Pods: existing Pods keep the MTU they were created with."),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    by_mtu: dict[int, list[str]] = defaultdict(list)
    nics: dict[int, list[str]] = defaultdict(list)
    evidence: list[EvidenceLine] = []
    for node in ev.nodes:
        gw = node.link(GATEWAY)
        if gw is None or not gw.mtu:
            continue
        by_mtu[gw.mtu].append(node.name)
        line = node.line_in((IP_LINK, IP_ADDR), f"{GATEWAY}:")
        if line:
            evidence.append(line)
        nic = node.transport_uplink
        if nic is not None and nic.mtu:
            nics[nic.mtu].append(node.name)
    if len(by_mtu) < 2:
        return
    smallest, largest = min(by_mtu), max(by_mtu)
    yield RULE.finding(
        "differs",
        nodes=[n for names in by_mtu.values() for n in names],
        # The MTUs are read from each Node; only whether traffic between them is large stays open.
        confidence=0.85,
        values=Values(
            groups=_groups(by_mtu),
            largest=largest,
            smallest=smallest,
            large_nodes=sorted(by_mtu[largest]),
            small_nodes=sorted(by_mtu[smallest]),
            nic_groups=_groups(nics) if len(nics) > 1 else [],
        ),
        evidence=evidence[:8],
    )


def _groups(by_value: dict[int, list[str]]) -> list[str]:
    return [f"{value} on {', '.join(sorted(names))}" for value, names in sorted(by_value.items())]
