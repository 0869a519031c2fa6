"""Egress is not applied: no Egress IP is allocated or assigned, or the Node cannot realize it.

Symptom
-------
Pods selected by an Egress leave the cluster with their Node's IP instead of the Egress IP, or
lose external connectivity; ``kubectl get egress`` shows no EGRESS IP or no NODE; the agent logs
``Error syncing Egress <name>, requeuing``.

Why it happens
--------------
antrea-controller allocates the Egress IP from the ExternalIPPool (``Failed to sync EgressGroup``
with ``cannot allocate IP in any range`` when the pool is exhausted, or ``ExternalIPPool <name> does not exist``).
The agents then elect the Node that holds the IP among the Nodes the pool's nodeSelector allows,
using memberlist gossip between agents (TCP/UDP port 10351): when agents cannot join each other,
or no Node is eligible, the IP is assigned nowhere (``Failed to select Node for Egress``). The
Node holding the IP adds it to the ``antrea-egress0`` dummy device and installs SNAT flows,
iptables rules and, for subnets, routes; a failure there is ``Error syncing Egress``.

Evidence
--------
Controller log ``Failed to sync EgressGroup`` with ``cannot allocate IP in any range`` / ``no
available IP`` (pool exhausted) or ``does not exist`` (pool missing), or the Egress status
(pasted ``kubectl get egress -o yaml`` / ``describe``) with ``IPAllocated`` False; agent log
``Error syncing Egress`` (the Node holding the IP cannot realize it), ``Failed to select Node for
Egress`` / ``No Node is eligible for Egress`` or the status ``IPAssigned`` False (no Node chosen);
memberlist ``join cluster failed`` / ``Failed to rejoin any members``. Wording checked in
antrea-io/antrea pkg/controller/egress, pkg/agent/controller/egress and pkg/agent/memberlist (v1.12
to v2.7.0; the join message is an error up to v1.15 and an info "will retry later" from v2.0).

Memberlist failures alone are a warning, and inconclusive, when no Egress is seen: memberlist
runs wherever the Egress feature gate is on, and a working Egress logs nothing at the default
verbosity except ``Detected Egress IP address ... added to this Node`` on the Node holding it, so
an Egress is "seen" only as a pasted Egress object, that line, or a failure naming one.

Whether it lasted: the Egress workqueues of the agent and the controller retry with a back-off
from 5 s to 300 s and log every failure at error level (no success line); memberlist rejoins
unreachable members every minute and logs ``Failed to rejoin any members`` each time none answers.
So failures that stopped for longer than 300 s while the agent kept logging are over, as are
OpenFlow errors followed by ``Flow replay completed`` after an OVS restart, and allocation
failures followed by the controller's ``Allocated EgressIP``. Egress status
conditions are the state now and are not judged that way.

Remediation
-----------
Add addresses to the ExternalIPPool or fix its name in the Egress; open port 10351 between Nodes
for memberlist; check the pool's nodeSelector; read the error of the failing Egress sync.

References
----------
antrea-io/antrea docs/egress.md; antrea-io/antrea pkg/agent/controller/egress/egress_controller.go;
pkg/agent/memberlist/cluster.go.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    ANTREA_CRD,
    CONFIRMED,
    CONTROLLER_LOG,
    CONTROLLER_NODE,
    INCONCLUSIVE,
    Condition,
    CrdObject,
    EvidenceLine,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
)


@dataclass
class Values:
    """The Egresses not applied and the error."""

    egresses: list[str]  # the Egresses concerned, e.g. ["egress-prod-7"]; empty when the source does not name them
    error: str  # the error or condition message quoted, e.g. "cannot allocate IP in any range"
    members: list[str]  # memberlist peers that could not be joined, e.g. ["172.18.0.5:10351"]


_WHICH = """{% if egresses %}{{ egresses | join(", ") }}{% else %}an Egress{% endif %}"""
_NO_EGRESS_IP = """The Pods selected by {{ "these Egresses" if egresses | length > 1 else "the Egress" }} do not leave
    the cluster with the Egress IP."""
_POOLS = Step(
    "Show the Egresses, their IP and the Node holding it, and the pools' usage.",
    "kubectl get egress -o wide; kubectl get externalippool -o wide",
)
_GOSSIP = Step(
    "Make sure the agents can gossip: TCP and UDP port 10351 open between all Nodes.",
    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-agent -- antctl get memberlist",
)
_AGENT_LOG = Step(
    "Read the agent log of the Node that should hold the IP around the failing sync.",
    "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent | grep -i egress",
)

RULE = Rule(
    id="ANT-EGR-001",
    slug="egress-not-applied",
    title="Egress IP not allocated, not assigned or not realized",
    category="egress",
    severity="error",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/egress.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/controller/egress/egress_controller.go",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/memberlist/cluster.go",
    ),
    inputs=Inputs(any_of=(AGENT_LOG, CONTROLLER_LOG, ANTREA_CRD)),
    # OpenFlow errors while OVS restarts under the agent end with the replay of all flows.
    recovered_by=("core:flow_replay_completed",),
    retry_interval=300,  # maxRetryDelay of the agent's and the controller's Egress workqueues
    signatures=(
        Signature(
            "sync_failed",
            r"Error syncing Egress (?P<egress>\S{1,253}), requeuing\. Error: (?P<err>.*)",
            "Error syncing Egress ",
        ),
        Signature("select_failed", r'"Failed to select Node for Egress"', "Failed to select Node for Egress"),
        Signature("no_eligible", r'"No Node is eligible for Egress"', "No Node is eligible for Egress"),
        # v1.x ErrorS "... join cluster failed"; v2.0+ InfoS "... join cluster failed, will retry later".
        Signature("join_failed", r"join cluster failed", "join cluster failed"),
        Signature("rejoin_failed", r'"Failed to rejoin any members"', "Failed to rejoin any members"),
        # The agent holds an Egress IP (pkg/agent/controller/egress, v1.12+): Egress is in use.
        Signature(
            "ip_added",
            r"Detected Egress IP address (?P<ip>\S{1,45}) added to this Node",
            "Detected Egress IP address",
            role="context",
        ),
        # antrea-controller: v1.12 printf `Failed to sync EgressGroup %s: %v`, ErrorS with key= from v1.13.
        Signature(
            "alloc_failed",
            r'Failed to sync EgressGroup(?:" err="| (?P<egress>[^:\s]{1,253}): )(?P<err>[^"]*)',
            "Failed to sync EgressGroup",
            kinds=(CONTROLLER_LOG,),
        ),
        # antrea-controller allocated an Egress IP from its pool (pkg/controller/egress, v1.12+).
        Signature("allocated", r'"Allocated EgressIP"', "Allocated EgressIP", kinds=(CONTROLLER_LOG,), role="success"),
    ),
    lookalikes=("benign",),
    values=Values,
    outcomes=(
        Outcome(
            "pool-exhausted",
            message="""
            antrea-controller cannot allocate an Egress IP for """
            + _WHICH
            + """: its ExternalIPPool has no free
            address ("{{ error }}"). """
            + _NO_EGRESS_IP,
            remediation=(
                Step(
                    "Add a range to the ExternalIPPool, or delete Egresses that no longer need an IP.",
                    "kubectl get externalippool -o wide; kubectl edit externalippool <pool>",
                ),
                _POOLS,
            ),
        ),
        Outcome(
            "pool-missing",
            message="""
            {% if egresses %}The Egress {{ egresses | join(", ") }}{% else %}An Egress{% endif %} names an ExternalIPPool that does not exist ("{{ error }}"), so antrea-controller
            allocates no IP for it. """
            + _NO_EGRESS_IP,
            remediation=(
                Step(
                    "Fix spec.externalIPPool of the Egress, or create the pool.",
                    "kubectl get externalippool; kubectl get egress -o custom-columns=NAME:.metadata.name,"
                    "POOL:.spec.externalIPPool",
                ),
            ),
        ),
        Outcome(
            "not-allocated",
            message="""
            antrea-controller cannot allocate an Egress IP for """
            + _WHICH
            + """ ("{{ error }}"). """
            + _NO_EGRESS_IP,
        ),
        Outcome(
            "no-node",
            message="""
            No Node could be selected to hold the IP of """
            + _WHICH
            + """ ("{{ error }}"): no Node matches the
            ExternalIPPool's nodeSelector, the eligible Nodes already hold as many Egress IPs as they may, or their
            agents cannot see each other over memberlist (port 10351). """
            + _NO_EGRESS_IP,
            remediation=(
                Step(
                    "Check which Nodes the pool's nodeSelector selects and that they are Ready.",
                    "kubectl get externalippool -o yaml | grep -A5 nodeSelector; kubectl get nodes --show-labels",
                ),
                _GOSSIP,
            ),
        ),
        Outcome(
            "not-realized",
            message="""
            On {{ where }} the Egress """
            + _WHICH
            + """ cannot be realized (last error: "{{ error }}"): the Node that
            holds the IP does not install its IP, SNAT flows or rules. """
            + _NO_EGRESS_IP,
            remediation=(_AGENT_LOG, _POOLS),
        ),
        Outcome(
            "gossip-broken",
            message="""
            The agents on {{ where }} cannot join the other agents over memberlist (port 10351{% if members %}:
            {{ members | join(", ") }}{% endif %}), so Egress IPs are not assigned or do not fail over when their Node
            goes down.
        """,
            remediation=(_GOSSIP, _POOLS),
        ),
        Outcome(
            "gossip-no-egress",
            severity="warning",
            status=INCONCLUSIVE,
            message="""
            The agents on {{ where }} cannot join the other agents over memberlist (port 10351{% if members %}:
            {{ members | join(", ") }}{% endif %}). No Egress was seen in the source: memberlist matters only to
            Egress (and ServiceExternalIP) IP assignment, so nothing breaks until one is created; a working Egress
            logs nothing, so whether one exists is not in the logs.
        """,
            remediation=(_GOSSIP,),
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            {% if members %}The agents on {{ where }} could not join the other agents over memberlist for a
            while{% else %}Egress {{ egresses | join(", ") or "IP assignment" }} failed for a while ("{{ error }}")
            {%- endif %}. {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            {% if members %}The agents on {{ where }} could not join the other agents over memberlist{% else %}Egress
            {{ egresses | join(", ") or "IP assignment" }} failed ("{{ error }}"){% endif %} in an earlier run.
            {{ outcome_text }}
        """,
        ),
    ),
    remediation=(_POOLS, _GOSSIP, _AGENT_LOG),
)

# ExternalIPPool allocation errors (pkg/ipam/ipallocator MultiIPAllocator, pkg/controller/egress).
_POOL_FULL = ("cannot allocate IP in any range", "no available IP")
_POOL_MISSING = ("does not exist", "not exists", "ExternalIPPool not found")


def check(ev: RuleEvidence) -> Iterator[Finding]:
    egress_crds = [o for o in ev.view.crd_objects if o.kind == "Egress"]
    yield from _allocation(ev, egress_crds)
    yield from _scheduling(ev, egress_crds)
    for node in ev.nodes:
        syncs = ev.hits("sync_failed", node)
        if syncs:
            yield RULE.finding(
                "not-realized",
                nodes=[node.name],
                confidence=0.85,
                values=Values(
                    egresses=sorted({e.groups.get("egress") or "?" for e in syncs}),
                    error=_err(syncs[-1])[:300],
                    members=[],
                ),
                evidence=syncs[:2] + syncs[-1:],
            )
    yield from _gossip(ev, egress_crds)


def _allocation(ev: RuleEvidence, egress_crds: list[CrdObject]) -> Iterator[Finding]:
    """antrea-controller's allocation failures (its log), or Egress status IPAllocated=False."""
    by_outcome: dict[str, list[tuple[str | None, str, LogEvent | EvidenceLine]]] = {}
    for e in ev.hits("alloc_failed"):
        error = _err(e)
        outcome = _pool_outcome(error)
        # Other EgressGroup errors are about group membership, not the IP.
        if outcome != "not-allocated" or "error when allocating IP" in error:
            by_outcome.setdefault(outcome, []).append((e.groups.get("egress") or e.kv.get("key"), error, e))
    for obj, cond in _failing(egress_crds, "IPAllocated"):
        error = cond.message.removeprefix("Cannot allocate EgressIP from ExternalIPPool: ") or cond.reason
        by_outcome.setdefault(_pool_outcome(error), []).append((obj.name, error, _line(obj, cond)))
    for outcome, items in by_outcome.items():
        # The Node whose controller log it is (the engine judges the lines there), else the controller.
        logged = {e.node for _, _, e in items if isinstance(e, LogEvent) and e.node}
        yield RULE.finding(
            outcome,
            nodes=sorted(logged) or [CONTROLLER_NODE],
            # The controller's own error, or the status it wrote, says which pool problem it is.
            confidence=0.9,
            values=Values(
                egresses=sorted({name for name, _, _ in items if name}), error=items[-1][1][:300], members=[]
            ),
            evidence=[item for _, _, item in items][:6],
        )


def _scheduling(ev: RuleEvidence, egress_crds: list[CrdObject]) -> Iterator[Finding]:
    """No Node selected for an Egress IP: every agent runs the same scheduler and logs it, or the
    Egress status says IPAssigned=False."""
    failed: list[tuple[str, LogEvent | EvidenceLine]] = []
    for name in ("select_failed", "no_eligible"):
        failed += [(e.kv.get("egress") or "?", e) for e in ev.hits(name)]
    failed += [(obj.name, _line(obj, cond)) for obj, cond in _failing(egress_crds, "IPAssigned")]
    if not failed:
        return
    last = failed[-1][1]
    error = (last.kv.get("err") or "no Node available") if isinstance(last, LogEvent) else last.text.split(": ", 1)[-1]
    logged = sorted({e.node for _, e in failed if isinstance(e, LogEvent) and e.node and e.node != CONTROLLER_NODE})
    yield RULE.finding(
        "no-node",
        nodes=logged,
        confidence=0.8,
        values=Values(egresses=sorted({name.split("/")[-1] for name, _ in failed}), error=error[:300], members=[]),
        evidence=[e for _, e in failed][:6],
    )


def _gossip(ev: RuleEvidence, egress_crds: list[CrdObject]) -> Iterator[Finding]:
    """memberlist joins that fail, on every Node that logs them: one finding for the cluster."""
    nodes: dict[str, list[LogEvent]] = {}
    for node in ev.nodes:
        joins = ev.hits("join_failed", node) + ev.hits("rejoin_failed", node)
        if joins:
            nodes[node.name] = joins
    if not nodes:
        return
    events = [e for joins in nodes.values() for e in joins]
    # memberlist runs wherever the Egress feature gate is on, Egresses or not: join failures alone
    # (a peer rebooting, the first agents of an install) hurt nothing until an Egress needs its IP.
    in_use = bool(egress_crds) or any(
        ev.hits(n) for n in ("sync_failed", "select_failed", "no_eligible", "alloc_failed", "ip_added")
    )
    # Whether an Egress exists matters (and is asked for) only while the joins still fail.
    lasting = any(
        (j := ev.view.nodes[name].outcome(joins, retry_interval=RULE.retry_interval)) is None or j.current
        for name, joins in nodes.items()
    )
    yield RULE.finding(
        "gossip-broken" if in_use else "gossip-no-egress",
        status=None if lasting else CONFIRMED,
        nodes=sorted(nodes),
        confidence=0.8 if in_use else 0.5,
        values=Values(
            egresses=sorted(o.name for o in egress_crds), error=_err(events[-1])[:300], members=_members(events)
        ),
        # The first and the latest failure of each Node (the latest shadows the fallback's finding of it).
        evidence=[e for joins in nodes.values() for e in joins[:1] + joins[-1:]][:8],
        missing=[]
        if in_use or not lasting
        else [Missing("the cluster's Egresses (whether any needs memberlist)", "kubectl get egress -o wide")],
    )


def _pool_outcome(error: str) -> str:
    if any(x in error for x in _POOL_MISSING):
        return "pool-missing"
    if any(x in error for x in _POOL_FULL):
        return "pool-exhausted"
    return "not-allocated"


def _failing(objects: list[CrdObject], condition: str) -> list[tuple[CrdObject, Condition]]:
    return [(o, c) for o in objects for c in o.conditions if c.type == condition and c.failing]


def _line(obj: CrdObject, cond: Condition) -> EvidenceLine:
    """A status condition as an evidence line of the pasted object (the state now)."""
    return EvidenceLine(
        obj.source, None, None, f"Egress {obj.name}: {cond.type}={cond.status} ({cond.reason}): {cond.message}"
    )


_MEMBER = re.compile(r"Failed to join (\S{1,60}?):? ")


def _members(events: list[LogEvent]) -> list[str]:
    """Peers named by the failures ("Failed to join 172.18.0.5:10351: dial tcp ...")."""
    return sorted({m for e in events for m in _MEMBER.findall(e.text)})[:5]


def _err(e: LogEvent) -> str:
    return e.kv.get("err") or e.kv.get("error") or e.groups.get("err") or ""
