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
inconclusive. The log line exists from v1.8 (antrea-io/antrea#3623). Look-alike: OpenFlow
errors from OVS (``ovs-flows``) mean flows were refused, not installed with a stale port.

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

from diagnose import versions
from diagnose.model import AGENT_LOG, FLOWS, OTHER_CONTAINER_LOG
from diagnose.rule import CONFIRMED, INCONCLUSIVE, EvidenceLine, Missing, Rule, Signature, Step

RESERVED_SINCE = versions.parse("v2.0.0")
FIRST_RESERVED = 32768  # ovsconfig.FirstControllerOFPort, the tunnel's request from v2.0
LEGACY_REQUEST = 1  # config.DefaultTunOFPort before v2.0
_SPOOFGUARD_TABLES = ("ARPSpoofGuard", "SpoofGuard")  # only Pod and gateway ports are matched there

PORTS_CMD = ("kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
             "ovs-vsctl --columns=name,ofport,ofport_request list Interface")

RULE = Rule(
    id="ANT-TUN-001",
    slug="tunnel-ofport-mismatch",
    title="Tunnel flows use an OpenFlow port number that OVS changed",
    category="tunnel",
    severity="critical",
    applies_to=">=1.8.0,<2.0.0",
    fixed_in="v2.0.0",
    references=("antrea-io/antrea#6192", "antrea-io/antrea#6202", "antrea-io/antrea#7645", "antrea-io/antrea#3623",
                "https://github.com/antrea-io/antrea/blob/main/CHANGELOG/CHANGELOG-2.0.md"),
    signatures=(
        Signature("allocated", r'"Allocated OpenFlow port for tunnel interface" port="?(?P<port>[^"\s]+)"? ofPort=(?P<ofport>\d+)',
                  "Allocated OpenFlow port for tunnel interface", (AGENT_LOG, OTHER_CONTAINER_LOG), versions=">=1.8.0", role="context"),
    ),
    lookalikes=("ovs-flows",),
    message="""
        On {{ where }} antrea-agent created {{ port }} asking for OpenFlow port {{ requested }} but
        {% if logged is not none %}read back port {{ logged }}{% else %}its flows do not match the port
        numbers{% endif %}{% if current is not none %}, and OVS now has {{ port }} on port {{ current }}{% endif %}.
        {% if bad_flows %}{{ bad_flows }} Pod spoof-guard flow{{ "s now match" if bad_flows > 1 else " now matches" }} traffic
        from the tunnel (in_port={{ port }}): flows installed for a Pod's port number that OVS gave to the tunnel.
        {% endif %}Tunnel flows programmed with a stale port number break inter-Node Pod traffic, and the Pod whose
        number was taken loses its own connectivity. This is antrea-io/antrea#6192 (OVSDB kept across a reinstall),
        fixed in v2.0.0 by reserved port numbers.
        {% if not confirmed %}Without the current port numbers or the flows this is not confirmed.{% endif %}
    """,
    remediation=(
        Step("Compare the port numbers OVS has with what the agent logged.", PORTS_CMD),
        Step("Restart the agent so it reads the current numbers and reinstalls its flows, then recreate the Pods "
             "whose flows matched the tunnel port.",
             "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
             "--field-selector spec.nodeName={{ node }}"),
        Step("Upgrade Antrea to v2.0.0 or later (reserved OpenFlow port numbers for antrea-tun0/antrea-gw0)."),
    ),
)


def check(ev):
    for node in ev.log_nodes:
        allocated = ev.hits("allocated", node)
        last = allocated[-1] if allocated else None
        port = last.groups.get("port", "antrea-tun0") if last else "antrea-tun0"
        logged = int(last.groups["ofport"]) if last and last.groups.get("ofport", "").isdigit() else None
        ports = node.of_ports or {}
        current = ports.get(port)
        bad = _spoofguard_on_tunnel(node.flows or [], port, current)
        version = ev.version(node)
        requested = _requested(version, logged)
        changed = logged is not None and current is not None and logged != current
        unexpected = logged is not None and logged != requested
        if not (changed or bad or unexpected):
            continue
        if (version is not None and version >= RESERVED_SINCE or logged == FIRST_RESERVED) and not (changed or bad):
            continue  # from v2.0 (which requests 32768) an existing port keeps its number: no stale flows
        confirmed = changed or bool(bad)
        evidence = [last] if last else []
        evidence += [_flow_line(node, f) for f in bad[:3]]
        if logged is not None:
            evidence += [_flow_line(node, f) for f in _loads_port(node.flows or [], logged)[:2]]
        missing = []
        if current is None:
            missing.append(Missing("the OpenFlow port numbers OVS has now (the bundle's `ovsports`)", PORTS_CMD))
        if node.flows is None:
            missing.append(Missing("the br-int flows",
                                   "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
                                   "ovs-ofctl dump-flows br-int --names"))
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.95 if changed and bad else 0.9 if confirmed else 0.5,
            values={"port": port, "requested": requested, "logged": logged, "current": current,
                    "bad_flows": len(bad), "confirmed": confirmed},
            evidence=[e for e in evidence if e is not None],
            status=CONFIRMED if confirmed else INCONCLUSIVE,
            missing=() if confirmed else missing,
        )


def _requested(version, logged: int | None) -> int:
    if version is not None:
        return FIRST_RESERVED if version >= RESERVED_SINCE else LEGACY_REQUEST
    return FIRST_RESERVED if logged is not None and logged >= FIRST_RESERVED else LEGACY_REQUEST


def _spoofguard_on_tunnel(flows, port: str, current: int | None) -> list:
    wanted = {port, f'"{port}"'} | ({str(current)} if current is not None else set())
    return [f for f in flows if f.table in _SPOOFGUARD_TABLES and f.match_fields.get("in_port") in wanted]


def _loads_port(flows, ofport: int) -> list:
    """Flows that send to `ofport` through reg1 (L2ForwardingCalc's output port register)."""
    pattern = re.compile(rf"load:0x{ofport:x}->NXM_NX_REG1\[\]", re.I)
    return [f for f in flows if pattern.search(f.actions)]


def _flow_line(node, flow) -> EvidenceLine | None:
    return node.line_in((FLOWS,), flow.raw.strip()[:120])

