"""The Node's host network as Antrea sees it: which NIC carries the Node, which NIC is in OVS.

Shared by the SecondaryNetwork, MTU and host-network rules, so each asks the same question the
same way: the transport interface is the NIC holding the Node IP (Antrea's own choice when
`transportInterface` is unset, pkg/agent/agent.go), not necessarily the default-route NIC.
"""

from __future__ import annotations

import ipaddress

from diagnose.parse import ipaddr, iproute


def default_route_nics(routes: list[iproute.Route] | None) -> set[str]:
    return {r.dev for r in iproute.default_routes(routes or []) if r.dev}


def nics_with_ips(links: list[ipaddr.Link] | None, ips: set[str]) -> set[str]:
    """Interfaces holding one of `ips` (addresses without prefix length)."""
    out = set()
    for link in links or []:
        if any(cidr.split("/")[0] in ips for cidr in (a.cidr for a in link.addresses)):
            out.add(link.name)
    return out


def primary_nics(links: list[ipaddr.Link] | None, routes: list[iproute.Route] | None, node_ips: set[str]) -> set[str]:
    """Interfaces that carry the Node IP or the default route (what SSH and the API use)."""
    return default_route_nics(routes) | nics_with_ips(links, node_ips)


def transport_nic(
    links: list[ipaddr.Link] | None,
    routes: list[iproute.Route] | None,
    node_ips: set[str],
    configured: str | None = None,
) -> ipaddr.Link | None:
    """The NIC Antrea encapsulates over: `transportInterface` when set, else the NIC of the
    Node IP, else the default-route NIC (Antrea's own order)."""
    by_name = {lk.name: lk for lk in links or []}
    if configured and configured in by_name:
        return by_name[configured]
    for name in sorted(nics_with_ips(links, node_ips)):
        return by_name[name]
    for name in sorted(default_route_nics(routes)):
        if name in by_name:
            return by_name[name]
    return None


def transport_uplink(links: list[ipaddr.Link] | None, nic: ipaddr.Link | None) -> ipaddr.Link | None:
    """The physical NIC under the transport interface `nic`: `nic` itself, or its renamed
    `<nic>~` when Antrea moved it into OVS (AntreaIPAM bridging, a secondary bridge), whose
    internal port now carries the Node IP; never one of Antrea's own ports."""
    if nic is None:
        return None
    renamed = next((lk for lk in links or [] if lk.name == nic.name + "~" and lk.master == "ovs-system"), None)
    if renamed is not None:
        return renamed
    return None if nic.name.startswith("antrea-") else nic


def renamed_uplinks(links: list[ipaddr.Link] | None) -> list[ipaddr.Link]:
    """Host NICs renamed `<nic>~` and enslaved to OVS: Antrea moved them into a bridge."""
    return [lk for lk in links or [] if lk.renamed_uplink and lk.master == "ovs-system"]


def in_network(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def bridged_primary_nic(
    renamed: list[ipaddr.Link], primary: set[str], unknown_routes_count: bool = False
) -> ipaddr.Link | None:
    """The renamed uplink (`<nic>~` in ovs-system) whose NIC carries the Node's route or IP.
    Without routes or a Node IP to tell (`primary` empty), any renamed uplink counts if
    `unknown_routes_count`."""
    for link in renamed:
        if link.renamed_uplink in primary or (unknown_routes_count and not primary):
            return link
    return None
