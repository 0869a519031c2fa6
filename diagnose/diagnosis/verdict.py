"""The one-word answer of a diagnosis: `fault`, `no-fault` or `not-enough-evidence`.

Green is earned: a source in which nothing judgeable was read (no Node's logs, host state, OVS
state or Pod status: only the controller, only configuration, nothing readable in an archive)
is "not enough evidence", never "no problems found". A finding at `warning` or above is a fault;
`info` findings (recovered transients, expected states) are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from diagnose.bundle import model as m
from diagnose.rules.rule import SEVERITY_RANK, Finding

if TYPE_CHECKING:
    from diagnose.rules.evidence import ClusterView

VerdictValue = Literal["fault", "no-fault", "not-enough-evidence"]  # diagnose.report.model.Verdict
FAULT: Final = "fault"
NO_FAULT: Final = "no-fault"
NOT_ENOUGH: Final = "not-enough-evidence"
VALUES = (FAULT, NO_FAULT, NOT_ENOUGH)

# What a Node's health can be judged from. Configuration and clusterinfo alone cannot tell.
JUDGEABLE = frozenset(
    {
        m.AGENT_LOG,
        m.OVS_LOG,
        m.OVS_CONTAINER_LOG,
        m.OTHER_CONTAINER_LOG,
        m.HOST_LOG,
        m.IP_ROUTE,
        m.ROUTE_TABLE_ALL,
        m.IP_ADDR,
        m.IP_LINK,
        m.OVS_VSCTL_SHOW,
        m.OVSDB_LIST,
        m.OVSDB_DUMP,
        m.OVSDB_DUMP_JSON,
        m.FLOWS,
        m.GROUPS,
        m.OVS_PORTS,
        m.AGENT_INFO,
        m.KUBECTL_PODS,
        m.KUBECTL_DESCRIBE_POD,
        m.KUBECTL_EVENTS,
        m.ANTREA_CRD,
        m.HNS_NETWORK,
        m.WIN_IPCONFIG,
        m.WIN_ROUTES,
        m.WIN_ADAPTERS,
        m.OVS_APPCTL,
        m.RESOLV_CONF,
        m.KERNEL_MODULES,
    }
)


@dataclass
class Verdict:
    """The report's one-line answer (fault, no fault, not enough evidence) and why."""

    value: VerdictValue
    reason: str


def decide(findings: list[Finding], view: ClusterView) -> Verdict:
    faults = [f for f in findings if SEVERITY_RANK[f.severity] <= SEVERITY_RANK["warning"]]
    if faults:
        return Verdict(FAULT, f"{len(faults)} finding{'s' if len(faults) != 1 else ''} at warning or above")
    judged = [n for n in view.agent_nodes if any(a.kind in JUDGEABLE for a in n.data.artifacts)]
    failed = [n for n in view.agent_nodes if n.failed_reason]
    if not judged:
        read = sorted({a.kind for a in view.cluster.all_artifacts()})
        what = ", ".join(read) if read else "nothing readable"
        missing = " (antctl could not collect: " + ", ".join(n.name for n in failed) + ")" if failed else ""
        return Verdict(
            NOT_ENOUGH,
            f"no Node's logs or state were read ({what}){missing}: collect the agent "
            "bundles with `antctl supportbundle`, or the agent log and `ip addr`/`ip route` "
            "of the affected Nodes",
        )
    return Verdict(NO_FAULT, f"{len(judged)} Node{'s' if len(judged) != 1 else ''} judged, nothing at warning or above")
