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
no route for the Node's PodCIDR (from clusterinfo ``#nodes``, else the gateway's own address)
on it. Stays quiet when the gateway interface is absent (the agent never initialised: see the
other findings) or in ``networkPolicyOnly`` mode (no PodCIDR gateway).

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

from diagnose.model import IP_ADDR, IP_LINK, IP_ROUTE, ROUTE_TABLE_ALL
from diagnose.rule import EvidenceLine, Rule, Step

GATEWAY = "antrea-gw0"

RULE = Rule(
    id="ANT-HOST-001",
    slug="gateway-lost-podcidr-route",
    title="antrea-gw0 lost its address or PodCIDR route",
    category="host-network-config",
    severity="error",
    applies_to="all",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/os-issues.md", "antrea-io/antrea#626"),
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
    cfg = ev.config
    if cfg is not None and cfg.traffic_encap_mode == "networkPolicyOnly":
        return
    for node in ev.log_nodes:
        gw = node.link(GATEWAY)
        if gw is None:
            continue
        problems, evidence = [], []
        gw_line = node.line_in((IP_ADDR, IP_LINK), f"{GATEWAY}:")
        have_addresses = node.has(IP_ADDR)
        global_v6 = [a for a in gw.ipv6 if not a.lower().startswith("fe80")]
        if not gw.is_up:
            problems.append(f"{GATEWAY} is down")
        if have_addresses and not gw.ipv4 and not global_v6:
            problems.append(f"{GATEWAY} has no IP address")
        pod_cidr = _pod_cidr(node, gw)
        routes = node.routes
        if routes is not None and pod_cidr:
            if not any(_same_net(r.dst, pod_cidr) and GATEWAY in r.devices for r in routes):
                problems.append(f"the route for the Node's PodCIDR {pod_cidr} via {GATEWAY} is missing")
                art = next((a for a in node.data.artifacts if a.kind in (IP_ROUTE, ROUTE_TABLE_ALL)), None)
                if art is not None:
                    evidence.append(EvidenceLine(art.path, None, None,
                                                 f"(no route for {pod_cidr} dev {GATEWAY} in this output)", node.name))
        if not problems:
            continue
        if gw_line:
            evidence.insert(0, gw_line)
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.85,
            values={"problems": problems, "pod_cidr": pod_cidr},
            evidence=evidence,
        )


def _pod_cidr(node, gw) -> str | None:
    """The Node's IPv4 PodCIDR: clusterinfo's, else the network of the gateway's address."""
    info = node.info
    for cidr in (info.pod_cidrs if info else []):
        if ":" not in cidr:
            return cidr
    for cidr in gw.ipv4:
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

