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
and lock files before starting the daemons (antrea-io/antrea#880); on later versions the same
messages mean another OVS daemon really still holds the files (an old container not yet gone).

Evidence
--------
The OVS daemon's ``pidfile check failed`` / ``already running as pid`` / ``failed to lock
lockfile`` / ``cannot lock file because it is already locked`` messages in the antrea-ovs
container log (or OVS logs), with the number of start attempts (``Starting OVS``,
``Starting ovsdb-server``) and a ``CrashLoopBackOff`` antrea-agent Pod when a ``kubectl get
pods`` listing is attached. Look-alikes: the agent only failing to connect to OVSDB (another
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

from diagnose import versions
from diagnose.model import AGENT_LOG, OTHER_CONTAINER_LOG, OVS_CONTAINER_LOG, OVS_LOG, PSEUDO_NODES
from diagnose.rule import EvidenceLine, Rule, Signature, Step

_OVS = (OVS_CONTAINER_LOG, OVS_LOG, OTHER_CONTAINER_LOG, AGENT_LOG)
CLEANUP_SINCE = versions.parse("v0.8.0")

RULE = Rule(
    id="ANT-OVS-001",
    slug="ovs-daemon-stale-pidfile",
    title="OVS daemons abort at start on stale pid or lock files",
    category="ovs-not-running",
    severity="critical",
    applies_to="all",
    fixed_in="v0.8.0",
    references=("antrea-io/antrea#870", "antrea-io/antrea#648", "antrea-io/antrea#880",
                "https://github.com/openvswitch/ovs/blob/main/lib/daemon-unix.c"),
    signatures=(
        # lib/daemon-unix.c VLOG_FATAL("%s: pidfile check failed (%s), aborting").
        Signature("pidfile_check", r"\.pid: pidfile check failed \((?P<err>[^)]{0,80})\), aborting",
                  "pidfile check failed", _OVS),
        # lib/daemon-unix.c VLOG_FATAL("%s: already running as pid %ld, aborting").
        Signature("already_running", r"\.pid: already running as pid (?P<pid>\d+), aborting",
                  "already running as pid", _OVS),
        # ovsdb/log.c "%s: failed to lock lockfile"; lib/lockfile.c "%s: cannot lock file because it is
        # already locked by pid %ld".
        Signature("lockfile", r": failed to lock lockfile", "failed to lock lockfile", _OVS),
        Signature("locked_by", r": cannot lock file because it is already locked by pid (?P<pid>\d+)",
                  "already locked by pid", _OVS),
        # Start attempts: start_ovs "Starting OVS" (<=v0.6) / "Starting ovsdb-server" (v0.7+), or, when
        # only ovs-ctl's output was kept, its " * Starting ovsdb-server" line.
        Signature("start_script", r"antrea-ovs[^\]]{0,16}\]: Starting (?:OVS|ovsdb-server)\b", "]: Starting ",
                  (OVS_CONTAINER_LOG,), role="context"),
        Signature("start_ctl", r"^\s*\* Starting ovsdb-server", "* Starting ovsdb-server", (OVS_CONTAINER_LOG,), role="context"),
    ),
    explains=("agent-crash", "ovs-flow-restore-wait"),
    lookalikes=("kernel-module", "ovs-not-running"),
    message="""
        On {{ where }} {{ daemon }} refuses to start: {{ reason }} ({{ failures }} failed
        start{{ "s" if failures > 1 else "" }}{% if starts > failures %}, {{ starts }} start attempts{% endif %}).
        Without OVS the agent cannot program br-int, so the Node's Pod network is down{% if crashloop %}; the
        antrea-agent Pod is in CrashLoopBackOff ({{ crashloop }}){% endif %}.
        {% if before_fix %}Antrea {{ version }} does not clean the OVS run directory before starting OVS: files left
        by a killed antrea-ovs container (OOM, memory pressure) survive on the host and break every restart.
        Fixed in v0.8.0 (antrea-io/antrea#880).{% elif version %}Antrea {{ version }} removes stale pid and lock files
        before starting OVS, so another OVS daemon probably still holds them (a previous antrea-ovs container
        that has not exited).{% else %}Before v0.8.0 antrea-ovs did not remove pid and lock files left by a killed
        container (antrea-io/antrea#870, fixed by antrea-io/antrea#880).{% endif %}
    """,
    remediation=(
        Step("Recover the Node: delete the antrea-agent Pod so that a fresh one starts.",
             "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
             "--field-selector spec.nodeName={{ node }}"),
        Step("Or remove the stale files from the host's OVS run directory (no OVS daemon of this Node may be "
             "running).",
             "ls -l /var/run/antrea/openvswitch/; rm -f /var/run/antrea/openvswitch/ovs*.pid "
             "/var/run/antrea/openvswitch/ovs*.ctl /var/run/antrea/openvswitch/.conf.db.*~lock~"),
        Step("Upgrade Antrea to v0.8.0 or later (antrea-ovs cleans these files before starting OVS), and find why "
             "the container was killed.",
             "kubectl -n kube-system describe pod -l app=antrea,component=antrea-agent | grep -A3 'Last State'"),
    ),
)

_FAILURES = ("pidfile_check", "already_running", "lockfile", "locked_by")


def check(ev):
    for node in ev.log_nodes:
        failures = [e for name in _FAILURES for e in ev.hits(name, node)]
        if not failures:
            continue
        starts = ev.hits("start_script", node) or ev.hits("start_ctl", node)
        version = ev.version(node)
        first = failures[0]
        daemon = "ovs-vswitchd" if "ovs-vswitchd" in first.text else "ovsdb-server"
        path = _path_before(first.text, (": pidfile check failed", ": already running", ": failed to lock",
                                         ": cannot lock file"))
        if first.signature == ev.key("pidfile_check"):
            reason = f"its pidfile {path} is stale (pidfile check failed: {first.groups.get('err')})"
        elif first.signature == ev.key("already_running"):
            reason = f"{path} names a running process (pid {first.groups.get('pid')})"
        else:
            reason = f"the lock on {path} is held"
        pods = _crashlooping_agent_pods(ev, node)
        evidence = failures[:3] + starts[:2] + [EvidenceLine(p.source, p.line, None, p.text, node.name) for p in pods[:2]]
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.95 if len(failures) > 1 or pods else 0.85,
            values={"daemon": daemon, "reason": reason, "failures": len(failures), "starts": len(starts),
                    "crashloop": ", ".join(f"{p.name} {p.ready or ''} restarts={p.restarts}".replace("  ", " ")
                                           for p in pods[:2]),
                    "before_fix": version is not None and version < CLEANUP_SINCE,
                    "version": str(version) if version else None},
            evidence=evidence,
        )


def _crashlooping_agent_pods(ev, node):
    """antrea-agent Pods of this Node (or of an unnamed listing) in CrashLoopBackOff."""
    out = []
    for p in ev.view.pods:
        if not p.name.startswith("antrea-agent") or "CrashLoopBackOff" not in (p.status or ""):
            continue
        if (p.node or p.file_node) in (node.name, None) or node.name in PSEUDO_NODES:
            out.append(p)
    return out


def _path_before(text: str, markers: tuple[str, ...]) -> str:
    """The file named just before OVS's message (`<path>: pidfile check failed ...`)."""
    for marker in markers:
        head, found, _ = text.partition(marker)
        if found:
            return head.rsplit(None, 1)[-1] if head.split() else "?"
    return "?"

