"""The Pod / gateway MTU is larger than the Node's NIC can carry once encapsulated.

Symptom
-------
Small requests between Pods on different Nodes work but large transfers hang or are slow
(TLS handshakes, image pulls through a Pod proxy, big HTTP responses); ``ping -s 1472`` between
Pods fails while ``ping`` works.

Why it happens
--------------
In ``encap`` (and ``hybrid``) mode every Pod packet that leaves the Node is wrapped in a
tunnel header: Geneve and VXLAN add 50 bytes, GRE 42, IPv6 outer headers 20 more, WireGuard
60 (``pkg/agent/config/node_config.go``). antrea-agent therefore gives ``antrea-gw0`` and the
Pods the transport NIC's MTU minus that overhead. When ``defaultMTU`` is set by hand it is
used as is, and a value at or near the NIC's MTU makes encapsulated packets larger than the
NIC (or the network) accepts: they are dropped or fragmented. Changing the traffic mode from
noEncap to encap without recreating the Pods leaves them with the old, larger MTU
(docs/noencap-hybrid-modes.md); a NIC whose MTU was lowered after the agent started does the
same.

Evidence
--------
``ip link``/``ip addr`` of the Node: ``antrea-gw0``'s MTU compared with the MTU of the OVS
tunnel device itself (OVS creates tunnel ports with MTU 65000, antrea-io/antrea#5940), and with
the MTU of the transport NIC (the one holding the Node IP, as Antrea picks it, or the physical
``<nic>~`` under it when Antrea bridged it into OVS) minus the overhead the agent's own formula
deducts for the tunnel in use (``CalculateMTUDeduction`` in pkg/agent/config/node_config.go:
Geneve and VXLAN 50, GRE 38 before v1.15 and 42 from v1.15, STT nothing, WireGuard 60 or
more, 20 more for an IPv6 transport); the tunnel type and traffic mode are the Node's mode (the
agent's ``Agent initialized`` line, antrea-agent.conf, else the ``genev_sys_6081`` /
``vxlan_sys_4789`` / ``gre_sys`` device in the same output), and the agent's ``"Got Interface
MTU"`` (``Setting Node MTU`` before v1.11) says what it used. Only ``encap`` and ``hybrid``
Nodes are checked: noEncap / networkPolicyOnly need no overhead. IPsec adds 38 more bytes that
this check does not count, so it never over-reports. Without the mode the Geneve overhead is
assumed and the finding is inconclusive.

Remediation
-----------
Remove ``defaultMTU`` from antrea-agent.conf (auto-detection subtracts the overhead) or set it
to NIC MTU minus overhead; restart the agents, then recreate the Pods (existing Pods keep their
MTU).

References
----------
antrea-io/antrea docs/configuration.md (defaultMTU), docs/noencap-hybrid-modes.md,
pkg/agent/config/node_config.go (overheads), antrea-io/antrea#5880, antrea-io/antrea#5997.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_CONFIG,
    AGENT_LOG,
    CLUSTER_INFO,
    INCONCLUSIVE,
    IP_ADDR,
    IP_LINK,
    EvidenceLine,
    Finding,
    Inputs,
    Link,
    LogEvent,
    Missing,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
    versions,
)

# pkg/agent/config/node_config.go: what the agent deducts per tunnel type (STT: nothing).
OVERHEAD = {"geneve": 50, "vxlan": 50, "gre": 42, "stt": 0}
GRE_BEFORE_1_15 = 38  # greOverhead up to v1.14
IPV6_EXTRA = 20
WIREGUARD = 60  # WireGuardOverhead from v1.15 (80 before: more, so 60 never over-reports)
_TUNNEL_DEVICES = ("genev_sys_", "vxlan_sys_", "gre_sys", "stt_sys_")
GATEWAY = "antrea-gw0"


@dataclass
class Values:
    """The Pod MTU, the NIC or tunnel MTU and the encapsulation overhead."""

    gw_mtu: int  # antrea-gw0's MTU: the Pod MTU
    nic: str  # the transport NIC ("" for the tunnel-port outcome)
    nic_mtu: int  # its MTU (0 for the tunnel-port outcome)
    encap: str  # what encapsulates: "geneve", "vxlan", "gre", "WireGuard", or "Geneve (assumed)"
    overhead: int  # bytes the agent deducts for it
    logged: int | None  # the MTU the agent logged ("Got Interface MTU"), when logged
    tunnel_dev: str  # the OVS tunnel device ("" for the NIC outcomes)
    tunnel_mtu: int  # its MTU (0 for the NIC outcomes)


_NO_ROOM = """
    On {{ where }} antrea-gw0 has MTU {{ gw_mtu }}, but the transport NIC {{ nic }} has MTU
    {{ nic_mtu }} and {{ encap }} encapsulation adds {{ overhead }} bytes: Pod packets larger than
    {{ nic_mtu - overhead }} bytes become {{ gw_mtu + overhead }}-byte packets on the wire and are dropped or
    fragmented between Nodes, so large transfers between Pods on different Nodes stall.
    {% if logged %}antrea-agent used MTU {{ logged }} ("Got Interface MTU"){% if logged == gw_mtu %}, so the value
    comes from its configuration (defaultMTU is used without deduction){% endif %}.{% endif %}
"""

RULE = Rule(
    id="ANT-MTU-001",
    slug="pod-mtu-exceeds-tunnel-overhead",
    title="Pod MTU leaves no room for the tunnel overhead",
    category="mtu",
    severity="error",
    applies_to="all",
    modes=("encap", "hybrid"),
    platform="linux",
    inputs=Inputs(any_of=(IP_ADDR, IP_LINK), optional=(AGENT_LOG, AGENT_CONFIG, CLUSTER_INFO)),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/configuration.md",
        "https://github.com/antrea-io/antrea/blob/main/docs/noencap-hybrid-modes.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/config/node_config.go",
        "antrea-io/antrea#5880",
        "antrea-io/antrea#5997",
    ),
    signatures=(
        Signature(
            "got_mtu",
            r'"Got Interface MTU" MTU=(?P<mtu>\d+)',
            "Got Interface MTU",
            (AGENT_LOG,),
            versions=">=1.11.0",
            role="context",
        ),
        # "Setting Node MTU=%d" (printf) and "Setting Node MTU" MTU= (structured) before v1.11.
        Signature(
            "set_mtu",
            r'Setting Node MTU(?:=|" MTU=)(?P<mtu>\d+)',
            "Setting Node MTU",
            (AGENT_LOG,),
            versions="<1.11.0",
            role="context",
        ),
    ),
    lookalikes=("tunnel",),
    values=Values,
    outcomes=(
        Outcome(
            "exceeds_tunnel_port",
            message="""
            On {{ where }} antrea-gw0 has MTU {{ gw_mtu }}, larger than the MTU of the OVS tunnel port
            {{ tunnel_dev }} ({{ tunnel_mtu }}; OVS caps tunnel ports at 65000): Pod packets larger than
            {{ tunnel_mtu }} bytes are dropped when they enter the tunnel, so large transfers between Pods on different
            Nodes stall after the first packets. The agent derives the Pod MTU from the transport NIC, whose MTU is
            larger than the tunnel port's (a Kind or loopback-like NIC with a 65535 MTU).
        """,
            remediation=(
                Step("Check the MTUs on the Node.", "ip link show antrea-gw0; ip -d link show {{ tunnel_dev }}"),
                Step(
                    "Upgrade Antrea to v1.14.3, v1.15.1, v2.0.0 or later, whose calculated MTU is capped at 65000 "
                    "(antrea-io/antrea#5997), or set defaultMTU in antrea-agent.conf to at most {{ tunnel_mtu }}; "
                    "then restart the agents.",
                    "kubectl -n kube-system edit configmap antrea-config; "
                    "kubectl -n kube-system rollout restart daemonset/antrea-agent",
                ),
                Step("Recreate the Pods: existing Pods keep the MTU they were created with."),
            ),
        ),
        Outcome("no_room", message=_NO_ROOM),
        Outcome(
            "no_room_mode_assumed",
            status=INCONCLUSIVE,
            message=_NO_ROOM
            + """
            The encapsulation is assumed: neither the agent's traffic mode nor a tunnel device was in the bundle.
        """,
        ),
    ),
    remediation=(
        Step(
            "Check the MTUs on the Node.",
            "ip -d link show {{ nic }}; ip link show antrea-gw0; ip -d link show | grep -A1 _sys",
        ),
        Step(
            "Remove defaultMTU from antrea-agent.conf (the agent then subtracts the tunnel overhead itself) or set it "
            "to {{ nic_mtu - overhead }}, and restart the agents.",
            "kubectl -n kube-system edit configmap antrea-config; "
            "kubectl -n kube-system rollout restart daemonset/antrea-agent",
        ),
        Step("Recreate the Pods: existing Pods keep the MTU they were created with."),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        gw = node.link(GATEWAY)
        if gw is None or not gw.mtu:
            continue
        logged = _logged_mtu(ev, node)
        tunnel = next((lk for lk in node.links or [] if lk.name.startswith(_TUNNEL_DEVICES) and lk.mtu), None)
        if tunnel is not None and tunnel.mtu and gw.mtu > tunnel.mtu:
            yield RULE.finding(
                "exceeds_tunnel_port",
                nodes=[node.name],
                confidence=0.9,
                values=Values(
                    gw_mtu=gw.mtu,
                    nic="",
                    nic_mtu=0,
                    encap=node.mode.tunnel or "",
                    overhead=0,
                    logged=logged[-1] if logged else None,
                    tunnel_dev=tunnel.name,
                    tunnel_mtu=tunnel.mtu,
                ),
                evidence=_lines(node, tunnel.name, GATEWAY),
            )
            continue
        nic = node.transport_uplink
        if nic is None or not nic.mtu:
            continue
        encap, overhead = _overhead(ev, node, nic)
        if gw.mtu <= nic.mtu - overhead:
            continue
        known = node.mode.encap is not None
        yield RULE.finding(
            "no_room" if known else "no_room_mode_assumed",
            nodes=[node.name],
            # The MTUs are read, not inferred; only the overhead rests on the mode.
            confidence=0.9 if known else 0.55,
            values=Values(
                gw_mtu=gw.mtu,
                nic=nic.name,
                nic_mtu=nic.mtu,
                encap=encap,
                overhead=overhead,
                logged=logged[-1] if logged else None,
                tunnel_dev="",
                tunnel_mtu=0,
            ),
            evidence=[*_lines(node, GATEWAY, nic.name), *_mtu_events(ev, node)[-1:]],
            missing=[]
            if known
            else [
                Missing(
                    "the traffic mode and tunnel type (antrea-agent.conf)",
                    "kubectl -n kube-system get configmap antrea-config -o yaml | "
                    "grep -E 'trafficEncapMode|tunnelType|defaultMTU'",
                )
            ],
        )


def _overhead(ev: RuleEvidence, node: NodeView, nic: Link) -> tuple[str, int]:
    """(what encapsulates, the bytes the Node's agent deducts for it)."""
    mode = node.mode
    if (mode.encryption or "").lower() == "wireguard" or node.link("antrea-wg0") is not None:
        encap, overhead = "WireGuard", WIREGUARD
    elif mode.tunnel in OVERHEAD:
        encap, overhead = mode.tunnel, OVERHEAD[mode.tunnel]
        version = ev.version(node)
        if mode.tunnel == "gre" and (version is None or versions.satisfies(version, "<1.15.0")):
            overhead = GRE_BEFORE_1_15  # the smaller deduction when the version may be older
    else:
        encap, overhead = "Geneve (assumed)", OVERHEAD["geneve"]
    # The address family of the transport interface (whose address a bridged `<nic>~` gave up).
    transport = node.transport_nic or nic
    if overhead and not transport.ipv4 and any(not a.lower().startswith("fe80") for a in transport.ipv6):
        overhead += IPV6_EXTRA
    return encap, overhead


def _mtu_events(ev: RuleEvidence, node: NodeView) -> list[LogEvent]:
    return ev.hits("set_mtu", node) + ev.hits("got_mtu", node)


def _logged_mtu(ev: RuleEvidence, node: NodeView) -> list[int]:
    return [int(e.groups["mtu"]) for e in _mtu_events(ev, node) if e.groups.get("mtu", "").isdigit()]


def _lines(node: NodeView, *names: str) -> list[EvidenceLine]:
    """The `ip link`/`ip addr` header lines of these interfaces."""
    return [line for name in names if (line := node.line_in((IP_LINK, IP_ADDR), f"{name}:"))]
