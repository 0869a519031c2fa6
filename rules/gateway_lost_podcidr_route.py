"""antrea-gw0 lost its address or the Node's PodCIDR route, removed outside Antrea.

Symptom
-------
Pods on one Node cannot reach the Node, Services or anything outside the Node, and the Node
cannot reach its Pods, although the agent runs; ``ip addr show antrea-gw0`` shows no IPv4
address, or ``ip route`` has no route for the Node's PodCIDR on ``antrea-gw0``.

Why it happens
--------------
antrea-agent gives ``antrea-gw0`` the first address of the Node's PodCIDR (e.g.
``10.10.1.1/24``); the kernel then routes the PodCIDR to it. A host network manager that
treats ``antrea-gw0`` as its own (systemd-networkd on CoreOS, NetworkManager, a
``netplan apply``/``ifdown``) flushes the addresses of interfaces it manages when it
restarts or reconfigures, and the routes go with them (antrea-io/antrea docs/os-issues.md,
CoreOS: "if networkd is restarted ... the interface [loses] its IP configuration, and all the
routes associated with the interface will be deleted"). Nothing in Antrea removes them while
the agent runs.

Evidence
--------
``ip addr``/``ip link`` and ``ip route`` of the same Node: ``antrea-gw0`` present but without
an IPv4 address (with ``ip addr`` output; an IPv6-only gateway is an IPv6 cluster), down, or
no route for the Node's PodCIDR (from clusterinfo ``#nodes``, the gateway's own address or the
agent's ``Agent initialized`` line) on it. From ``ip route`` alone: Antrea's routes to the other
Nodes' PodCIDRs go via ``antrea-gw0`` (so the agent initialised it), but the kernel's
``proto kernel scope link`` route of the Node's own PodCIDR on it is gone; an earlier pasted
snapshot that still had it (``ip-route.before.txt``) is cited. The kernel adds that route when
the gateway gets its address and Antrea does not re-add it (it reconciles only its own routes,
antrea-io/antrea#3187). Stays quiet when the gateway interface is absent (the agent never
initialised: see the other findings) and in ``networkPolicyOnly`` mode, where antrea-gw0 has no
address and there is no PodCIDR route by design (pkg/agent/agent.go ``configureGatewayInterface``
returns before giving antrea-gw0 an address of the local PodCIDR in that mode, v1.0 to v2.7). When the Node's mode is unknown (no
config, no agent log, no tunnel device) and no Antrea route to another Node proves that Antrea
routes Pods here, a gateway without an address could be that design: inconclusive.

Remediation
-----------
Mark Antrea's interfaces unmanaged in the host network manager, then restart antrea-agent,
which re-creates the gateway configuration.

References
----------
antrea-io/antrea docs/os-issues.md (CoreOS / systemd-networkd), antrea-io/antrea#626.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_CONFIG,
    AGENT_LOG,
    CLUSTER_INFO,
    INCONCLUSIVE,
    IP_ADDR,
    IP_LINK,
    IP_ROUTE,
    ROUTE_TABLE_ALL,
    EvidenceLine,
    Finding,
    Inputs,
    Link,
    Missing,
    NodeView,
    Outcome,
    Route,
    Rule,
    RuleEvidence,
    Step,
)

GATEWAY = "antrea-gw0"
MODE_COMMAND = "kubectl -n kube-system get configmap antrea-config -o yaml | grep trafficEncapMode"


@dataclass
class Values:
    """What is wrong with the gateway and the Node's PodCIDR."""

    problems: list[str]  # what is wrong with the gateway, one clause each
    pod_cidr: str | None  # the Node's IPv4 PodCIDR, when known


_LOST = """
    On {{ where }} {{ problems | join("; ") }}. Traffic between the Node and its Pods
    {%- if pod_cidr %} ({{ pod_cidr }}){% endif %} goes through antrea-gw0, so Pods on this Node cannot reach
    the Node, Services or the outside, and the Node cannot reach them.
"""
_OUTSIDE = """
    antrea-agent configured both at start; they are removed by something outside Antrea, typically a host
    network manager that manages antrea-gw0 and flushed it when it restarted.
"""

RULE = Rule(
    id="ANT-HOST-001",
    slug="gateway-lost-podcidr-route",
    title="antrea-gw0 lost its address or PodCIDR route",
    category="host-network-config",
    severity="error",
    applies_to="all",
    modes=("encap", "noEncap", "hybrid"),
    platform="linux",
    inputs=Inputs(any_of=(IP_ADDR, IP_LINK, IP_ROUTE), optional=(CLUSTER_INFO, AGENT_LOG, AGENT_CONFIG)),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/os-issues.md",
        "antrea-io/antrea#626",
        "antrea-io/antrea#3187",
    ),
    lookalikes=("podcidr-not-allocated",),
    values=Values,
    outcomes=(
        # The address is gone (the kernel's PodCIDR route goes with it).
        Outcome("gateway_flushed", message=_LOST + _OUTSIDE),
        # The address is there (or not shown), the kernel route of the Node's own PodCIDR is not.
        Outcome(
            "route_missing",
            message=_LOST
            + _OUTSIDE
            + """
            Antrea re-adds only its own routes, not the kernel's route of the gateway's subnet
            (antrea-io/antrea#3187).
        """,
        ),
        Outcome(
            "mode_unknown",
            status=INCONCLUSIVE,
            message=_LOST
            + """
            The Node's traffic mode is unknown: in networkPolicyOnly mode antrea-gw0 has no address and no PodCIDR
            route by design, in every other mode they were removed outside Antrea.
        """,
        ),
    ),
    remediation=(
        Step("Check the gateway and its routes.", "ip addr show antrea-gw0; ip route show dev antrea-gw0"),
        Step(
            "Mark Antrea's interfaces unmanaged: for NetworkManager, and for systemd-networkd with a .network file "
            "matching antrea-gw0 and ovs-system with [Link] Unmanaged=yes (docs/os-issues.md).",
            "nmcli device set antrea-gw0 managed no",
        ),
        Step(
            "Restart antrea-agent to restore the gateway address and routes.",
            "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
            "--field-selector spec.nodeName={{ node }}",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        gw = node.link(GATEWAY)
        routes = node.routes
        peers = [r for r in routes or [] if GATEWAY in r.devices and r.via]
        if gw is None and not peers:
            continue  # no gateway: the agent never set it up (other findings say why)
        problems: list[str] = []
        evidence: list[EvidenceLine] = []
        flushed = False
        if gw is not None:
            if not gw.is_up:
                problems.append(f"{GATEWAY} is down")
            if node.has(IP_ADDR) and gw.complete and not gw.ipv4 and not _global_v6(gw):
                problems.append(f"{GATEWAY} has no IP address")
                flushed = True
        pod_cidr = _pod_cidr(node, gw)
        if routes is not None and (pod_cidr or peers):
            own = [r for r in routes if _local_route(r)]
            if pod_cidr and not any(_same_net(r.dst, pod_cidr) for r in own) or not pod_cidr and not own:
                what = f"the Node's PodCIDR {pod_cidr}" if pod_cidr else "the Node's own PodCIDR"
                problems.append(
                    f"the route for {what} on {GATEWAY} is missing"
                    + (" while the routes to the other Nodes' PodCIDRs via it are there" if peers else "")
                )
                note = f"(no {pod_cidr or 'local PodCIDR'} route on {GATEWAY} in this output)"
                missing_route = node.note_on(IP_ROUTE, note) or node.note_on(ROUTE_TABLE_ALL, note)
                if missing_route is not None:
                    evidence.append(missing_route)
                evidence.extend(_was_there(node, pod_cidr))
        if not problems:
            continue
        gw_line = node.line_in((IP_ADDR, IP_LINK), f"{GATEWAY}:")
        if gw_line:
            evidence.insert(0, gw_line)
        # Antrea's routes to the other Nodes via the gateway prove it routes Pods here: not networkPolicyOnly.
        if node.mode.encap is None and not peers:
            yield RULE.finding(
                "mode_unknown",
                nodes=[node.name],
                confidence=0.5,
                values=Values(problems=problems, pod_cidr=pod_cidr),
                evidence=evidence,
                missing=[Missing("the traffic mode (antrea-agent.conf)", MODE_COMMAND)],
            )
            continue
        yield RULE.finding(
            "gateway_flushed" if flushed else "route_missing",
            nodes=[node.name],
            confidence=0.85,
            values=Values(problems=problems, pod_cidr=pod_cidr),
            evidence=evidence,
        )


def _global_v6(gw: Link) -> list[str]:
    return [a for a in gw.ipv6 if not a.lower().startswith("fe80")]


def _local_route(r: Route) -> bool:
    """The kernel's route of the gateway's own subnet: on antrea-gw0, no gateway, scope link."""
    return GATEWAY in r.devices and not r.via and r.scope == "link"


def _was_there(node: NodeView, pod_cidr: str | None) -> list[EvidenceLine]:
    """The route as an earlier pasted snapshot of the same Node still had it."""
    for art, routes in node.earlier_routes:
        for r in routes:
            if _local_route(r) and (not pod_cidr or _same_net(r.dst, pod_cidr)):
                line = node.line_in((IP_ROUTE,), r.dst)
                if line is not None and line.artifact == art.path:
                    return [line]
    return []


def _pod_cidr(node: NodeView, gw: Link | None) -> str | None:
    """The Node's IPv4 PodCIDR (clusterinfo, the agent's own line), else the local route an
    earlier snapshot had, else the network of the gateway's address."""
    if node.pod_cidr_v4:
        return node.pod_cidr_v4
    for _, routes in node.earlier_routes:
        for r in routes:
            if _local_route(r) and ":" not in r.dst:
                return r.dst
    for cidr in gw.ipv4 if gw else []:
        try:
            return str(ipaddress.ip_interface(cidr).network)
        except ValueError:
            continue
    return None


def _same_net(dst: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_network(dst, strict=False) == ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
