"""antrea-agent programmed flows with a tunnel OpenFlow port number OVS later changed.

Symptom
-------
After Antrea was reinstalled or reconfigured on Nodes whose OVSDB survived (e.g. noEncap to
encap, a downgrade with another tunnel type), inter-Node Pod traffic is broken and one local
Pod misbehaves: flows point at the wrong OVS port. The agent logged ``"Allocated OpenFlow
port for tunnel interface" port="antrea-tun0" ofPort=4`` although it asked for port 1, and
``ovs-ofctl dump-flows`` shows a Pod's ARP spoof-guard flow with ``in_port="antrea-tun0"``
(antrea-io/antrea#6192).

Why it happens
--------------
Before v2.0 the agent created antrea-tun0 with ``ofport_request=1`` (antrea-gw0 2, uplink 3)
and read back the port number once. When an existing Pod port already held 1 (its OVSDB row
persisted across the reinstall), OVS first gave the tunnel a temporary number, the agent
programmed every tunnel flow with it, and OVS then moved the ports around: the tunnel got 1
and the Pod's flows, installed for port 1, now match tunnel traffic. v2.0 requests reserved
numbers from 32768 (tunnel 32768, gateway 32769) that automatic numbering never uses
(antrea-io/antrea#6202).

Evidence
--------
Confirmed when the tunnel port number the agent logged differs from the one OVS reports now
(``ovsports`` / ``ovs-ofctl show`` / OVSDB), or when a flow of the Pod-only spoof-guard tables
(``ARPSpoofGuard``, ``SpoofGuard``) matches ``in_port`` = the tunnel port. An allocated number
other than the requested one (1 before v2.0, 32768 from v2.0) without port or flow dumps is
inconclusive; when either dump shows the tunnel still on the number the agent read back and no
spoof-guard flow on it, the flows are consistent and the rule stays quiet. The log line exists
from v1.8 (antrea-io/antrea#3623). Only ``encap`` and ``hybrid`` Nodes have a tunnel port; a
Node now in ``noEncap`` or ``networkPolicyOnly`` whose older run created one is not checked.
Look-alike: OpenFlow errors from OVS (``ovs-flows``) mean flows were refused, not installed with
a stale port.

Remediation
-----------
Upgrade to v2.0 or later. On an affected Node restart the agent so that it reads the current
port numbers and reinstalls its flows, then recreate the Pod whose port number was taken.

References
----------
antrea-io/antrea#6192, antrea-io/antrea#6202 (reserved ports, v2.0.0), antrea-io/antrea#7645
(SecondaryNetwork follow-up), antrea-io/antrea#3623, CHANGELOG-2.0.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    FLOWS,
    INCONCLUSIVE,
    OTHER_CONTAINER_LOG,
    OVS_PORTS,
    EvidenceLine,
    Finding,
    Flow,
    Inputs,
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

RESERVED_SINCE = "v2.0.0"  # ovsconfig.FirstControllerOFPort requested from here (antrea-io/antrea#6202)
FIRST_RESERVED = 32768  # ovsconfig.FirstControllerOFPort, the tunnel's request from v2.0
LEGACY_REQUEST = 1  # config.DefaultTunOFPort before v2.0
_SPOOFGUARD_TABLES = ("ARPSpoofGuard", "SpoofGuard")  # only Pod and gateway ports are matched there

PORTS_CMD = (
    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
    "ovs-vsctl --columns=name,ofport,ofport_request list Interface"
)


@dataclass
class Values:
    """The tunnel port's requested, logged and current OpenFlow numbers."""

    port: str  # the tunnel port's name, "antrea-tun0"
    requested: int  # the OpenFlow port number the agent asked for (1 before v2.0, 32768 from v2.0)
    logged: int | None  # the number the agent read back and programmed its flows with, when logged
    current: int | None  # the number OVS has for the port now (ovsports / OVSDB), when collected
    bad_flows: int  # Pod spoof-guard flows that now match the tunnel port


_FIXED = """
    This is antrea-io/antrea#6192 (OVSDB kept across a reinstall), fixed in v2.0.0 by reserved port numbers.
"""

RULE = Rule(
    id="ANT-TUN-001",
    slug="tunnel-ofport-mismatch",
    title="Tunnel flows use an OpenFlow port number that OVS changed",
    category="tunnel",
    severity="critical",
    applies_to=">=1.8.0,<2.0.0",
    fixed_in="v2.0.0",
    modes=("encap", "hybrid"),
    inputs=Inputs(any_of=(AGENT_LOG, OTHER_CONTAINER_LOG), optional=(OVS_PORTS, FLOWS)),
    references=(
        "antrea-io/antrea#6192",
        "antrea-io/antrea#6202",
        "antrea-io/antrea#7645",
        "antrea-io/antrea#3623",
        "https://github.com/antrea-io/antrea/blob/main/CHANGELOG/CHANGELOG-2.0.md",
    ),
    signatures=(
        Signature(
            "allocated",
            r'"Allocated OpenFlow port for tunnel interface" port="?(?P<port>[^"\s]+)"? ofPort=(?P<ofport>\d+)',
            "Allocated OpenFlow port for tunnel interface",
            (AGENT_LOG, OTHER_CONTAINER_LOG),
            versions=">=1.8.0",
            role="context",
        ),
    ),
    lookalikes=("ovs-flows",),
    values=Values,
    outcomes=(
        Outcome(
            "stale_flows",
            message="""
            On {{ where }} antrea-agent created {{ port }} asking for OpenFlow port {{ requested }} but
            {% if logged is not none %}read back port {{ logged }}{% else %}its flows do not match the port
            numbers{% endif %}{% if current is not none %}, and OVS now has {{ port }} on port {{ current }}{% endif %}.
            {% if bad_flows %}{{ bad_flows }} Pod spoof-guard flow{{ "s now match" if bad_flows > 1 else " now matches" }}
            traffic from the tunnel (in_port={{ port }}): flows installed for a Pod's port number that OVS gave to the
            tunnel.{% endif %} Tunnel flows programmed with a stale port number break inter-Node Pod traffic, and the
            Pod whose number was taken loses its own connectivity.
        """
            + _FIXED,
        ),
        # Only the log line: OVS may still move the ports (or already did); the dumps tell.
        Outcome(
            "port_not_granted",
            status=INCONCLUSIVE,
            message="""
            On {{ where }} antrea-agent created {{ port }} asking for OpenFlow port {{ requested }} but read back port
            {{ logged }}: another port held {{ requested }}, and when OVS renumbers the ports the tunnel flows
            programmed with {{ logged }} go stale, breaking inter-Node Pod traffic. Without the current port numbers
            or the flows this is not confirmed.
        """
            + _FIXED,
        ),
    ),
    remediation=(
        Step("Compare the port numbers OVS has with what the agent logged.", PORTS_CMD),
        Step(
            "Restart the agent so it reads the current numbers and reinstalls its flows, then recreate the Pods "
            "whose flows matched the tunnel port.",
            "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
            "--field-selector spec.nodeName={{ node }}",
        ),
        Step("Upgrade Antrea to v2.0.0 or later (reserved OpenFlow port numbers for antrea-tun0/antrea-gw0)."),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        allocated = ev.hits("allocated", node)
        last = allocated[-1] if allocated else None
        port = last.groups.get("port", "antrea-tun0") if last else "antrea-tun0"
        logged = int(last.groups["ofport"]) if last and last.groups.get("ofport", "").isdigit() else None
        current = (node.of_ports or {}).get(port)
        bad = _spoofguard_on_tunnel(node.flows or [], port, current)
        version = ev.version(node)
        requested = _requested(version, logged)
        changed = logged is not None and current is not None and logged != current
        if changed or bad:
            evidence: list[LogEvent | EvidenceLine | None] = [last, *(_flow_line(node, f) for f in bad[:3])]
            if logged is not None:
                evidence += [_flow_line(node, f) for f in _loads_port(node.flows or [], logged)[:2]]
            yield RULE.finding(
                "stale_flows",
                nodes=[node.name],
                # Both the renumbered port and a Pod flow now matching the tunnel: nothing else reads so.
                confidence=0.95 if changed and bad else 0.9,
                values=Values(port=port, requested=requested, logged=logged, current=current, bad_flows=len(bad)),
                evidence=[e for e in evidence if e is not None],
            )
        elif (
            last is not None
            and logged is not None
            and logged != requested
            and logged != FIRST_RESERVED
            and current is None
            and node.flows is None
        ):
            # From v2.0 (which requests 32768) an existing port keeps its number: no stale flows.
            yield RULE.finding(
                "port_not_granted",
                nodes=[node.name],
                confidence=0.5,
                values=Values(port=port, requested=requested, logged=logged, current=None, bad_flows=0),
                evidence=[last],
                missing=[
                    Missing.of(OVS_PORTS, "the OpenFlow port numbers OVS has now"),
                    Missing.of(FLOWS, "whether Pod flows match the tunnel port"),
                ],
            )


def _requested(version: versions.Version | None, logged: int | None) -> int:
    if version is not None:
        return LEGACY_REQUEST if versions.satisfies(version, "<" + RESERVED_SINCE) else FIRST_RESERVED
    return FIRST_RESERVED if logged is not None and logged >= FIRST_RESERVED else LEGACY_REQUEST


def _spoofguard_on_tunnel(flows: list[Flow], port: str, current: int | None) -> list[Flow]:
    wanted = {port, f'"{port}"'} | ({str(current)} if current is not None else set())
    return [f for f in flows if f.table in _SPOOFGUARD_TABLES and f.match_fields.get("in_port") in wanted]


def _loads_port(flows: list[Flow], ofport: int) -> list[Flow]:
    """Flows that send to `ofport` through reg1 (L2ForwardingCalc's output port register)."""
    pattern = re.compile(rf"load:0x{ofport:x}->NXM_NX_REG1\[\]", re.I)
    return [f for f in flows if pattern.search(f.actions)]


def _flow_line(node: NodeView, flow: Flow) -> EvidenceLine | None:
    return node.line_in((FLOWS,), flow.raw.strip()[:120])
