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
The PodCIDRs of every Node in clusterinfo ``#nodes``, compared across Nodes (identical
networks, or one inside another, of the same family), and each Node's InternalIP checked
against every PodCIDR. The first 20 conflicts are spelled out and the rest counted, so a
cluster of thousands of Nodes that share one PodCIDR gets one readable finding. This is a cross-Node rule: it needs clusterinfo (``antctl supportbundle`` run from
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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from diagnose.api import CLUSTER_INFO, EvidenceLine, Finding, Inputs, NodeInfo, Outcome, Rule, RuleEvidence, Step


@dataclass
class Values:
    """The overlapping PodCIDRs, in words."""

    conflicts: list[str]  # each conflict in words ("worker-1 and worker-2 both have PodCIDR 10.244.1.0/24")
    node_ip_inside: bool  # some Node IP is inside another Node's PodCIDR
    both_allocators: bool  # antrea-controller.conf enables Antrea NodeIPAM (a second allocator is likely)


_ALLOCATORS = """{% if both_allocators %} Antrea NodeIPAM is enabled in antrea-controller: if kube-controller-manager also
    allocates PodCIDRs (--allocate-node-cidrs), the two allocators hand out the same ranges.{% endif %}"""
_INSIDE = """A Node IP inside a PodCIDR is routed into the Pod network of the Node owning that PodCIDR: the Node
    becomes unreachable from it."""

RULE = Rule(
    id="ANT-PCD-002",
    slug="podcidr-overlap",
    title="Nodes have duplicate or overlapping PodCIDRs",
    category="podcidr-conflict",
    severity="critical",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/antrea-ipam.md",
        "https://github.com/antrea-io/antrea/blob/main/docs/getting-started.md",
    ),
    inputs=Inputs(needs=(CLUSTER_INFO,)),
    judge_outcome=False,  # the Nodes' PodCIDRs as collected: a state, not log lines that may have passed
    explains=("duplicate-pod-ip", "host-network-config"),
    lookalikes=("podcidr-not-allocated", "duplicate-pod-ip"),
    values=Values,
    outcomes=(
        Outcome(
            "overlap",
            message="""
            PodCIDR conflict{{ "s" if conflicts | length > 1 }}: {{ conflicts | join("; ") }}. Each Node routes its
            peers' PodCIDRs to them and allocates its own Pods from its PodCIDR, so traffic for these addresses goes
            to the wrong Node and the same Pod IP can be given twice.{% if node_ip_inside %} """
            + _INSIDE
            + "{% endif %}"
            + _ALLOCATORS,
        ),
        Outcome(
            "node_ip_inside",
            message="""
            PodCIDR conflict{{ "s" if conflicts | length > 1 }}: {{ conflicts | join("; ") }}. """
            + _INSIDE
            + _ALLOCATORS,
        ),
    ),
    remediation=(
        Step(
            "List each Node's PodCIDRs and InternalIP.",
            "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDRS:.spec.podCIDRs,"
            "IP:.status.addresses[0].address",
        ),
        Step(
            "Keep a single PodCIDR allocator: either kube-controller-manager --allocate-node-cidrs with "
            "--cluster-cidr, or Antrea NodeIPAM (nodeIPAM.enableNodeIPAM in antrea-controller.conf), not both; pick "
            "a cluster CIDR that does not overlap the Node network."
        ),
        Step(
            "spec.podCIDR cannot be changed: drain, delete and re-join each conflicting Node so that it gets a new "
            "PodCIDR, then restart the agents.",
            "kubectl drain {{ node }} --ignore-daemonsets && kubectl delete node {{ node }}",
        ),
    ),
)


MAX_LISTED = 20  # conflicts spelled out in the summary; the rest are counted
_NAMED = 3  # Node names spelled out for one PodCIDR that many Nodes hold


def check(ev: RuleEvidence) -> Iterator[Finding]:
    if ev.clusterinfo is None or not ev.clusterinfo.nodes:
        return
    nodes_info = ev.clusterinfo.nodes
    index = _CidrIndex(nodes_info)
    found = _Conflicts()
    for net in index.ordered:
        holders = index.owners[net]
        if len(holders) > 1:
            found.add(
                f"{_names(holders)} {'both' if len(holders) == 2 else 'all'} have PodCIDR {_text(net)}"
                if found.listing
                else None,
                nets=(net,),
            )
        for outer in index.containing(net[0], net[1], net[2]):
            if len(holders) == 1 and index.owners[outer] == holders:
                continue  # one Node's own CIDRs
            found.add(
                f"{_names(index.owners[outer])} and {_names(holders)} have overlapping PodCIDRs "
                f"{_text(outer)} and {_text(net)}"
                if found.listing
                else None,
                nets=(outer, net),
            )
    for name, info in nodes_info.items():
        for ip in info.internal_ips:
            addr = _address(ip)
            if addr is None:
                continue
            for net in index.containing(addr[0], addr[1], _BITS[addr[0]] + 1):
                holders = index.owners[net]
                if holders == [name]:
                    continue
                found.add(
                    f"the Node IP {ip} of {name} is inside the PodCIDR {_text(net)} of "
                    f"{_names([n for n in holders if n != name])}"
                    if found.listing
                    else None,
                    nets=(net,),
                    node=name,
                    inside=True,
                )
    if not found.count:
        return
    conflicts = list(found.texts)
    if found.count > len(conflicts):
        conflicts.append(f"{found.count - len(conflicts):,} more not listed ({found.count:,} conflicts in all)")
    named = sorted(found.nodes(index))
    evidence = [
        EvidenceLine(
            "clusterinfo",
            None,
            None,
            f"#nodes {n}: podCIDRs={', '.join(nodes_info[n].pod_cidrs if n in nodes_info else [])}",
            n,
        )
        for n in named[:12]
    ]
    yield RULE.finding(
        "overlap" if found.overlaps else "node_ip_inside",
        nodes=named,
        confidence=0.95,
        values=Values(conflicts=conflicts, node_ip_inside=found.inside, both_allocators=ev.view.controller_node_ipam),
        evidence=evidence,
    )


class _CidrIndex:
    """The Nodes' PodCIDRs grouped by network, with a lookup by (family, masked address, length).

    Two CIDRs overlap only when one contains the other, so the networks that contain an address
    (or a smaller network) are found by masking it to each prefix length in use and looking the
    result up: a few dictionary lookups per query, O(N log N) for the whole cluster instead of
    comparing every pair of Nodes (20,000 Nodes are 200 million pairs). A network is a tuple
    (family, address as int, prefix length); invalid CIDRs are dropped.
    """

    def __init__(self, nodes_info: Mapping[str, NodeInfo]) -> None:
        self.owners: dict[tuple[int, int, int], list[str]] = {}  # network -> its Nodes, in clusterinfo order
        for name, info in nodes_info.items():
            for cidr in info.pod_cidrs:
                net = _network(cidr)
                if net is None:
                    continue
                holders = self.owners.setdefault(net, [])
                if name not in holders[-1:]:
                    holders.append(name)
        self.ordered = sorted(self.owners)
        self._lengths = {v: sorted({n[2] for n in self.ordered if n[0] == v}) for v in (4, 6)}

    def containing(self, version: int, address: int, shorter_than: int) -> Iterator[tuple[int, int, int]]:
        """The networks in use that contain `address` and have a prefix shorter than `shorter_than`."""
        bits = _BITS[version]
        for length in self._lengths[version]:
            if length >= shorter_than:
                break
            net = (version, address & (((1 << length) - 1) << (bits - length)), length)
            if net in self.owners:
                yield net


class _Conflicts:
    """Conflicts counted; the first MAX_LISTED spelled out. Nodes are gathered per network, so a
    PodCIDR that 20,000 Nodes share costs 20,000 steps, not 20,000 per conflict."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.count = 0
        self.overlaps = self.inside = False
        self._nets: set[tuple[int, int, int]] = set()
        self._nodes: set[str] = set()

    @property
    def listing(self) -> bool:
        return len(self.texts) < MAX_LISTED

    def add(
        self, text: str | None, nets: tuple[tuple[int, int, int], ...], node: str | None = None, inside: bool = False
    ) -> None:
        self.count += 1
        if text is not None:
            self.texts.append(text)
        self._nets.update(nets)
        if node is not None:
            self._nodes.add(node)
        self.inside |= inside
        self.overlaps |= not inside

    def nodes(self, index: _CidrIndex) -> set[str]:
        return self._nodes.union(*(index.owners[net] for net in self._nets))


def _names(nodes: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`, or `a, b, c and 1,997 other Nodes`."""
    if len(nodes) <= _NAMED:
        return nodes[0] if len(nodes) == 1 else f"{', '.join(nodes[:-1])} and {nodes[-1]}"
    return f"{', '.join(nodes[:_NAMED])} and {len(nodes) - _NAMED:,} other Nodes"


_BITS = {4: 32, 6: 128}


def _address(text: str) -> tuple[int, int] | None:
    """(family, address as int) of an IP address. A dotted quad is read here: `ipaddress`
    costs ~20x more per Node (and `socket.inet_pton` ~0.6 MiB of memory for the socket module);
    like both, an octet with a leading zero is not an address."""
    text = text.strip()
    octets = text.split(".")
    if len(octets) == 4 and all(
        o.isascii() and o.isdigit() and len(o) <= 3 and (o[0] != "0" or o == "0") for o in octets
    ):
        a, b, c, d = map(int, octets)
        return (4, a << 24 | b << 16 | c << 8 | d) if max(a, b, c, d) < 256 else None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.version, int(address)


def _network(cidr: str) -> tuple[int, int, int] | None:
    """(family, network address as int, prefix length), host bits cleared as kubectl shows them."""
    text, _, length_text = cidr.partition("/")
    address = _address(text)
    if address is None or not length_text.strip().isdigit():
        return None
    version, value = address
    length, bits = int(length_text), _BITS[version]
    if length > bits:
        return None
    return version, value & (((1 << length) - 1) << (bits - length)), length


def _text(net: tuple[int, int, int]) -> str:
    version, value, length = net
    return str((ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network)((value, length)))
