"""antrea-agent cannot reach the Kubernetes API server.

Symptom
-------
antrea-agent exits at start-up with ``failed to get Node with name <node> from K8s: ... dial tcp
<ip>:443: i/o timeout`` (or ``K8s API did not become available`` from v2.5), or keeps logging
``failed to list *v1.<Kind>: ... i/o timeout`` without recovering; Pods on the Node get no network.

Why it happens
--------------
The agent reads its own Node (PodCIDR, addresses) from the API server before it configures
anything, through the ``kubernetes`` Service ClusterIP (``10.96.0.1`` on kubeadm, ``10.43.0.1`` on
RKE2/K3s) unless ``kubeAPIServerOverride`` is set. When every Node fails the API server itself
(or its load balancer) is down; when one Node fails, that Node's path to it is broken: host
routes or NIC, a firewall, kube-proxy rules for the ClusterIP, or a NIC moved into an OVS
bridge (see ``secondary-network-uplink``).

Evidence
--------
A start-up failure to get the Node whose error is a network error (``failed to get Node with name
... from K8s`` from v1.6, ``Failed to get node from K8s with name`` up to v1.5), the v2.5+ ``Waiting for K8s
API`` / ``K8s API did not become available`` messages, or informer list failures that continue
to the end of the latest run. Up to v2.4 the same timeout can surface as ``Spec.PodCIDR is empty`` with the network
error in ``err=`` (antrea-io/antrea#7472): that counts here, and rules out
``podcidr-not-allocated``. List/watch failures that stopped while the agent kept logging are a
passing API server outage (a restart, an upgrade): history, not a fault; ``Caches are synced``
proves nothing about them (it is logged once per controller start).

Remediation
-----------
From the Node, test the endpoint the agent used; check the API server, the Node's routes,
firewall and kube-proxy; set ``kubeAPIServerOverride`` to a reachable address if the ClusterIP
path is what fails.

References
----------
antrea-io/antrea#7472, antrea-io/antrea#7473, antrea-io/antrea docs/troubleshooting.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    IP_ADDR,
    IP_ROUTE,
    PSEUDO_NODES,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
    apierrors,
)


@dataclass
class Values:
    """The agent that cannot reach the API server, and the error."""

    who: str  # "antrea-agent on worker-2"
    endpoint: str | None  # the API server address the agent dialled, when the error names it
    error: str  # the network error, e.g. "i/o timeout"
    scope: str  # where to look first (every Node, or one Node's path)


RULE = Rule(
    id="ANT-API-001",
    slug="apiserver-unreachable",
    title="antrea-agent cannot reach the Kubernetes API server",
    category="apiserver-unreachable",
    severity="critical",
    references=(
        "antrea-io/antrea#7472",
        "antrea-io/antrea#7473",
        "https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",
    ),
    signatures=(
        # ≤v2.4 `failed to get Node with name %s from K8s: %w`, v2.5+ `%q` (quoted name); inside
        # err="..." the quotes of the URL are escaped.
        Signature(
            "get_node_failed",
            r'failed to get Node with name \\?"?(?P<node>[^"\\\s:]+)\\?"? from K8s: (?P<err>.*)',
            "failed to get Node with name",
            versions=">=1.6.0",
        ),
        # Up to v1.5 the agent logged the failure itself (E) before returning the bare client-go error.
        Signature(
            "get_node_failed_old",
            r"Failed to get node from K8s with name (?P<node>[^\s:]{1,253}): (?P<err>.*)",
            "Failed to get node from K8s with name",
            versions="<1.6.0",
        ),
        Signature(
            "api_gave_up",
            r"K8s API did not become available: (?P<err>.*)",
            "K8s API did not become available",
            versions=">=2.5.0",
        ),
        # client-go reflector, all wordings (reference §3.3): "failed to list *v1.Node: Get ...".
        Signature("list_failed", r"failed to list \*?v1[a-z0-9]*\.(?P<type>\w+): (?P<err>.*)", "failed to list "),
    ),
    # Without the API server the agent can read neither the CA ConfigMap nor the controller's
    # Endpoints, so a controller-connection finding on the same Node is a symptom.
    inputs=Inputs(needs=(AGENT_LOG,), optional=(IP_ROUTE, IP_ADDR)),
    explains=("podcidr-not-allocated", "ovs-flow-restore-wait", "agent-crash", "controller-unreachable"),
    lookalikes=("podcidr-not-allocated",),
    values=Values,
    outcomes=(
        Outcome(
            "fatal",
            severity="critical",
            message="""
            {{ who }} cannot reach the Kubernetes API server{% if endpoint %} at {{ endpoint }}{% endif %}
            ({{ error }}). The agent exits during initialisation, so the Pod network of
            {{ "these Nodes" if nodes | length > 1 else "the Node" }} is down. {{ scope }}
        """,
        ),
        Outcome(
            "ongoing",
            severity="error",
            message="""
            {{ who }} cannot reach the Kubernetes API server{% if endpoint %} at {{ endpoint }}{% endif %}
            ({{ error }}): its informers keep failing to list objects until the end of the logs. {{ scope }}
        """,
        ),
        # The engine's judgement: the failures stopped while the agent went on, or a later run was fine.
        Outcome(
            "recovered",
            severity="info",
            message="""
            {{ who }} could not reach the Kubernetes API server{% if endpoint %} at {{ endpoint }}{% endif %}
            for a while ({{ error }}). {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            {{ who }} could not reach the Kubernetes API server{% if endpoint %} at {{ endpoint }}{% endif %}
            in an earlier run ({{ error }}). {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "From the Node, test the endpoint the agent uses (a timeout means packets are dropped; "
            "'connection refused' means nothing listens).",
            "curl -k --max-time 5 https://{{ endpoint or '<apiserver-ip>:443' }}/healthz",
        ),
        Step(
            "Check the API server and its endpoints.",
            "kubectl get --raw /readyz?verbose; kubectl get endpoints kubernetes",
        ),
        Step(
            "On the Node, check the route to the endpoint and the kube-proxy rules for the ClusterIP.",
            "ip route get {{ (endpoint or '<apiserver-ip>:443').rsplit(':', 1)[0].strip('[]') }}; "
            "iptables-save | grep -c KUBE-SVC",
        ),
        Step(
            "If the ClusterIP path is what fails, point the agent at a reachable address with "
            "kubeAPIServerOverride in antrea-agent.conf and restart the agent."
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    fatal: dict[str, list[LogEvent]] = defaultdict(list)  # start-up failures: the agent exits
    for name in ("get_node_failed", "get_node_failed_old", "api_gave_up"):
        for e in ev.hits(name):
            if not apierrors.network_error(e.groups.get("err", e.text)):
                continue  # e.g. "forbidden": a credentials problem, not reachability
            # The message names the Node whose agent logged it: more precise than the file's Node.
            node = e.groups.get("node") or (e.node if e.node not in PSEUDO_NODES else None)
            if node:
                fatal[node].append(e)
    ongoing = {n.name: evs for n in ev.nodes if n.name not in fatal and (evs := _unrecovered_list_failures(ev, n))}
    nodes = sorted(set(fatal) | set(ongoing))
    if not nodes:
        return
    events = [e for n in nodes for e in (fatal.get(n) or ongoing.get(n) or [])]
    error, endpoint = _first_network_error(events)
    healthy = sorted(
        n.name
        for n in ev.nodes
        if n.name not in nodes and n.runs and not n.failed_reason and not any(r.fatal for r in n.runs[-1:])
    )
    with_logs = [n for n in ev.nodes if n.has_agent_logs or n.failed_reason]
    missing = []
    if any(ev.view.nodes.get(n) is None or ev.view.nodes[n].routes is None for n in nodes):
        missing = [Missing.of(IP_ROUTE, "the path to the API server"), Missing.of(IP_ADDR)]
    cluster_wide = len(nodes) > 1 and len(nodes) >= len(with_logs)
    yield RULE.finding(
        "fatal" if fatal else "ongoing",
        nodes=nodes,
        confidence=0.95 if fatal else 0.75,
        values=Values(
            who=_who(nodes, cluster_wide), endpoint=endpoint, error=error, scope=_scope(nodes, cluster_wide, healthy)
        ),
        evidence=_pick(events),
        missing=missing,
    )


def _who(nodes: list[str], cluster_wide: bool) -> str:
    shown = [n for n in nodes if n not in PSEUDO_NODES] or ["the Node of these files"]
    return (
        f"antrea-agent on every one of the {len(nodes)} Nodes"
        if cluster_wide
        else f"antrea-agent on {', '.join(shown)}"
    )


def _scope(nodes: list[str], cluster_wide: bool, healthy: list[str]) -> str:
    """Where to look first: every Node failing points at the API server, one at its own path."""
    if cluster_wide:
        return "Every Node fails: look at kube-apiserver itself, its load balancer or its certificate first."
    if healthy:
        these = "these Nodes" if len(nodes) > 1 else "this Node"
        return (
            f"Other Nodes reach it ({', '.join(healthy)}): the path from {these} is broken (host routes or NIC, "
            "firewall, kube-proxy rules for the ClusterIP)."
        )
    return ""


def _unrecovered_list_failures(ev: RuleEvidence, node: NodeView) -> list[LogEvent]:
    """Reflector list/watch failures with a network error in the latest run that lasted to its end.

    client-go retries a failed list/watch with a backoff of up to 30 s, so an outage that ended
    is followed by silence, not by a success line (`Caches are synced` is logged once per
    controller start and proves nothing about a later outage): whether they lasted is the
    engine's judgement (diagnose.facts.outcome): a passing outage is reported at `info`."""
    if not node.runs:
        return []
    run = node.runs[-1]
    return [e for e in run.all(ev.key("list_failed")) if apierrors.network_error(e.groups.get("err", ""))]


def _first_network_error(events: list[LogEvent]) -> tuple[str, str | None]:
    for e in events:
        found = apierrors.network_error(e.text)
        if found:
            return found
    return "timeout", None


def _pick(events: list[LogEvent], limit: int = 10) -> list[LogEvent]:
    """Evidence: the first events of each Node, fatal lines first."""
    ordered = sorted(events, key=lambda e: (e.node or "", e.level != "F", e.time is None, e.time_text or ""))
    return ordered[:limit]
