"""NetworkPolicy rules fail to be realized on the Node (their flows are not installed).

Symptom
-------
A NetworkPolicy (K8s or Antrea-native) does not take effect on some Nodes: traffic it should
drop passes, or traffic it should allow is dropped by a default deny; Antrea-native policies may
show ``Realizing``/``Failed`` in their status. The agent log repeats ``Error syncing rule
"<id>", retrying. Error: ...``.

Why it happens
--------------
The agent turns every rule that applies to the Node into OpenFlow flows (and, for Node
NetworkPolicies, iptables rules). When installing them fails, the rule is retried with a
backoff from 5 s up to 5 minutes and stays unrealized meanwhile. Typical causes: the OpenFlow
connection to OVS is broken or OVS rejects the flows (see ``ovs-flows``), the rule's OpenFlow
ID space is exhausted (``error allocating Openflow ID``), iptables/ipset errors for Node
policies, or a rule that is still not realizable after the initial sync (``is effective but not
realizable``: a group it references never arrived).

Evidence
--------
``Error syncing rule`` (all versions), ``Error occurred when reconciling all rules for init
events`` (the batch install after the initial sync failed) or ``Rule <id> is effective but not
realizable``. The error text of the last failure is quoted and names the cause (OpenFlow IDs, OVS
rejecting flows, iptables/ipset). A rule that is not realizable after the initial sync is only a
warning and inconclusive: it is realized, silently, once the missing group arrives.

Whether it lasted: a failed rule is requeued with an exponential back-off from 5 s to 300 s
(``minRetryDelay``/``maxRetryDelay`` of pkg/agent/controller/networkpolicy/
networkpolicy_controller.go, v1.12 to v2.7.0), and every failure is logged at error level; a
success is logged only at ``-v=4`` (``Finished syncing rule``). So failures are over when they
stopped for longer than the longest back-off while the agent kept logging, or when OVS was
restarted under the agent and it logged ``Flow replay completed`` after them (every flow,
including the rules', is reinstalled); silence shorter than five minutes proves nothing.

Remediation
-----------
Read the error of the last failure; fix OVS/iptables first if it is theirs, then check the policy
status; restarting the agent reinstalls all rules.

References
----------
antrea-io/antrea pkg/agent/controller/networkpolicy/networkpolicy_controller.go (syncRule,
handleErr); antrea-io/antrea docs/antctl.md (``antctl get networkpolicy``, ``antctl get ovsflows``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from diagnose.api import (
    AGENT_LOG,
    INCONCLUSIVE,
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
    """The NetworkPolicy rules that cannot be realized, and the error."""

    rules: list[str]  # the IDs of the rules that cannot be realized, e.g. ["7c1d2e3f4a5b6c7d"]
    error: str  # the error of the last failure, e.g. "error allocating Openflow ID"
    cause: str | None  # what the error points at, one sentence; None when it names nothing known
    init_failed: bool  # the batch install of all rules after the initial sync failed


_LIST = """{% if rules %}{{ rules | length }} NetworkPolicy rule{{ "s" if rules | length != 1 }} ({{ rules[:5] |
    join(", ") }}{{ ", ..." if rules | length > 5 }}){% else %}its NetworkPolicy rules{% endif %}"""

RULE = Rule(
    id="ANT-NP-001",
    slug="networkpolicy-realization-failed",
    title="NetworkPolicy rules cannot be realized on the Node",
    category="networkpolicy",
    severity="error",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/controller/networkpolicy/networkpolicy_controller.go",
        "https://github.com/antrea-io/antrea/blob/main/docs/antctl.md",
    ),
    inputs=Inputs(needs=(AGENT_LOG,)),
    # OpenFlow errors while OVS restarts under the agent end with the replay of all flows.
    recovered_by=("core:flow_replay_completed",),
    retry_interval=300,  # maxRetryDelay of the rule workqueue
    signatures=(
        Signature(
            "sync_failed",
            r'Error syncing rule "?(?P<rule>[^",\s]{1,64})"?, retrying\. Error: (?P<err>.*)',
            "Error syncing rule ",
        ),
        Signature(
            "init_failed",
            r"Error occurred when reconciling all rules for init events: (?P<err>.*)",
            "Error occurred when reconciling all rules for init events",
        ),
        Signature(
            "not_realizable",
            r"Rule (?P<rule>\S{1,64}) is effective but not realizable",
            "is effective but not realizable",
        ),
    ),
    lookalikes=("ovs-flows", "controller-unreachable", "iptables-lock"),
    values=Values,
    outcomes=(
        Outcome(
            "failing",
            message="""
            On {{ where }} antrea-agent cannot realize """
            + _LIST
            + """: {% if init_failed %}installing the rules
            after the initial sync failed, and {% endif %}the last error was "{{ error }}". {% if cause %}{{ cause }}
            {% endif %}Until a retry succeeds, the policies these rules belong to are not enforced as written on
            {{ "these Nodes" if nodes | length > 1 else "this Node" }}.
        """,
        ),
        Outcome(
            "not-realizable",
            severity="warning",
            status=INCONCLUSIVE,
            message="""
            On {{ where }} antrea-agent found """
            + _LIST
            + """ effective but not realizable after its initial sync:
            they reference address or applied-to groups the agent had not received. The agent realizes them without
            a log line once the groups arrive, so whether they are enforced now is not in the logs.
        """,
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} antrea-agent could not realize """
            + _LIST
            + """ for a while (last error "{{ error }}").
            {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} an earlier antrea-agent run could not realize """
            + _LIST
            + """ (last error
            "{{ error }}"). {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "List the policies the agent has and their realization, and dump the flows of the failing rule.",
            "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-agent -- antctl get networkpolicy; "
            "kubectl get acnp,anp -A",
        ),
        Step(
            "Fix the component named in the error (OVS, iptables); then restart the agent on the Node so that all "
            "rules are reinstalled.",
            "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}",
        ),
    ),
)

_CAUSES = (
    ("Openflow ID", "The agent ran out of OpenFlow rule IDs."),
    ("OFP", "OVS rejected the flows (an OpenFlow error): see the OVS findings."),
    ("bundle", "OVS rejected the flow bundle: see the OVS findings."),
    ("transaction", "OVS rejected the flow bundle: see the OVS findings."),
    ("iptables", "iptables/ipset refused the Node NetworkPolicy rules."),
    ("ipset", "iptables/ipset refused the Node NetworkPolicy rules."),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        failed = ev.hits("sync_failed", node)
        init = ev.hits("init_failed", node)
        unrealizable = ev.hits("not_realizable", node)
        if failed or init:
            last = _last(failed + init)
            error = (last.groups.get("err") or last.message or last.text)[:300]
            yield RULE.finding(
                "failing",
                nodes=[node.name],
                # The error names the failing step; which policy is hurt needs antctl on the Node.
                confidence=0.85,
                values=Values(
                    rules=_ids(failed),
                    error=error,
                    init_failed=bool(init),
                    cause=next((text for needle, text in _CAUSES if needle in error), None),
                ),
                evidence=init[:1] + failed[:4] + [last],
            )
        elif unrealizable:
            yield RULE.finding(
                "not-realizable",
                nodes=[node.name],
                confidence=0.5,
                values=Values(rules=_ids(unrealizable), error="", cause=None, init_failed=False),
                evidence=unrealizable[:4],
                missing=[
                    Missing(
                        "whether the rules were realized since (the policy's realization on the Node)",
                        "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-agent -- "
                        "antctl get networkpolicy -o yaml",
                    )
                ],
            )


def _ids(events: list[LogEvent]) -> list[str]:
    return sorted({e.groups.get("rule") or "?" for e in events})


def _last(events: list[LogEvent]) -> LogEvent:
    return max(events, key=lambda e: (e.run or 0, e.time is not None, e.time or datetime.min, e.line))
