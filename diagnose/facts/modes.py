"""How Antrea is deployed on each Node: traffic mode, IPAM, bridging, transport NIC, features.

Several healthy states look like faults outside their mode: a networkPolicyOnly Node (EKS/AKS
chaining) has no PodCIDR, no gateway address and no tunnel; with AntreaIPAM's bridging mode the
uplink NIC sits in br-int as `<nic>~` by design; the transport NIC is the one holding the Node
IP, not always the default-route NIC. Rules declare the modes they apply to and the engine runs
them only there (`diagnose.rules.rule.Rule.modes`).

Sources, most specific first: the agent's own `Agent initialized ... NetworkConfig=&{<mode>
<tunnel> ...}` line of its latest run that logged one, the AntreaIPAM bridging start-up lines,
the br-int port list (an uplink `<nic>~` in br-int), then antrea-agent.conf (clusterinfo
`#configs` or a pasted config/Helm values), then host state (a tunnel device exists).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diagnose.facts import lifecycle

ENCAP, NO_ENCAP, HYBRID, POLICY_ONLY = "encap", "noEncap", "hybrid", "networkPolicyOnly"
ALL_MODES = (ENCAP, NO_ENCAP, HYBRID, POLICY_ONLY)
_MODE_NAMES = {m.lower(): m for m in ALL_MODES}
_TUNNEL_DEVICES = re.compile(r"^(?:genev_sys_\d+|vxlan_sys_\d+|gre_sys|stt_sys_\d+|antrea-tun0)$")
# The OVS kernel device of each tunnel type (what `ip link` shows): its type when nothing else tells.
_TUNNEL_TYPE_OF_DEVICE = (("genev_sys_", "geneve"), ("vxlan_sys_", "vxlan"), ("gre_sys", "gre"), ("stt_sys_", "stt"))


@dataclass
class Mode:
    """How Antrea is deployed on a Node (encapsulation, tunnel, bridging, encryption) and where that was read."""

    encap: str | None = None  # one of ALL_MODES; None when nothing tells
    encap_from: str = ""  # where it was read (reports say so)
    tunnel: str | None = None
    antrea_ipam: bool | None = None
    bridging: bool = False  # the transport NIC is connected to br-int by design
    bridging_from: str = ""
    transport_interface: str | None = None  # configured transportInterface
    encryption: str | None = None  # none | ipsec | wireGuard
    feature_gates: dict[str, bool] = field(default_factory=dict)
    secondary_bridges: dict[str, list[str]] = field(default_factory=dict)  # bridge -> physical NICs
    os: str | None = None  # "linux" / "windows" when the evidence tells

    @property
    def windows(self) -> bool:
        return self.os == "windows"

    @property
    def policy_only(self) -> bool:
        return self.encap == POLICY_ONLY

    @property
    def tunnels(self) -> bool | None:
        """Pod traffic between Nodes is encapsulated (encap, or hybrid across subnets)."""
        if self.encap is None:
            return None
        return self.encap in (ENCAP, HYBRID)

    def gate(self, name: str) -> bool | None:
        return self.feature_gates.get(name)

    def describe(self) -> str:
        parts = [self.encap or "traffic mode unknown"]
        if self.tunnel and self.tunnels:
            parts.append(f"{self.tunnel} tunnel")
        if self.bridging:
            parts.append("uplink bridged into br-int (AntreaIPAM)")
        if self.windows:
            parts.append("Windows")
        return ", ".join(parts)


def normal_mode(text: str | None) -> str | None:
    return _MODE_NAMES.get((text or "").lower())


def derive(config, initialized, bridging_event, br_int_ports: dict[str, int] | None, links, os: str | None) -> Mode:
    """A Node's mode from its evidence (see the module docstring for the order)."""
    mode = Mode(os=os)
    if config is not None:
        mode.encap, mode.encap_from = normal_mode(config.traffic_encap_mode), "antrea-agent.conf"
        mode.tunnel = config.tunnel_type
        mode.feature_gates = dict(config.feature_gates)
        mode.antrea_ipam = config.gate("AntreaIPAM")
        mode.transport_interface = config.transport_interface
        mode.encryption = config.traffic_encryption_mode
        mode.secondary_bridges = {b.name: list(b.physical_interfaces) for b in config.secondary_bridges}
        if config.enable_bridging_mode and config.gate("AntreaIPAM"):
            mode.bridging, mode.bridging_from = True, "antrea-agent.conf (enableBridgingMode with AntreaIPAM)"
    network = lifecycle.network_config(initialized.text) if initialized is not None else None
    if network is not None:
        logged = normal_mode(network[0])
        if logged:
            mode.encap, mode.encap_from = logged, "the agent's 'Agent initialized' line"
            if network[1]:
                mode.tunnel = network[1]
    if bridging_event is not None:
        mode.bridging, mode.bridging_from = True, "the agent's 'Bridging uplink to OVS bridge' line"
    if br_int_ports and any(name.endswith("~") for name in br_int_ports):
        mode.bridging, mode.bridging_from = True, "a renamed uplink among the br-int ports"
    if mode.windows:
        mode.bridging, mode.bridging_from = True, "Windows (the uplink is always in br-int)"
    if mode.encap is None and links is not None:
        if any(_TUNNEL_DEVICES.match(lk.name) for lk in links):
            mode.encap, mode.encap_from = ENCAP, "a tunnel device on the Node"
    if mode.tunnel is None and links is not None:
        mode.tunnel = next(
            (kind for lk in links for prefix, kind in _TUNNEL_TYPE_OF_DEVICE if lk.name.startswith(prefix)), None
        )
    return mode
