"""The rule-pack API: everything a rule module imports comes from here.

A rule module (the built-in pack's `rules/*.py` or a user's `--rules DIR`) declares `RULE =
Rule(...)` with its outcomes and the dataclass of its values, and a `check(ev: RuleEvidence)`
generator of findings. `docs/writing-rules.md` walks through one; `docs/rule-api.md` lists these
names (generated from this module).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from diagnose.bundle.model import (
    AGENT_CONFIG,
    AGENT_INFO,
    AGENT_LOG,
    ANTREA_CRD,
    CLUSTER_INFO,
    CONTROLLER_INFO,
    CONTROLLER_LOG,
    CONTROLLER_NODE,
    FLOWS,
    GROUPS,
    HNS_NETWORK,
    HOST_LOG,
    IP_ADDR,
    IP_LINK,
    IP_ROUTE,
    IPTABLES,
    KERNEL_MODULES,
    KUBECTL_DESCRIBE_POD,
    KUBECTL_EVENTS,
    KUBECTL_PODS,
    OTHER_CONTAINER_LOG,
    OVS_APPCTL,
    OVS_CONTAINER_LOG,
    OVS_LOG,
    OVS_PORTS,
    OVS_VSCTL_SHOW,
    OVSDB_DUMP,
    OVSDB_DUMP_JSON,
    OVSDB_LIST,
    PSEUDO_NODES,
    RESOLV_CONF,
    ROUTE_TABLE_ALL,
    UNATTRIBUTED,
    WIN_ADAPTERS,
    WIN_IPCONFIG,
    WIN_ROUTES,
    EvidenceLine,
    LogEvent,
)
from diagnose.diagnosis.policy import VERSION_COMMAND
from diagnose.facts import apierrors, crashes, errorchain, hostnet, lifecycle, modes, versions
from diagnose.facts.lifecycle import key as lifecycle_key
from diagnose.facts.outcome import Outcome as Judgement
from diagnose.facts.outcome import duration_text
from diagnose.facts.runs import Run
from diagnose.facts.versions import Version
from diagnose.parse import ofmsg
from diagnose.parse.appctl import Trace, TraceStep
from diagnose.parse.clusterinfo import NodeInfo
from diagnose.parse.crds import Condition, CrdObject
from diagnose.parse.flows import Flow
from diagnose.parse.groups import Group
from diagnose.parse.ipaddr import Link
from diagnose.parse.iproute import Route
from diagnose.parse.k8sevents import Event as K8sEvent
from diagnose.parse.kubectl import PodRow
from diagnose.rules.evidence import ClusterView, NodeView, RuleEvidence
from diagnose.rules.rule import (
    CATEGORIES,
    CONFIRMED,
    INCONCLUSIVE,
    Finding,
    Inputs,
    Missing,
    Outcome,
    Rule,
    Step,
    unique_lines,
)
from diagnose.scan.signature import Recall, Signature

if TYPE_CHECKING:
    from diagnose.facts import winhost
    from diagnose.parse import hns
    from diagnose.parse.hns import HnsNetwork


def __getattr__(name: str) -> Any:
    """The Windows facts and parsers, imported on first use: a rule that reaches them only in its
    functions (or through a NodeView) costs the scan of a Linux bundle nothing."""
    if name == "winhost":
        from diagnose.facts import winhost

        return winhost
    if name in ("hns", "HnsNetwork"):
        from diagnose.parse import hns

        return hns if name == "hns" else hns.HnsNetwork
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    # the contract
    "Rule",
    "Outcome",
    "Recall",
    "Signature",
    "Step",
    "Missing",
    "Inputs",
    "EvidenceLine",
    "Finding",
    "CONFIRMED",
    "INCONCLUSIVE",
    "CATEGORIES",
    "unique_lines",
    # what check() reads
    "RuleEvidence",
    "NodeView",
    "ClusterView",
    "LogEvent",
    "Run",
    "Judgement",
    # parsed records NodeView and ClusterView hand out
    "PodRow",
    "NodeInfo",
    "Flow",
    "Link",
    "Route",
    "HnsNetwork",
    "Group",
    "Trace",
    "TraceStep",
    "Condition",
    "CrdObject",
    "K8sEvent",
    # shared facts
    "lifecycle",
    "lifecycle_key",
    "modes",
    "hostnet",
    "winhost",
    "errorchain",
    "versions",
    "VERSION_COMMAND",
    "apierrors",
    "crashes",
    "duration_text",
    "Version",
    # parsers rules read events with (OpenFlow error byte dumps)
    "ofmsg",
    "hns",
    # artifact kinds (diagnose.bundle.artifacts has each one's title and collecting command)
    "AGENT_LOG",
    "CONTROLLER_LOG",
    "OVS_LOG",
    "OVS_CONTAINER_LOG",
    "OTHER_CONTAINER_LOG",
    "HOST_LOG",
    "IP_ROUTE",
    "ROUTE_TABLE_ALL",
    "IP_ADDR",
    "IP_LINK",
    "OVS_VSCTL_SHOW",
    "OVSDB_LIST",
    "OVSDB_DUMP",
    "OVSDB_DUMP_JSON",
    "FLOWS",
    "GROUPS",
    "OVS_PORTS",
    "OVS_APPCTL",
    "AGENT_INFO",
    "AGENT_CONFIG",
    "CLUSTER_INFO",
    "IPTABLES",
    "KUBECTL_PODS",
    "KUBECTL_DESCRIBE_POD",
    "KUBECTL_EVENTS",
    "ANTREA_CRD",
    "HNS_NETWORK",
    "WIN_IPCONFIG",
    "WIN_ROUTES",
    "WIN_ADAPTERS",
    "RESOLV_CONF",
    "KERNEL_MODULES",
    "CONTROLLER_INFO",
    "CONTROLLER_NODE",
    "UNATTRIBUTED",
    "PSEUDO_NODES",
]
