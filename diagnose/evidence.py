"""Parsed facts per Node, as rules see them. Each artifact is parsed at most once, on demand.

Rules never open files: they ask a `NodeView` for its runs, links, routes or OVSDB state, and
a `RuleEvidence` for the hits of their own signatures.
"""

from __future__ import annotations

from functools import cached_property

from diagnose import apierrors, timeline, versions
from diagnose import model as m
from diagnose.parse import agentconf, agentinfo, clusterinfo, hns, ipaddr, iproute, k8sobjects, kubectl, ofports, ovsdb
from diagnose.parse import flows as flowparse
from diagnose.parse import kmods as kmodparse
from diagnose.parse import resolvconf as resolvparse
from diagnose.rule import EvidenceLine, Rule


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
    def _timeline(self) -> tuple[list[timeline.Run], list[m.LogEvent]]:
        return timeline.build_runs(self.data.events)

    @property
    def runs(self) -> list[timeline.Run]:
        return self._timeline[0]

    @property
    def undated_events(self) -> list[m.LogEvent]:
        return self._timeline[1]

    def events(self, signature: str) -> list[m.LogEvent]:
        """Deduplicated events of one signature, timed ones in order, then undated ones."""
        return [e for r in self.runs for e in r.events if e.signature == signature] + [
            e for e in self.undated_events if e.signature == signature]

    @cached_property
    def version(self) -> str | None:
        """The Antrea version of the latest run that logged one, else agentinfo's."""
        for run in reversed(self.runs):
            if run.version:
                return run.version
        for e in self.undated_events:
            if e.signature == timeline.key("start"):
                return e.groups.get("v1") or e.groups.get("v2")
        for a in self.data.artifacts_of(m.AGENT_INFO):
            info = agentinfo.parse(a.text())
            if info and info.version:
                return info.version
        return None

    # -- host network and OVS -------------------------------------------------------------------

    @cached_property
    def links(self) -> list[ipaddr.Link] | None:
        """`ip addr`/`ip link` interfaces (addresses from `ip addr` win); None when not collected."""
        found: dict[str, ipaddr.Link] = {}
        arts = self.data.artifacts_of(m.IP_LINK) + self.data.artifacts_of(m.IP_ADDR)
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
        arts = self.data.artifacts_of(m.IP_ROUTE) + self.data.artifacts_of(m.ROUTE_TABLE_ALL)
        if not arts:
            return None
        return [r for a in arts for r in iproute.parse_routes(a.text())]

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
        return [lk for lk in self.links or [] if lk.renamed_uplink and lk.master == "ovs-system"]

    def primary_nics(self) -> set[str]:
        """Interfaces that carry the Node IP or the default route (what SSH and the API use)."""
        nics = {r.dev for r in iproute.default_routes(self.routes or []) if r.dev}
        node_ips = set(self.info.internal_ips) if self.info else set()
        for lk in self.links or []:
            if any(cidr.split("/")[0] in node_ips for cidr in lk.ipv4):
                nics.add(lk.name)
        return nics

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
        candidates = [r.fatal for r in self.runs if r.fatal] + [
            e for e in self.undated_events
            if e.signature.startswith(timeline.CORE) and "Error running agent" in e.text]
        for e in reversed(candidates):
            if apierrors.is_api_failure(e.text) or apierrors.is_podcidr_empty(e.text):
                return e
        return None

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


class ClusterView:
    def __init__(self, cluster: m.Cluster):
        self.cluster = cluster
        self.nodes = {name: NodeView(data, self) for name, data in cluster.nodes.items()}

    @property
    def agent_nodes(self) -> list[NodeView]:
        """Nodes that run an agent (not the controller or unattributed pseudo-Nodes)."""
        return [n for n in self.nodes.values() if n.name not in m.PSEUDO_NODES]

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


class RuleEvidence:
    """What a rule's `check` receives: the cluster, and the hits of the rule's own signatures."""

    def __init__(self, view: ClusterView, rule: Rule):
        self.view = view
        self.rule = rule

    @property
    def nodes(self) -> list[NodeView]:
        return self.view.agent_nodes

    @property
    def config(self) -> agentconf.AgentConfig | None:
        return self.view.agent_config

    @property
    def clusterinfo(self) -> clusterinfo.ClusterInfo | None:
        return self.view.clusterinfo

    @property
    def log_nodes(self) -> list[NodeView]:
        """Agent Nodes and the unattributed pseudo-Node: pasted excerpts often name no host."""
        return [n for n in self.view.nodes.values() if n.name != m.CONTROLLER_NODE]

    def key(self, name: str) -> str:
        return self.rule.key(name)

    def hits(self, name: str, node: NodeView | None = None) -> list[m.LogEvent]:
        """Events of this rule's signature `name` on `node`, or on every Node (pseudo-Nodes too)."""
        key = self.rule.key(name)
        nodes = [node] if node else list(self.view.nodes.values())
        return [e for n in nodes for e in n.events(key)]

    def version(self, node: NodeView) -> versions.Version | None:
        return self.view.node_version(node)
