"""What arrived: artifacts, log events, Nodes and the cluster view built from a source.

These are plain data. The bundle reader fills them, the parsers read `Artifact.data`, the
timeline orders `LogEvent`s, and rules only ever see them through `diagnose.rules.evidence`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from diagnose.parse.klog import YearHint

# Artifact kinds. Log kinds are streamed through the signature scanner; every other kind is
# small, kept in memory (bounded) and parsed on demand.
AGENT_LOG = "agent-log"  # antrea-agent klog file or container log
CONTROLLER_LOG = "controller-log"
OVS_LOG = "ovs-log"  # ovs-vswitchd.log / ovsdb-server.log (OVS vlog)
OVS_CONTAINER_LOG = "ovs-container-log"  # antrea-ovs container stdout (start_ovs)
OTHER_CONTAINER_LOG = "container-log"  # install-cni, ipsec, sysctl-init... container logs
HOST_LOG = "host-log"  # the Node's own logs: audit.log / ausearch, dmesg, journalctl, syslog (pasted)
LOG_KINDS = frozenset({AGENT_LOG, CONTROLLER_LOG, OVS_LOG, OVS_CONTAINER_LOG, OTHER_CONTAINER_LOG, HOST_LOG})

IP_ROUTE = "ip-route"
ROUTE_TABLE_ALL = "route-table-all"
IP_ADDR = "ip-addr"
IP_LINK = "ip-link"
IP_RULE = "ip-rule"
OVS_VSCTL_SHOW = "ovs-vsctl-show"
OVSDB_LIST = "ovs-vsctl-list"  # ovs-vsctl list <table>
OVSDB_DUMP = "ovsdb-dump"  # ovsdb-client dump (text)
OVSDB_DUMP_JSON = "ovsdb-dump-json"  # ovsdb-client -f json dump
FLOWS = "flows"
GROUPS = "groups"
OVS_PORTS = "ovsports"
AGENT_INFO = "agentinfo"
AGENT_CONFIG = "agent-config"  # antrea-agent.conf or Helm values
CLUSTER_INFO = "clusterinfo"
FAILED_NODES = "failed-nodes"
CONTROLLER_INFO = "controllerinfo"
IPTABLES = "iptables"
KUBECTL_PODS = "kubectl-pods"  # `kubectl get pods [-A] [-o wide]` table (pasted)
KUBECTL_DESCRIBE_POD = "kubectl-describe-pod"  # `kubectl describe pod` (states, events)
HNS_NETWORK = "hns-network"  # Windows `Get-HNSNetwork` (pasted; in a bundle the `HNSNetwork` file)
RESOLV_CONF = "resolv-conf"  # the Node's /etc/resolv.conf (pasted)
KERNEL_MODULES = "kernel-modules"  # `lsmod`, /proc/modules or modules.builtin (pasted)
KUBECTL_EVENTS = "kubectl-events"  # `kubectl get events` table (pasted)
ANTREA_CRD = "antrea-crd"  # Antrea custom resources: `kubectl get -o yaml` / `kubectl describe`
OVS_APPCTL = "ovs-appctl"  # ovs-appctl output (dpif/show, dpctl/show, ofproto/trace, ...)
WIN_IPCONFIG = "win-ipconfig"  # Windows `ipconfig /all` (bundle `ipconfig`)
WIN_ROUTES = "win-routes"  # Windows `route print` (bundle `routes`)
WIN_ADAPTERS = "win-adapters"  # Windows `Get-NetAdapter` (bundle `network-adapters`)
OTHER = "other"  # recognised antctl file with no parser (yet): listed, not read

CONTROLLER_NODE = "antrea-controller"  # pseudo-Node that holds the controller bundle


@dataclass
class ReadProblem:
    """Something that could not be read, in one sentence, and where."""

    path: str
    reason: str


@dataclass
class Artifact:
    """One file of the bundle (possibly inside nested archives)."""

    path: str  # display path, archive members joined with "!"
    kind: str
    node: str | None = None
    size: int = 0
    data: bytes | None = None  # content of small artifacts (never set for logs)
    truncated: bool = False  # data was cut at the size limit
    meta: dict[str, str] = field(default_factory=dict)  # e.g. klog header fields
    # First and last line of a log (after the klog header): when its process started and how
    # long it kept logging, for runs and recovery (diagnose.facts.runs).
    first_line: str | None = None
    last_line: str | None = None

    def text(self) -> str:
        return (self.data or b"").decode("utf-8", errors="replace")


@dataclass
class LogEvent:
    """One log line that matched a signature (only hits are parsed in full)."""

    artifact: str
    line: int  # 1-based line number in the artifact
    text: str  # the raw line (cut when very long)
    signature: str  # qualified signature key, "<rule id>:<name>"
    node: str | None = None
    time: datetime | None = None  # naive UTC-less wall time as logged (klog has no zone)
    level: str | None = None  # I/W/E/F for klog; INFO/WARN/ERR... for OVS
    source: str | None = None  # klog file:line
    message: str = ""  # message without header; for structured lines, the quoted text
    kv: dict[str, str] = field(default_factory=dict)  # structured key=value pairs
    groups: dict[str, str] = field(default_factory=dict)  # named groups of the signature regex
    following: list[str] = field(default_factory=list)  # goroutine dump lines after an F line
    run: int | None = None  # agent run index on its Node (set by the timeline)
    # up to 2 lines before/after it in the file (context; decoded when first read, see ContextLines)
    before: Sequence[str] = field(default_factory=list)
    after: Sequence[str] = field(default_factory=list)

    @property
    def time_text(self) -> str | None:
        if self.time is None:
            return None
        return self.time.isoformat(timespec="microseconds")


@dataclass
class NodeData:
    """Everything that arrived for one Node."""

    name: str
    artifacts: list[Artifact] = field(default_factory=list)
    events: list[LogEvent] = field(default_factory=list)
    # All hits per signature (events are capped); a busy signature's count is of the two lines a
    # chunk it keeps.
    hit_counts: Counter[str] = field(default_factory=Counter)
    failed_reason: str | None = None  # listed in failed_nodes (antctl could not get its bundle)
    fallback_bundle: bool = False  # logs-only bundle built from the K8s API (antctl v2.3+)
    # Its agent (or controller) API produced a bundle: the process was running when it was collected.
    collected_live: bool = False

    def artifacts_of(self, kind: str) -> list[Artifact]:
        return [a for a in self.artifacts if a.kind == kind]


@dataclass
class Cluster:
    """The cluster view of one source: Nodes, cluster-wide artifacts, what could not be read."""

    source: str
    shape: str = "unknown"  # antctl-directory, antctl-archive, agent-bundle, loose-files, ...
    nodes: dict[str, NodeData] = field(default_factory=dict)
    cluster_artifacts: list[Artifact] = field(default_factory=list)  # clusterinfo, loose configs
    problems: list[ReadProblem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # files read but not recognised
    collected_at: datetime | None = None  # from support-bundles_<ts> when known
    year_source: str = ""  # where the year of year-less log lines came from (a guess is said so)
    year_hint: YearHint | None = None  # the one the reader used

    def node(self, name: str) -> NodeData:
        if name not in self.nodes:
            self.nodes[name] = NodeData(name)
        return self.nodes[name]

    def all_artifacts(self) -> list[Artifact]:
        out = list(self.cluster_artifacts)
        for n in self.nodes.values():
            out.extend(n.artifacts)
        return out


# Pseudo-Node for files whose Node cannot be told (a pasted excerpt with no host in it).
UNATTRIBUTED = "(unattributed)"
PSEUDO_NODES = frozenset({CONTROLLER_NODE, UNATTRIBUTED})


@dataclass
class ContextLine:
    """A line next to an evidence line in the same file, for the report's excerpt."""

    line: int
    text: str


@dataclass
class EvidenceLine:
    """A line a finding shows as evidence: its artifact, place, time and text with context lines."""

    artifact: str
    line: int | None
    time: str | None
    text: str
    node: str | None = None
    context: list[ContextLine] = field(default_factory=list)  # lines before, then after, in file order

    @classmethod
    def of(cls, event: LogEvent) -> EvidenceLine:
        first = event.line - len(event.before)
        context = [ContextLine(first + i, t) for i, t in enumerate(event.before) if first + i >= 1]
        context += [ContextLine(event.line + 1 + i, t) for i, t in enumerate(event.after)]
        return cls(event.artifact, event.line, event.time_text, event.text, event.node, context)
