"""The Node has no PodCIDR, so antrea-agent cannot initialise.

Symptom
-------
antrea-agent crash-loops at start-up with ``Error running agent: error initializing agent:
Spec.PodCIDR is empty for Node <name>``; Pods on the Node stay in ContainerCreating.

Why it happens
--------------
Outside ``networkPolicyOnly`` mode the agent needs ``spec.podCIDR(s)`` of its Node to configure
``antrea-gw0`` and IPAM. It polls the Node every 5 s (``Waiting for Node PodCIDR configuration to
complete``) and gives up after 30 s (60 s from v2.5). Nothing allocates PodCIDRs when
kube-controller-manager runs without ``--allocate-node-cidrs`` / ``--cluster-cidr`` and Antrea's
own NodeIPAM is off; a ``--cluster-cidr`` too small for the number of Nodes leaves the newest
Nodes without one.

Evidence
--------
Fires on ``Waiting for Node PodCIDR configuration to complete`` (v1.14-v2.4: the Node was read
and had no PodCIDR), on ``#nodes`` of clusterinfo showing the Node without ``spec.podCIDR``, or
on the agent's PodCIDR error and fatal lines. Look-alike: where the agent polls for its Node and
an API error ends the poll, an unreachable API server is also reported as ``Spec.PodCIDR is
empty`` / ``CIDR string is empty``: v1.8-v1.13 check ``node != nil``, and client-go returns an
empty Node with its error; v2.0-v2.4 check ``wait.Interrupted(err)``, which a dial timeout
satisfies (antrea-io/antrea#7472). v1.0-v1.7 (one Get, its error returned as such), v1.14-v1.15
(``err == wait.ErrWaitTimeout``) and v2.5+ (the API wait is separate, antrea-io/antrea#7473)
reach the message only for a Node read without a PodCIDR. So when the error line's ``err=``
holds a network error, or ``#nodes`` shows a PodCIDR for the Node, this rule stays quiet and
``apiserver-unreachable`` explains the failure; with only the fatal line of a version in those
two windows (or of an unknown version) and no clusterinfo, the finding is inconclusive. A run
that waited for its PodCIDR and then logged ``Agent initialized`` got one.

Remediation
-----------
Enable PodCIDR allocation (kube-controller-manager ``--allocate-node-cidrs=true`` with a
``--cluster-cidr`` large enough for every Node, or Antrea's NodeIPAM in antrea-controller), then
restart the agents.

References
----------
antrea-io/antrea docs/troubleshooting.md; antrea-io/antrea#5353; antrea-io/antrea#7473 (v2.5.0
split the PodCIDR and API waits).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    CLUSTER_INFO,
    PSEUDO_NODES,
    UNATTRIBUTED,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
    Version,
    apierrors,
    lifecycle,
)


@dataclass
class Values:
    """The Nodes known, and whether an agent waited for a PodCIDR."""

    total: int  # Nodes known (agents with logs, clusterinfo #nodes)
    waited: bool  # an agent logged that it read its Node and waited for a PodCIDR


_EXITED = """antrea-agent {% if waited %}read its Node, found no spec.podCIDR, waited for one{% else %}found no
    spec.podCIDR on its Node{% endif %} and exited."""

RULE = Rule(
    id="ANT-PCD-001",
    slug="podcidr-not-allocated",
    title="Node has no PodCIDR allocated",
    category="podcidr-not-allocated",
    severity="critical",
    # networkPolicyOnly Nodes (EKS/AKS chaining) have no PodCIDR by design.
    modes=("encap", "noEncap", "hybrid"),
    inputs=Inputs(any_of=(AGENT_LOG, CLUSTER_INFO)),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",
        "antrea-io/antrea#5353",
        "antrea-io/antrea#7472",
        "antrea-io/antrea#7473",
    ),
    signatures=(
        # InfoS from v1.14 (v1.13 logs it at V(2), off by default); gone from v2.5.
        Signature(
            "waiting",
            r'"Waiting for Node PodCIDR configuration to complete"',
            "Waiting for Node PodCIDR configuration",
            versions=">=1.14.0,<2.5.0",
        ),
        # ErrorS from v1.6; up to v1.5 an Errorf naming the Node, which `empty_fatal` matches.
        Signature(
            "empty_error",
            r'"Spec\.PodCIDR is empty for Node\. Please make sure',
            "Spec.PodCIDR is empty for Node.",
            versions=">=1.6.0",
        ),
        # The returned error from v1.14 (%q from v2.5).
        Signature(
            "empty_fatal",
            r'Spec\.PodCIDR is empty for Node "?(?P<node>[^"\s]+)',
            "Spec.PodCIDR is empty for Node ",
            versions=">=1.14.0",
        ),
        Signature(
            "empty_old",
            r"CIDR string is empty for [Nn]ode (?P<node>\S+)",
            "CIDR string is empty for ",
            versions="<1.14.0",
        ),
    ),
    explains=("agent-crash",),
    lookalikes=("apiserver-unreachable",),
    values=Values,
    outcomes=(
        Outcome(
            "none_allocated",
            message="No Node of the cluster has a PodCIDR: "
            + _EXITED
            + """
            Nothing allocates PodCIDRs: kube-controller-manager runs without --allocate-node-cidrs/--cluster-cidr
            and Antrea NodeIPAM is off.""",
        ),
        Outcome(
            "some_nodes",
            message="""{{ nodes | length }} of {{ total }} Nodes have no PodCIDR ({{ where }}): """
            + _EXITED
            + """ Other Nodes have one, so the --cluster-cidr range is probably exhausted for newer
                Nodes.""",
        ),
        Outcome(
            "no_podcidr",
            message="{{ where }} has no PodCIDR: "
            + _EXITED
            + """
            Either nothing allocates PodCIDRs (kube-controller-manager without --allocate-node-cidrs/--cluster-cidr,
            Antrea NodeIPAM off) or the --cluster-cidr range is exhausted: the other Nodes' PodCIDRs tell which.""",
        ),
        Outcome(
            "fatal_only",
            status="inconclusive",
            message="""
            antrea-agent on {{ where }} exited because it found no PodCIDR for its Node. Only the fatal line is
            available: v1.8-v1.13 and v2.0-v2.4 report an unreachable API server the same way, and without the
            agent's error line or the Node's spec that cannot be ruled out.
        """,
        ),
        # The engine's judgement: a later run of the agent initialised (the Node got its PodCIDR).
        Outcome(
            "superseded",
            severity="info",
            message="""
            antrea-agent on {{ where }} found no PodCIDR for its Node in an earlier run. {{ outcome_text }}
        """,
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            antrea-agent on {{ where }} waited for the Node's PodCIDR. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Check which Nodes have a PodCIDR.",
            "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR",
        ),
        Step(
            "Enable PodCIDR allocation: kube-controller-manager --allocate-node-cidrs=true with a --cluster-cidr "
            "large enough for all Nodes (on kubeadm: networking.podSubnet), or enable NodeIPAM in "
            "antrea-controller (nodeIPAM.enableNodeIPAM, clusterCIDRs)."
        ),
        Step(
            "Restart the agents once the Nodes have a PodCIDR.",
            "kubectl -n kube-system rollout restart daemonset/antrea-agent",
        ),
    ),
)

# Releases whose PodCIDR message can also end a poll that an API error ended (see Evidence).
_AMBIGUOUS = (((1, 8), (1, 14)), ((2, 0), (2, 5)))


def check(ev: RuleEvidence) -> Iterator[Finding]:
    events: dict[str, list[LogEvent]] = defaultdict(list)
    waited: set[str] = set()
    definitive: set[str] = set()  # Nodes whose message, by its release, means the Node was read
    api_errors: dict[str, str] = {}  # Nodes whose "PodCIDR is empty" was really an API timeout
    applicable = {n.name for n in ev.nodes}
    out_of_mode = {n for n in ev.view.nodes if n not in applicable}
    for name in ("waiting", "empty_error", "empty_fatal", "empty_old"):
        for e in ev.hits(name):
            node = _node_of(e)
            if node is None or node in out_of_mode or e.node in out_of_mode:
                continue
            if name == "waiting" and _got_through(ev, e):
                continue  # a new Node waited for its PodCIDR once and then started normally
            err = e.kv.get("err", "") if name == "empty_error" else ""
            if apierrors.is_api_failure(err):  # not "context deadline exceeded" alone: that is the wait
                api_errors[node] = (apierrors.network_error(err) or ("timeout",))[0]
                continue
            if name == "waiting":
                waited.add(node)
            elif not _ambiguous(_version_of(ev, e)):
                definitive.add(node)
            events[node].append(e)
    ci = ev.clusterinfo
    if ci:  # clusterinfo is the authority: a failed agent on a Node without PodCIDR counts
        for name, spec in ci.nodes.items():
            if not spec.pod_cidrs and _agent_failed(ev, name) and name not in out_of_mode:
                events.setdefault(name, [])

    ruled_out = [
        f"{node}: the PodCIDR error's err= is a network error ({err}): the API server was not reachable"
        for node, err in sorted(api_errors.items())
    ]
    confirmed: list[str] = []
    weak: list[str] = []
    evidence: list[LogEvent] = []
    for node, node_events in sorted(events.items()):
        if node in api_errors:
            continue
        info = ci.nodes.get(node) if ci else None
        if info and info.pod_cidrs:
            ruled_out.append(
                f"{node}: clusterinfo shows PodCIDR {', '.join(info.pod_cidrs)} allocated: the agent "
                "could not read its Node rather than finding it empty"
            )
            continue
        (confirmed if node in waited or node in definitive or info is not None else weak).append(node)
        evidence.extend(node_events[:3])
    nodes = confirmed + weak
    if not nodes:
        return
    total = len({n.name for n in ev.nodes} | (set(ci.nodes) if ci else set())) or len(nodes)
    yield RULE.finding(
        _outcome(len(nodes), total) if confirmed else "fatal_only",
        nodes=nodes,
        confidence=(0.95 if ci else 0.85) if confirmed else 0.4,
        values=Values(total=total, waited=bool(waited)),
        evidence=evidence[:12],
        missing=()
        if confirmed
        else (
            Missing("whether the Node has a PodCIDR", "kubectl get node {{ node }} -o jsonpath='{.spec.podCIDR}'"),
            Missing(
                "the agent's error line before the fatal one (its err= tells an API timeout apart)",
                "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent --previous",
            ),
        ),
        ruled_out=ruled_out,
    )


def _outcome(failing: int, total: int) -> str:
    if failing >= total > 1:
        return "none_allocated"
    return "some_nodes" if total > failing else "no_podcidr"


def _node_of(e: LogEvent) -> str | None:
    """The Node named in the message (its own agent logged it), else the file's Node."""
    named = (e.groups.get("node") or e.kv.get("nodeName") or "").rstrip(".")
    return named or (e.node if e.node not in PSEUDO_NODES else None)


def _version_of(ev: RuleEvidence, e: LogEvent) -> Version | None:
    node = ev.view.nodes.get(e.node or "")
    return ev.version(node) if node is not None else ev.view.version


def _ambiguous(version: Version | None) -> bool:
    if version is None:
        return True
    release = (version.major, version.minor)
    return any(low <= release < high for low, high in _AMBIGUOUS)


def _got_through(ev: RuleEvidence, waiting: LogEvent) -> bool:
    """The run that waited for the PodCIDR went on to initialise (`Agent initialized`)."""
    node = ev.view.nodes.get(waiting.node or "") or ev.view.nodes.get(UNATTRIBUTED)
    run = next((r for r in node.runs if waiting in r.events), None) if node else None
    return run is not None and run.first(lifecycle.key("initialized"), after=waiting) is not None


def _agent_failed(ev: RuleEvidence, name: str) -> bool:
    node = ev.view.nodes.get(name)
    return bool(node and (node.failed_reason or any(r.fatal for r in node.runs)))
