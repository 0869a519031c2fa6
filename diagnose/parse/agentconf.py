"""antrea-agent.conf (from clusterinfo `#configs` or pasted), or the Helm values that render it."""

from __future__ import annotations

from dataclasses import dataclass, field

from diagnose.parse import yamlsafe


@dataclass
class SecondaryBridge:
    """A SecondaryNetwork OVS bridge of antrea-agent.conf and its physical NICs."""

    name: str
    physical_interfaces: list[str]


@dataclass
class AgentConfig:
    """The options of antrea-agent.conf the rules read, with Antrea's defaults."""

    feature_gates: dict[str, bool] = field(default_factory=dict)
    secondary_bridges: list[SecondaryBridge] = field(default_factory=list)
    ovs_bridge: str = "br-int"
    traffic_encap_mode: str = "encap"
    tunnel_type: str = "geneve"
    enable_bridging_mode: bool = False
    transport_interface: str | None = None
    kube_apiserver_override: str | None = None
    traffic_encryption_mode: str = "none"  # none | ipsec | wireGuard
    default_mtu: int = 0  # 0: derived from the transport NIC

    def gate(self, name: str) -> bool:
        return bool(self.feature_gates.get(name, False))


def parse(text: str) -> AgentConfig | None:
    """The settings diagnosis needs; None when the text is not such a config."""
    obj = yamlsafe.load(text)
    if not isinstance(obj, dict):
        return None
    # Helm values nest the agent settings under `antrea:` when Antrea is a sub-chart.
    if "featureGates" not in obj and isinstance(obj.get("antrea"), dict):
        obj = obj["antrea"]
    cfg = AgentConfig()
    gates = obj.get("featureGates")
    if isinstance(gates, dict):
        cfg.feature_gates = {str(k): v is True or str(v).lower() == "true" for k, v in gates.items()}
    sec = obj.get("secondaryNetwork")
    if isinstance(sec, dict):
        for b in sec.get("ovsBridges") or []:
            if isinstance(b, dict) and isinstance(b.get("bridgeName"), str):
                ifaces = [str(i) for i in b.get("physicalInterfaces") or [] if isinstance(i, (str, int))]
                cfg.secondary_bridges.append(SecondaryBridge(b["bridgeName"], ifaces))
    for key, attr in (
        ("ovsBridge", "ovs_bridge"),
        ("trafficEncapMode", "traffic_encap_mode"),
        ("tunnelType", "tunnel_type"),
        ("transportInterface", "transport_interface"),
        ("kubeAPIServerOverride", "kube_apiserver_override"),
    ):
        if isinstance(obj.get(key), str) and obj[key]:
            setattr(cfg, attr, obj[key])
    cfg.enable_bridging_mode = obj.get("enableBridgingMode") is True
    if isinstance(obj.get("trafficEncryptionMode"), str) and obj["trafficEncryptionMode"]:
        cfg.traffic_encryption_mode = obj["trafficEncryptionMode"]
    if isinstance(obj.get("defaultMTU"), int) and not isinstance(obj["defaultMTU"], bool):
        cfg.default_mtu = obj["defaultMTU"]
    return cfg
