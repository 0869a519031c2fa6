"""What rules read: per-Node views of the parsed artifacts and of the shared facts.

This module is plumbing. Each artifact is parsed at most once, on demand; the facts (runs and
how they ended, whether a failure lasted, the deployment mode, the version, the host network)
are derived by `diagnose.facts` and served here, so no rule re-derives them. Rules never open
files: they ask a `NodeView` for its runs, links, routes or OVSDB state, and a `RuleEvidence`
for the hits of their own signatures, on the Nodes where the rule applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from diagnose.bundle import model as m
from diagnose.bundle.model import EvidenceLine
from diagnose.facts import apierrors, hostnet, lifecycle, modes, versions
from diagnose.facts import crashes as crashfacts
from diagnose.facts import outcome as outcomes
from diagnose.facts import runs as runsmod
from diagnose.parse import (
    agentconf,
    agentinfo,
    appctl,
    clusterinfo,
    crds,
    ipaddr,
    iproute,
    k8sevents,
    k8sobjects,
    klog,
    kubectl,
    ofports,
    ovsdb,
    yamlsafe,
)
from diagnose.parse import flows as flowparse
from diagnose.parse import groups as groupparse
from diagnose.parse import kmods as kmodparse
from diagnose.parse import resolvconf as resolvparse
from diagnose.rules.rule import Rule

if TYPE_CHECKING:  # imported where a Node has Windows outputs: a Linux bundle never loads them
    from diagnose.facts import winhost
    from diagnose.parse import hns, winadapters, winipconfig, winroutes

# A parsed Windows output that remembers the artifact it came from (winipconfig, winadapters, winroutes).
_Parsed = TypeVar("_Parsed", "winipconfig.Ipconfig", "winadapters.Adapters", "winroutes.RoutePrint")
EXCERPT_LINES = 50  # a pasted log file this short is a quote of the problem, not a log


class NodeView:
    """One Node as rules see it: its artifacts parsed on first use, and the facts derived from
    them (runs, outcomes, mode, host network), each computed once per scan."""

    def __init__(self, data: m.NodeData, cluster: ClusterView):
        self.data = data
        self.name = data.name
        self.cluster = cluster

    # -- what arrived ---------------------------------------------------------------------------

    @property
    def failed_reason(self) -> str | None:
        """Why antctl could not collect the Node (it is in failed_nodes); None when it could."""
        return self.data.failed_reason

    @property
    def fallback_bundle(self) -> bool:
        """Its bundle is the logs-only fallback antctl v2.3+ builds from the K8s API."""
        return self.data.fallback_bundle

    def has(self, *kinds: str) -> bool:
        """Whether any artifact of these kinds arrived for the Node."""
        return any(a.kind in kinds for a in self.data.artifacts)

    @property
    def has_agent_logs(self) -> bool:
        """Whether an antrea-agent log arrived for the Node."""
        return self.has(m.AGENT_LOG)

    # -- logs -----------------------------------------------------------------------------------

    @cached_property
    def _kind_of_artifact(self) -> dict[str, str]:
        return {a.path: a.kind for a in self.data.artifacts}

    @cached_property
    def _runs(self) -> dict[str, list[runsmod.Run]]:
        """Runs per process ("agent", "controller", "ovs", "container", "host")."""
        by_process: dict[str, list[m.LogEvent]] = {}
        for e in self.data.events:
            process = runsmod.PROCESS_OF_KIND.get(self._kind_of_artifact.get(e.artifact, ""), "agent")
            by_process.setdefault(process, []).append(e)
        arts: dict[str, list[m.Artifact]] = {}
        for a in self.data.artifacts:
            if a.kind in runsmod.PROCESS_OF_KIND:
                arts.setdefault(runsmod.PROCESS_OF_KIND[a.kind], []).append(a)
        year = self.cluster.year_hint
        built = {p: runsmod.build(evs, p, arts.get(p, ()), year) for p, evs in by_process.items()}
        # A bundle made by the agent's (controller's) own API proves the process ran when it was
        # collected: its latest run lasted until then, even when it logged nothing since.
        live = "controller" if self.data.name == m.CONTROLLER_NODE else "agent"
        collected = self.cluster.cluster.collected_at
        if self.data.collected_live and collected is not None and built.get(live):
            runsmod.alive_until(built[live][-1], collected)
        return built

    @property
    def runs(self) -> list[runsmod.Run]:
        """The agent's runs, oldest first (a pasted excerpt without times is one run)."""
        return self._runs.get("agent", [])

    def runs_of(self, process: str) -> list[runsmod.Run]:
        """Runs of one process: "agent", "controller", "ovs", "container" or "host"."""
        return self._runs.get(process, [])

    @property
    def undated_events(self) -> list[m.LogEvent]:
        """Agent events without a time (excerpts pasted without their header)."""
        return [e for r in self.runs if not r.dated for e in r.events]

    def events(self, signature: str) -> list[m.LogEvent]:
        """Deduplicated events of one signature, in run order."""
        return [e for runs in self._runs.values() for r in runs for e in r.events if e.signature == signature]

    def process_of(self, event: m.LogEvent) -> str:
        """Which process wrote an event (from the kind of its log)."""
        return runsmod.PROCESS_OF_KIND.get(self._kind_of_artifact.get(event.artifact, ""), "agent")

    def outcome(
        self, failures: list[m.LogEvent], successes: Sequence[m.LogEvent] = (), retry_interval: float = 0.0
    ) -> outcomes.Outcome | None:
        """Did these failures (this Node's events) last? See `diagnose.facts.outcome`."""
        mine = [e for e in failures if e.node == self.data.name or self.data.name == m.UNATTRIBUTED or e.node is None]
        if not mine:
            return None
        return outcomes.judge(mine, self.runs_of(self.process_of(mine[-1])), successes, retry_interval)

    def in_latest_run(self, events: list[m.LogEvent]) -> list[m.LogEvent]:
        """Those of `events` that the latest run of their process logged (all of them when its runs
        are unknown): for lines a process logs once, at start, and that hold for its whole run."""
        out = []
        for e in events:
            runs = self.runs_of(self.process_of(e))
            if not runs or e.run is None or e.run == runs[-1].index:
                out.append(e)
        return out

    @cached_property
    def releases(self) -> list[versions.Version] | None:
        """The releases the Node's logged Antrea messages all exist in (diagnose.facts.messages)."""
        from diagnose.facts import messages

        # Only klog lines whose `file.go:line` header names the file the catalogued message sits
        # in: a short script or container line ("Starting OVS") can match a generic format.
        found = []
        try:
            for e in self.data.events[:300]:
                if not e.source:
                    continue
                hit = messages.lookup((e.message or e.text)[:2000], e.level)
                gofile = e.source.rsplit(":", 1)[0].rsplit("/", 1)[-1]
                if hit is not None and any(loc.file.rsplit("/", 1)[-1] == gofile for loc in hit.locations):
                    found.append(hit)
        except messages.CatalogueError:
            return None
        common: set[str] | None = None
        for hit in found:
            common = set(hit.releases) if common is None else common & set(hit.releases)
        parsed = sorted(v for r in common or () if r != "main" and (v := versions.parse(r)) is not None)
        if parsed and parsed[0] == messages.catalogue().first_release():
            # Also in the oldest release catalogued: it may be older still (before v1.0 nothing is known).
            parsed.insert(0, versions.Version(0, 0, 0, True, ""))
        return parsed or None

    @cached_property
    def mode(self) -> modes.Mode:
        """How Antrea is deployed here: traffic mode, tunnel, bridging, OS (diagnose.facts.modes)."""
        initialized = next(self._initialized_lines(), None)
        bridging = next(iter(self.events(lifecycle.key("bridging"))), None)
        return modes.derive(self.cluster.agent_config, initialized, bridging, self.br_int_ports, self.links, self.os)

    @cached_property
    def os(self) -> str | None:
        """ "windows" or "linux" when the Node's files tell (host commands, the klog binary line)."""
        if self.has(m.HNS_NETWORK, m.WIN_IPCONFIG, m.WIN_ROUTES, m.WIN_ADAPTERS):
            return "windows"
        if self.has(m.IP_ADDR, m.IP_LINK, m.IP_ROUTE, m.IPTABLES):
            return "linux"
        for a in self.data.artifacts:
            binary = a.meta.get("binary", "")
            if " for windows/" in binary:
                return "windows"
            if " for linux/" in binary:
                return "linux"
        return None

    @cached_property
    def br_int_ports(self) -> dict[str, int] | None:
        """OpenFlow ports of br-int alone (the bundle's `ovsports` is br-int's)."""
        found: dict[str, int] = {}
        for a in self.data.artifacts_of(m.OVS_PORTS):
            found.update(ofports.parse_ports(a.text()))
        return found or None

    @cached_property
    def version(self) -> str | None:
        """The Antrea version of the latest run that logged one, else agentinfo's."""
        for run in reversed(self.runs):
            if run.version:
                return run.version
        for a in self.data.artifacts_of(m.AGENT_INFO):
            info = agentinfo.parse(a.text())
            if info and info.version:
                return info.version
        return None

    # -- host network and OVS -------------------------------------------------------------------

    @cached_property
    def links(self) -> list[ipaddr.Link] | None:
        """`ip addr`/`ip link` interfaces now (addresses from `ip addr` win); None when not collected."""
        found: dict[str, ipaddr.Link] = {}
        arts = current(self.data.artifacts_of(m.IP_LINK)) + current(self.data.artifacts_of(m.IP_ADDR))
        if not arts:
            return None
        for a in arts:
            for link in ipaddr.parse_links(a.text()):
                found[link.name] = link
        return list(found.values())

    def link(self, name: str) -> ipaddr.Link | None:
        """One interface of `links` by name."""
        return next((lk for lk in self.links or [] if lk.name == name), None)

    @cached_property
    def routes(self) -> list[iproute.Route] | None:
        """The Node's routes now: of several pasted snapshots, the latest (see `current`)."""
        arts = current(self.data.artifacts_of(m.IP_ROUTE)) + self.data.artifacts_of(m.ROUTE_TABLE_ALL)
        if not arts:
            return None
        return [r for a in arts for r in iproute.parse_routes(a.text())]

    @cached_property
    def earlier_routes(self) -> list[tuple[m.Artifact, list[iproute.Route]]]:
        """Route snapshots pasted from before the current one (`ip-route.before.txt`), oldest first."""
        arts = self.data.artifacts_of(m.IP_ROUTE)
        latest = current(arts)
        return [(a, iproute.parse_routes(a.text())) for a in snapshots(arts) if a not in latest]

    @cached_property
    def flows(self) -> list[flowparse.Flow] | None:
        """br-int flows (`flows` of the bundle or pasted `ovs-ofctl dump-flows`); None when not collected."""
        arts = self.data.artifacts_of(m.FLOWS)
        return [f for a in arts for f in flowparse.parse_flows(a.text())] if arts else None

    @cached_property
    def kernel_modules(self) -> kmodparse.KernelModules | None:
        """Loaded (`lsmod`) and built-in (modules.builtin) kernel modules, when pasted."""
        arts = self.data.artifacts_of(m.KERNEL_MODULES)
        if not arts:
            return None
        mods = kmodparse.KernelModules()
        for a in arts:
            kmodparse.parse(a.text(), into=mods)
        return mods

    @cached_property
    def resolv_conf(self) -> resolvparse.ResolvConf | None:
        """The Node's pasted /etc/resolv.conf (the last one when several were attached)."""
        arts = self.data.artifacts_of(m.RESOLV_CONF)
        return resolvparse.parse(arts[-1].text()) if arts else None

    @cached_property
    def of_ports(self) -> dict[str, int] | None:
        """OpenFlow port number by port name, from `ovsports` / `ovs-ofctl show` or an OVSDB dump."""
        found: dict[str, int] = {}
        for a in self.data.artifacts_of(m.OVS_PORTS):
            found.update(ofports.parse_ports(a.text()))
        state = self.ovsdb
        for bridge in state.bridges.values() if state else ():
            found.update(
                {p.name: p.ofport for p in bridge.ports.values() if p.ofport is not None and p.name not in found}
            )
        return found or None

    @cached_property
    def port_macs(self) -> dict[str, str]:
        """MAC address by br-int port name, from `ovsports` / `ovs-ofctl show` ({} when not collected)."""
        found: dict[str, str] = {}
        for a in self.data.artifacts_of(m.OVS_PORTS):
            found.update(ofports.port_macs(a.text()))
        return found

    @cached_property
    def datapath_ports(self) -> dict[str, dict[str, int]]:
        """OpenFlow port numbers per bridge as `ovs-appctl dpif/show` lists them ({} when not pasted)."""
        found: dict[str, dict[str, int]] = {}
        for a in self.data.artifacts_of(m.OVS_APPCTL):
            for bridge, ports in appctl.dpif_show(a.text()).ports.items():
                found.setdefault(bridge, {}).update({name: ofport for name, (ofport, _) in ports.items()})
        return found

    @cached_property
    def groups(self) -> list[tuple[m.Artifact, groupparse.Group]] | None:
        """br-int OpenFlow groups (`groups` of the bundle or pasted dump-groups) with their file;
        None when not collected."""
        arts = self.data.artifacts_of(m.GROUPS)
        return [(a, g) for a in arts for g in groupparse.parse(a.text())] if arts else None

    @cached_property
    def traces(self) -> list[tuple[m.Artifact, appctl.Trace]]:
        """`ovs-appctl ofproto/trace` outputs pasted for this Node, with their file."""
        return [(a, t) for a in self.data.artifacts_of(m.OVS_APPCTL) for t in appctl.traces(a.text())]

    @cached_property
    def agent_conditions(self) -> list[tuple[m.Artifact, crds.Condition]]:
        """Conditions of the Node's AntreaAgentInfo as its bundle's `agentinfo` has them (computed
        when the bundle was collected), with their file."""
        return [(a, c) for a in self.data.artifacts_of(m.AGENT_INFO) for c in agentinfo.conditions(a.text())]

    @cached_property
    def ovsdb(self) -> ovsdb.OvsdbState | None:
        """OVSDB state when any OVSDB dump was pasted (an antctl bundle never has one)."""
        states = [
            ovsdb.parse_ovsdb(a.text(), a.kind)
            for a in self.data.artifacts
            if a.kind in (m.OVS_VSCTL_SHOW, m.OVSDB_LIST, m.OVSDB_DUMP, m.OVSDB_DUMP_JSON)
        ]
        if not states:
            return None
        merged = states[0]
        for s in states[1:]:
            if s.other_config is not None:
                merged.other_config = s.other_config
            merged.bridges.update(s.bridges)
            merged.ovs_version = merged.ovs_version or s.ovs_version
        return merged

    @property
    def renamed_uplinks(self) -> list[ipaddr.Link]:
        """Host NICs renamed `<nic>~` and enslaved to OVS: Antrea moved them into a bridge."""
        return hostnet.renamed_uplinks(self.links)

    @property
    def node_ips(self) -> set[str]:
        """The Node's own addresses: clusterinfo's InternalIPs, else what its agent logged."""
        ips = set(self.info.internal_ips) if self.info else set()
        init = next(self._initialized_lines(), None)
        return ips | lifecycle.node_ips(init.text) if init is not None else ips

    @property
    def pod_cidrs(self) -> list[str]:
        """The Node's PodCIDRs: clusterinfo's spec.podCIDRs, else what its agent's latest
        `Agent initialized` line says (`PodIPv4CIDR: 10.244.1.0/24, PodIPv6CIDR: <nil>`)."""
        if self.info and self.info.pod_cidrs:
            return list(self.info.pod_cidrs)
        return next(filter(None, (lifecycle.pod_cidrs(i.text) for i in self._initialized_lines())), [])

    def _initialized_lines(self) -> Iterator[m.LogEvent]:
        """The `Agent initialized` lines of the runs that logged one, the latest first."""
        key = lifecycle.key("initialized")
        return (init for run in reversed(self.runs) if (init := run.first(key)) is not None)

    @property
    def pod_cidr_v4(self) -> str | None:
        """The Node's IPv4 PodCIDR (see `pod_cidrs`); None when nothing tells."""
        return next((c for c in self.pod_cidrs if ":" not in c), None)

    def primary_nics(self) -> set[str]:
        """Interfaces that carry the Node IP or the default route (what SSH and the API use)."""
        return hostnet.primary_nics(self.links, self.routes, self.node_ips)

    @property
    def transport_nic(self) -> ipaddr.Link | None:
        """The NIC Antrea encapsulates over (the Node IP's NIC unless configured)."""
        return hostnet.transport_nic(self.links, self.routes, self.node_ips, self.mode.transport_interface)

    @property
    def transport_uplink(self) -> ipaddr.Link | None:
        """The physical NIC Pod traffic leaves on: the transport NIC, or its renamed `<nic>~` when
        Antrea moved it into OVS (its MTU is what the wire carries); never an Antrea port."""
        return hostnet.transport_uplink(self.links, self.transport_nic)

    def bridged_primary_nic(self, unknown_routes_count: bool = False) -> ipaddr.Link | None:
        """The renamed uplink (`<nic>~` in ovs-system) whose NIC carries the Node's route or IP.
        Without routes or a Node IP to tell, any renamed uplink counts if `unknown_routes_count`."""
        return hostnet.bridged_primary_nic(self.renamed_uplinks, self.primary_nics(), unknown_routes_count)

    def api_failure(self) -> m.LogEvent | None:
        """The fatal line of the latest run that died unable to get its Node from the API server
        (up to v2.4 a timeout may read "Spec.PodCIDR is empty"), or such a pasted fatal line."""
        return apierrors.api_failure(r.fatal for r in self.runs if r.fatal)

    def note_on(self, kind: str, note: str) -> EvidenceLine | None:
        """Evidence about what the Node's current artifact of `kind` shows or lacks as a whole
        (e.g. "(no nameserver line in this file)"): its path, no line; None when not collected."""
        arts = current(self.data.artifacts_of(kind))
        return EvidenceLine(arts[-1].path, None, None, note, self.name) if arts else None

    def quoted(self, events: list[m.LogEvent]) -> bool:
        """The events all come from short pasted excerpts (a file of at most `EXCERPT_LINES` lines,
        neither from a bundle nor a whole klog file): what a user quoted as the problem."""
        sizes = {
            a.path: int(a.meta.get("lines", "0") or 0)
            for a in self.data.artifacts
            if a.kind in m.LOG_KINDS and not a.meta.get("bundled") and not a.meta.get("whole_file")
        }
        return bool(events) and all(0 < sizes.get(e.artifact, EXCERPT_LINES + 1) <= EXCERPT_LINES for e in events)

    def line_in(self, kinds: tuple[str, ...], contains: str) -> EvidenceLine | None:
        """The first line of an artifact of `kinds` containing `contains`, as evidence."""
        for a in self.data.artifacts:
            if a.kind not in kinds:
                continue
            for i, line in enumerate(a.text().splitlines(), 1):
                if contains in line:
                    return EvidenceLine(a.path, i, None, line.rstrip(), self.name)
        return None

    def evidence_line(self, path: str, number: int) -> EvidenceLine | None:
        """Line `number` of this Node's artifact `path`, as evidence (for findings read from state)."""
        for a in self.data.artifacts:
            if a.path == path and number > 0:
                lines = a.text().splitlines()
                if number <= len(lines):
                    return EvidenceLine(a.path, number, None, lines[number - 1].strip(), self.name)
        return None

    # -- cluster-level facts about this Node ----------------------------------------------------

    @property
    def info(self) -> clusterinfo.NodeInfo | None:
        """The Node's clusterinfo entry (PodCIDRs, addresses, role), when clusterinfo arrived."""
        ci = self.cluster.clusterinfo
        return ci.nodes.get(self.name) if ci else None

    @property
    def role(self) -> str | None:
        """ "control-plane" or "worker" from clusterinfo, when it tells."""
        info = self.info
        if info is None:
            return None
        return "control-plane" if info.control_plane else "worker"

    @property
    def config(self) -> agentconf.AgentConfig | None:
        """antrea-agent.conf as read (cluster-wide)."""
        return self.cluster.agent_config

    @cached_property
    def hns_networks(self) -> list[hns.HnsNetwork] | None:
        """Windows `Get-HNSNetwork` (a Windows bundle's `HNSNetwork` file, or pasted); None when absent."""
        arts = self.data.artifacts_of(m.HNS_NETWORK)
        if not arts:
            return None
        from diagnose.parse import hns

        nets = []
        for a in arts:
            for net in hns.parse_networks(a.text()):
                net.source = a.path
                nets.append(net)
        return nets

    # -- Windows host network (ipconfig, Get-NetAdapter, route print) --------------------------

    @cached_property
    def ipconfig(self) -> winipconfig.Ipconfig | None:
        """`ipconfig /all` of a Windows Node (the latest of several pasted snapshots); None when absent."""
        art = self._latest(m.WIN_IPCONFIG)
        if art is None:
            return None
        from diagnose.parse import winipconfig

        return _sourced(winipconfig.parse(art.text()), art)

    @cached_property
    def net_adapters(self) -> winadapters.Adapters | None:
        """`Get-NetAdapter` of a Windows Node (the bundle's `network-adapters`); None when absent."""
        art = self._latest(m.WIN_ADAPTERS)
        if art is None:
            return None
        from diagnose.parse import winadapters

        return _sourced(winadapters.parse(art.text()), art)

    @cached_property
    def win_routes(self) -> winroutes.RoutePrint | None:
        """`route print` of a Windows Node (the bundle's `routes`); None when absent."""
        art = self._latest(m.WIN_ROUTES)
        if art is None:
            return None
        from diagnose.parse import winroutes

        return _sourced(winroutes.parse(art.text()), art)

    def _latest(self, kind: str) -> m.Artifact | None:
        """The latest artifact of `kind` (of several pasted snapshots, the latest), None when absent."""
        arts = current(self.data.artifacts_of(kind))
        return arts[-1] if arts else None

    @cached_property
    def windows_host(self) -> winhost.WindowsHost | None:
        """The Windows outputs merged per adapter, with the adapters Antrea needs (uplink,
        br-int, the Node IP's); None when no Windows host output was collected."""
        if all(o is None for o in (self.ipconfig, self.net_adapters, self.win_routes, self.hns_networks)):
            return None  # as winhost.build would say, without importing it on a Linux Node
        from diagnose.facts import winhost
        from diagnose.parse import hns

        net = next((n for n in self.hns_networks or [] if n.name == hns.ANTREA_NETWORK), None)
        ips = self.node_ips | ({net.management_ip} if net is not None and net.management_ip else set())
        config = self.config
        return winhost.build(
            self.ipconfig,
            self.net_adapters,
            self.win_routes,
            self.hns_networks,
            bridge=config.ovs_bridge if config else "br-int",
            node_ips=ips,
            transport_interface=self.mode.transport_interface,
        )


# Words in the names of pasted snapshots of one command that say which came later.
_EARLIER = re.compile(r"(?:^|[^a-z])(?:before|old|orig(?:inal)?|prev(?:ious)?|initial|good|working)(?:[^a-z]|$)", re.I)
_LATER = re.compile(r"(?:^|[^a-z])(?:after|new|now|current|latest|broken|bad|failed|later)(?:[^a-z]|$)", re.I)


def snapshots(arts: list[m.Artifact]) -> list[m.Artifact]:
    """Pasted outputs of one command on one Node, oldest first, as far as their names tell
    (`before`/`after`, `old`/`new`); otherwise as they were read."""

    def rank(a: m.Artifact) -> int:
        name = a.path.replace("!", "/").rsplit("/", 1)[-1]
        return 0 if _EARLIER.search(name) else 2 if _LATER.search(name) else 1

    return sorted(arts, key=rank)


def _sourced(parsed: _Parsed, art: m.Artifact) -> _Parsed:
    """A parsed Windows output with the artifact's path as the source of its evidence lines."""
    parsed.source = art.path
    return parsed


def current(arts: list[m.Artifact]) -> list[m.Artifact]:
    """The artifacts that describe the Node now: the latest of several snapshots when their names
    order them; all of them (e.g. `ip route` and `ip -6 route`) when nothing does."""
    if len(arts) < 2 or not any(_EARLIER.search(a.path) or _LATER.search(a.path) for a in arts):
        return arts
    return snapshots(arts)[-1:]


class ClusterView:
    def __init__(self, cluster: m.Cluster):
        self.cluster = cluster
        self.nodes = {name: NodeView(data, self) for name, data in cluster.nodes.items()}

    @property
    def agent_nodes(self) -> list[NodeView]:
        """Nodes that run an agent: every Node but the controller's pseudo-Node. Files whose
        Node could not be told are "the Node of these files" (model.UNATTRIBUTED): still a
        Node whose evidence rules read."""
        return [n for n in self.nodes.values() if n.name != m.CONTROLLER_NODE]

    @property
    def named_nodes(self) -> list[NodeView]:
        """Agent Nodes with a name (for cross-Node comparisons)."""
        return [n for n in self.nodes.values() if n.name not in m.PSEUDO_NODES]

    @property
    def year_hint(self) -> klog.YearHint | None:
        """The year given to year-less log lines, and where it came from."""
        return self.cluster.year_hint

    @cached_property
    def clusterinfo(self) -> clusterinfo.ClusterInfo | None:
        """antctl's clusterinfo, parsed once."""
        arts = [a for a in self.cluster.cluster_artifacts if a.kind == m.CLUSTER_INFO]
        return clusterinfo.parse_once(arts[0].text()) if arts else None

    @cached_property
    def controller_node_ipam(self) -> bool:
        """antrea-controller.conf (clusterinfo's antrea-config) enables Antrea NodeIPAM."""
        text = self.clusterinfo.controller_conf_text if self.clusterinfo else None
        conf = yamlsafe.load(text) if text else None
        return isinstance(conf, dict) and yamlsafe.child(conf, "nodeIPAM").get("enableNodeIPAM") is True

    @cached_property
    def agent_config(self) -> agentconf.AgentConfig | None:
        """antrea-agent.conf: from clusterinfo's antrea-config, else a pasted config or Helm values."""
        ci = self.clusterinfo
        if ci and ci.agent_conf_text:
            cfg = agentconf.parse(ci.agent_conf_text)
            if cfg:
                return cfg
        for a in self.cluster.all_artifacts():
            if a.kind == m.AGENT_CONFIG:
                cfg = agentconf.parse(a.text())
                if cfg:
                    return cfg
        return None

    @cached_property
    def version(self) -> versions.Version | None:
        """The one Antrea version the agents report, when they agree."""
        found = {v for n in self.nodes.values() if (v := n.version)}
        return versions.parse(found.pop()) if len(found) == 1 else None

    def node_version(self, node: NodeView) -> versions.Version | None:
        """A Node's Antrea version, else the cluster's when all agents agree."""
        return versions.parse(node.version) or self.version

    def node_releases(self, node: NodeView) -> list[versions.Version] | None:
        """When the version is unknown: the releases whose source has every Antrea message the
        Node's logs show (the message catalogue's hint), e.g. v2.2..v2.7; None when they say nothing."""
        if self.node_version(node) is not None:
            return None
        return node.releases

    @cached_property
    def _clusterinfo_text(self) -> str | None:
        arts = [a for a in self.cluster.cluster_artifacts if a.kind == m.CLUSTER_INFO]
        return arts[0].text() if arts else None

    @cached_property
    def configmaps(self) -> dict[str, dict[str, str]] | None:
        """ConfigMaps of clusterinfo `#configs` by name; None without clusterinfo."""
        text = self._clusterinfo_text
        return k8sobjects.configmaps(text) if text is not None else None

    @cached_property
    def pods(self) -> list[kubectl.PodRow]:
        """Pods from clusterinfo `#pods` and from pasted `kubectl get pods` tables."""
        text = self._clusterinfo_text
        rows = k8sobjects.pods(text) if text else []
        for a in self.cluster.all_artifacts():
            if a.kind == m.KUBECTL_PODS:
                for row in kubectl.parse_pods_table(a.text(), a.path):
                    row.file_node = a.node if a.node not in m.PSEUDO_NODES else None
                    rows.append(row)
        return rows

    @cached_property
    def crd_objects(self) -> list[crds.CrdObject]:
        """Antrea custom resources pasted as `kubectl get -o yaml` or `kubectl describe`
        (AntreaAgentInfo, AntreaControllerInfo, Egress, IPPool...)."""
        return [o for a in self.cluster.all_artifacts() if a.kind == m.ANTREA_CRD for o in crds.parse(a.text(), a.path)]

    @cached_property
    def described_pods(self) -> list[kubectl.DescribedPod]:
        """Pods of pasted `kubectl describe pod` outputs."""
        return [
            p
            for a in self.cluster.all_artifacts()
            if a.kind == m.KUBECTL_DESCRIBE_POD
            for p in kubectl.parse_describe(a.text(), a.path)
        ]

    @cached_property
    def k8s_events(self) -> list[k8sevents.Event]:
        """Rows of pasted `kubectl get events` tables (each knows its file: `Event.source`)."""
        out = []
        for a in self.cluster.all_artifacts():
            if a.kind == m.KUBECTL_EVENTS:
                for event in k8sevents.parse(a.text()):
                    event.source = a.path
                    out.append(event)
        return out

    @cached_property
    def controller_conditions(self) -> list[tuple[m.Artifact, crds.Condition]]:
        """Conditions of AntreaControllerInfo as the bundle's `controllerinfo` has them, with their file."""
        return [
            (a, c)
            for a in self.cluster.all_artifacts()
            if a.kind == m.CONTROLLER_INFO
            for c in agentinfo.conditions(a.text())
        ]

    def pod_node(self, namespace: str | None, name: str) -> str | None:
        """The Node a Pod runs on, from clusterinfo `#pods`, pasted Pod tables or `kubectl describe pod`."""
        for pod in self.described_pods:
            if pod.name == name and (namespace is None or pod.namespace in (None, namespace)) and pod.node:
                return pod.node
        for row in self.pods:
            if row.name == name and (namespace is None or row.namespace in (None, namespace)) and row.node:
                return row.node
        return None

    @cached_property
    def crashes(self) -> dict[str, crashfacts.Crashes]:
        """Fatal and panic lines of every process per Node (see `diagnose.facts.crashes`)."""
        return crashfacts.by_node(self.nodes, self.clusterinfo.nodes if self.clusterinfo else ())

    @cached_property
    def pod_crash_signs(self) -> dict[str, crashfacts.PodSigns]:
        """Crash signs of the Antrea Pods in pasted kubectl output, by Node (`(<pod>)` when unknown)."""
        return crashfacts.pod_signs(self.pods, self.described_pods)


class RuleEvidence:
    """What a rule's `check` receives: the cluster, and the hits of the rule's own signatures."""

    def __init__(self, view: ClusterView, rule: Rule):
        self.view = view
        self.rule = rule

    @property
    def nodes(self) -> list[NodeView]:
        """The agent Nodes this rule applies to: in its modes and platform, and in its versions
        where the Node's version is known (diagnose.rules.rule.Rule.applies)."""
        return [
            n
            for n in self.view.agent_nodes
            if self.rule.applies(n.mode, self.view.node_version(n), self.view.node_releases(n))
        ]

    @property
    def config(self) -> agentconf.AgentConfig | None:
        """antrea-agent.conf as read (clusterinfo's antrea-config, or a pasted config/Helm values)."""
        return self.view.agent_config

    @property
    def clusterinfo(self) -> clusterinfo.ClusterInfo | None:
        """antctl's clusterinfo (Nodes and their PodCIDRs, the configs), when the bundle has one."""
        return self.view.clusterinfo

    @property
    def log_nodes(self) -> list[NodeView]:
        """Same as `nodes` (kept for rule packs written before files without a Node were one)."""
        return self.nodes

    def key(self, name: str) -> str:
        """The engine's key of this rule's signature `name` (the `signature` of its events)."""
        return self.rule.key(name)

    def hits(self, name: str, node: NodeView | None = None) -> list[m.LogEvent]:
        """Events of this rule's signature `name` on `node`, or on every Node (pseudo-Nodes too)."""
        key = self.rule.key(name)
        nodes = [node] if node else list(self.view.nodes.values())
        return [e for n in nodes for e in n.events(key)]

    def version(self, node: NodeView) -> versions.Version | None:
        """The Node's Antrea version (its latest run's, agentinfo's, or the cluster's), when known."""
        return self.view.node_version(node)
