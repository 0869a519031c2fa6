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
``Error syncing rule`` (all versions) for the same rule at least twice in the latest run,
``Error occurred when reconciling all rules for init events`` (the batch install after the
initial sync failed) or ``Rule <id> is effective but not realizable``. A single failure is a retry
that may have succeeded and is not reported. The error text of the last failure is quoted.

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

from collections import Counter

from diagnose.rule import Rule, Signature, Step

RULE = Rule(
    id="ANT-NP-001",
    slug="networkpolicy-realization-failed",
    title="NetworkPolicy rules cannot be realized on the Node",
    category="networkpolicy",
    severity="error",
    # OpenFlow errors while OVS restarts under the agent end with the replay of all flows.
    recovered_by=("core:flow_replay_completed",),
    references=("https://github.com/antrea-io/antrea/blob/main/pkg/agent/controller/networkpolicy/networkpolicy_controller.go",
                "https://github.com/antrea-io/antrea/blob/main/docs/antctl.md"),
    signatures=(
        Signature("sync_failed", r'Error syncing rule "?(?P<rule>[^",\s]{1,64})"?, retrying\. Error: (?P<err>.*)',
                  "Error syncing rule "),
        Signature("init_failed", r"Error occurred when reconciling all rules for init events: (?P<err>.*)",
                  "Error occurred when reconciling all rules for init events"),
        Signature("not_realizable", r"Rule (?P<rule>\S{1,64}) is effective but not realizable", "is effective but not realizable"),
    ),
    lookalikes=("ovs-flows", "controller-unreachable", "iptables-lock"),
    message="""
        On {{ nodes | join(", ") }} antrea-agent cannot realize {{ rules | length }} NetworkPolicy
        rule{{ "s" if rules | length != 1 }} ({{ rules[:5] | join(", ") }}{{ ", ..." if rules | length > 5 }}):
        {% if init_failed %}installing the rules after the initial sync failed, and {% endif %}the last error
        was "{{ error }}". {% if cause %}{{ cause }} {% endif %}Until a retry succeeds, the policies these rules belong to
        are not enforced as written on {{ "these Nodes" if nodes | length > 1 else "this Node" }}.
        {% if not_realizable %}{{ not_realizable }} rule(s) reference groups the agent never received.{% endif %}
    """,
    remediation=(
        Step("List the policies the agent has and their realization, and dump the flows of the failing rule.",
             "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-agent -- antctl get networkpolicy; "
             "kubectl get acnp,anp -A"),
        Step("Fix the component named in the error (OVS, iptables); then restart the agent on the Node so that all "
             "rules are reinstalled.",
             "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}"),
    ),
)

_CAUSES = (
    ("Openflow ID", "The agent ran out of OpenFlow rule IDs."),
    ("OFP", "OVS rejected the flows (an OpenFlow error): see the OVS findings."),
    ("bundle", "OVS rejected the flow bundle: see the OVS findings."),
    ("iptables", "iptables/ipset refused the Node NetworkPolicy rules."),
    ("ipset", "iptables/ipset refused the Node NetworkPolicy rules."),
)


def check(ev):
    for node in ev.nodes:
        keys = {ev.key(n): n for n in ("sync_failed", "init_failed", "not_realizable")}
        events = [e for e in (node.runs[-1].events if node.runs else node.undated_events) if e.signature in keys]
        failed = [e for e in events if keys[e.signature] == "sync_failed"]
        per_rule = Counter(e.groups.get("rule", "?") for e in failed)
        repeated = [r for r, n in per_rule.items() if n >= 2]
        init = [e for e in events if keys[e.signature] == "init_failed"]
        unrealizable = [e for e in events if keys[e.signature] == "not_realizable"]
        if not (repeated or init or unrealizable):
            continue
        last = ([e for e in failed if e.groups.get("rule") in repeated] or init or unrealizable)[-1]
        error = (last.groups.get("err") or last.message or last.text)[:300]
        cause = next((text for needle, text in _CAUSES if needle in error), None)
        shown = init[:1] + [e for e in failed if e.groups.get("rule") in repeated][:4] + unrealizable[:2]
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.85 if repeated or init else 0.6,
            severity="error" if repeated or init else "warning",
            values={"rules": sorted(repeated) + sorted({e.groups.get("rule", "?") for e in unrealizable}),
                    "init_failed": bool(init), "error": error, "cause": cause,
                    "not_realizable": len(unrealizable)},
            evidence=shown + ([last] if last not in shown else []),
        )
