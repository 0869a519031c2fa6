"""OVS state contradicts the flows: Antrea's own ports are not where the br-int flows send packets, or OVS could not add them.

Symptom
-------
Pods on a Node cannot reach other Nodes (the tunnel), the Node itself or Services (the gateway),
although the agent runs and logs nothing wrong. ``ovs-vsctl show`` may print ``error: "could not
open network device antrea-tun0 (...)"`` under an interface, or ``ofport: -1``.

Why it happens
--------------
The agent programs br-int with the OpenFlow port numbers it read when it created ``antrea-gw0``,
``antrea-tun0`` and the uplink: ``L2ForwardingCalc`` (table 80 before v1.x named tables) loads the
target port into ``reg1`` (``TargetOFPortField``, ``NXM_NX_REG1`` in every release) for the gateway
MAC and for the global virtual MAC ``aa:bb:cc:dd:ee:ff`` of remote Pods, and v1.x ``L3Forwarding``
loads the tunnel port together with ``tun_dst`` (docs/design/ovs-pipeline.md at each tag). When
OVS later has these ports on other numbers (a port deleted and re-added by someone else, an OVSDB
restored from another Node or kept across a reinstall, ``ofport_request`` ignored because the
number was taken), the flows send traffic to a port that is no longer the gateway or the tunnel.
When OVS cannot create a port at all, OVSDB keeps the row with ``ofport -1`` and an ``error``
(``vswitchd/bridge.c``: ``could not open network device %s (%s)`` / ``could not add network device
%s to ofproto (%s)``): a tunnel port without its kernel vport module, a gateway that was deleted
from the host, stale Pod ports after a reboot (antrea-io/antrea#4122).

Evidence
--------
Current state only: the br-int flows (``flows`` / ``ovs-ofctl dump-flows``) against the port
numbers OVS has now (``ovsports`` / ``ovs-ofctl show``, an OVSDB dump or ``ovs-appctl
dpif/show``), the gateway's MAC from ``ovsports`` or ``ip link``; and OVSDB Interface rows with an
``error`` or ``ofport -1``. A tunnel port missing altogether counts only where the mode needs one
(the agent logged ``Allocated OpenFlow port for tunnel interface``, or the configuration says encap or
hybrid without WireGuard, as the agent's ``NeedsTunnelInterface``). Before v2.0 a tunnel port renumbered after the agent read it is
antrea-io/antrea#6192 (ANT-TUN-001, which reads the agent's ``Allocated OpenFlow port for tunnel
interface``): this rule then leaves the tunnel to it. Nothing rests on an absent line; without a
dump of the port numbers the flows cannot be checked and the rule says nothing about them.

Remediation
-----------
Restart the agent on the Node: it reads the port numbers again and reinstalls every flow. For an
interface error, fix what OVS names (load the vport kernel module, recreate the gateway) and
delete the stale rows of Pods that no longer exist.

References
----------
antrea-io/antrea docs/design/ovs-pipeline.md, pkg/agent/openflow/fields.go (TargetOFPortField),
pkg/agent/openflow/pipeline.go (GlobalVirtualMAC); openvswitch/ovs vswitchd/bridge.c;
antrea-io/antrea#4122, antrea-io/antrea#6192.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    FLOWS,
    IP_LINK,
    OTHER_CONTAINER_LOG,
    OVS_APPCTL,
    OVS_PORTS,
    OVS_VSCTL_SHOW,
    OVSDB_DUMP,
    OVSDB_DUMP_JSON,
    OVSDB_LIST,
    EvidenceLine,
    Flow,
    Inputs,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
)
from diagnose.api import Finding as FindingT

GLOBAL_VIRTUAL_MAC = "aa:bb:cc:dd:ee:ff"  # pkg/agent/openflow/pipeline.go, every release
TUNNEL = "antrea-tun0"  # the tunnel port's name (pkg/agent/config defaultTunInterfaceName)
GATEWAY = "antrea-gw0"  # hostGateway's default (antrea-agent.conf)
_OVSDB = (OVS_VSCTL_SHOW, OVSDB_LIST, OVSDB_DUMP, OVSDB_DUMP_JSON)
# reg1 <- port: `load:0x2->NXM_NX_REG1[]` (v1.0-v1.x) or `set_field:0x8001->reg1` (later); masked loads are other fields.
_REG1 = re.compile(
    r"(?:load:0x(?P<a>[0-9a-fA-F]{1,8})->NXM_NX_REG1\[\]|set_field:0x(?P<b>[0-9a-fA-F]{1,8})->reg1)(?![\[/\w])"
)
_TUN_DST = re.compile(r"->(?:tun_dst|tun_ipv6_dst|NXM_NX_TUN_IPV4_DST\[\]|NXM_NX_TUN_IPV6_DST\[\])")
RESTART = Step(
    "Restart the agent on the Node: it reads the port numbers again and reinstalls its flows.",
    "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}",
)
PORTS = Step(
    "Compare the port numbers OVS has with the flows.",
    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- ovs-ofctl show br-int; "
    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
    "ovs-ofctl dump-flows br-int --names | grep -E 'reg1|NXM_NX_REG1'",
)


@dataclass
class Values:
    """The port whose number in the flows differs from OVS's, or whose interface has an error."""

    port: str  # the Antrea port concerned, e.g. "antrea-gw0"
    role: str  # "gateway", "tunnel", "uplink" or "Pod"
    in_flows: int | None  # the port number the flows use, None for an interface error
    in_ovs: int | None  # the number OVS has for the port now, None when OVS has no such port
    holder: str  # the port that has the flows' number now, or ""
    error: str  # OVSDB's error for the interface, or ""
    count: int  # flows (or Pod ports) concerned


RULE = Rule(
    id="ANT-OVS-005",
    slug="ovs-state-contradicts-flows",
    title="OVS ports contradict the br-int flows (or OVS could not add them)",
    category="ovs-flows",
    severity="critical",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/design/ovs-pipeline.md",
        "https://github.com/openvswitch/ovs/blob/main/vswitchd/bridge.c",
        "antrea-io/antrea#4122",
        "antrea-io/antrea#6192",
    ),
    inputs=Inputs(any_of=(FLOWS, *_OVSDB), optional=(OVS_PORTS, OVS_APPCTL, IP_LINK)),
    signatures=(
        # ANT-TUN-001's evidence (v1.8+): before v2.0 a renumbered tunnel is that rule's.
        Signature(
            "tunnel_allocated",
            r"Allocated OpenFlow port for tunnel interface",
            "Allocated OpenFlow port",
            (AGENT_LOG, OTHER_CONTAINER_LOG),
            versions=">=1.8.0",
            role="context",
        ),
    ),
    lookalikes=("tunnel",),
    values=Values,
    judge_outcome=False,  # current state, not log lines
    outcomes=(
        Outcome(
            "mismatch",
            message="""
            The br-int flows on {{ where }} send {{ role }} traffic to OpenFlow port {{ in_flows }}
            ({{ count }} flow{{ "s" if count != 1 }}), but OVS has {{ port }} on port {{ in_ovs }}{% if holder %}
            and port {{ in_flows }} is {{ holder }}{% else %} and no port {{ in_flows }}{% endif %}: that traffic goes
            to the wrong place or is dropped.
        """,
            remediation=(PORTS, RESTART),
        ),
        Outcome(
            "port_missing",
            message="""
            The br-int flows on {{ where }} send {{ role }} traffic to OpenFlow port {{ in_flows }} ({{ count }}
            flow{{ "s" if count != 1 }}), but OVS has no {{ port }} port at all: that traffic is dropped.
        """,
            remediation=(
                Step(
                    "Check whether OVS has the port and why not.",
                    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- ovs-vsctl show",
                ),
                RESTART,
            ),
        ),
        Outcome(
            "interface_error",
            message="""
            OVS could not add the {{ role }} port {{ port }} on {{ where }}: "{{ error }}"{% if in_ovs == -1 %}
            (ofport -1){% endif %}. Its flows have no port to use, so {{ role }} traffic is dropped.
        """,
            remediation=(
                Step(
                    "Read the interface's error and OVS's log about it.",
                    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
                    "ovs-vsctl --columns=name,type,ofport,error list Interface {{ port }}",
                ),
                Step(
                    "A tunnel port needs its kernel vport module (geneve, vxlan, gre, stt).",
                    "lsmod | grep -E 'vport|geneve|vxlan'; modprobe vport-geneve   # on {{ node }}",
                ),
                RESTART,
            ),
        ),
        Outcome(
            "pod_port_errors",
            severity="warning",
            message="""
            OVSDB on {{ where }} has {{ count }} Pod port{{ "s" if count != 1 }} that OVS cannot open (e.g.
            {{ port }}: "{{ error }}"): interfaces of sandboxes that no longer exist, typically left after a reboot
            (antrea-io/antrea#4122). They do not carry traffic; the agent removes them when it reconciles.
        """,
            remediation=(
                Step(
                    "List the ports in error.",
                    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
                    "ovs-vsctl --columns=name,error find Interface 'error!=[]'",
                ),
                RESTART,
            ),
        ),
    ),
    remediation=(PORTS, RESTART),
)


def check(ev: RuleEvidence) -> Iterator[FindingT]:
    for node in ev.nodes:
        yield from _interface_errors(node)
        yield from _flows_against_ports(ev, node)


def _interface_errors(node: NodeView) -> Iterator[FindingT]:
    state = node.ovsdb
    if state is None:
        return
    pods = []
    for bridge, port in state.all_ports():
        if not (port.error or port.ofport == -1):
            continue
        role = _role(port.name, port.type, port.external_ids, bridge)
        line = node.line_in(_OVSDB, port.error or port.name) or node.line_in(_OVSDB, port.name)
        if role == "Pod":
            pods.append((port, line))
            continue
        yield RULE.finding(
            "interface_error",
            nodes=[node.name],
            confidence=0.95,
            values=Values(
                port=port.name,
                role=role,
                in_flows=None,
                in_ovs=port.ofport,
                holder="",
                error=(port.error or "")[:300],
                count=1,
            ),
            evidence=[line] if line else [],
            category="tunnel"
            if role == "tunnel"
            else "secondary-network-uplink"
            if role == "uplink" and bridge not in (None, "br-int")
            else None,
        )
    if pods:
        port, _ = pods[0]
        yield RULE.finding(
            "pod_port_errors",
            nodes=[node.name],
            confidence=0.8,
            values=Values(
                port=port.name,
                role="Pod",
                in_flows=None,
                in_ovs=port.ofport,
                holder="",
                error=(port.error or "")[:300],
                count=len(pods),
            ),
            evidence=[line for _, line in pods[:3] if line],
            category="cni",
        )


def _flows_against_ports(ev: RuleEvidence, node: NodeView) -> Iterator[FindingT]:
    flows = node.flows
    ports = dict(node.datapath_ports.get("br-int", {}))
    ports.update(node.of_ports or {})
    if not flows or not ports:
        return
    gateway = GATEWAY
    gw_mac = node.port_macs.get(gateway) or (lk.mac.lower() if (lk := node.link(gateway)) and lk.mac else None)
    uses: dict[str, list[tuple[int, Flow]]] = {}
    for flow in flows:
        target = _reg1(flow.actions)
        if target is None:
            continue
        dst = flow.match_fields.get("dl_dst", "").lower()
        if dst == GLOBAL_VIRTUAL_MAC or _TUN_DST.search(flow.actions):
            uses.setdefault(TUNNEL, []).append((target, flow))
        elif gw_mac and dst == gw_mac:
            uses.setdefault(gateway, []).append((target, flow))
    version = ev.version(node)
    legacy_tunnel = bool(ev.hits("tunnel_allocated", node)) and (version is None or version.major < 2)
    by_number = {n: name for name, n in ports.items()}
    for port, found in sorted(uses.items()):
        if port == TUNNEL and legacy_tunnel:
            continue  # antrea-io/antrea#6192: ANT-TUN-001 tells it with the agent's own numbers
        numbers = sorted({n for n, _ in found})
        current = ports.get(port)
        wrong = [(n, f) for n, f in found if n != current]
        if current is not None and not wrong:
            continue
        if current is None and port == TUNNEL and not _has_tunnel(node, bool(ev.hits("tunnel_allocated", node))):
            continue  # no tunnel port by design (noEncap, networkPolicyOnly, WireGuard) or the mode is unknown
        shown = wrong or found
        number = shown[0][0] if len(numbers) == 1 or current is None else next(n for n in numbers if n != current)
        role = "tunnel" if port == TUNNEL else "gateway"
        yield RULE.finding(
            "mismatch" if current is not None else "port_missing",
            nodes=[node.name],
            confidence=0.9,
            values=Values(
                port=port,
                role=role,
                in_flows=number,
                in_ovs=current,
                holder=by_number.get(number, ""),
                error="",
                count=len(shown),
            ),
            evidence=[line for _, f in shown[:3] if (line := _flow_line(node, f))] + _port_line(node, port),
            category="tunnel" if role == "tunnel" else None,
        )


def _has_tunnel(node: NodeView, allocated: bool) -> bool:
    """antrea-tun0 exists by design: the agent logged creating it, or the configuration says encap
    or hybrid mode without WireGuard (NeedsTunnelInterface)."""
    mode = node.mode
    return allocated or (mode.encap in ("encap", "hybrid") and mode.encryption in ("none", "ipsec"))


def _reg1(actions: str) -> int | None:
    m = _REG1.search(actions)
    return int(m["a"] or m["b"], 16) if m else None


def _role(name: str, kind: str | None, ids: dict[str, str], bridge: str | None) -> str:
    antrea_type = ids.get("antrea-type", "")
    if name == TUNNEL or antrea_type == "tunnel" or kind in ("geneve", "vxlan", "gre", "stt"):
        return "tunnel"
    if antrea_type == "gateway" or name == "antrea-gw0":
        return "gateway"
    if antrea_type in ("uplink", "host") or name.endswith("~"):
        return "uplink"
    if antrea_type == "container" or "pod-name" in ids or "k8s_pod_name" in ids:
        return "Pod"
    return "uplink" if bridge not in (None, "br-int") else "Pod"


def _flow_line(node: NodeView, flow: Flow) -> EvidenceLine | None:
    return node.line_in((FLOWS,), flow.raw.strip()[:120])


def _port_line(node: NodeView, port: str) -> list[EvidenceLine]:
    line = node.line_in((OVS_PORTS,), f"({port}):") or node.line_in(_OVSDB, port)
    return [line] if line else []
