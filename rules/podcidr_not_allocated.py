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
Fires on ``Waiting for Node PodCIDR configuration to complete`` (the Node was read and had no
PodCIDR), or on ``#nodes`` of clusterinfo showing the Node without ``spec.podCIDR``. Look-alike:
up to v2.4 an API-server timeout is also reported as ``Spec.PodCIDR is empty`` (the poll's
timeout check matches Go's ``i/o timeout``, antrea-io/antrea#7472); when the preceding error line's
``err=`` holds a network error, or ``#nodes`` shows a PodCIDR for the Node, this rule stays quiet
and ``apiserver-unreachable`` explains the failure. With only the fatal line and no clusterinfo
the finding is inconclusive.

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

from diagnose import apierrors
from diagnose.facts import lifecycle
from diagnose.model import PSEUDO_NODES, UNATTRIBUTED
from diagnose.rule import CONFIRMED, INCONCLUSIVE, Missing, Rule, Signature, Step

RULE = Rule(
    id="ANT-PCD-001",
    slug="podcidr-not-allocated",
    title="Node has no PodCIDR allocated",
    category="podcidr-not-allocated",
    severity="critical",
    applies_to="all",
    # networkPolicyOnly Nodes (EKS/AKS chaining) have no PodCIDR by design.
    modes=("encap", "noEncap", "hybrid"),
    references=("https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",
                "antrea-io/antrea#5353", "antrea-io/antrea#7473"),
    signatures=(
        Signature("waiting", r'"Waiting for Node PodCIDR configuration to complete"',
                  "Waiting for Node PodCIDR configuration", versions="<2.5.0"),
        Signature("empty_error", r'"Spec\.PodCIDR is empty for Node\. Please make sure', "Spec.PodCIDR is empty for Node."),
        Signature("empty_fatal", r'Spec\.PodCIDR is empty for Node "?(?P<node>[^"\s]+)', "Spec.PodCIDR is empty for Node "),
        Signature("empty_old", r"CIDR string is empty for Node (?P<node>\S+)", "CIDR string is empty for Node",
                  versions="<=1.13.0"),
    ),
    explains=("agent-crash",),
    lookalikes=("apiserver-unreachable",),
    message="""
        {% if cluster_wide %}No Node of the cluster has a PodCIDR{% else %}{{ nodes | length }} of
        {{ total }} Nodes have no PodCIDR ({{ nodes | join(", ") }}){% endif %}: antrea-agent
        {% if waited %}read its Node, found no spec.podCIDR, waited for one{% else %}timed out waiting for
        spec.podCIDR{% endif %} and exited.
        {% if cluster_wide %}Nothing allocates PodCIDRs: kube-controller-manager runs without
        --allocate-node-cidrs/--cluster-cidr and Antrea NodeIPAM is off.{% else %}Other Nodes have one,
        so the --cluster-cidr range is probably exhausted for newer Nodes.{% endif %}
        {% if not confirmed %}Only the fatal line is available: without the agent's error line or
        clusterinfo an unreachable API server (reported the same way up to v2.4) cannot be ruled out.{% endif %}
    """,
    remediation=(
        Step("Check which Nodes have a PodCIDR.",
             "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR"),
        Step("Enable PodCIDR allocation: kube-controller-manager --allocate-node-cidrs=true with a --cluster-cidr "
             "large enough for all Nodes (on kubeadm: networking.podSubnet), or enable NodeIPAM in "
             "antrea-controller (nodeIPAM.enableNodeIPAM, clusterCIDRs)."),
        Step("Restart the agents once the Nodes have a PodCIDR.",
             "kubectl -n kube-system rollout restart daemonset/antrea-agent"),
    ),
)


def check(ev):
    events: dict[str, list] = defaultdict(list)
    waited: set[str] = set()
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
            events[node].append(e)
    ci = ev.clusterinfo
    if ci:  # clusterinfo is the authority: a failed agent on a Node without PodCIDR counts
        for name, info in ci.nodes.items():
            if not info.pod_cidrs and _agent_failed(ev, name):
                events.setdefault(name, [])

    ruled_out = [f"{node}: the PodCIDR error's err= is a network error ({err}): the API server was not "
                 "reachable" for node, err in sorted(api_errors.items())]
    confirmed, weak, evidence = [], [], []
    for node, node_events in sorted(events.items()):
        if node in api_errors:
            continue
        info = ci.nodes.get(node) if ci else None
        if info and info.pod_cidrs:
            ruled_out.append(f"{node}: clusterinfo shows PodCIDR {', '.join(info.pod_cidrs)} allocated: the agent "
                             "could not read its Node rather than finding it empty")
            continue
        (confirmed if node in waited or info is not None else weak).append(node)
        evidence.extend(node_events[:3])
    nodes = confirmed + weak
    if not nodes:
        return
    total = len({n.name for n in ev.nodes} | (set(ci.nodes) if ci else set())) or len(nodes)
    yield RULE.finding(
        nodes=nodes,
        confidence=(0.95 if ci else 0.85) if confirmed else 0.4,
        values={"cluster_wide": len(nodes) >= total > 1, "total": total, "waited": bool(waited),
                "confirmed": bool(confirmed)},
        evidence=evidence[:12],
        status=CONFIRMED if confirmed else INCONCLUSIVE,
        missing=() if confirmed else (
            Missing("whether the Node has a PodCIDR",
                    "kubectl get node {{ node }} -o jsonpath='{.spec.podCIDR}'"),
            Missing("the agent's error line before the fatal one (its err= tells an API timeout apart)",
                    "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent --previous"),
        ),
        ruled_out=ruled_out,
    )


def _node_of(e) -> str | None:
    """The Node named in the message (its own agent logged it), else the file's Node."""
    named = e.groups.get("node") or e.kv.get("nodeName")
    return named or (e.node if e.node not in PSEUDO_NODES else None)


def _got_through(ev, waiting) -> bool:
    """The run that waited for the PodCIDR went on to initialise (`Agent initialized`)."""
    node = ev.view.nodes.get(waiting.node or "") or ev.view.nodes.get(UNATTRIBUTED)
    run = next((r for r in node.runs if waiting in r.events), None) if node else None
    return run is not None and run.first(lifecycle.key("initialized"), after=waiting) is not None


def _agent_failed(ev, name: str) -> bool:
    node = ev.view.nodes.get(name)
    return bool(node and (node.failed_reason or any(r.fatal for r in node.runs)))
