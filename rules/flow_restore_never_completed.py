"""Flow restoration never completed: OVS still has ``flow-restore-wait`` set.

Symptom
-------
New connections on the Node fail (Pods, and any host NIC attached to an OVS bridge); the agent
log stops after ``Waiting for flow restoration to complete`` and the agent is restarted by its
liveness probe, or OVSDB shows ``other_config:flow-restore-wait="true"``.

Why it happens
--------------
The antrea-ovs container sets the global ``Open_vSwitch`` key ``other_config:flow-restore-wait``
every time it starts OVS; while it is set, ovs-vswitchd receives no upcalls and forwards no new
flows on any bridge. antrea-agent removes it once its essential flows are installed (log
``Cleaned up flow-restore-wait config``); since v2.1 that waits for the initial NetworkPolicy,
CNI and Node-route syncs, which need the API server and antrea-controller. An agent that never
gets there leaves OVS waiting. The agent API (and so ``antctl supportbundle``) only starts after
flow restoration, which is why the Node is often in ``failed_nodes``.

Evidence
--------
OVSDB ``other_config`` with ``flow-restore-wait="true"`` when a dump was pasted; otherwise a run
that logged ``Waiting for flow restoration to complete`` (v2.1+) or ``Agent initialized`` (before
v2.1) but none of the lines every path of the clean-up logs afterwards (``Cleaned up
flow-restore-wait config``; ``flow-restore-wait was not true, skip cleaning it up`` when OVS kept
running across an agent restart, ``skip cleaning up it`` up to v1.11; ``Flow restoration has
completed`` from v2.1), and then was restarted or stopped logging, or a failure to delete the key (``flow-restore-wait was still true``,
antrea-io/antrea#1600). A run still in progress when the bundle was taken is not counted unless
the Node is in ``failed_nodes``. antctl bundles never contain OVSDB, so the finding gives the
command that shows the key.

Remediation
-----------
Fix what blocks the agent's initial sync (see the findings this one is attached to), or, to
restore forwarding by hand, remove the key from OVSDB.

References
----------
antrea-io/antrea#6342 (delay removal of flow-restore-wait, v2.1.0), antrea-io/antrea#1600,
openvswitch/ovs ofproto-dpif.c (flow-restore-wait semantics).
"""

from __future__ import annotations

from datetime import timedelta

from diagnose.facts import lifecycle, runs
from diagnose.rule import CONFIRMED, INCONCLUSIVE, Missing, Rule, Signature, Step

# An agent waits for its initial syncs for seconds; one still waiting minutes later is stuck.
STUCK_AFTER = timedelta(minutes=2)

OVSDB_COMMAND = (
    "kubectl exec -n kube-system <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
    "ovs-vsctl get Open_vSwitch . other_config   # agent down: on the Node, "
    "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock get Open_vSwitch . other_config"
)

RULE = Rule(
    id="ANT-FRW-001",
    slug="flow-restore-never-completed",
    title="OVS flow restoration never completed (flow-restore-wait still set)",
    category="ovs-flow-restore-wait",
    severity="critical",
    references=("antrea-io/antrea#6342", "antrea-io/antrea#1600",
                "https://github.com/openvswitch/ovs/blob/main/ofproto/ofproto-dpif.c"),
    signatures=(
        Signature("still_true", r"flow-restore-wait was still true even though the delete call", "flow-restore-wait was still true"),
        Signature("cleanup_failed", r"(?:[Ff]ailed to clean up|error when cleaning up) flow-restore-wait config",
                  "flow-restore-wait config"),
    ),
    message="""
        {% if ovsdb_true %}OVSDB on {{ nodes | join(", ") }} still has other_config:flow-restore-wait="true":
        ovs-vswitchd forwards no new flows on any bridge of the Node.{% else %}On {{ nodes | join(", ") }}
        antrea-agent started flow restoration but never removed flow-restore-wait from OVSDB
        ({% if stuck_runs == 1 %}one run{% else %}{{ stuck_runs }} runs{% endif %} ended without
        "Cleaned up flow-restore-wait config"{% if delete_failed %}, and deleting the key failed{% endif %}).
        While the key is set, OVS forwards no new flows on any bridge, so the Node's Pods (and any NIC
        attached to an OVS bridge) lose connectivity.{% endif %}
    """,
    remediation=(
        Step("Check the key in OVSDB.", OVSDB_COMMAND),
        Step("Find and fix what keeps the agent from finishing its initial sync (API server, "
             "antrea-controller): see the findings attached to this one and the agent log."),
        Step("To restore forwarding by hand (the agent sets it again only if OVS restarts), remove the key.",
             "kubectl exec -n kube-system <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
             "ovs-vsctl remove Open_vSwitch . other_config flow-restore-wait"),
    ),
)


def check(ev):
    for node in ev.nodes:
        state = node.ovsdb
        ovsdb_true = state is not None and state.flow_restore_wait is True
        # A stuck run that a later healthy run followed is history (the timeline shows it).
        latest_healthy = bool(node.runs) and node.runs[-1].healthy
        stuck = [] if latest_healthy else [(run, waited) for run in node.runs if (waited := _stuck_since(run, node))]
        failed_deletes = ev.hits("still_true", node) + ev.hits("cleanup_failed", node)
        if not (ovsdb_true or stuck or failed_deletes):
            continue
        evidence = []
        if ovsdb_true:
            line = node.line_in(("ovs-vsctl-list", "ovsdb-dump", "ovsdb-dump-json"), "flow-restore-wait")
            if line:
                evidence.append(line)
        for run, waited in stuck[-3:]:
            evidence.append(waited)
            evidence.append(run.events[-1])
        evidence.extend(failed_deletes[:3])
        confirmed = ovsdb_true or bool(stuck)
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.95 if ovsdb_true else 0.8 if stuck else 0.6,
            values={"ovsdb_true": ovsdb_true, "stuck_runs": len(stuck), "delete_failed": bool(failed_deletes)},
            evidence=evidence,
            status=CONFIRMED if confirmed else INCONCLUSIVE,
            missing=() if state is not None else (
                Missing("the OVSDB value of other_config:flow-restore-wait (antctl bundles carry no OVSDB dump)",
                        OVSDB_COMMAND),),
        )


def _stuck_since(run: runs.Run, node):
    """The event that started flow restoration in a run that never finished it, else None.

    Finished means any of the lines every code path of FlowRestoreComplete (pkg/agent/agent.go)
    and its caller log: `Cleaned up flow-restore-wait config`, `flow-restore-wait was not true,
    skip cleaning it up` (OVS kept running, nothing to clean) or, from v2.1, `Flow restoration
    has completed`. An error on the way is returned and ends the run with a fatal line."""
    started = run.first(lifecycle.key("frw_waiting")) or run.first(lifecycle.key("initialized"))
    if started is None:
        return None
    done = {lifecycle.key(n) for n in ("frw_cleaned", "frw_skipped", "frw_completed")}
    if any(e.signature in done for e in run.after(started)):
        return None
    is_last = run is node.runs[-1]
    ran_long = run.end_time and started.time and run.end_time - started.time >= STUCK_AFTER
    if not is_last or node.failed_reason or ran_long:
        return started
    return None

