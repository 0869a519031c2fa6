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
initialised: see the other findings) and in ``networkPolicyOnly`` mode (no PodCIDR gateway).

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
import re

from diagnose.facts import lifecycle
from diagnose.model import IP_ADDR, IP_LINK, IP_ROUTE, ROUTE_TABLE_ALL
from diagnose.rule import EvidenceLine, Inputs, Rule, Step

GATEWAY = "antrea-gw0"

RULE = Rule(
    id="ANT-HOST-001",
    slug="gateway-lost-podcidr-route",
    title="antrea-gw0 lost its address or PodCIDR route",
    category="host-network-config",
    severity="error",
    applies_to="all",
    modes=("encap", "noEncap", "hybrid"),
    platform="linux",
    inputs=Inputs(any_of=(IP_ADDR, IP_LINK, IP_ROUTE)),
    references=("https://github.com/antrea-io/antrea/blob/main/docs/os-issues.md", "antrea-io/antrea#626",
                "antrea-io/antrea#3187"),
    lookalikes=("podcidr-not-allocated",),
    message="""
        On {{ where }} {{ problems | join("; ") }}. Traffic between the Node and its Pods
        {%- if pod_cidr %} ({{ pod_cidr }}){% endif %} goes through antrea-gw0, so Pods on this Node cannot reach
        the Node, Services or the outside, and the Node cannot reach them. antrea-agent configured both at start;
        they are removed by something outside Antrea, typically a host network manager that manages antrea-gw0
        and flushed it when it restarted.
    """,
    remediation=(
        Step("Check the gateway and its routes.", "ip addr show antrea-gw0; ip route show dev antrea-gw0"),
        Step("Mark Antrea's interfaces unmanaged: for NetworkManager, and for systemd-networkd with a .network file "
             "matching antrea-gw0 and ovs-system with [Link] Unmanaged=yes (docs/os-issues.md).",
             "nmcli device set antrea-gw0 managed no"),
        Step("Restart antrea-agent to restore the gateway address and routes.",
             "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
             "--field-selector spec.nodeName={{ node }}"),
    ),
)


def check(ev):
    for node in ev.nodes:
        gw = node.link(GATEWAY)
        routes = node.routes
        peers = [r for r in routes or [] if GATEWAY in r.devices and r.via]
        if gw is None and not peers:
            continue  # no gateway: the agent never set it up (other findings say why)
        problems, evidence = [], []
        if gw is not None:
            global_v6 = [a for a in gw.ipv6 if not a.lower().startswith("fe80")]
            if not gw.is_up:
                problems.append(f"{GATEWAY} is down")
            if node.has(IP_ADDR) and gw.complete and not gw.ipv4 and not global_v6:
                problems.append(f"{GATEWAY} has no IP address")
        pod_cidr = _pod_cidr(node, gw)
        if routes is not None and (pod_cidr or peers):
            own = [r for r in routes if GATEWAY in r.devices and not r.via and r.scope == "link"]
            if pod_cidr and not any(_same_net(r.dst, pod_cidr) for r in own) or not pod_cidr and not own:
                what = f"the Node's PodCIDR {pod_cidr}" if pod_cidr else "the Node's own PodCIDR"
                problems.append(f"the route for {what} on {GATEWAY} is missing"
                                + (" while the routes to the other Nodes' PodCIDRs via it are there" if peers else ""))
                art = next((a for a in node.data.artifacts if a.kind in (IP_ROUTE, ROUTE_TABLE_ALL)
                            and a in current_routes(node)), None)
                if art is not None:
                    evidence.append(EvidenceLine(art.path, None, None,
                                                 f"(no {pod_cidr or 'local PodCIDR'} route on {GATEWAY} in this output)",
                                                 node.name))
                evidence.extend(_was_there(node, pod_cidr))
        if not problems:
            continue
        gw_line = node.line_in((IP_ADDR, IP_LINK), f"{GATEWAY}:")
        if gw_line:
            evidence.insert(0, gw_line)
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.85,
            values={"problems": problems, "pod_cidr": pod_cidr},
            evidence=evidence,
        )


def current_routes(node) -> list:
    return [a for a in node.data.artifacts if a.kind == IP_ROUTE and all(
        a is not earlier for earlier, _ in node.earlier_routes)]


def _was_there(node, pod_cidr: str | None) -> list[EvidenceLine]:
    """The route as an earlier pasted snapshot of the same Node still had it."""
    for art, routes in node.earlier_routes:
        for r in routes:
            if GATEWAY in r.devices and not r.via and r.scope == "link" and (not pod_cidr or _same_net(r.dst, pod_cidr)):
                line = node.line_in((IP_ROUTE,), r.dst)
                if line is not None and line.artifact == art.path:
                    return [line]
    return []


def _pod_cidr(node, gw) -> str | None:
    """The Node's IPv4 PodCIDR: clusterinfo's, the network of the gateway's address, the agent's
    own `Agent initialized` line, or the local route an earlier snapshot had."""
    info = node.info
    for cidr in (info.pod_cidrs if info else []):
        if ":" not in cidr:
            return cidr
    for run in reversed(node.runs):
        init = run.first(lifecycle.key("initialized"))
        found = re.search(r"PodIPv4CIDR: (\d[\d.]+/\d+)", init.text) if init else None
        if found:
            return found[1]
    for _, routes in node.earlier_routes:
        for r in routes:
            if GATEWAY in r.devices and not r.via and r.scope == "link" and ":" not in r.dst:
                return r.dst
    for cidr in (gw.ipv4 if gw else []):
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

