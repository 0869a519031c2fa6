"""A Windows Node's host network as Antrea sees it: which adapter carries the Node, which is the uplink.

Shared by the Windows rules so each asks the same question the same way. What Antrea does, per
antrea-io/antrea pkg/agent/agent_windows.go and pkg/agent/util/net_windows.go (v1.0-v2.7):

- It picks as uplink the adapter holding the Node's InternalIP (or the configured
  `transportInterface`), refuses a virtual one (v1.2+, #2246), and creates the Transparent HNS
  network `antrea-hnsnetwork` on it. Windows then binds the uplink to the vSwitch (it keeps its
  MAC and loses its IP configuration) and creates a host vNIC `vEthernet (<uplink>)` with the
  uplink's MAC, to which it moves the IP, by DHCP again when the uplink used DHCP.
- Antrea renames that vNIC to the OVS bridge name (`br-int`, v1.5+ #3067; before, it configured
  the Node IP on the bridge's internal port itself): on a working Node the Node IP, the default
  route and the DHCP lease live on `br-int`, and `antrea-gw0` holds the PodCIDR's gateway IP.
- When the vNIC gets no IP in time, v1.15+ logs "Timeout acquiring IP for the adapter" and sets
  the uplink's IP statically; a DHCP server that does not answer the vNIC leaves it, or `br-int`
  after a reboot or a lease expiry, with a 169.254 (APIPA) address.

The three Windows outputs are merged by adapter name (a name PowerShell cut with `...` counts
as its prefix); `vEthernet (HNS Internal NIC)` and other vNICs Antrea does not use may have a
169.254 address on a healthy Node and are never asked about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from diagnose.parse import hns, winadapters, winipconfig, winroutes
from diagnose.parse.windows import is_virtual_adapter

GATEWAY = "antrea-gw0"


@dataclass
class Adapter:
    """One adapter as `ipconfig /all` and `Get-NetAdapter` tell it (either may be missing)."""

    name: str
    ip: winipconfig.Adapter | None = None  # its ipconfig section
    net: winadapters.Adapter | None = None  # its Get-NetAdapter row

    @property
    def mac(self) -> str | None:
        return (self.ip.mac if self.ip else None) or (self.net.mac if self.net else None)

    @property
    def virtual(self) -> bool:
        if self.net is not None:
            return self.net.is_virtual
        return is_virtual_adapter(self.name, self.ip.description if self.ip else None)

    @property
    def status(self) -> str | None:
        """Get-NetAdapter's Status, else "Disconnected" when ipconfig says the media is."""
        if self.net is not None and self.net.status:
            return self.net.status
        return "Disconnected" if self.ip is not None and self.ip.media_disconnected else None

    @property
    def down(self) -> bool:
        return (self.status or "Up") not in ("Up",)

    @property
    def usable_ipv4(self) -> list[winipconfig.Ipv4]:
        return self.ip.usable_ipv4 if self.ip else []

    @property
    def without_lease(self) -> bool:
        """ipconfig shows it with no usable IPv4 address but a 169.254 (APIPA) one."""
        return self.ip is not None and not self.ip.usable_ipv4 and bool(self.ip.apipa)


@dataclass
class Role:
    """An adapter Antrea needs, and why."""

    adapter: Adapter
    role: str  # "bridge", "management", "uplink", "transport"
    why: str  # a phrase for messages: "the OVS bridge's vNIC, to which Antrea moved the Node IP"


@dataclass
class TakenUplink:
    """The adapter Antrea would take as uplink is a vNIC of another vSwitch (v1.2+ refuses it,
    #2246: "Transparent HNSNetwork requires a physical adapter while the uplink interface ... is
    virtual"): the physical adapter behind it belongs to another HNS network or vSwitch."""

    vnic: Adapter  # e.g. "vEthernet (Ethernet0)", holding the Node IP
    physical: Adapter | None  # the adapter it fronts (same MAC, or named in its parentheses)
    network: hns.HnsNetwork | None  # the HNS network built on that physical adapter, when listed


@dataclass
class WindowsHost:
    """A Windows Node's adapters, routes and HNS networks, read together."""

    adapters: list[Adapter] = field(default_factory=list)
    routes: winroutes.RoutePrint | None = None
    networks: list[hns.HnsNetwork] | None = None
    bridge: str = "br-int"  # the OVS bridge name, which the management vNIC is renamed to
    node_ips: set[str] = field(default_factory=set)
    transport_interface: str | None = None
    have_ipconfig: bool = False
    have_adapter_list: bool = False

    def adapter(self, name: str | None) -> Adapter | None:
        if not name:
            return None
        exact = next((a for a in self.adapters if a.name == name), None)
        if exact is not None:
            return exact
        cut = [a for a in self.adapters if a.net is not None and a.net.is_named(name)]
        return cut[0] if len(cut) == 1 else None

    @property
    def antrea_network(self) -> hns.HnsNetwork | None:
        return next((n for n in self.networks or [] if n.name == hns.ANTREA_NETWORK), None)

    @property
    def uplink_name(self) -> str | None:
        """The adapter the HNS network (or Antrea, before it made one) uses as uplink."""
        net = self.antrea_network
        if net is not None and net.adapter:
            return net.adapter
        if self.transport_interface and self.adapter(self.transport_interface):
            return self.transport_interface
        bridge = self.adapter(self.bridge)
        if bridge is not None and bridge.mac:
            # The physical adapter whose MAC the bridge vNIC took over.
            twin = [a for a in self.adapters if a is not bridge and a.mac == bridge.mac and not a.virtual]
            if len(twin) == 1:
                return twin[0].name
        holders = [a for a in self.adapters if not a.virtual and self._holds_node_ip(a)]
        return holders[0].name if len(holders) == 1 else None

    @property
    def uplink(self) -> Adapter | None:
        return self.adapter(self.uplink_name)

    @property
    def management(self) -> Adapter | None:
        """The host vNIC that holds the Node IP once the HNS network exists: `br-int`, or
        `vEthernet (<uplink>)` before Antrea renamed it."""
        bridge = self.adapter(self.bridge)
        if bridge is not None:
            return bridge
        uplink = self.uplink_name
        return self.adapter(f"vEthernet ({uplink})") if uplink else None

    def needs_node_ip(self) -> list[Role]:
        """The adapters that must hold the Node IP, most specific first."""
        out: list[Role] = []
        mgmt = self.management
        if mgmt is not None:
            if mgmt.name == self.bridge:
                why = "the OVS bridge's vNIC, to which Antrea moved the Node IP"
                out.append(Role(mgmt, "bridge", why))
            else:
                why = f"the host vNIC Windows made for {hns.ANTREA_NETWORK}"
                out.append(Role(mgmt, "management", why))
            return out
        if self.transport_interface and (t := self.adapter(self.transport_interface)) is not None:
            out.append(Role(t, "transport", "the configured transportInterface"))
            return out
        uplink = self.uplink
        if uplink is not None:
            out.append(Role(uplink, "uplink", "the adapter holding the Node IP"))
            return out
        # Nothing names the adapter: a vSwitch vNIC of a physical adapter is what an HNS
        # network over it moved the IP to (antrea-hnsnetwork or another one).
        for a in self.adapters:
            if (
                a.name.startswith("vEthernet (")
                and (phys := self.adapter(a.name[len("vEthernet (") : -1]))
                and not phys.virtual
            ):
                out.append(Role(a, "management", f"the host vNIC of the HNS network over {phys.name}"))
        return out

    def _holds_node_ip(self, adapter: Adapter) -> bool:
        return adapter.ip is not None and any(adapter.ip.has_ip(ip) for ip in self.node_ips)

    def node_ip_holders(self) -> list[Adapter]:
        """Adapters that hold the Node IP with a usable address."""
        return [
            a for a in self.adapters if a.ip is not None and any(ip.address in self.node_ips for ip in a.ip.usable_ipv4)
        ]

    def taken_uplink(self) -> TakenUplink | None:
        """Without antrea-hnsnetwork, the Node's address sits on a vNIC of another vSwitch (see
        TakenUplink). Read from ipconfig (the vNIC with the Node IP, or with a gateway), else from
        Get-NetAdapter alone (a `vEthernet (X)` vNIC with the MAC of the physical adapter X)."""
        if self.antrea_network is not None or self.adapter(self.bridge) is not None:
            return None
        holders = self.node_ip_holders() or [a for a in self.adapters if a.ip and a.ip.gateways and a.usable_ipv4]
        if not holders and not self.have_ipconfig:
            holders = [a for a in self.adapters if a.name.startswith("vEthernet (")]
        for vnic in holders:
            if not vnic.virtual or vnic.name == GATEWAY or not vnic.name.startswith("vEthernet ("):
                continue
            physical = self.adapter(vnic.name[len("vEthernet (") : -1])
            if physical is None and vnic.mac:
                twins = [a for a in self.adapters if a is not vnic and a.mac == vnic.mac and not a.virtual]
                physical = twins[0] if twins else None
            if physical is None or physical.virtual:
                continue
            network = next(
                (
                    n
                    for n in self.networks or []
                    if n.adapter and physical.net is not None and physical.net.is_named(n.adapter)
                ),
                None,
            )
            return TakenUplink(vnic, physical, network)
        return None

    def default_routes(self) -> list[winroutes.Route] | None:
        """Active IPv4 default routes over a usable address (None without `route print`)."""
        return self.routes.defaults() if self.routes is not None else None


def build(
    ipconfig: winipconfig.Ipconfig | None,
    adapters: winadapters.Adapters | None,
    routes: winroutes.RoutePrint | None,
    networks: list[hns.HnsNetwork] | None,
    *,
    bridge: str = "br-int",
    node_ips: set[str] | None = None,
    transport_interface: str | None = None,
) -> WindowsHost | None:
    """The merged view, or None when none of the Windows outputs was collected."""
    if ipconfig is None and adapters is None and routes is None and networks is None:
        return None
    merged: list[Adapter] = []
    for section in ipconfig.adapters if ipconfig else []:
        merged.append(Adapter(section.name, ip=section))
    for row in adapters.adapters if adapters else []:
        match = next((a for a in merged if a.net is None and (a.name == row.name or row.is_named(a.name))), None)
        if match is not None:
            match.net = row
        else:
            merged.append(Adapter(row.name, net=row))
    return WindowsHost(
        merged,
        routes,
        networks,
        bridge or "br-int",
        set(node_ips or ()),
        transport_interface,
        have_ipconfig=ipconfig is not None,
        have_adapter_list=adapters is not None,
    )
