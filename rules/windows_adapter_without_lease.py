"""Windows Node: the adapter that must hold the Node IP has only a 169.254 (APIPA) address.

Symptom
-------
A Windows Node drops off the network when antrea-agent starts (or after a reboot or a lease
expiry): the agent cannot reach the API server, logs ``Timeout acquiring IP for the adapter``
(v1.15+) or dies with ``failed to get local IPNet device with IP ...: unable to find local IPs
and device``, and Pods on the Node have no network. ``ipconfig /all`` shows ``br-int`` (or
``vEthernet (<uplink>)``) with an ``Autoconfiguration IPv4 Address`` 169.254.x.x and no
default gateway.

Why it happens
--------------
Windows gives an adapter an APIPA address from 169.254.0.0/16 when DHCP is enabled on it and no
DHCP server answered. When antrea-agent creates its Transparent HNS network, Windows binds the
uplink to the new vSwitch and moves its IP configuration to a new host vNIC with the uplink's
MAC, which Antrea renames to ``br-int``; with DHCP, that vNIC must get a lease again. A DHCP
server that does not answer it (a MAC reservation or port security on the switch, DHCP
snooping, a relay lost with the move, a lease expiry later) leaves the Node with APIPA only.
Windows also falls back to APIPA when it finds the Node IP in use by another host (the address
shows ``(Duplicate)``).

Evidence
--------
``ipconfig /all`` of the Node (the bundle's ``ipconfig`` file, or pasted; any language): the
adapter Antrea needs has no usable IPv4 address and a 169.254 one. Which adapter that is comes
from the Node's state (diagnose.facts.winhost): ``br-int`` (the OVS bridge name), else the
``vEthernet (<uplink>)`` vNIC of ``antrea-hnsnetwork``, else the configured transportInterface,
else the uplink named by ``Get-HNSNetwork`` or holding the Node IP. The Node IP (clusterinfo's
InternalIP, the agent's ``NodeIPv4``, the HNS network's ``ManagementIP``) on no adapter confirms
it. Other vNICs may have APIPA on a healthy Node (``vEthernet (HNS Internal NIC)`` for
kube-proxy has no DHCP server) and are never reported. An uplink that is disabled or
disconnected explains an APIPA address better and is reported by ``windows-uplink-adapter-down``
instead. The agent's ``Timeout acquiring IP for the adapter`` (pkg/agent/util/net_windows.go,
v1.15+; earlier releases log nothing there) and ``failed to get local IPNet device with IP``
(pkg/agent/agent.go, every release) are quoted when present; their absence proves nothing.

Remediation
-----------
Make DHCP answer the vNIC (it has the uplink's MAC) or give the Node a static IP, then renew and
restart the agent; clean a half-made network with Antrea's script first.

References
----------
antrea-io/antrea docs/windows.md; pkg/agent/util/net_windows.go (PrepareHNSNetwork);
hack/windows/Clean-AntreaNetwork.ps1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from diagnose.api import (
    AGENT_LOG,
    CLUSTER_INFO,
    HNS_NETWORK,
    WIN_ADAPTERS,
    WIN_IPCONFIG,
    WIN_ROUTES,
    EvidenceLine,
    Finding,
    Inputs,
    Missing,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
)

if TYPE_CHECKING:  # diagnose.api imports the Windows modules on first use: annotations only here
    from diagnose.api import winhost


@dataclass
class Values:
    """The Windows adapter with a 169.254 address and the Node IP it should hold."""

    adapter: str  # the adapter without a lease, e.g. "br-int"
    role: str  # why Antrea needs it, e.g. "the OVS bridge's vNIC, to which Antrea moved the Node IP"
    apipa: str  # its 169.254 address
    node_ip: str | None  # the Node IP it should hold, when known
    duplicate: str | None  # the address Windows found in use elsewhere ("(Duplicate)"), if any
    agent_saw: str | None  # what the agent logged about it, e.g. "Timeout acquiring IP for the adapter"


RULE = Rule(
    id="ANT-WIN-002",
    slug="windows-adapter-without-lease",
    title="Windows: the adapter that carries the Node has no DHCP lease (169.254 address)",
    category="host-network-config",
    severity="critical",
    platform="windows",
    inputs=Inputs(needs=(WIN_IPCONFIG,), optional=(WIN_ADAPTERS, WIN_ROUTES, HNS_NETWORK, CLUSTER_INFO, AGENT_LOG)),
    judge_outcome=False,  # a finding about the Node's state now, not about log lines
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/windows.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/util/net_windows.go",
        "https://github.com/antrea-io/antrea/blob/main/hack/windows/Clean-AntreaNetwork.ps1",
    ),
    signatures=(
        Signature(
            "ip_timeout",
            r'"Timeout acquiring IP for the adapter"',
            "Timeout acquiring IP for the adapter",
            versions=">=1.15.0",
            role="context",
        ),
        Signature(
            "no_local_ip",
            r"failed to get local IPNet device with IP (?P<ips>.{0,200}?): unable to find local "
            r"IPs? and device",
            "failed to get local IPNet device with IP",
            versions=">=1.1.0",
            role="context",
        ),
    ),
    explains=("apiserver-unreachable", "controller-unreachable", "agent-crash", "windows-hns"),
    values=Values,
    outcomes=(
        Outcome(
            "no-lease",
            message="""
            On {{ where }}, {{ adapter }}, {{ role }}, has no DHCP lease: ipconfig shows only the APIPA address {{ apipa }}
            {%- if node_ip %}, and the Node IP {{ node_ip }} is on no adapter{% endif %}. The Node reaches
            nothing beyond its link, so antrea-agent cannot reach the API server and Pods on the Node have no
            network.{% if agent_saw %} The agent logged "{{ agent_saw }}".{% endif %}
        """,
        ),
        Outcome(
            "duplicate",
            message="""
            On {{ where }}, Windows found {{ duplicate }} in use by another host (Duplicate) and fell back to
            the APIPA address {{ apipa }} on {{ adapter }} ({{ role }}). The Node has no usable address: another
            machine holds its IP.{% if agent_saw %} The agent logged "{{ agent_saw }}".{% endif %}
        """,
            remediation=(
                Step(
                    "Find the other host answering for the address (its MAC is in the ARP table of a neighbour).",
                    "arp -a | findstr {{ duplicate }}   # on another host of the subnet",
                ),
                Step(
                    "Give one of them another address, then renew the Node's configuration.",
                    'ipconfig /release "{{ adapter }}" & ipconfig /renew "{{ adapter }}"   # on {{ node }}',
                ),
            ),
        ),
        Outcome(
            "unknown-adapter",
            severity="warning",
            status="inconclusive",
            message="""
            On {{ where }}, {{ adapter }} has only the APIPA address {{ apipa }} (no DHCP lease) and no adapter
            has a default gateway. Nothing collected says which adapter Antrea uses (no Get-HNSNetwork, no
            br-int, the Node IP unknown), so whether this breaks the Pod network is not known.
        """,
        ),
    ),
    remediation=(
        Step(
            "Check the adapter's DHCP state and try to renew its lease.",
            'ipconfig /all; ipconfig /renew "{{ adapter }}"   # on {{ node }}',
        ),
        Step(
            "Make the DHCP server answer the adapter's MAC (the vNIC keeps the uplink's MAC), or configure the "
            "Node IP statically on it.",
            "powershell -Command \"New-NetIPAddress -InterfaceAlias '{{ adapter }}' -IPAddress "
            "{{ node_ip or '<node-ip>' }} -PrefixLength <len> -DefaultGateway <gateway>\"   # on {{ node }}",
        ),
        Step(
            "If the HNS network was left half made, clean it with Antrea's script and restart the agent.",
            "hack/windows/Clean-AntreaNetwork.ps1 -RenewIPConfig $true   # on {{ node }}",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        host = node.windows_host
        if host is None or not host.have_ipconfig:
            continue
        if _link_down(host):
            continue  # a disabled or unplugged uplink explains APIPA: windows-uplink-adapter-down says so
        if host.node_ip_holders():
            continue  # the Node IP is on an adapter with a usable address
        finding = _needed_adapter_without_lease(ev, node, host) or _unknown_adapter_without_lease(node, host)
        if finding is not None:
            yield finding


def _needed_adapter_without_lease(ev: RuleEvidence, node: NodeView, host: winhost.WindowsHost) -> Finding | None:
    for role in host.needs_node_ip():
        adapter = role.adapter
        if adapter.ip is None or not adapter.without_lease:
            continue
        duplicate = next((a.address for a in adapter.ip.ipv4 if a.status == "duplicate"), None)
        node_ip = sorted(host.node_ips)[0] if host.node_ips else None
        logged = ev.hits("ip_timeout", node) + ev.hits("no_local_ip", node)
        missing = (
            []
            if host.node_ips
            else [Missing.of(CLUSTER_INFO, "the Node's InternalIP, which would confirm the Node IP is on no adapter")]
        )
        return RULE.finding(
            "duplicate" if duplicate else "no-lease",
            nodes=[node.name],
            confidence=0.95 if host.node_ips or duplicate else 0.85,
            values=Values(
                adapter=adapter.name,
                role=role.why,
                apipa=adapter.ip.apipa[0].address,
                node_ip=node_ip,
                duplicate=duplicate,
                agent_saw=_agent_saw(logged),
            ),
            evidence=[*_adapter_lines(node, host, adapter), *(EvidenceLine.of(e) for e in logged[:2])],
            missing=missing,
            ruled_out=_ruled_out(host, role),
        )
    return None


def _unknown_adapter_without_lease(node: NodeView, host: winhost.WindowsHost) -> Finding | None:
    """No adapter is known to be Antrea's: a physical adapter with DHCP and no lease on a Node
    where no adapter has a default gateway is still worth saying, as a guess."""
    if host.needs_node_ip() or any(a.ip and a.ip.gateways and a.usable_ipv4 for a in host.adapters):
        return None
    for adapter in host.adapters:
        if adapter.ip is None or adapter.down or adapter.ip.dhcp is False or adapter.name in _INTERNAL:
            continue
        # A vSwitch vNIC may be the one holding the Node IP; other virtual adapters are not.
        if adapter.virtual and not adapter.name.startswith("vEthernet ("):
            continue
        if adapter.without_lease:
            return RULE.finding(
                "unknown-adapter",
                nodes=[node.name],
                confidence=0.5,
                values=Values(
                    adapter=adapter.name,
                    role="an adapter with DHCP",
                    apipa=adapter.ip.apipa[0].address,
                    node_ip=None,
                    duplicate=None,
                    agent_saw=None,
                ),
                evidence=_adapter_lines(node, host, adapter),
                missing=[
                    Missing.of(HNS_NETWORK, "which adapter antrea-hnsnetwork uses"),
                    Missing.of(CLUSTER_INFO, "the Node's InternalIP"),
                ],
            )
    return None


# Host vNICs of internal switches, which no DHCP server serves: APIPA is their normal state.
_INTERNAL = frozenset({"vEthernet (HNS Internal NIC)", "vEthernet (nat)", "vEthernet (Default Switch)", "antrea-gw0"})


def _link_down(host: winhost.WindowsHost) -> bool:
    uplink, mgmt = host.uplink, host.management
    return any(a is not None and a.down for a in (uplink, mgmt))


def _adapter_lines(node: NodeView, host: winhost.WindowsHost, adapter: winhost.Adapter) -> list[EvidenceLine]:
    """The adapter's ipconfig title and address lines, as the file has them."""
    source = node.ipconfig.source if node.ipconfig else ""
    numbers = [adapter.ip.line, *(a.line for a in adapter.ip.ipv4)] if adapter.ip else []
    return [line for n in numbers if (line := node.evidence_line(source, n)) is not None]


def _ruled_out(host: winhost.WindowsHost, role: winhost.Role) -> list[str]:
    out = []
    uplink = host.uplink
    if uplink is not None and uplink.status == "Up":
        out.append(f"The uplink adapter {uplink.name} is Up (Get-NetAdapter): not a disabled or unplugged adapter.")
    if role.adapter.ip is not None and role.adapter.ip.dhcp:
        out.append(f"DHCP is enabled on {role.adapter.name}: the address is Windows' fallback, not a static choice.")
    return out


def _agent_saw(events: list) -> str | None:
    if any("Timeout acquiring IP" in e.text for e in events):
        return "Timeout acquiring IP for the adapter"
    return "failed to get local IPNet device with IP ...: unable to find local IPs and device" if events else None
