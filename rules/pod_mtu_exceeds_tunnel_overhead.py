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
the transport NIC's (the one holding the Node IP, as Antrea picks it, else the default route's)
minus the overhead of the tunnel in use
(``genev_sys_6081`` / ``vxlan_sys_4789`` / ``gre_sys`` in the same output, or ``tunnelType``
of the agent config; ``antrea-wg0`` means WireGuard), and the agent's ``"Got Interface MTU"``.
noEncap / networkPolicyOnly need no overhead. IPsec adds 38 more bytes that this check does
not count, so it never over-reports. Without a tunnel interface or the config the mode is
unknown and the finding is inconclusive.

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

from diagnose.model import AGENT_LOG, IP_ADDR, IP_LINK
from diagnose.rule import CONFIRMED, INCONCLUSIVE, Inputs, Missing, Rule, Signature, Step

OVERHEAD = {"geneve": 50, "vxlan": 50, "gre": 42}  # node_config.go; stt is not deducted there
IPV6_EXTRA = 20
WIREGUARD = 60
_TUNNEL_DEVICES = (("genev_sys_", "geneve"), ("vxlan_sys_", "vxlan"), ("gre_sys", "gre"))
GATEWAY = "antrea-gw0"

RULE = Rule(
    id="ANT-MTU-001",
    slug="pod-mtu-exceeds-tunnel-overhead",
    title="Pod MTU leaves no room for the tunnel overhead",
    category="mtu",
    severity="error",
    applies_to="all",
    modes=("encap", "hybrid"),
    platform="linux",
    inputs=Inputs(any_of=(IP_ADDR, IP_LINK)),
    references=("https://github.com/antrea-io/antrea/blob/main/docs/configuration.md",
                "https://github.com/antrea-io/antrea/blob/main/docs/noencap-hybrid-modes.md",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/config/node_config.go",
                "antrea-io/antrea#5880", "antrea-io/antrea#5997"),
    signatures=(
        Signature("got_mtu", r'"Got Interface MTU" MTU=(?P<mtu>\d+)', "Got Interface MTU", (AGENT_LOG,), role="context"),
    ),
    lookalikes=("tunnel",),
    message="""
        {% if tunnel_cap %}On {{ where }} {{ gateway }} has MTU {{ gw_mtu }}, larger than the MTU of the OVS tunnel
        port {{ tunnel_dev }} ({{ tunnel_cap }}; OVS caps tunnel ports at 65000): Pod packets larger than
        {{ tunnel_cap }} bytes are dropped when they enter the tunnel, so large transfers between Pods on different
        Nodes stall after the first packets. The agent derives the Pod MTU from the transport NIC, whose MTU is
        larger than the tunnel port's (a Kind or loopback-like NIC with a 65535 MTU).{% else %}
        On {{ where }} {{ gateway }} has MTU {{ gw_mtu }}, but the transport NIC {{ nic }} has MTU
        {{ nic_mtu }} and {{ encap }} encapsulation adds {{ overhead }} bytes: Pod packets larger than
        {{ nic_mtu - overhead }} bytes become {{ gw_mtu + overhead }}-byte packets on the wire and are dropped or
        fragmented between Nodes, so large transfers between Pods on different Nodes stall.
        {% if logged %}antrea-agent used MTU {{ logged }} ("Got Interface MTU"){% if logged == gw_mtu %}, so the value
        comes from its configuration (defaultMTU is used without deduction){% endif %}.{% endif %}
        {% if not confirmed %}The encapsulation mode is assumed: no tunnel interface or agent config was in the
        bundle.{% endif %}{% endif %}
    """,
    remediation=(
        Step("Check the MTUs on the Node.", "ip -d link show {{ nic }}; ip link show antrea-gw0; ip -d link show | grep -A1 _sys"),
        Step("Remove defaultMTU from antrea-agent.conf (the agent then subtracts the tunnel overhead itself) or set it "
             "to {{ nic_mtu - overhead }}, and restart the agents.",
             "kubectl -n kube-system edit configmap antrea-config; "
             "kubectl -n kube-system rollout restart daemonset/antrea-agent"),
        Step("Recreate the Pods: existing Pods keep the MTU they were created with."),
    ),
)


def check(ev):
    cfg = ev.config
    for node in ev.nodes:
        gw = node.link(GATEWAY)
        if gw is None or not gw.mtu:
            continue
        capped = _tunnel_cap(node, gw)
        if capped is not None:
            yield capped
            continue
        nic = _transport_nic(node)
        if nic is None or not nic.mtu:
            continue
        encap, from_links = _encap(node, cfg)
        if encap in ("noEncap", "networkPolicyOnly"):
            overhead = 0
        else:
            overhead = OVERHEAD.get(encap or "geneve", 50)
            if node.link("antrea-wg0") is not None:
                encap, overhead = "WireGuard", WIREGUARD
            if nic.ipv6 and not nic.ipv4:
                overhead += IPV6_EXTRA
        if gw.mtu <= nic.mtu - overhead:
            continue
        confirmed = from_links or cfg is not None
        logged = [int(e.groups["mtu"]) for e in ev.hits("got_mtu", node) if e.groups.get("mtu", "").isdigit()]
        evidence = [line for name in (f"{GATEWAY}:", f"{nic.name}:") if (line := node.line_in((IP_LINK, IP_ADDR), name))]
        evidence += ev.hits("got_mtu", node)[-1:]
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.9 if confirmed else 0.55,
            values={"gateway": GATEWAY, "gw_mtu": gw.mtu, "nic": nic.name, "nic_mtu": nic.mtu,
                    "encap": encap or "Geneve (default)", "overhead": overhead,
                    "logged": logged[-1] if logged else None, "confirmed": confirmed,
                    "tunnel_cap": None, "tunnel_dev": ""},
            evidence=evidence,
            status=CONFIRMED if confirmed else INCONCLUSIVE,
            missing=() if confirmed else (
                Missing("the traffic mode and tunnel type (antrea-agent.conf)",
                        "kubectl -n kube-system get configmap antrea-config -o yaml | "
                        "grep -E 'trafficEncapMode|tunnelType|defaultMTU'"),),
        )


def _tunnel_cap(node, gw):
    """A finding when the gateway's MTU exceeds the MTU of the OVS tunnel device itself."""
    if node.mode.tunnels is False:
        return None
    dev = next((lk for lk in node.links or [] for prefix, _ in _TUNNEL_DEVICES
                if lk.name.startswith(prefix) and lk.mtu), None)
    if dev is None or gw.mtu <= dev.mtu:
        return None
    evidence = [line for name in (f"{dev.name}:", f"{GATEWAY}:") if (line := node.line_in((IP_LINK, IP_ADDR), name))]
    return RULE.finding(
        nodes=[node.name],
        confidence=0.9,
        values={"gateway": GATEWAY, "gw_mtu": gw.mtu, "tunnel_dev": dev.name, "tunnel_cap": dev.mtu,
                "nic": "", "nic_mtu": 0, "encap": "", "overhead": 0, "logged": None, "confirmed": True},
        evidence=evidence,
    )


def _transport_nic(node):
    """The transport NIC (the Node IP's, as Antrea picks it), else the default route's; never an
    OVS/Antrea port."""
    chosen = node.transport_nic
    if chosen is not None and not chosen.name.startswith("antrea-") and chosen.master != "ovs-system":
        return chosen
    names = sorted(node.primary_nics())
    for name in names:
        link = node.link(name)
        if link is not None and not name.startswith("antrea-") and link.master != "ovs-system":
            return link
    for link in node.links or []:
        if link.renamed_uplink and link.master == "ovs-system":  # NIC bridged by Antrea: its MTU still rules
            return link
    return None


def _encap(node, cfg) -> tuple[str | None, bool]:
    """(tunnel type or traffic mode, whether a tunnel interface on the Node proves it)."""
    if cfg is not None and cfg.traffic_encap_mode in ("noEncap", "networkPolicyOnly"):
        return cfg.traffic_encap_mode, False  # a tunnel device can outlive a switch to noEncap
    for link in node.links or []:
        for prefix, kind in _TUNNEL_DEVICES:
            if link.name.startswith(prefix):
                return kind, True
    if cfg is not None:
        return cfg.tunnel_type, False
    return None, False

