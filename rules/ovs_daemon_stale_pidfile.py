"""ovsdb-server / ovs-vswitchd abort at start because of stale pid or lock files.

Symptom
-------
The antrea-ovs container crash-loops (agent Pod ``1/2`` ready, ``CrashLoopBackOff``) and its
log repeats ``ovsdb-server: /var/run/openvswitch/ovsdb-server.pid: pidfile check failed (No
such process), aborting`` after each `` * Starting ovsdb-server``; restarting the container
never helps, deleting the Pod does (antrea-io/antrea#870, #648).

Why it happens
--------------
OVS daemons refuse to start when their pidfile exists and cannot be checked (``pidfile
check failed``), names a live process (``already running as pid N``), or when the OVSDB
file's lock is held (``failed to lock lockfile``). The run directory is a hostPath, so when
the antrea-ovs container is killed (OOM, memory pressure, eviction) its pid, socket and lock
files survive and every restart trips over them. Antrea v0.8.0 deletes stale OVS pid, socket
and lock files when antrea-ovs starts (antrea-io/antrea#880); on later versions the same
messages mean another OVS daemon really still holds the files (an old container not yet
gone), or antrea-ovs restarted OVS from its 30 s status loop, which does not clean them.

Evidence
--------
The OVS daemon's own abort messages in the antrea-ovs container log (or OVS logs):
``pidfile check failed`` / ``already running as pid`` (lib/daemon-unix.c
``check_already_running``), ``failed to lock lockfile`` (ovsdb/log.c) and ``cannot lock file
because it is already locked by pid`` (lib/lockfile.c); with the number of start attempts
(start_ovs ``Starting OVS`` up to v0.6, ``Starting ovsdb-server`` from v0.7, or ovs-ctl's
`` * Starting ovsdb-server``) and a ``CrashLoopBackOff`` antrea-agent Pod when a ``kubectl get
pods`` listing is attached. The abort means OVS is down at any version, so the rule is not
bound to versions; the version (from the agent's start line or agentinfo) says which explanation
applies, and without it the finding is inconclusive: before v0.8.0 start_ovs never cleans the
files; from v0.8.0 ``cleanup_ovs_run_files`` runs once when the container starts
(build/images/scripts/start_ovs, v0.8.0 to v2.7) but not when the status loop logs ``OVS was
stopped. Starting it again``. A later ``Started ovsdb-server``
(v0.7+) or ``Started the loop that checks OVS status`` (v0.5+) line proves OVS got up:
the failures are history. Look-alikes: the agent only failing to connect to OVSDB (another
``ovs-not-running`` finding), or the openvswitch kernel module missing (``kernel-module``).

Remediation
-----------
Upgrade to v0.8.0 or later. To recover now, delete the agent Pod, or remove the stale files
from the host's OVS run directory.

References
----------
antrea-io/antrea#870, antrea-io/antrea#648, antrea-io/antrea#880 (fix, v0.8.0),
openvswitch/ovs lib/daemon-unix.c, ovsdb/log.c, lib/lockfile.c.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    INCONCLUSIVE,
    KUBECTL_PODS,
    OTHER_CONTAINER_LOG,
    OVS_CONTAINER_LOG,
    OVS_LOG,
    PSEUDO_NODES,
    VERSION_COMMAND,
    EvidenceLine,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    NodeView,
    Outcome,
    PodRow,
    Rule,
    RuleEvidence,
    Signature,
    Step,
    versions,
)

_OVS = (OVS_CONTAINER_LOG, OVS_LOG, OTHER_CONTAINER_LOG, AGENT_LOG)
BEFORE_CLEANUP = "<0.8.0"  # start_ovs cleans the OVS run directory at start from v0.8.0 (antrea-io/antrea#880)
_ABORTED = ("pidfile_check", "already_running", "lockfile")  # the daemon's fatal messages
_FAILURES = (*_ABORTED, "locked_by")  # lib/lockfile.c warns just before ovsdb/log.c's abort


@dataclass
class Values:
    """The OVS daemon that aborted on its pidfile or lock, and how often."""

    daemon: str  # the OVS daemon that aborted: "ovsdb-server" or "ovs-vswitchd"
    reason: str  # what it refused on, e.g. "its pidfile /var/run/openvswitch/ovsdb-server.pid is stale (...)"
    failures: int  # starts that aborted (a lock warning and its abort are one)
    starts: int  # start attempts logged by start_ovs or ovs-ctl
    crashloop: str  # antrea-agent Pods in CrashLoopBackOff on the Node ("" when no listing says so)
    version: str  # the Node's Antrea version ("" when unknown)


_ABORTS = """
    On {{ where }} {{ daemon }} refuses to start: {{ reason }} ({{ failures }} failed
    start{{ "s" if failures > 1 else "" }}{% if starts > failures %}, {{ starts }} start attempts{% endif %}).
    Without OVS the agent cannot program br-int, so the Node's Pod network is down{% if crashloop %}; the
    antrea-agent Pod is in CrashLoopBackOff ({{ crashloop }}){% endif %}.
"""

RULE = Rule(
    id="ANT-OVS-001",
    slug="ovs-daemon-stale-pidfile",
    title="OVS daemons abort at start on stale pid or lock files",
    category="ovs-not-running",
    severity="critical",
    # Not bound to versions: the messages mean OVS is down at any version; the version only
    # tells which explanation applies (see the outcomes).
    applies_to="all",
    inputs=Inputs(any_of=_OVS, optional=(KUBECTL_PODS,)),
    references=(
        "antrea-io/antrea#870",
        "antrea-io/antrea#648",
        "antrea-io/antrea#880",
        "https://github.com/openvswitch/ovs/blob/main/lib/daemon-unix.c",
    ),
    signatures=(
        # lib/daemon-unix.c VLOG_FATAL("%s: pidfile check failed (%s), aborting").
        Signature(
            "pidfile_check",
            r"\.pid: pidfile check failed \((?P<err>[^)]{0,80})\), aborting",
            "pidfile check failed",
            _OVS,
        ),
        # lib/daemon-unix.c VLOG_FATAL("%s: already running as pid %ld, aborting").
        Signature(
            "already_running", r"\.pid: already running as pid (?P<pid>\d+), aborting", "already running as pid", _OVS
        ),
        # ovsdb/log.c "%s: failed to lock lockfile"; lib/lockfile.c "%s: cannot lock file because it is
        # already locked by pid %ld".
        Signature("lockfile", r": failed to lock lockfile", "failed to lock lockfile", _OVS),
        Signature(
            "locked_by",
            r": cannot lock file because it is already locked by pid (?P<pid>\d+)",
            "already locked by pid",
            _OVS,
        ),
        # Start attempts: start_ovs "Starting OVS" (<=v0.6) / "Starting ovsdb-server" (v0.7+), or, when
        # only ovs-ctl's output was kept, its " * Starting ovsdb-server" line.
        Signature(
            "start_script",
            r"antrea-ovs[^\]]{0,16}\]: Starting (?:OVS|ovsdb-server)\b",
            "]: Starting ",
            (OVS_CONTAINER_LOG,),
            role="context",
        ),
        Signature(
            "start_ctl",
            r"^\s*\* Starting ovsdb-server",
            "* Starting ovsdb-server",
            (OVS_CONTAINER_LOG,),
            role="context",
        ),
        # start_ovs after ovs-ctl succeeded: "Started ovsdb-server" (v0.7+), "Started the loop that checks
        # OVS status" (v0.5+). OVS is up again.
        Signature(
            "started",
            r"antrea-ovs[^\]]{0,16}\]: Started (?:ovsdb-server|the loop that checks OVS status)",
            "]: Started ",
            (OVS_CONTAINER_LOG,),
            role="success",
        ),
    ),
    explains=("agent-crash", "ovs-flow-restore-wait", "cni"),
    lookalikes=("kernel-module", "ovs-not-running"),
    values=Values,
    outcomes=(
        Outcome(
            "before_fix",
            message=_ABORTS
            + """
            Antrea {{ version }} does not clean the OVS run directory before starting OVS: files left by a killed
            antrea-ovs container (OOM, memory pressure) survive on the host and break every restart. Fixed in
            v0.8.0 (antrea-io/antrea#880).
        """,
        ),
        Outcome(
            "held",
            message=_ABORTS
            + """
            Antrea {{ version }} removes stale pid and lock files when antrea-ovs starts, so another OVS daemon
            still holds them (a previous antrea-ovs container that has not exited), or antrea-ovs restarted OVS
            from its status loop, which does not clean them.
        """,
        ),
        # The abort is certain; which explanation (and whether upgrading helps) rests on the version.
        Outcome(
            "version_unknown",
            status=INCONCLUSIVE,
            message=_ABORTS
            + """
            Before v0.8.0 antrea-ovs did not remove pid and lock files left by a killed container
            (antrea-io/antrea#870, fixed by antrea-io/antrea#880); from v0.8.0 another OVS daemon still holding
            them does the same. The Antrea version, not in these files, tells which.
        """,
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} {{ daemon }} refused to start for a while: {{ reason }}. {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} {{ daemon }} refused to start in an earlier run: {{ reason }}. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Recover the Node: delete the antrea-agent Pod so that a fresh one starts.",
            "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
            "--field-selector spec.nodeName={{ node }}",
        ),
        Step(
            "Or remove the stale files from the host's OVS run directory (no OVS daemon of this Node may be running).",
            "ls -l /var/run/antrea/openvswitch/; rm -f /var/run/antrea/openvswitch/ovs*.pid "
            "/var/run/antrea/openvswitch/ovs*.ctl /var/run/antrea/openvswitch/.conf.db.*~lock~",
        ),
        Step(
            "Upgrade Antrea to v0.8.0 or later (antrea-ovs cleans these files before starting OVS), and find why "
            "the container was killed.",
            "kubectl -n kube-system describe pod -l app=antrea,component=antrea-agent | grep -A3 'Last State'",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        failures = [e for name in _FAILURES for e in ev.hits(name, node)]
        if not failures:
            continue
        starts = ev.hits("start_script", node) or ev.hits("start_ctl", node)
        version = ev.version(node)
        pods = _crashlooping_agent_pods(ev, node)
        aborts = sum(len(ev.hits(name, node)) for name in _ABORTED) or len(failures)
        evidence: list[LogEvent | EvidenceLine] = [*failures[:3], *starts[:2]]
        evidence += [EvidenceLine(p.source, p.line, None, p.text, node.name) for p in pods[:2]]
        if version is None:
            outcome = "version_unknown"
        else:
            outcome = "before_fix" if versions.satisfies(version, BEFORE_CLEANUP) else "held"
        yield RULE.finding(
            outcome,
            nodes=[node.name],
            # The abort message names what the daemon refused on; repeated aborts or a crash-looping
            # Pod show it is not one unlucky start. Without the version the explanation is a choice
            # between two.
            confidence=(0.95 if aborts > 1 or pods else 0.85) - (0.15 if version is None else 0.0),
            values=Values(
                daemon=_daemon(failures[0]),
                reason=_reason(ev, failures),
                failures=aborts,
                starts=len(starts),
                crashloop=", ".join(_pod_state(p) for p in pods[:2]),
                version=str(version) if version else "",
            ),
            evidence=evidence,
            missing=[Missing("the Antrea version (v0.8.0 cleans these files at start)", VERSION_COMMAND)]
            if version is None
            else [],
        )


def _daemon(e: LogEvent) -> str:
    return "ovs-vswitchd" if "ovs-vswitchd" in e.text else "ovsdb-server"


def _reason(ev: RuleEvidence, failures: list[LogEvent]) -> str:
    e = failures[0]
    path = _path_before(
        e.text, (": pidfile check failed", ": already running", ": failed to lock", ": cannot lock file")
    )
    if e.signature == ev.key("pidfile_check"):
        return f"its pidfile {path} is stale (pidfile check failed: {e.groups.get('err')})"
    if e.signature == ev.key("already_running"):
        return f"{path} names a running process (pid {e.groups.get('pid')})"
    locked = next((f for f in failures if f.signature == ev.key("lockfile")), e)
    holder = next((f.groups.get("pid") for f in failures if f.signature == ev.key("locked_by")), None)
    path = _path_before(locked.text, (": failed to lock", ": cannot lock file"))
    return f"the lock on {path} is held" + (f" by pid {holder}" if holder else "")


def _crashlooping_agent_pods(ev: RuleEvidence, node: NodeView) -> list[PodRow]:
    """antrea-agent Pods of this Node (or of an unnamed listing) in CrashLoopBackOff."""
    out = []
    for p in ev.view.pods:
        if not p.name.startswith("antrea-agent") or "CrashLoopBackOff" not in (p.status or ""):
            continue
        if (p.node or p.file_node) in (node.name, None) or node.name in PSEUDO_NODES:
            out.append(p)
    return out


def _pod_state(p: PodRow) -> str:
    return " ".join(part for part in (p.name, p.ready or "", f"restarts={p.restarts}") if part)


def _path_before(text: str, markers: tuple[str, ...]) -> str:
    """The file named just before OVS's message (`<path>: pidfile check failed ...`)."""
    for marker in markers:
        head, found, _ = text.partition(marker)
        if found:
            return head.rsplit(None, 1)[-1] if head.split() else "?"
    return "?"
