"""antrea-agent cannot connect to OVSDB or to ovs-vswitchd: OVS is not running.

Symptom
-------
antrea-agent stops early in its start-up, repeating ``Not connected yet, will try again in
8s`` (``"Not connected yet" error=... retryBackoff=...`` from v2.7), or exits with ``Error
running agent: error connecting OVSDB: ...`` or ``failed to connect to OpenFlow switch after
N seconds``; Pods on the Node stay in ContainerCreating.

Why it happens
--------------
The agent talks to ovsdb-server through the unix socket ``/var/run/openvswitch/db.sock`` and
to ovs-vswitchd through ``br-int.mgmt``, both served by the antrea-ovs container of the same
Pod. When those daemons are not running (antrea-ovs crash-looping, OVS failing to start, the
kernel module missing, the host run directory not shared) the agent waits for them forever:
up to v2.6 the dial blocks and only the "Not connected yet" reminder is logged, with a backoff
capped at 8 s.

Evidence
--------
A run whose OVSDB connection never succeeded: at least four ``Not connected yet`` lines (15 s
or more of waiting) with no ``Setting up node network`` (the next start-up step) after the
last of them, or the fatal ``error connecting OVSDB`` / ``failed to connect to OpenFlow switch``
errors. A single reminder followed by ``Setting up node network`` is a normal race with
antrea-ovs at Pod start and stays quiet. The antrea-ovs container log says why OVS is down;
its own findings (stale pid files: ``ovs-not-running``; module: ``kernel-module``) are the
root cause when present.

Remediation
-----------
Look at the antrea-ovs container (status, previous log) and the OVS logs of the Node.

References
----------
antrea-io/antrea pkg/ovs/ovsconfig/ovs_client.go, cmd/antrea-agent/agent.go,
pkg/ovs/openflow/ofctrl_bridge.go, antrea-io/antrea docs/troubleshooting.md.
"""

from __future__ import annotations

from diagnose.facts import lifecycle
from diagnose.model import AGENT_LOG, OTHER_CONTAINER_LOG, OVS_CONTAINER_LOG, OVS_LOG
from diagnose.rule import CONFIRMED, Missing, Rule, Signature, Step

_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
STUCK_RETRIES = 4  # backoffs 1+2+4+8 s (<=v2.6) or 2+4+8+8 s (v2.7): no answer for 15 s or more

RULE = Rule(
    id="ANT-OVS-002",
    slug="agent-cannot-connect-ovs",
    title="antrea-agent cannot connect to OVS (ovsdb-server / ovs-vswitchd not running)",
    category="ovs-not-running",
    severity="critical",
    applies_to="all",
    references=("https://github.com/antrea-io/antrea/blob/main/pkg/ovs/ovsconfig/ovs_client.go",
                "https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md"),
    signatures=(
        # "Not connected yet, will try again in %v" (<=v2.6), "Not connected yet" error= retryBackoff= (v2.7+).
        Signature("not_connected", r"Not connected yet(?:, will try again in (?P<backoff>\S+)|\"(?P<structured>.*))",
                  "Not connected yet", _LOGS),
        Signature("ovsdb_failed", r"error connecting OVSDB: (?P<err>.*)", "error connecting OVSDB", _LOGS),
        Signature("of_failed", r"failed to connect to OpenFlow switch after (?P<secs>\d+) seconds",
                  "failed to connect to OpenFlow switch", _LOGS),
        # First step of Initialize, right after the OVSDB connection (pkg/agent/agent.go, all versions).
        Signature("setup", r"Setting up node network", "Setting up node network", _LOGS, role="context"),
        # start_ovs: ovs-ctl status failed in the 30 s check loop, OVS restarted (v0.5+).
        Signature("ovs_restarted", r"OVS was stopped\. Starting it again", "OVS was stopped", (OVS_CONTAINER_LOG,)),
    ),
    explains=("agent-crash", "ovs-flow-restore-wait"),
    lookalikes=("kernel-module",),
    message="""
        On {{ where }} antrea-agent {% if fatal %}gave up connecting to OVS ("{{ fatal }}"){% else %}waited
        {{ retries }} times for the OVSDB socket and never connected{% endif %}: ovsdb-server /
        ovs-vswitchd of the antrea-ovs container are not running, so the agent cannot create br-int and the
        Node's Pod network is not set up.
        {% if restarts %}antrea-ovs reported OVS stopped and restarted it {{ restarts }} time{{ "s" if restarts > 1
        else "" }}.{% endif %}
        {% if not ovs_logs %}The antrea-ovs container log and the OVS logs, which say why OVS is down, are not in
        the bundle.{% endif %}
    """,
    remediation=(
        Step("Check the antrea-ovs container of the Node's agent Pod and its previous log.",
             "kubectl -n kube-system get pod -l app=antrea,component=antrea-agent --field-selector "
             "spec.nodeName={{ node }} -o wide; kubectl -n kube-system logs <antrea-agent pod on {{ node }}> "
             "-c antrea-ovs --previous"),
        Step("Read the OVS daemon logs on the Node.",
             "tail -n 50 /var/log/antrea/openvswitch/ovsdb-server.log /var/log/antrea/openvswitch/ovs-vswitchd.log"),
        Step("Check that the openvswitch kernel module is loaded.", "lsmod | grep openvswitch"),
    ),
)


def check(ev):
    for node in ev.log_nodes:
        fatal = (ev.hits("ovsdb_failed", node) + ev.hits("of_failed", node))[:1]
        stuck = _stuck_waiting(ev, node)
        if not (fatal or stuck):
            continue
        restarts = ev.hits("ovs_restarted", node)
        ovs_logs = node.has(OVS_CONTAINER_LOG, OVS_LOG)
        missing = [] if ovs_logs else [
            Missing("the antrea-ovs container log (why OVS is not running)",
                    "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-ovs --previous")]
        fatal_event = fatal[0] if fatal else None
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.9 if fatal else 0.8,
            values={"fatal": (fatal_event.message or fatal_event.text) if fatal_event else None,
                    "retries": len(stuck), "restarts": len(restarts), "ovs_logs": ovs_logs},
            evidence=(fatal + stuck[:1] + stuck[-1:] + restarts[:2]),
            status=CONFIRMED,
            missing=missing,
        )


def _stuck_waiting(ev, node) -> list:
    """The reminders of the latest run that never got past connecting, else []."""
    key_setup = ev.key("setup")
    if node.runs:
        run = node.runs[-1]
        waits = run.all(ev.key("not_connected"))
        if len(waits) >= STUCK_RETRIES and not (run.first(key_setup, after=waits[-1])
                                                 or run.first(lifecycle.key("initialized"), after=waits[-1])):
            return waits
        return []
    waits = ev.hits("not_connected", node)  # undated excerpt: no order, only whether it ever got further
    if len(waits) >= STUCK_RETRIES and not ev.hits("setup", node):
        return waits
    return []

