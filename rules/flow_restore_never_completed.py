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
that started flow restoration and logged none of the lines every path of the clean-up logs
afterwards, then was restarted or stopped logging. The start is ``Waiting for flow restoration to
complete`` from v2.1 (logged unconditionally after ``Agent initialized``, so a v2.1+ excerpt
without it is cut, not stuck) and ``Agent initialized`` before (the clean-up followed it at once).
The clean-up lines (pkg/agent/agent.go ``FlowRestoreComplete``, every release v1.0-v2.7): ``Cleaned
up flow-restore-wait config``; ``flow-restore-wait was not true, skip cleaning it up`` when OVS
kept running across an agent restart (``skip cleaning up it`` up to v1.11); ``Flow restoration
has completed`` from v2.1; a failure returns an error and ends the run with a fatal line. A failure
to delete the key (``flow-restore-wait was still true``, antrea-io/antrea#1600, or ``error when
cleaning up flow-restore-wait config``) followed by one of those lines is history. The latest run
counts when it ended with a fatal line, waited minutes, or its Node is in ``failed_nodes``; one
still starting when the bundle was taken does not. antctl bundles never contain OVSDB, so the finding gives the command that shows
the key.

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

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from diagnose.api import (
    AGENT_LOG,
    OVS_VSCTL_SHOW,
    OVSDB_DUMP,
    OVSDB_DUMP_JSON,
    OVSDB_LIST,
    EvidenceLine,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Run,
    Signature,
    Step,
    Version,
    lifecycle,
    lifecycle_key,
)

# An agent waits for its initial syncs for seconds; one still waiting minutes later is stuck.
STUCK_AFTER = timedelta(minutes=2)


@dataclass
class Values:
    """The agent runs that left flow-restore-wait set."""

    stuck_runs: int  # agent runs that started flow restoration and ended without clearing the key
    delete_failed: bool  # the agent logged a failure to delete the key


_CUT_OFF = """While the key is set, OVS forwards no new flows on any bridge, so the Node's Pods (and any NIC
    attached to an OVS bridge) lose connectivity."""

RULE = Rule(
    id="ANT-FRW-001",
    slug="flow-restore-never-completed",
    title="OVS flow restoration never completed (flow-restore-wait still set)",
    category="ovs-flow-restore-wait",
    severity="critical",
    inputs=Inputs(any_of=(AGENT_LOG, OVSDB_LIST, OVSDB_DUMP, OVSDB_DUMP_JSON), optional=(OVS_VSCTL_SHOW,)),
    references=(
        "antrea-io/antrea#6342",
        "antrea-io/antrea#1600",
        "https://github.com/openvswitch/ovs/blob/main/ofproto/ofproto-dpif.c",
    ),
    signatures=(
        Signature(
            "still_true",
            r"flow-restore-wait was still true even though the delete call",
            "flow-restore-wait was still true",
        ),
        Signature(
            "cleanup_failed",
            r"(?:[Ff]ailed to clean up|error when cleaning up) flow-restore-wait config",
            "flow-restore-wait config",
        ),
    ),
    # Every path of the clean-up logs one of these once the key is gone (or was not set).
    recovered_by=(lifecycle_key("frw_cleaned"), lifecycle_key("frw_skipped"), lifecycle_key("frw_completed")),
    values=Values,
    outcomes=(
        Outcome(
            "ovsdb_still_set",
            message="""
            OVSDB on {{ where }} still has other_config:flow-restore-wait="true": ovs-vswitchd forwards no new flows on
            any bridge of the Node.
        """,
        ),
        Outcome(
            "never_cleaned",
            message="""
            On {{ where }} antrea-agent started flow restoration but never removed flow-restore-wait from OVSDB
            ({% if stuck_runs == 1 %}one run{% else %}{{ stuck_runs }} runs{% endif %} ended without "Cleaned up
            flow-restore-wait config"{% if delete_failed %}, and deleting the key failed{% endif %}). """
            + _CUT_OFF,
        ),
        # A failed delete is logged, whether the key is still set is not.
        Outcome(
            "delete_failed",
            status="inconclusive",
            message="""
            On {{ where }} antrea-agent failed to delete flow-restore-wait from OVSDB and logged no clean-up after it.
            If the key is still set, OVS forwards no new flows on any bridge: OVSDB tells.
        """,
        ),
        # The engine's judgement: a later clean-up line, or an earlier run's failure.
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} antrea-agent failed to delete flow-restore-wait at first, then cleaned it up.
            {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} antrea-agent failed to delete flow-restore-wait in an earlier run. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Check the key in OVSDB.",
            "kubectl exec -n kube-system <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
            "ovs-vsctl get Open_vSwitch . other_config   # agent down: on the Node, "
            "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock get Open_vSwitch . other_config",
        ),
        Step(
            "Find and fix what keeps the agent from finishing its initial sync (API server, "
            "antrea-controller): see the findings attached to this one and the agent log."
        ),
        Step(
            "To restore forwarding by hand (the agent sets it again only if OVS restarts), remove the key.",
            "kubectl exec -n kube-system <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
            "ovs-vsctl remove Open_vSwitch . other_config flow-restore-wait",
        ),
    ),
)

_DONE = frozenset(lifecycle_key(n) for n in ("frw_cleaned", "frw_skipped", "frw_completed"))


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        state = node.ovsdb
        ovsdb_true = state is not None and state.flow_restore_wait is True
        # A stuck run that a later healthy run followed is history (the timeline shows it).
        latest_healthy = bool(node.runs) and node.runs[-1].healthy
        waits_for_syncs = _waits_for_syncs(ev.version(node))
        stuck = (
            []
            if latest_healthy
            else [(run, started) for run in node.runs if (started := _stuck_since(run, node, waits_for_syncs))]
        )
        failed_deletes = ev.hits("cleanup_failed", node) + ev.hits("still_true", node)
        if not (ovsdb_true or stuck or failed_deletes):
            continue
        evidence: list[LogEvent | EvidenceLine] = []
        if ovsdb_true:
            line = node.line_in((OVSDB_LIST, OVSDB_DUMP, OVSDB_DUMP_JSON), "flow-restore-wait")
            if line:
                evidence.append(line)
        for run, started in stuck[-3:]:
            evidence += [started, run.events[-1]]  # where it stops, without a clean-up line
        evidence.extend(failed_deletes[:3])
        yield RULE.finding(
            "ovsdb_still_set" if ovsdb_true else "never_cleaned" if stuck else "delete_failed",
            nodes=[node.name],
            confidence=0.95 if ovsdb_true else 0.8 if stuck else 0.6,
            values=Values(stuck_runs=len(stuck), delete_failed=bool(failed_deletes)),
            evidence=evidence,
            missing=()
            if state is not None
            else (Missing.of(OVSDB_LIST, "its other_config shows flow-restore-wait; antctl bundles carry no OVSDB"),),
        )


def _waits_for_syncs(version: Version | None) -> bool:
    """From v2.1 the agent logs "Waiting for flow restoration to complete" after initialising and
    removes the key once its initial syncs are done (antrea-io/antrea#6342)."""
    return version is not None and (version.major, version.minor) >= (2, 1)


def _stuck_since(run: Run, node: NodeView, waits_for_syncs: bool) -> LogEvent | None:
    """The event that started flow restoration in a run that never finished it, else None."""
    started = run.first(lifecycle.key("frw_waiting"))
    if started is None and not waits_for_syncs:
        started = run.first(lifecycle.key("initialized"))
    if started is None or any(e.signature in _DONE for e in run.after(started)):
        return None
    is_last = run is node.runs[-1]
    ran_long = bool(run.end_time and started.time and run.end_time - started.time >= STUCK_AFTER)
    over = not is_last or run.fatal is not None or node.failed_reason
    return started if over or ran_long else None
