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
The fatal ``error connecting OVSDB`` (cmd/antrea-agent/agent.go, every version; from v2.7 when
the connect loop's context ends) or ``failed to connect to OpenFlow switch`` (pkg/ovs/openflow/
ofctrl_bridge.go, every version) errors; or a run that never connected: at least four ``Not
connected yet`` lines (the backoff reached its 8 s cap: 15 s or more of waiting,
pkg/ovs/ovsconfig/ovs_client.go) and no ``Setting up node network`` after the last of them.
That conclusion rests on an absent line: ``Setting up node network`` is the first line of
``Initializer.Initialize`` (pkg/agent/agent.go, klog.Info, v1.0 to v2.7), logged right after
the OVSDB connection returns in cmd/antrea-agent/agent.go, except when the run exits between
the two (creating the route client, the NodePort addresses, ...): such a run logs its own fatal
``Error running agent``, which tells that it did connect, so it is not counted. Up to v2.6 the
reminders stop as soon as the dial returns. A run with fewer reminders followed by ``Setting up
node network`` is the normal race with antrea-ovs at Pod start and stays quiet; a run that was
stuck before a later healthy run is history (``info``). The antrea-ovs container log says why
OVS is down; its own findings (stale pid files: ``ovs-not-running``; module: ``kernel-module``)
are the root cause when present.

Remediation
-----------
Look at the antrea-ovs container (status, previous log) and the OVS logs of the Node.

References
----------
antrea-io/antrea pkg/ovs/ovsconfig/ovs_client.go, cmd/antrea-agent/agent.go,
pkg/ovs/openflow/ofctrl_bridge.go, antrea-io/antrea docs/troubleshooting.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    OTHER_CONTAINER_LOG,
    OVS_CONTAINER_LOG,
    OVS_LOG,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    Outcome,
    Rule,
    RuleEvidence,
    Run,
    Signature,
    Step,
    lifecycle_key,
)

_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
# Backoffs 1+2+4+8 s (<=v2.6) or 2+4+8+8 s (v2.7): the agent waited 15 s or more, past the
# start race with antrea-ovs (both containers start together; the first dials often fail).
STUCK_RETRIES = 4
_GAVE_UP = ("ovsdb_failed", "of_failed")


@dataclass
class Values:
    """The agent's failure to reach OVS and what the OVS logs show."""

    fatal: str  # the agent's fatal error about the OVS connection ("" when it is still waiting)
    daemon: str  # the OVS daemon the agent could not reach: "ovsdb-server" or "ovs-vswitchd"
    retries: int  # "Not connected yet" reminders of the run
    restarts: int  # "OVS was stopped. Starting it again" lines of the antrea-ovs container
    ovs_logs: bool  # the antrea-ovs container log or the OVS daemon logs are in the bundle


_CONSEQUENCE = """
    {{ daemon }} of the antrea-ovs container is not running, so the agent cannot program br-int and the
    Node's Pod network is not set up.
    {% if restarts %}antrea-ovs reported OVS stopped and restarted it {{ restarts }} time{{ "s" if restarts > 1
    else "" }}.{% endif %}
    {% if not ovs_logs %}The antrea-ovs container log and the OVS logs, which say why OVS is down, are not in
    the bundle.{% endif %}
"""

RULE = Rule(
    id="ANT-OVS-002",
    slug="agent-cannot-connect-ovs",
    title="antrea-agent cannot connect to OVS (ovsdb-server / ovs-vswitchd not running)",
    category="ovs-not-running",
    severity="critical",
    applies_to="all",
    inputs=Inputs(any_of=_LOGS, optional=(OVS_CONTAINER_LOG, OVS_LOG)),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/pkg/ovs/ovsconfig/ovs_client.go",
        "https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",
    ),
    signatures=(
        # "Not connected yet, will try again in %v" (<=v2.6), "Not connected yet" error= retryBackoff= (v2.7+).
        Signature(
            "not_connected",
            r"Not connected yet(?:, will try again in (?P<backoff>\S+)|\"(?P<structured>.*))",
            "Not connected yet",
            _LOGS,
        ),
        Signature("ovsdb_failed", r"error connecting OVSDB: (?P<err>.*)", "error connecting OVSDB", _LOGS),
        Signature(
            "of_failed",
            r"failed to connect to OpenFlow switch after (?P<secs>\d+) seconds",
            "failed to connect to OpenFlow switch",
            _LOGS,
        ),
        # First step of Initialize, right after the OVSDB connection (pkg/agent/agent.go, all versions):
        # the connection works.
        Signature("setup", r"Setting up node network", "Setting up node network", _LOGS, role="success"),
        # start_ovs: ovs-ctl status failed in the 30 s check loop, OVS restarted (v0.5+). Why the
        # agent waits, not a failure of its own connection.
        Signature(
            "ovs_restarted",
            r"OVS was stopped\. Starting it again",
            "OVS was stopped",
            (OVS_CONTAINER_LOG,),
            role="context",
        ),
    ),
    recovered_by=(lifecycle_key("initialized"),),
    explains=("agent-crash", "ovs-flow-restore-wait", "cni"),
    lookalikes=("kernel-module",),
    values=Values,
    outcomes=(
        Outcome(
            "gave_up",
            severity="critical",
            message="""
            On {{ where }} antrea-agent gave up connecting to OVS ("{{ fatal }}"):
        """
            + _CONSEQUENCE,
        ),
        Outcome(
            "stuck",
            severity="critical",
            message="""
            On {{ where }} antrea-agent waited {{ retries }} times for the OVSDB socket and never connected:
        """
            + _CONSEQUENCE,
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} antrea-agent waited for the OVSDB socket ({{ retries }} reminders). {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} antrea-agent could not connect to OVS in an earlier run{% if fatal %} ("{{ fatal }}"){%
            endif %}. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Check the antrea-ovs container of the Node's agent Pod and its previous log.",
            "kubectl -n kube-system get pod -l app=antrea,component=antrea-agent --field-selector "
            "spec.nodeName={{ node }} -o wide; kubectl -n kube-system logs <antrea-agent pod on {{ node }}> "
            "-c antrea-ovs --previous",
        ),
        Step(
            "Read the OVS daemon logs on the Node.",
            "tail -n 50 /var/log/antrea/openvswitch/ovsdb-server.log /var/log/antrea/openvswitch/ovs-vswitchd.log",
        ),
        Step("Check that the openvswitch kernel module is loaded.", "lsmod | grep openvswitch"),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        hits = [e for name in ("not_connected", *_GAVE_UP) for e in ev.hits(name, node)]
        if not hits:
            continue
        runs = node.runs_of(node.process_of(hits[-1]))
        trouble = _latest_trouble(ev, runs)
        if trouble is None:
            continue
        run, fatal, waits = trouble
        if any(_connected(ev, later, None) for later in runs[run.index + 1 :]) and not runs[-1].healthy:
            continue  # a later run connected and failed otherwise: other rules say why
        restarts = ev.hits("ovs_restarted", node)
        ovs_logs = node.has(OVS_CONTAINER_LOG, OVS_LOG)
        yield RULE.finding(
            "gave_up" if fatal else "stuck",
            nodes=[node.name],
            # An OVS restart seen by antrea-ovs, or the agent's own fatal, says OVS is what failed;
            # reminders alone also fit a socket the agent cannot see (ovsRunDir, hostPath).
            confidence=0.9 if fatal or restarts else 0.8,
            values=Values(
                fatal=_text(fatal[-1]) if fatal else "",
                daemon="ovs-vswitchd" if any(e.signature == ev.key("of_failed") for e in fatal) else "ovsdb-server",
                retries=len(waits),
                restarts=len(restarts),
                ovs_logs=ovs_logs,
            ),
            evidence=[*fatal[-2:], *waits[:1], *waits[-1:], *restarts[:2]],
            missing=[] if ovs_logs else [Missing.of(OVS_CONTAINER_LOG, "why OVS is not running")],
        )


def _latest_trouble(ev: RuleEvidence, runs: list[Run]) -> tuple[Run, list[LogEvent], list[LogEvent]] | None:
    """(run, its fatal OVS connection errors, its reminders) of the latest run that gave up or
    waited past the start race without connecting."""
    for run in reversed(runs):
        fatal = [e for name in _GAVE_UP for e in run.all(ev.key(name))]
        waits = run.all(ev.key("not_connected"))
        if fatal or (len(waits) >= STUCK_RETRIES and not _connected(ev, run, waits[-1])):
            return run, fatal, waits
    return None


def _connected(ev: RuleEvidence, run: Run, after: LogEvent | None) -> bool:
    """The run got past the OVSDB connection (after `after`): Initialize started, or the run died
    of a fatal that is not about OVS (cmd/antrea-agent/agent.go returns those only once connected)."""
    if run.first(ev.key("setup"), after=after) or run.first(lifecycle_key("initialized"), after=after):
        return True
    fatal = run.fatal
    ours = {ev.key(n) for n in _GAVE_UP}
    return fatal is not None and fatal in run.after(after) and not any(e.signature in ours for e in run.events)


def _text(e: LogEvent) -> str:
    return (e.message or e.text).strip()
