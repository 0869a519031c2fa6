"""What rules read: per-Node views of the parsed artifacts and of the shared facts.

This module is plumbing. Each artifact is parsed at most once, on demand; the facts (runs and
how they ended, whether a failure lasted, the deployment mode, the version, the host network)
are derived by `diagnose.facts` and served here, so no rule re-derives them. Rules never open
files: they ask a `NodeView` for its runs, links, routes or OVSDB state, and a `RuleEvidence`
for the hits of their own signatures, on the Nodes where the rule applies.
"""

from __future__ import annotations

import re
from functools import cached_property

from diagnose import apierrors, versions
from diagnose import model as m
from diagnose.facts import crashes as crashfacts
from diagnose.facts import hostnet, lifecycle, modes
from diagnose.facts import outcome as outcomes
from diagnose.facts import runs as runsmod
from diagnose.parse import (
    agentconf,
    agentinfo,
    clusterinfo,
    hns,
    ipaddr,
    iproute,
    k8sobjects,
    klog,
    kubectl,
    ofports,
    ovsdb,
)
from diagnose.parse import flows as flowparse
from diagnose.parse import kmods as kmodparse
from diagnose.parse import resolvconf as resolvparse
from diagnose.rule import EvidenceLine, Rule

EXCERPT_LINES = 50  # a pasted log file this short is a quote of the problem, not a log


class NodeView:
    def __init__(self, data: m.NodeData, cluster: ClusterView):
        self.data = data
        self.name = data.name
        self.cluster = cluster

    # -- what arrived ---------------------------------------------------------------------------

    @property
    def failed_reason(self) -> str | None:
        return self.data.failed_reason

    @property
    def fallback_bundle(self) -> bool:
        return self.data.fallback_bundle

    def has(self, *kinds: str) -> bool:
        return any(a.kind in kinds for a in self.data.artifacts)

    @property
    def has_agent_logs(self) -> bool:
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
        return self._runs.get(process, [])

    @property
    def undated_events(self) -> list[m.LogEvent]:
        """Agent events without a time (excerpts pasted without their header)."""
        return [e for r in self.runs if not r.dated for e in r.events]

    def events(self, signature: str) -> list[m.LogEvent]:
        """Deduplicated events of one signature, in run order."""
        return [e for runs in self._runs.values() for r in runs for e in r.events if e.signature == signature]

    def process_of(self, event: m.LogEvent) -> str:
        return runsmod.PROCESS_OF_KIND.get(self._kind_of_artifact.get(event.artifact, ""), "agent")

    def outcome(self, failures: list[m.LogEvent], successes: list[m.LogEvent] = ()) -> outcomes.Outcome | None:
        """Did these failures (this Node's events) last? See `diagnose.facts.outcome`."""
        mine = [e for e in failures if e.node == self.data.name or self.data.name == m.UNATTRIBUTED
                or e.node is None]
        if not mine:
            return None
        return outcomes.judge(mine, self.runs_of(self.process_of(mine[-1])), successes)

    @cached_property
    def mode(self) -> modes.Mode:
        latest = [r for r in self.runs if r.first(lifecycle.key("initialized"))]
        initialized = latest[-1].first(lifecycle.key("initialized")) if latest else None
        bridging = next(iter(self.events(lifecycle.key("bridging"))), None)
        return modes.derive(self.cluster.agent_config, initialized, bridging, self.br_int_ports, self.links,
                            self.os)

    @cached_property
    def os(self) -> str | None:
        """"windows" or "linux" when the Node's files tell (host commands, the klog binary line)."""
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
            found.update({p.name: p.ofport for p in bridge.ports.values()
                          if p.ofport is not None and p.name not in found})
        return found or None

    @cached_property
    def ovsdb(self) -> ovsdb.OvsdbState | None:
        """OVSDB state when any OVSDB dump was pasted (an antctl bundle never has one)."""
        states = [ovsdb.parse_ovsdb(a.text(), a.kind) for a in self.data.artifacts
                  if a.kind in (m.OVS_VSCTL_SHOW, m.OVSDB_LIST, m.OVSDB_DUMP, m.OVSDB_DUMP_JSON)]
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
        for run in reversed(self.runs):
            init = run.first(lifecycle.key("initialized"))
            if init is not None:
                ips |= set(re.findall(r"(?:NodeIPv4|TransportIPv4): ([\d.]+)/", init.text))
                break
        return ips

    @property
    def pod_cidrs(self) -> list[str]:
        """The Node's PodCIDRs: clusterinfo's spec.podCIDRs, else what its agent's latest
        `Agent initialized` line says (`PodIPv4CIDR: 10.244.1.0/24, PodIPv6CIDR: <nil>`)."""
        if self.info and self.info.pod_cidrs:
            return list(self.info.pod_cidrs)
        for run in reversed(self.runs):
            init = run.first(lifecycle.key("initialized"))
            if init is not None:
                found = re.findall(r"PodIPv[46]CIDR: ([0-9a-fA-F.:]+/\d+)", init.text)
                if found:
                    return found
        return []

    def primary_nics(self) -> set[str]:
        """Interfaces that carry the Node IP or the default route (what SSH and the API use)."""
        return hostnet.primary_nics(self.links, self.routes, self.node_ips)

    @property
    def transport_nic(self) -> ipaddr.Link | None:
        """The NIC Antrea encapsulates over (the Node IP's NIC unless configured)."""
        return hostnet.transport_nic(self.links, self.routes, self.node_ips, self.mode.transport_interface)

    def bridged_primary_nic(self, unknown_routes_count: bool = False) -> ipaddr.Link | None:
        """The renamed uplink (`<nic>~` in ovs-system) whose NIC carries the Node's route or IP.
        Without routes or a Node IP to tell, any renamed uplink counts if `unknown_routes_count`."""
        primary = self.primary_nics()
        for link in self.renamed_uplinks:
            if link.renamed_uplink in primary or (unknown_routes_count and not primary):
                return link
        return None

    def api_failure(self) -> m.LogEvent | None:
        """The fatal line of the latest run that died unable to get its Node from the API server
        (up to v2.4 a timeout may read "Spec.PodCIDR is empty"), or such a pasted fatal line."""
        candidates = [r.fatal for r in self.runs if r.fatal]
        for e in reversed(candidates):
            if apierrors.is_api_failure(e.text) or apierrors.is_podcidr_empty(e.text):
                return e
        return None

    def quoted(self, events: list[m.LogEvent]) -> bool:
        """The events all come from short pasted excerpts (a file of at most `EXCERPT_LINES` lines,
        neither from a bundle nor a whole klog file): what a user quoted as the problem."""
        sizes = {a.path: int(a.meta.get("lines", "0") or 0) for a in self.data.artifacts
                 if a.kind in m.LOG_KINDS and not a.meta.get("bundled") and not a.meta.get("whole_file")}
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

    # -- cluster-level facts about this Node ----------------------------------------------------

    @property
    def info(self) -> clusterinfo.NodeInfo | None:
        ci = self.cluster.clusterinfo
        return ci.nodes.get(self.name) if ci else None

    @property
    def role(self) -> str | None:
        info = self.info
        if info is None:
            return None
        return "control-plane" if info.control_plane else "worker"

    @property
    def config(self) -> agentconf.AgentConfig | None:
        return self.cluster.agent_config

    @cached_property
    def hns_networks(self) -> list[hns.HnsNetwork] | None:
        """Windows `Get-HNSNetwork` (a Windows bundle's `HNSNetwork` file, or pasted); None when absent."""
        arts = self.data.artifacts_of(m.HNS_NETWORK)
        return [n for a in arts for n in hns.parse_networks(a.text())] if arts else None


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
        return self.cluster.year_hint

    @cached_property
    def clusterinfo(self) -> clusterinfo.ClusterInfo | None:
        arts = [a for a in self.cluster.cluster_artifacts if a.kind == m.CLUSTER_INFO]
        return clusterinfo.parse_once(arts[0].text()) if arts else None

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
        return versions.parse(node.version) or self.version

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
    def described_pods(self) -> list[kubectl.DescribedPod]:
        return [p for a in self.cluster.all_artifacts() if a.kind == m.KUBECTL_DESCRIBE_POD
                for p in kubectl.parse_describe(a.text(), a.path)]

    @cached_property
    def crashes(self) -> dict[str, crashfacts.Crashes]:
        """Fatal and panic lines of every process per Node (see `diagnose.facts.crashes`)."""
        return crashfacts.by_node(self)

    @cached_property
    def pod_crash_signs(self) -> dict[str, crashfacts.PodSigns]:
        """Crash signs of the Antrea Pods in pasted kubectl output, by Node (`(<pod>)` when unknown)."""
        return crashfacts.pod_signs(self)


class RuleEvidence:
    """What a rule's `check` receives: the cluster, and the hits of the rule's own signatures."""

    def __init__(self, view: ClusterView, rule: Rule):
        self.view = view
        self.rule = rule

    @property
    def nodes(self) -> list[NodeView]:
        """The agent Nodes this rule applies to: in its modes and platform, and in its versions
        where the Node's version is known (diagnose.rule.Rule.applies)."""
        return [n for n in self.view.agent_nodes if self.rule.applies(n.mode, self.view.node_version(n))]

    @property
    def config(self) -> agentconf.AgentConfig | None:
        return self.view.agent_config

    @property
    def clusterinfo(self) -> clusterinfo.ClusterInfo | None:
        return self.view.clusterinfo

    @property
    def log_nodes(self) -> list[NodeView]:
        """Same as `nodes` (kept for rule packs written before files without a Node were one)."""
        return self.nodes

    def key(self, name: str) -> str:
        return self.rule.key(name)

    def hits(self, name: str, node: NodeView | None = None) -> list[m.LogEvent]:
        """Events of this rule's signature `name` on `node`, or on every Node (pseudo-Nodes too)."""
        key = self.rule.key(name)
        nodes = [node] if node else list(self.view.nodes.values())
        return [e for n in nodes for e in n.events(key)]

    def version(self, node: NodeView) -> versions.Version | None:
        return self.view.node_version(node)
