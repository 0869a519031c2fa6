"""AntreaAgentInfo / AntreaControllerInfo report a lost connection or a stale heartbeat.

Symptom
-------
``kubectl get antreaagentinfo -o yaml`` (or the bundle's ``agentinfo``) shows a condition
``OVSDBConnectionUp``, ``OpenflowConnectionUp`` or ``ControllerConnectionUp`` with ``status:
"False"``, or an agent whose ``lastHeartbeatTime`` lags far behind the others'; ``antctl get
agentinfo`` says the agent is unhealthy.

Why it happens
--------------
The agent rewrites its AntreaAgentInfo every minute (``pkg/monitor/agent.go``, ``wait.Until(...,
time.Minute)``) with conditions computed at that moment (``pkg/agent/querier/querier.go``):
``OVSDBConnectionUp`` is False when the OVS version cannot be read from OVSDB (ovsdb-server down),
``OpenflowConnectionUp`` when the OpenFlow connection to br-int is down (ovs-vswitchd down or
restarting), ``ControllerConnectionUp`` when the NetworkPolicy watch to antrea-controller is down.
``AgentHealthy`` (and the controller's ``ControllerHealthy``) is always written True: only its
heartbeat tells, and a heartbeat minutes behind the others means the agent stopped updating (dead,
stuck, or unable to reach the API server). The agent sets no reason or message on any of them.

Evidence
--------
State, not log lines: the conditions of the bundle's ``agentinfo`` (computed when the bundle was
collected, every release since v1.0) and of pasted AntreaAgentInfo / AntreaControllerInfo objects
(``kubectl get -o yaml`` or ``describe``). A heartbeat counts as stale when it is more than three
update intervals behind the newest heartbeat of the same paste. Where the agent's log is present
and shows the matching failure (``Not connected yet`` of OVSDB, ``OFSwitch is disconnected``,
``Failed to start watch``), the log-based rules explain it and this finding only corroborates (at
``info``); otherwise it is a finding of its own.

Remediation
-----------
Follow the condition: OVS on the Node for OVSDB/OpenFlow, antrea-controller and its Service for
the controller connection, the agent Pod itself for a stale heartbeat.

References
----------
antrea-io/antrea pkg/agent/querier/querier.go, pkg/monitor/agent.go, pkg/apis/crd/v1beta1/types.go.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from diagnose.api import (
    AGENT_INFO,
    AGENT_LOG,
    ANTREA_CRD,
    CONTROLLER_INFO,
    CONTROLLER_NODE,
    Condition,
    EvidenceLine,
    Inputs,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
    lifecycle_key,
)
from diagnose.api import Finding as FindingT

STALE_AFTER = timedelta(minutes=3)  # three missed one-minute updates (pkg/monitor/agent.go)

# condition -> (category, what is down, log signature names that show the same failure)
_MEANING = {
    "OVSDBConnectionUp": ("ovs-not-running", "its OVSDB connection (ovsdb-server)", ("ovsdb_retry",)),
    "OpenflowConnectionUp": ("ovs-not-running", "its OpenFlow connection to br-int (ovs-vswitchd)", ()),
    "ControllerConnectionUp": ("controller-unreachable", "its connection to antrea-controller", ("watch_failed",)),
}


@dataclass
class Values:
    """The condition that is false, whose it is and what it means."""

    who: str  # "antrea-agent on worker-2", "antrea-controller"
    condition: str  # the condition type, e.g. "OVSDBConnectionUp"
    down: str  # what it means is down
    source: str  # "the bundle's agentinfo" or "the pasted AntreaAgentInfo"
    behind: str  # for a stale heartbeat: how far behind, e.g. "14 min"
    corroborates: bool  # the agent's log shows the same failure


RULE = Rule(
    id="ANT-INFO-001",
    slug="agentinfo-condition-false",
    title="AntreaAgentInfo/AntreaControllerInfo report a lost connection or a stale heartbeat",
    category="ovs-not-running",
    severity="error",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/querier/querier.go",
        "https://github.com/antrea-io/antrea/blob/main/pkg/monitor/agent.go",
    ),
    inputs=Inputs(any_of=(AGENT_INFO, ANTREA_CRD, CONTROLLER_INFO), optional=(AGENT_LOG,)),
    signatures=(
        # pkg/ovs/ovsconfig/ovs_client.go: `Not connected yet, will try again in %v` (<=v2.6), structured v2.7.
        Signature("ovsdb_retry", r"Not connected yet", "Not connected yet", role="context"),
        # pkg/agent/controller/networkpolicy: `Failed to start watch for %s` (<=v2.6), "Failed to start watch" (v2.7).
        Signature("watch_failed", r"Failed to start watch", "Failed to start watch", role="context"),
    ),
    judge_outcome=False,  # current state
    values=Values,
    outcomes=(
        Outcome(
            "connection_down",
            message="""
            {{ source }} of {{ who }} says {{ condition }} is False: {{ down }} is down.
        """,
        ),
        Outcome(
            "corroborated",
            severity="info",
            message="""
            {{ source }} of {{ who }} says {{ condition }} is False ({{ down }} is down), as its log shows:
            the log-based finding explains it.
        """,
        ),
        Outcome(
            "stale_heartbeat",
            message="""
            {{ who }} stopped updating its {{ source }}: its heartbeat is {{ behind }} behind the newest one.
            It is dead, stuck, or cannot reach the Kubernetes API server.
        """,
            remediation=(
                Step(
                    "Check the Pod and the end of its log.",
                    "kubectl -n kube-system get pods -l app=antrea -o wide; kubectl -n kube-system logs "
                    "<antrea-agent pod on {{ node }}> -c antrea-agent --tail=50",
                ),
            ),
        ),
    ),
    remediation=(
        Step("See the conditions as the API has them now.", "kubectl get antreaagentinfo {{ node }} -o yaml"),
        Step(
            "OVSDB/OpenFlow: check the antrea-ovs container of the Node.",
            "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-ovs --tail=50",
        ),
        Step(
            "Controller connection: check antrea-controller and the antrea Service's endpoints.",
            "kubectl -n kube-system get pods -l component=antrea-controller; kubectl -n kube-system get endpoints antrea",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[FindingT]:
    for node in ev.view.nodes.values():
        for artifact, cond in node.agent_conditions:
            yield from _condition(
                ev,
                node,
                cond,
                "the bundle's agentinfo",
                EvidenceLine(artifact.path, None, None, f"{cond.type}: {cond.status}", node.name),
            )
    for artifact, cond in ev.view.controller_conditions:
        yield from _condition(
            ev,
            None,
            cond,
            "the bundle's controllerinfo",
            EvidenceLine(artifact.path, None, None, f"{cond.type}: {cond.status}", CONTROLLER_NODE),
        )
    pasted = [o for o in ev.view.crd_objects if o.kind in ("AntreaAgentInfo", "AntreaControllerInfo")]
    beats: list[tuple[datetime, str, Condition, str, str]] = []
    for obj in pasted:
        owner = ev.view.nodes.get(obj.name) if obj.kind == "AntreaAgentInfo" else None
        for cond in obj.conditions:
            line = EvidenceLine(
                obj.source, None, None, f"{obj.kind} {obj.name}: {cond.type} {cond.status}", obj.name if owner else None
            )
            yield from _condition(ev, owner, cond, f"the pasted {obj.kind}", line, name=obj.name, kind=obj.kind)
            when = _time(cond.last_transition)
            if cond.type in ("AgentHealthy", "ControllerHealthy") and when is not None:
                beats.append((when, obj.name, cond, obj.kind, obj.source))
    if len(beats) >= 2:
        newest = max(b[0] for b in beats)
        for when, name, cond, kind, path in beats:
            if newest - when > STALE_AFTER:
                who = "antrea-controller" if kind == "AntreaControllerInfo" else f"antrea-agent on {name}"
                minutes = int((newest - when).total_seconds() // 60)
                yield RULE.finding(
                    "stale_heartbeat",
                    nodes=[CONTROLLER_NODE if kind == "AntreaControllerInfo" else name],
                    confidence=0.7,
                    category="agent-crash",
                    values=Values(
                        who=who, condition=cond.type, down="", source=kind, behind=f"{minutes} min", corroborates=False
                    ),
                    evidence=[
                        EvidenceLine(path, None, None, f"{kind} {name}: lastHeartbeatTime {cond.last_transition}", name)
                    ],
                )


def _condition(
    ev: RuleEvidence,
    node: NodeView | None,
    cond: Condition,
    source: str,
    line: EvidenceLine,
    name: str | None = None,
    kind: str = "AntreaAgentInfo",
) -> Iterator[FindingT]:
    meaning = _MEANING.get(cond.type)
    if meaning is None or not cond.failing:
        return
    category, down, signatures = meaning
    node_name = node.name if node is not None else (name or CONTROLLER_NODE)
    corroborated = node is not None and _logged(ev, node, signatures, cond.type)
    who = "antrea-controller" if kind == "AntreaControllerInfo" else f"antrea-agent on {node_name}"
    yield RULE.finding(
        "corroborated" if corroborated else "connection_down",
        nodes=[node_name],
        confidence=0.6 if corroborated else 0.75,
        category=category,
        values=Values(who=who, condition=cond.type, down=down, source=source, behind="", corroborates=corroborated),
        evidence=[line],
    )


def _logged(ev: RuleEvidence, node: NodeView, signatures: tuple[str, ...], condition: str) -> bool:
    """The agent's latest run shows the same failure (a log-based rule then explains it)."""
    if not node.runs:
        return False
    run = node.runs[-1]
    if condition == "OpenflowConnectionUp":
        return run.first(lifecycle_key("ofswitch_disconnected")) is not None
    return any(run.first(ev.key(s)) is not None for s in signatures)


def _time(text: str) -> datetime | None:
    text = text.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)
