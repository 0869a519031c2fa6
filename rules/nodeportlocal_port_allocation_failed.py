"""NodePortLocal cannot map Pod ports: no free Node port in the range, or its rules fail.

Symptom
-------
Pods selected by a Service annotated ``nodeportlocal.antrea.io/enabled: "true"`` get no (or an
incomplete) ``nodeportlocal.antrea.io`` annotation, so the external load balancer that reads it
(e.g. AVI) does not send them traffic; the agent logs ``Error syncing
Pod <ns>/<name>, requeuing. Error: failed to add rule for Pod ...: no free port found``.

Why it happens
--------------
NodePortLocal gives each selected Pod port a port of the Node from ``nodePortLocal.portRange``
(default ``61000-62000`` on Linux, ``40000-41000`` on Windows), holding the port with a socket and installing a DNAT rule. A Node with
more selected Pod ports than the range holds runs out (``no free port found``); ports already
used by other processes are skipped (``Cannot bind to local port, skipping it``); iptables
failures stop the rules from being installed or restored.

Evidence
--------
``Error syncing Pod ... requeuing. Error:`` (the NodePortLocal controller is the only one with
this wording, v1.12 to HEAD) whose error holds ``no free port found``, ``failed to add rule`` or
``failed to delete rule``; ``Cannot bind to local port, skipping it``; ``Failed to restore iptables
rules`` for the NodePortLocal chain.

Remediation
-----------
Widen ``nodePortLocal.portRange`` or spread the Pods; find what holds ports of the range on the
Node; fix iptables errors, then restart the agent.

References
----------
antrea-io/antrea docs/node-port-local.md; antrea-io/antrea pkg/agent/nodeportlocal
(k8s/npl_controller.go, portcache/port_table_others.go).
"""

from __future__ import annotations

from diagnose.rule import Rule, Signature, Step

RULE = Rule(
    id="ANT-NPL-001",
    slug="nodeportlocal-port-allocation-failed",
    title="NodePortLocal cannot map Pod ports on the Node",
    category="nodeportlocal",
    severity="error",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/node-port-local.md",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/nodeportlocal/k8s/npl_controller.go"),
    signatures=(
        Signature("sync_failed", r"Error syncing Pod (?P<pod>\S{1,253}), requeuing\. Error: (?P<err>.*)", "Error syncing Pod "),
        Signature("bind_failed", r'"Cannot bind to local port, skipping it"', "Cannot bind to local port"),
        Signature("restore_failed", r'"Failed to restore iptables rules', "Failed to restore iptables rules"),
    ),
    lookalikes=("iptables-lock", "iptables-backend"),
    message="""
        On {{ nodes | join(", ") }} NodePortLocal cannot map the ports of {{ pods | length }} Pod{{ "s" if pods | length
        != 1 }} ({{ pods[:5] | join(", ") }}{{ ", ..." if pods | length > 5 }}): {% if exhausted %}the Node port range is
        exhausted ("no free port found"), more selected Pod ports run on the Node than nodePortLocal.portRange
        holds{% else %}"{{ error }}"{% endif %}.{% if bind %} {{ bind }} port(s) of the range are held by other
        processes.{% endif %} Their nodeportlocal.antrea.io annotation is missing or incomplete, so the load
        balancer does not reach them.
    """,
    remediation=(
        Step("Check the port range and how many Pod ports the Node maps.",
             "kubectl -n kube-system get configmap antrea-config -o yaml | grep -A2 nodePortLocal; "
             "kubectl get pods -A -o wide --field-selector spec.nodeName={{ node }} -o "
             "jsonpath='{range .items[*]}{.metadata.annotations.nodeportlocal\\.antrea\\.io}{\"\\n\"}{end}' | grep -c nodePort"),
        Step("Find processes that listen on ports of the range on the Node.",
             "ss -lntup | awk '$5 ~ /:6[01][0-9][0-9][0-9]$/'   # on {{ node }}"),
        Step("Widen nodePortLocal.portRange in antrea-agent.conf (or spread the Pods), then restart the agents.",
             "kubectl -n kube-system rollout restart daemonset/antrea-agent"),
    ),
)

_NPL_ERRORS = ("no free port found", "failed to add rule", "failed to delete rule", "NodePortLocal")


def check(ev):
    for node in ev.nodes:
        syncs = [e for e in ev.hits("sync_failed", node) if any(x in e.groups.get("err", "") for x in _NPL_ERRORS)]
        binds = ev.hits("bind_failed", node)
        restores = ev.hits("restore_failed", node)
        if len(syncs) < 2 and not restores:
            continue  # one failed sync is retried; a repeated one is not transient
        pods = sorted({e.groups.get("pod", "?") for e in syncs})
        last = syncs[-1] if syncs else restores[-1]
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.85,
            values={"pods": pods, "exhausted": any("no free port found" in e.text for e in syncs),
                    "error": (last.groups.get("err") or last.kv.get("err") or last.message)[:300],
                    "bind": len({e.kv.get("port") for e in binds}) if binds else 0},
            evidence=(syncs[:3] + syncs[-1:] + binds[:2] + restores[:2])[:10],
        )
