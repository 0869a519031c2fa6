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
Controller log ``Failed to sync EgressGroup`` with ``cannot allocate IP in any range`` / ``does not exist``;
agent log ``Error syncing Egress`` repeated for one Egress, ``Failed to select Node for
Egress``, memberlist ``join cluster failed`` / ``Failed to rejoin any members``. Wording checked
in antrea-io/antrea pkg/controller/egress, pkg/agent/controller/egress and pkg/agent/memberlist
(v1.12 to HEAD; the join message is an error up to v1.15 and an info "will retry later" after).

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

from collections import Counter

from diagnose.model import ANTREA_CRD, CONTROLLER_NODE
from diagnose.rule import Rule, Signature, Step

RULE = Rule(
    id="ANT-EGR-001",
    slug="egress-not-applied",
    title="Egress IP not allocated, not assigned or not realized",
    category="egress",
    severity="error",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/egress.md",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/controller/egress/egress_controller.go",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/memberlist/cluster.go"),
    signatures=(
        Signature("sync_failed", r"Error syncing Egress (?P<egress>\S{1,253}), requeuing\. Error: (?P<err>.*)",
                  "Error syncing Egress "),
        Signature("select_failed", r'"Failed to select Node for Egress"', "Failed to select Node for Egress"),
        Signature("join_failed", r"join cluster failed", "join cluster failed"),
        Signature("rejoin_failed", r'"Failed to rejoin any members"', "Failed to rejoin any members"),
        # antrea-controller: v1.12 printf `Failed to sync EgressGroup %s: %v`, ErrorS with key= from v1.13.
        Signature("alloc_failed", r'Failed to sync EgressGroup(?:" err="| (?P<egress>[^:\s]{1,253}): )(?P<err>[^"]*)',
                  "Failed to sync EgressGroup", kinds=("controller-log",)),
    ),
    lookalikes=("benign",),
    message="""
        {% if pool_full %}antrea-controller cannot allocate an Egress IP: {{ pool_full }}.
        {% endif %}{% if not_selected %}No Node could be selected to hold the IP of {{ not_selected | join(", ") }}.
        {% endif %}{% if gossip %}The agents on {{ gossip | join(", ") }} cannot join the other agents over memberlist
        (port 10351), so Egress IPs are not assigned or fail over.
        {% endif %}{% if failing %}On {{ failing_nodes | join(", ") }} the Egress {{ failing | join(", ") }} cannot be
        realized (last error: "{{ error }}").
        {% endif %}{% if gossip_only %}No Egress was seen in the bundle: memberlist matters only to Egress (and
        ServiceExternalIP) IP assignment, so nothing breaks until one is created.{% else %}The Pods selected by
        {{ "these Egresses" if egresses | length != 1 else "this Egress" }} do not leave the cluster with the
        Egress IP.{% endif %}
    """,
    remediation=(
        Step("Show the Egresses, their IP and the Node holding it, and the pools' usage.",
             "kubectl get egress -o wide; kubectl get externalippool -o wide"),
        Step("Make sure the agents can gossip: TCP and UDP port 10351 open between all Nodes.",
             "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-agent -- antctl get memberlist"),
        Step("Read the agent log of the Node that should hold the IP around the failing sync.",
             "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent | grep -i egress"),
    ),
)


# ExternalIPPool allocation errors (pkg/ipam/ipallocator MultiIPAllocator, pkg/controller/egress):
# the pool is full, or the Egress names a pool that does not exist ("not exists" up to v1.x).
_POOL_ERRORS = ("cannot allocate IP in any range", "no available IP", "does not exist", "not exists",
                "ExternalIPPool not found")


def check(ev):
    alloc = ev.hits("alloc_failed")
    pool_full = next((_err(e) for e in alloc if any(x in _err(e) for x in _POOL_ERRORS)), None)
    failing: dict[str, list] = {}
    not_selected, gossip, evidence = set(), set(), list(alloc[:2])
    for node in ev.nodes:
        syncs = ev.hits("sync_failed", node)
        repeated = [eg for eg, n in Counter(e.groups.get("egress") for e in syncs).items() if n >= 2]
        if repeated:
            failing[node.name] = [e for e in syncs if e.groups.get("egress") in repeated]
        for e in ev.hits("select_failed", node):
            not_selected.add(e.kv.get("egress", "?"))
            evidence.append(e)
        joins = ev.hits("join_failed", node) + ev.hits("rejoin_failed", node)
        if len(joins) >= 2:
            gossip.add(node.name)
            evidence.extend(joins[:2])
    if not (pool_full or failing or not_selected or gossip):
        return
    for events in failing.values():
        evidence.extend(events[:2] + events[-1:])
    last = next((events[-1] for events in failing.values()), None)
    failing_egresses = sorted({e.groups.get("egress") for events in failing.values() for e in events})
    egresses = set(failing_egresses) | not_selected | {n for e in alloc if (n := e.groups.get("egress") or e.kv.get("key"))}
    nodes = set(failing) | gossip | ({CONTROLLER_NODE} if pool_full else set())
    # memberlist runs wherever the Egress feature gate is on, Egresses or not: join failures alone
    # (a peer rebooting, the first agents of an install) hurt nothing until an Egress needs its IP.
    gossip_only = not (pool_full or failing or not_selected) and not _egress_in_use(ev)
    yield RULE.finding(
        nodes=sorted(nodes),
        confidence=0.5 if gossip_only else 0.85,
        severity="warning" if gossip_only else None,
        values={"pool_full": pool_full, "not_selected": sorted(not_selected), "gossip": sorted(gossip),
                "failing": failing_egresses, "failing_nodes": sorted(failing),
                "error": (last.groups.get("err", "") if last else "")[:300], "egresses": sorted(egresses),
                "gossip_only": gossip_only},
        evidence=evidence[:12],
    )


def _egress_in_use(ev) -> bool:
    """An Egress object, or an agent log line about one, anywhere in the source."""
    if any(e.groups.get("egress") for e in ev.hits("sync_failed")):
        return True
    return any(a.kind == ANTREA_CRD and "Egress" in a.text() for a in ev.view.cluster.all_artifacts())


def _err(e) -> str:
    return e.kv.get("err") or e.groups.get("err") or ""
