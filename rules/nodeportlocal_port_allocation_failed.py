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
this wording, v1.12 to v2.7.0; SecondaryNetwork's ``Error syncing Pod for SecondaryNetwork`` is
another controller) whose error holds ``no free port found`` (the range is exhausted) or another
error of adding or deleting the Pod's rule; ``Failed to restore iptables rules`` (v1.12-v2.x,
``..., will retry with backoff`` later) when the agent reinstalls the rules at start;
``Cannot bind to local port, skipping it`` says a port of the range is held by another process
(a detail: the controller then gives the Pod another port).

Whether it lasted: Pod syncs are retried by a workqueue with a back-off from 2 s to 120 s and
the restore every 2 s (up to 5 s from v2.x), each failure logged at error level and no success
at the default verbosity (pkg/agent/nodeportlocal, v1.12 to v2.7.0). So failures that stopped for
longer than that while the agent kept logging are over.

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

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import AGENT_LOG, Finding, Inputs, LogEvent, Outcome, Rule, RuleEvidence, Signature, Step


@dataclass
class Values:
    """The Pods whose NodePortLocal ports are not mapped, and the error."""

    pods: list[str]  # the Pods whose ports are not mapped, "namespace/name"
    error: str  # the error of the last failure, e.g. "no free port found"
    bound: int  # ports of the range that other processes hold ("Cannot bind to local port")


_PODS = """{{ pods | length }} Pod{{ "s" if pods | length != 1 }} ({{ pods[:5] | join(", ") }}{{ ", ..." if pods |
    length > 5 }})"""
_BOUND = """{% if bound %} {{ bound }} port{{ "s" if bound != 1 }} of the range {{ "are" if bound != 1 else "is" }}
    held by other processes.{% endif %}"""
_EFFECT = """Their nodeportlocal.antrea.io annotation is missing or incomplete, so the load balancer does not reach
    them."""
_RANGE = Step(
    "Check the port range and how many Pod ports the Node maps.",
    "kubectl -n kube-system get configmap antrea-config -o yaml | grep -A2 nodePortLocal; "
    "kubectl get pods -A -o wide --field-selector spec.nodeName={{ node }} -o "
    "jsonpath='{range .items[*]}{.metadata.annotations.nodeportlocal\\.antrea\\.io}{\"\\n\"}{end}' | "
    "grep -c nodePort",
)
_HOLDERS = Step(
    "Find processes that listen on ports of the range on the Node.",
    "ss -lntup | awk '$5 ~ /:6[01][0-9][0-9][0-9]$/'   # on {{ node }}",
)
_RESTART = Step("Restart the agents once fixed.", "kubectl -n kube-system rollout restart daemonset/antrea-agent")

RULE = Rule(
    id="ANT-NPL-001",
    slug="nodeportlocal-port-allocation-failed",
    title="NodePortLocal cannot map Pod ports on the Node",
    category="nodeportlocal",
    severity="error",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/node-port-local.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/nodeportlocal/k8s/npl_controller.go",
    ),
    inputs=Inputs(needs=(AGENT_LOG,)),
    signatures=(
        Signature(
            "sync_failed", r"Error syncing Pod (?P<pod>\S{1,253}), requeuing\. Error: (?P<err>.*)", "Error syncing Pod "
        ),
        # At the agent's start, for each port of its rules another process already holds (see Evidence).
        Signature(
            "bind_failed", r'"Cannot bind to local port, skipping it"', "Cannot bind to local port", role="context"
        ),
        Signature("restore_failed", r'"Failed to restore iptables rules', "Failed to restore iptables rules"),
    ),
    lookalikes=("iptables-lock", "iptables-backend"),
    values=Values,
    outcomes=(
        Outcome(
            "range-exhausted",
            message="""
            On {{ where }} NodePortLocal cannot map the ports of """
            + _PODS
            + """: the Node port range is exhausted
            ("no free port found"), more selected Pod ports run on the Node than nodePortLocal.portRange holds."""
            + _BOUND
            + " "
            + _EFFECT,
            remediation=(
                _RANGE,
                _HOLDERS,
                Step(
                    "Widen nodePortLocal.portRange in antrea-agent.conf (or spread the Pods), then restart the agents.",
                    "kubectl -n kube-system rollout restart daemonset/antrea-agent",
                ),
            ),
        ),
        Outcome(
            "rules-failing",
            message="""
            On {{ where }} NodePortLocal cannot install the rules of """
            + _PODS
            + """ (last error: "{{ error }}").
            """
            + _EFFECT,
            remediation=(
                Step(
                    "Read the iptables error of the failing rule; fix iptables (see the iptables findings), then "
                    "restart the agent.",
                    "iptables -t nat -S ANTREA-NODE-PORT-LOCAL | head   # on {{ node }}",
                ),
                _RESTART,
            ),
        ),
        Outcome(
            "restore-failing",
            message="""
            On {{ where }} antrea-agent cannot restore the NodePortLocal iptables rules at start (last error:
            "{{ error }}"): no mapped Pod port is reachable through the Node until it succeeds."""
            + _BOUND,
            remediation=(
                Step(
                    "Read the iptables error; fix iptables (see the iptables findings), then restart the agent.",
                    "iptables -t nat -S ANTREA-NODE-PORT-LOCAL | head   # on {{ node }}",
                ),
                _RESTART,
            ),
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} NodePortLocal could not map {% if pods %}the ports of """
            + _PODS
            + """{% else %}Pod
            ports{% endif %} for a while ("{{ error }}"). {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} NodePortLocal could not map Pod ports in an earlier antrea-agent run ("{{ error }}").
            {{ outcome_text }}
        """,
        ),
    ),
    remediation=(_RANGE, _HOLDERS, _RESTART),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        syncs = ev.hits("sync_failed", node)
        restores = ev.hits("restore_failed", node)
        binds = ev.hits("bind_failed", node)
        bound = len({e.kv.get("port") for e in binds})
        if syncs:
            exhausted = [e for e in syncs if "no free port found" in e.text]
            yield RULE.finding(
                "range-exhausted" if exhausted else "rules-failing",
                nodes=[node.name],
                # "no free port found" is the port table's own verdict; other errors are iptables' (its look-alikes).
                confidence=0.9 if exhausted else 0.75,
                values=Values(
                    pods=sorted({e.groups.get("pod") or "?" for e in syncs}), error=_err(syncs[-1]), bound=bound
                ),
                evidence=syncs[:3] + syncs[-1:] + binds[-1:],
            )
        if restores:
            yield RULE.finding(
                "restore-failing",
                nodes=[node.name],
                confidence=0.8,
                values=Values(pods=[], error=_err(restores[-1]), bound=bound),
                evidence=restores[:2] + restores[-1:] + binds[-1:],
            )


def _err(e: LogEvent) -> str:
    """The error, its start and its end when long: a wrapped Go error says what failed last."""
    text = e.groups.get("err") or e.kv.get("err") or e.message or e.text
    return text if len(text) <= 300 else f"{text[:120]} ... {text[-170:]}"
