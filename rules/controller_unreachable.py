"""antrea-agent cannot reach antrea-controller (its Service, Endpoint or CA bundle).

Symptom
-------
NetworkPolicies are not enforced or not updated on the Node, new Pods may get no network, and
the agent log repeats ``Failed to start watch for NetworkPolicy`` / ``AppliedToGroup`` /
``AddressGroup`` (``"Failed to start watch" ... objectType=`` from v2.7), often followed by
``please ensure antrea service is reachable for the agent``.

Why it happens
--------------
The agent gets its NetworkPolicies from antrea-controller through the ``antrea`` Service in
kube-system. It builds its client only when it has both the CA bundle (ConfigMap ``antrea-ca``,
key ``ca.crt``, published by the controller) and, from v2.1, a ready Endpoint of the Service
(it talks to the controller's Endpoint directly, port 10349). Without the CA it logs ``Didn't get
CA certificate, skip updating Antrea Client``; without an Endpoint ``Didn't get Endpoint URL for
Antrea Service`` or ``Cannot resolve endpoint because Service is unavailable``; every watch then
fails with ``Antrea client is not ready``. With both, a watch can still fail on the network path
(``dial tcp ...:10349: i/o timeout`` / ``connection refused``). From v2.0 the agent falls back to
the policies it saved on disk (``Getting init events from fallback``); a Node without them never
completes the initial sync, and from v2.1 flow restoration waits for that sync.

Evidence
--------
Watch failures of the NetworkPolicy watchers in the latest agent run (or a pasted excerpt), judged
by the engine: followed by ``Started watch for`` (every successful watch logs it, v1.0-v2.7) or
by minutes of normal logging, they are history (a controller restart), reported at ``info``.
``Antrea client is not ready`` failures that a watch start ends are the agent's own start-up (it
builds its client when the CA and, from v2.1, an Endpoint arrive; from v2.1 it starts the watches
after 5 s whether or not the client is ready, to fall back on its saved policies) and do not
count. Before any watch, the client may never be ready: ``Waiting for Antrea client to be ready``
is logged at every start and every 2 s while waiting (up to v2.0 without end; from v2.1 for 5 s,
then ``Stopped waiting for Antrea client`` and the watches), so only a wait still going after two
reminders, with no ``Antrea client is ready`` after it, counts. The cause is taken from the same
run: the CA and Endpoint messages above, the clusterinfo ``#configs`` (``antrea-ca`` missing or
without ``ca.crt``), a pasted ``kubectl get pods`` showing antrea-controller not running and
ready, the network error in the watch failure, or ``Error running controller`` in the controller
log. The initial sync never completed when a whole run (from its start line) lacks ``All watchers
have completed full sync`` (logged by every version once all watchers synced, from the controller
or, from v2.0, from the policies saved on disk). Every Node failing points at the controller (Pod,
Service, Endpoints, CA ConfigMap); one Node failing while others watch points at that Node's path
to the controller. Failures whose error is an ``x509`` certificate error are left to
``tls-certificate``.

Remediation
-----------
Check the antrea-controller Pod, the ``antrea`` Service Endpoints and the ``antrea-ca``
ConfigMap; from a failing Node test TCP to the controller Endpoint on port 10349.

References
----------
antrea-io/antrea docs/troubleshooting.md; antrea-io/antrea pkg/agent/client/client.go,
pkg/agent/client/endpoint_resolver.go (antrea-io/antrea#6361, v2.1.0),
pkg/agent/controller/networkpolicy/networkpolicy_controller.go (fallback, v2.0.0).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from diagnose.api import (
    AGENT_LOG,
    CLUSTER_INFO,
    CONTROLLER_LOG,
    KUBECTL_PODS,
    UNATTRIBUTED,
    EvidenceLine,
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
    """The agents that cannot watch the controller, the error and the controller's state."""

    who: str  # "antrea-agent on worker-3", or "antrea-agent on all 2 Nodes with logs"
    waiting: bool  # no watch was tried: the client to the controller was never ready
    error: str  # the watch error, e.g. "i/o timeout" or "Antrea client is not ready"
    endpoint: str | None  # the controller Endpoint the agent dialled ("10.0.0.11:10349"), when the error names it
    ca_state: str | None  # what clusterinfo #configs says is wrong with antrea-ca; None when fine or unknown
    controller_fatal: str  # the controller's fatal error; "" when it has none
    controller_pod: str  # the antrea-controller Pod row when it is not running and ready; "" otherwise
    cluster_wide: bool  # every Node with an agent log fails
    healthy: list[str]  # Nodes whose watches started
    no_sync: bool  # a whole run never completed the initial NetworkPolicy sync
    fallback: bool  # the agent synced from the policies it saved on disk


# What failed, in every outcome; then the cause (one per outcome); then where to look.
_FAILED = """
    {{ who }} cannot reach antrea-controller: {% if waiting %}its client to the controller is never ready (it
    waits for it until the end of the log){% else %}its NetworkPolicy watches keep failing until the end of the log
    ({{ error }}){% if endpoint %} towards {{ endpoint }}{% endif %}{% endif %}.
"""
_SCOPE = """
    {% if cluster_wide %}Every Node fails: look at antrea-controller, its Service/Endpoints and the antrea-ca
    ConfigMap first.{% elif healthy %}Other Nodes watch fine ({{ healthy | join(", ") }}): the path from
    {{ "these Nodes" if nodes | length > 1 else "this Node" }} to the controller is broken (firewall to port
    10349, routes).{% endif %}
    {% if no_sync %}The initial NetworkPolicy sync never completed, so new Pods get no network (and from
    v2.1 OVS flow restoration waits for it).{% elif fallback %}The agent runs on the policies it saved on disk
    (fallback): changes made since are not applied.{% endif %}
"""

RULE = Rule(
    id="ANT-CTRL-001",
    slug="controller-unreachable",
    title="antrea-agent cannot reach antrea-controller",
    category="controller-unreachable",
    severity="error",
    inputs=Inputs(needs=(AGENT_LOG,), optional=(CLUSTER_INFO, KUBECTL_PODS, CONTROLLER_LOG)),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",
        "antrea-io/antrea#6361",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/client/client.go",
    ),
    signatures=(
        # ≤v2.6 W `Failed to start watch for %s: %v`; v2.7+ E `"Failed to start watch" err=... objectType=...`;
        # EgressGroup/SupportBundleCollections watchers log the same shape.
        Signature(
            "watch_failed",
            r'Failed to start watch(?: for (?P<type>[A-Za-z]{1,40}))?(?:: |" err=)(?P<err>.*)',
            "Failed to start watch",
        ),
        Signature(
            "not_reachable",
            r"please ensure antrea service is reachable for the agent",
            "please ensure antrea service is reachable",
        ),
        Signature("watch_started", r"Started watch for (?P<type>[A-Za-z]{1,40})", "Started watch for ", role="success"),
        Signature(
            "full_sync",
            r"All watchers have completed full sync",
            "All watchers have completed full sync",
            role="success",
        ),
        Signature(
            "fallback",
            r"Getting init events from fallback",
            "Getting init events from fallback",
            versions=">=2.0.0",
            role="context",
        ),
        Signature(
            "fallback_failed",
            r"Failed to get init events from fallback",
            "Failed to get init events from fallback",
            versions=">=2.0.0",
        ),
        # Logged at start-up before the antrea-ca ConfigMap (and, from v2.1, the Endpoint) is read.
        Signature(
            "no_ca",
            r"Didn't get CA certificate, skip updating Antrea Client",
            "Didn't get CA certificate",
            role="context",
        ),
        Signature(
            "no_endpoint",
            r"Didn't get Endpoint URL for Antrea Service",
            "Didn't get Endpoint URL for Antrea Service",
            versions=">=2.1.0",
            role="context",
        ),
        Signature(
            "service_unavailable",
            r"Cannot resolve endpoint because (?P<why>Service is unavailable|of missing resource)",
            "Cannot resolve endpoint because",
            versions=">=2.1.0",
        ),
        Signature(
            "client_updated",
            r"Updating Antrea client with the new CA bundle",
            "Updating Antrea client with the new CA",
            role="success",
        ),
        # The NetworkPolicy controller waits for the client (CA + Endpoint) before any watch
        # (pkg/agent/controller/networkpolicy/networkpolicy_controller.go, every version): logged at
        # every start, then every 2 s while waiting.
        Signature(
            "client_waiting",
            r"Waiting for Antrea client to be ready",
            "Waiting for Antrea client to be ready",
            role="context",
        ),
        Signature("client_ready", r"Antrea client is ready", "Antrea client is ready", role="success"),
        # k8s.io/apiserver's dynamic CA loader, which the agent uses to read antrea-ca.
        Signature("ca_configmap_missing", r'configmap "antrea-ca" not found', 'configmap "antrea-ca" not found'),
        Signature(
            "controller_fatal",
            r"Error running controller: (?P<err>.*)",
            "Error running controller",
            kinds=("controller-log",),
        ),
    ),
    explains=("ovs-flow-restore-wait", "networkpolicy", "egress"),
    lookalikes=("tls-certificate", "apiserver-unreachable"),
    values=Values,
    outcomes=(
        Outcome(
            "no_ca_bundle",
            message=_FAILED
            + """
            The agent has no CA bundle for the antrea Service ("Didn't get CA certificate"){% if ca_state %}:
            {{ ca_state }}{% endif %}, so it never builds its client."""
            + _SCOPE,
        ),
        Outcome(
            "no_endpoint",
            message=_FAILED
            + """
            The antrea Service has no ready Endpoint, so the agent has nowhere to connect: antrea-controller is not
            running or not ready."""
            + _SCOPE,
        ),
        Outcome(
            "controller_exits",
            message=_FAILED
            + """
            antrea-controller itself exits ("{{ controller_fatal }}")."""
            + _SCOPE,
        ),
        Outcome(
            "controller_not_running",
            message=_FAILED
            + """
            antrea-controller is not running: {{ controller_pod }}; it is what publishes the CA bundle (antrea-ca) and
            serves the agents{% if ca_state %} ({{ ca_state }}){% endif %}."""
            + _SCOPE,
        ),
        Outcome(
            "network_path",
            message=_FAILED
            + """
            The connection to the controller Endpoint fails on the network path."""
            + _SCOPE,
        ),
        # The failure is seen, not why: the controller's state and log tell.
        Outcome(
            "cause_unknown",
            message=_FAILED
            + """
            Neither the agent's log nor the bundle says why: the antrea-controller Pod and log do."""
            + _SCOPE,
        ),
        # The engine's judgement: the watches started again (a controller restart) or an earlier run's failures.
        Outcome(
            "recovered",
            severity="info",
            message="""
            {{ who }} could not reach antrea-controller for a while ({{ error }}){% if endpoint %} towards
            {{ endpoint }}{% endif %}, then watched again, as after a controller restart. {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            {{ who }} could not reach antrea-controller in an earlier run ({{ error }}). {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Check that antrea-controller runs and is ready, and look at its log.",
            "kubectl -n kube-system get pods -l component=antrea-controller -o wide; "
            "kubectl -n kube-system logs deploy/antrea-controller --tail=100",
        ),
        Step(
            "Check that the antrea Service has a ready Endpoint and that the CA bundle is published.",
            "kubectl -n kube-system get endpointslices -l kubernetes.io/service-name=antrea; "
            "kubectl -n kube-system get configmap antrea-ca -o jsonpath='{.data.ca\\.crt}' | head -3",
        ),
        Step(
            "From the failing Node, test TCP to the controller Endpoint (the controller runs on the host network).",
            "nc -vz -w 3 {{ (endpoint or '<controller-node-ip>:10349').rsplit(':', 1)[0] }} "
            "{{ (endpoint or ':10349').rsplit(':', 1)[1] }}   # on {{ node }}",
        ),
        Step(
            "Once the controller is reachable the agent reconnects by itself; restart the agents only if they "
            "stay disconnected.",
            "kubectl -n kube-system rollout restart daemonset/antrea-agent",
        ),
    ),
)

_NETWORKPOLICY_TYPES = {"NetworkPolicy", "AppliedToGroup", "AddressGroup"}
_URL_NODE = re.compile(r"[?&]nodeName=([A-Za-z0-9][\w.-]{0,252})")
_NOT_READY = "Antrea client is not ready"
_REMINDERS = 3  # "Waiting for Antrea client to be ready" lines: the start one and two reminders 2 s apart
_CAUSE_OUTCOME = {
    "ca": "no_ca_bundle",
    "endpoint": "no_endpoint",
    "controller": "controller_exits",
    "controller_pod": "controller_not_running",
    "network": "network_path",
    None: "cause_unknown",
}


@dataclass
class _NodeState:
    """What the latest agent run (or the undated excerpt) says about the controller connection."""

    waiting: bool
    x509: bool
    url_node: str | None
    cause: str | None
    error: str | None
    endpoint: str | None
    no_sync: bool
    fallback: bool
    evidence: list[LogEvent] = field(default_factory=list)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    failing: dict[str, _NodeState] = {}
    x509_only: list[str] = []
    excerpt = ev.view.nodes.get(UNATTRIBUTED)
    for node in [*ev.nodes, *([excerpt] if excerpt else [])]:
        state = _node_state(ev, node)
        if state is None:
            continue
        # A pasted excerpt names its Node in the watch URL (`nodeName=` since the watch is per Node).
        name = node.name if node is not excerpt else state.url_node or UNATTRIBUTED
        if state.x509:
            x509_only.append(name)
            continue
        failing[name] = state
    if not failing:
        return
    nodes = sorted(n for n in failing if n != UNATTRIBUTED)
    with_logs = [n.name for n in ev.nodes if n.has_agent_logs]
    healthy = sorted(n for n in with_logs if n not in failing and ev.hits("watch_started", ev.view.nodes[n]))
    states = [failing[n] for n in sorted(failing)]
    controller_fatal = next(iter(ev.hits("controller_fatal")), None)
    controller_pod = _controller_pod_down(ev)
    cause = _cause(states, controller_fatal) if controller_pod is None or controller_fatal else "controller_pod"
    error, endpoint = next(((s.error, s.endpoint) for s in states if s.error), ("watch failed", None))
    evidence: list[LogEvent | EvidenceLine] = [*[e for s in states for e in s.evidence][:10]]
    if controller_fatal is not None:
        evidence.insert(0, controller_fatal)
    if controller_pod is not None:
        evidence.insert(
            0, EvidenceLine(controller_pod.source, controller_pod.line, None, controller_pod.text, controller_pod.node)
        )
    missing = []
    if ev.view.configmaps is None and cause in ("ca", None):
        missing.append(
            Missing(
                "whether the antrea-ca ConfigMap holds the CA bundle",
                "kubectl -n kube-system get configmap antrea-ca -o yaml",
            )
        )
    if cause is None:
        missing.append(
            Missing(
                "the antrea-controller Pod state and log",
                "kubectl -n kube-system get pods -l component=antrea-controller -o wide; "
                "kubectl -n kube-system logs deploy/antrea-controller --tail=200",
            )
        )
    no_sync = any(s.no_sync for s in states)
    cluster_wide = len(nodes) > 1 and not healthy and len(nodes) >= len(with_logs)
    yield RULE.finding(
        _CAUSE_OUTCOME[cause],
        nodes=nodes,
        confidence=0.9 if cause else 0.75,
        severity="critical" if no_sync else None,
        values=Values(
            who=(
                f"antrea-agent on all {len(nodes)} Nodes with logs"
                if cluster_wide
                else f"antrea-agent on {', '.join(nodes) if nodes else 'the Node of these files'}"
            ),
            waiting=all(s.waiting for s in states),
            error=error,
            endpoint=endpoint,
            ca_state=_ca_configmap(ev),
            controller_fatal=controller_fatal.groups.get("err", "") if controller_fatal else "",
            controller_pod=(
                f"{controller_pod.name} {controller_pod.status} ({controller_pod.ready} ready)"
                if controller_pod
                else ""
            ),
            cluster_wide=cluster_wide,
            healthy=healthy,
            no_sync=no_sync,
            fallback=any(s.fallback for s in states),
        ),
        evidence=evidence,
        missing=missing,
        ruled_out=[f"{n}: its watch failures are x509 certificate errors (see tls-certificate)" for n in x509_only],
    )


def _node_state(ev: RuleEvidence, node: NodeView) -> _NodeState | None:
    keys = {
        ev.key(n): n
        for n in (
            "watch_failed",
            "not_reachable",
            "watch_started",
            "full_sync",
            "fallback",
            "fallback_failed",
            "no_ca",
            "no_endpoint",
            "service_unavailable",
            "client_updated",
            "client_waiting",
            "client_ready",
            "ca_configmap_missing",
        )
    }
    if node.runs:
        events = [e for e in node.runs[-1].events if e.signature in keys]
    else:
        events = sorted((e for e in node.undated_events if e.signature in keys), key=lambda e: (e.artifact, e.line))
    names = [keys[e.signature] for e in events]
    connected = [i for i, name in enumerate(names) if name in ("watch_started", "client_ready")]
    # The start-up wait for the client ends at its first watch; "not ready" failures before a
    # watch that started are that wait, not a failure to reach the controller.
    failures = [
        e
        for i, e in enumerate(events)
        if names[i] in ("watch_failed", "not_reachable")
        and _watch_type(e) in _NETWORKPOLICY_TYPES | {None}
        and not (_NOT_READY in _err(e) and any(c > i for c in connected))
    ]
    waiting = [
        e
        for i, e in enumerate(events)
        if names[i] in ("client_waiting", "ca_configmap_missing") and not any(c > i for c in connected)
    ]
    if not failures and len(waiting) >= _REMINDERS:
        failures = waiting
    if not failures:
        return None
    found = set(names)
    errs = [_err(e) for e in failures if _err(e)]
    network = next((hit for err in errs if (hit := apierrors.network_error(err))), None)
    cause = (
        "ca"
        if found & {"no_ca", "ca_configmap_missing"} and "client_updated" not in found
        else "endpoint"
        if found & {"no_endpoint", "service_unavailable"}
        else "network"
        if network
        else None
    )
    context = [
        e
        for i, e in enumerate(events)
        if names[i] in ("no_ca", "no_endpoint", "service_unavailable", "fallback_failed", "ca_configmap_missing")
    ]
    return _NodeState(
        waiting=failures[0].signature in (ev.key("client_waiting"), ev.key("ca_configmap_missing")),
        x509=bool(errs) and all("x509:" in err for err in errs),
        url_node=next((m[1] for e in failures if (m := _URL_NODE.search(e.text))), None),
        cause=cause,
        error=(network[0] if network else next((err for err in errs if "x509:" not in err), None))
        or (_NOT_READY if cause in ("ca", "endpoint") else None),
        endpoint=network[1] if network else None,
        # Only a whole run (from its start line) can show that the initial sync never completed.
        no_sync="full_sync" not in found and bool(node.runs and node.runs[-1].start),
        fallback="fallback" in found and "full_sync" in found,
        # The latest "antrea-ca not found" too: those E lines are this failure, not another one.
        evidence=context[:2] + (failures[:2] + failures[-1:] if len(failures) > 2 else failures) + context[-1:],
    )


def _controller_pod_down(ev: RuleEvidence):
    """The antrea-controller Pod of a pasted `kubectl get pods`, when it is not running and ready."""
    for row in ev.view.pods:
        if row.name.startswith("antrea-controller") and not row.terminated:
            ready, _, total = (row.ready or "").partition("/")
            if row.status != "Running" or (ready.isdigit() and total.isdigit() and int(ready) < int(total)):
                return row
    return None


def _watch_type(e: LogEvent) -> str | None:
    return e.groups.get("type") or e.kv.get("objectType")


def _err(e: LogEvent) -> str:
    return e.kv.get("err") or e.groups.get("err") or ""


def _cause(states: list[_NodeState], controller_fatal: LogEvent | None) -> str | None:
    if controller_fatal is not None:
        return "controller"
    causes = [s.cause for s in states if s.cause]
    return max(set(causes), key=causes.count) if causes else None


def _ca_configmap(ev: RuleEvidence) -> str | None:
    """What clusterinfo `#configs` says about the antrea-ca ConfigMap (None: fine or unknown)."""
    cms = ev.view.configmaps
    if cms is None or "antrea-config" not in cms:
        return None  # #configs not collected (antctl ran in-cluster, or no clusterinfo): unknown
    if "antrea-ca" not in cms:
        return "the antrea-ca ConfigMap is missing from clusterinfo #configs"
    if not cms["antrea-ca"].get("ca.crt", "").strip():
        return "the antrea-ca ConfigMap has no ca.crt"
    return None
