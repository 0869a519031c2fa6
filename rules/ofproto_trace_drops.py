"""A pasted ``ovs-appctl ofproto/trace`` shows br-int dropping the traced packet, and where.

Symptom
-------
A user traced a packet that does not arrive (``ovs-appctl ofproto/trace br-int 'in_port=...,tcp,...'``
or ``antctl trace-packet``) and the output ends with ``Datapath actions: drop``.

Why it happens
--------------
The trace lists every table the packet went through (``%2d. <match>, priority N, cookie 0x...``,
``ofproto/ofproto-dpif-xlate.c`` ``xlate_report_table``), the actions under each, and the verdict.
The last table before the drop says why: a flow whose cookie is in Antrea's NetworkPolicy category
(byte 2 of the cookie since v1.6, ``Policy`` = 5 before; ``pkg/agent/openflow/cookie``) is a policy
rule or a default deny doing its job; ``No match.`` means no flow of that table matched (flows
missing: the agent did not install them, or the packet is not what the pipeline expects); a
``group:N`` with nothing after it is a group without a live bucket (a Service without a usable
Endpoint); any other drop is a flow of the pipeline itself (spoof guard, unknown destination).

Evidence
--------
The pasted trace only (its text is the state at the time of the trace). Cookie categories are
read with the release's numbering when the Node's version is known, else with the v1.6+ one.

Remediation
-----------
A policy drop: find the rule (``antctl get ovsflows -T`` and the policy of the conjunction), and
check that it is meant. A missing flow: compare with ``ovs-ofctl dump-flows`` and restart the
agent if the flows are missing. A Service group: see ANT-PROXY-002.

References
----------
openvswitch/ovs ofproto/ofproto-dpif-xlate.c, ofproto/ofproto-dpif-trace.c; antrea-io/antrea
pkg/agent/openflow/cookie/allocator.go, docs/design/ovs-pipeline.md, docs/antctl.md (trace-packet).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import OVS_APPCTL, EvidenceLine, Inputs, Outcome, Rule, RuleEvidence, Step, Trace
from diagnose.api import Finding as FindingT

# pkg/agent/openflow/cookie Category values: v1.6+ and before (v1.0-v1.5).
_CATEGORIES_V16 = {
    0: "Default",
    1: "PodConnectivity",
    2: "NetworkPolicy",
    3: "Service",
    4: "Egress",
    5: "Multicast",
    6: "Multicluster",
    7: "Traceflow",
    8: "ExternalNodeConnectivity",
}
_CATEGORIES_V10 = {0: "Default", 1: "Gateway", 2: "Node", 3: "Pod", 4: "Service", 5: "NetworkPolicy", 6: "SNAT"}


@dataclass
class Values:
    """Where the traced packet was dropped."""

    flow: str  # the traced packet (the trace's "Flow:" line), cut
    table: int  # the table where it was dropped
    match: str  # the match of the flow that dropped it, or ""
    cookie_category: str  # Antrea's flow category of that flow, e.g. "NetworkPolicy", or ""
    group: int | None  # the last group it was sent to, for a group drop


RULE = Rule(
    id="ANT-OVS-006",
    slug="ofproto-trace-drops",
    title="ofproto/trace: br-int drops the traced packet",
    category="ovs-flows",
    severity="warning",
    references=(
        "https://github.com/openvswitch/ovs/blob/main/ofproto/ofproto-dpif-xlate.c",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/openflow/cookie/allocator.go",
        "https://github.com/antrea-io/antrea/blob/main/docs/design/ovs-pipeline.md",
    ),
    inputs=Inputs(needs=(OVS_APPCTL,)),
    judge_outcome=False,
    values=Values,
    outcomes=(
        Outcome(
            "policy_drop",
            severity="warning",
            message="""
            The traced packet ({{ flow }}) is dropped on {{ where }} by a NetworkPolicy flow in table {{ table }}
            ({{ match }}): a policy rule or a default deny. Check that the policy means to drop it.
        """,
            remediation=(
                Step(
                    "Find the policy rules of the Node and the flow that matched.",
                    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-agent -- antctl get "
                    "networkpolicy -o wide",
                ),
            ),
        ),
        Outcome(
            "no_match",
            severity="error",
            message="""
            The traced packet ({{ flow }}) matches no flow in table {{ table }} on {{ where }} and is dropped: the
            pipeline lacks the flow it needs (not installed by the agent, or the packet is not what it expects).
        """,
            remediation=(
                Step(
                    "Dump the table and compare with the agent's flows; restart the agent if flows are missing.",
                    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- ovs-ofctl dump-flows "
                    "br-int table={{ table }} --names",
                ),
            ),
        ),
        Outcome(
            "group_drop",
            severity="error",
            message="""
            The traced packet ({{ flow }}) is sent to group {{ group }} on {{ where }} and dropped there: the group has
            no live bucket (a Service without a usable Endpoint, or a lost group update).
        """,
            remediation=(
                Step(
                    "See the group's buckets.",
                    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs "
                    "-- ovs-ofctl dump-groups br-int -O OpenFlow15 group_id={{ group }}",
                ),
            ),
        ),
        Outcome(
            "flow_drop",
            severity="warning",
            message="""
            The traced packet ({{ flow }}) is dropped on {{ where }} by a {{ cookie_category or "pipeline" }} flow
            in table {{ table }} ({{ match }}).
        """,
        ),
    ),
    remediation=(
        Step(
            "Trace it again with names to read the tables.",
            "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
            "ovs-appctl ofproto/trace br-int '<flow>' --names",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[FindingT]:
    for node in ev.view.nodes.values():
        version = ev.version(node)
        names = _CATEGORIES_V10 if version is not None and (version.major, version.minor) < (1, 6) else _CATEGORIES_V16
        for artifact, trace in node.traces:
            if not trace.drops or trace.last_step is None:
                continue
            outcome, values = _why(trace, names)
            yield RULE.finding(
                outcome,
                nodes=[node.name],
                confidence=0.8 if outcome != "flow_drop" else 0.6,
                values=values,
                evidence=[
                    EvidenceLine(
                        artifact.path,
                        trace.last_step.line,
                        None,
                        f"{trace.last_step.table:2d}. {trace.last_step.text}",
                        node.name,
                    ),
                    EvidenceLine(
                        artifact.path, trace.line, None, f"Datapath actions: {trace.datapath_actions}", node.name
                    ),
                ],
                category={"policy_drop": "networkpolicy", "group_drop": "antreaproxy"}.get(outcome),
            )


def _why(trace: Trace, names: dict[int, str]) -> tuple[str, Values]:
    step = trace.last_step
    assert step is not None
    cookie = step.cookie
    category = names.get((cookie >> 40) & 0xFF, "") if cookie is not None else ""
    groups = trace.groups()
    values = Values(
        flow=trace.flow[:160],
        table=step.table,
        match=step.match[:200],
        cookie_category=category,
        group=groups[-1] if groups else None,
    )
    if step.no_match:
        return "no_match", values
    if step.actions and step.actions[-1].startswith("group:"):
        return "group_drop", values
    if category == "NetworkPolicy":
        return "policy_drop", values
    return "flow_drop", values
