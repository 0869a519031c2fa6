"""antrea-agent's iptables calls fail because another program holds the xtables lock.

Symptom
-------
antrea-agent fails (or keeps retrying) to install its iptables rules with ``exit status 4``:
``iptables: Resource temporarily unavailable.`` or ``Another app is currently holding the
xtables lock``; before v0.11 the agent exits (``Error running agent: error initializing agent:
error setting up iptables rules: exit status 4: iptables: Resource temporarily unavailable.``)
and its container restarts.

Why it happens
--------------
Every iptables writer on a Node (kube-proxy, firewalld, other CNIs, the portmap plugin,
antrea-agent) serialises on the host file ``/run/xtables.lock``. iptables exits with status 4
(resource problem) when it cannot take the lock in time. Antrea v0.2 used ``--wait`` but the
container had its own ``/run/xtables.lock``, so it did not serialise with kube-proxy at all
(antrea-io/antrea#287, fixed in v0.3.0 by mounting the host's lock file, antrea-io/antrea#296).
Antrea v0.5 ran ``iptables-restore`` without taking the lock at all (antrea-io/antrea#632, fixed
in v0.6.0). Later versions share the host lock; failures then mean another writer holds the lock
for long (a large kube-proxy iptables ruleset, a firewall reload), or a custom manifest that
dropped the ``xtables-lock`` hostPath mount.

Evidence
--------
iptables errors with ``exit status 4``, ``iptables: Resource temporarily unavailable`` or
``Another app is currently holding the xtables lock`` in the agent log. Lines of a wait still in
progress (``...; waiting (1s) for it to exit...``, ``...; still 4s 200000us time ahead to have a
chance to grab the lock...``) are not failures; the final ``Stopped waiting after 10s.`` is. Antrea
v0.5's ``error executing iptables-restore: /sbin/iptables-restore --noflush`` names only the
command, so the lock is then a likely cause, not a proven one (inconclusive). The version
decides the cause: before v0.3.0 the lock was not the host's; before v0.6.0 iptables-restore
took none. Exit status 3 (table missing) is the ``iptables-backend`` look-alike, ``Couldn't load
target`` the ``netfilter-feature`` one.

Whether it lasted: before v0.11 iptables initialisation ran once and its failure killed the
agent (``Error running agent``), so the run's fatal exit is the outcome. From v0.11 the agent
retries every 2 s, logging each failure (``Failed to initialize iptables``, error level) and
``Initialized iptables`` once it succeeds (pkg/agent/route/route_linux.go, v0.11.0 to v2.7.0);
later syncs (every 60 s) and NodePortLocal's rules log every failure and nothing on success at
the default verbosity. So failures followed by ``Initialized iptables``, or that stopped while
the agent kept logging, were contention that passed: history at ``info``.

Remediation
-----------
Before v0.3.0 (or v0.6.0 for iptables-restore) upgrade. Otherwise check that the agent Pod mounts
the host's ``/run/xtables.lock`` and find the program that holds the lock.

References
----------
antrea-io/antrea#287, antrea-io/antrea#296 (fix, v0.3.0), antrea-io/antrea#632 (iptables-restore
without the lock, fixed in v0.6.0), antrea-io/antrea#1497 (iptables init retried, v0.11),
coreos/go-iptables (error format ``running [...]: exit status N: <stderr>``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from diagnose.api import (
    AGENT_LOG,
    INCONCLUSIVE,
    OTHER_CONTAINER_LOG,
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
    versions,
)

_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
_LOCK_TEXT = ("exit status 4", "Resource temporarily unavailable", "holding the xtables lock")


@dataclass
class Values:
    """The iptables calls that failed on the xtables lock."""

    count: int  # how many iptables calls failed on the lock (deduplicated lines)
    sample: str  # what iptables said, e.g. "Resource temporarily unavailable" or "exit status 4"
    version: str | None  # the agent's Antrea version, e.g. "v0.2.0"; None when unknown
    command: str | None  # the iptables-restore command Antrea v0.5 reported instead of its error


_MOUNT = Step(
    "Check that the antrea-agent container mounts the host's /run/xtables.lock.",
    "kubectl -n kube-system get ds antrea-agent -o yaml | grep -B2 -A3 xtables",
)
_HOLDER = Step(
    "On the Node, find who holds the lock and how often iptables is rewritten.",
    "fuser -v /run/xtables.lock; ps -eo pid,etime,cmd | grep -E 'iptables|kube-proxy|firewalld' | grep -v grep",
)
_RESTART = Step(
    "Restart the agent once the contention is gone.",
    "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent --field-selector spec.nodeName={{ node }}",
)
_FAILED = """
    On {{ where }} antrea-agent's iptables calls failed{% if count > 1 %} {{ count }} times{% endif %} because the
    xtables lock was held by another program ({{ sample }}).
"""

RULE = Rule(
    id="ANT-IPT-002",
    slug="xtables-lock-contention",
    title="iptables calls of antrea-agent fail on the xtables lock",
    category="iptables-lock",
    severity="critical",
    references=(
        "antrea-io/antrea#287",
        "antrea-io/antrea#296",
        "antrea-io/antrea#632",
        "antrea-io/antrea#1497",
        "https://github.com/coreos/go-iptables",
    ),
    inputs=Inputs(any_of=_LOGS),
    platform="linux",  # iptables: the Windows agent has none
    signatures=(
        # go-iptables: "running [<args>]: exit status 4: <stderr>"; the agent wraps it in its own errors.
        Signature("exit4", r"exit status 4\b(?P<tail>.*)", "exit status 4", _LOGS),
        # iptables' stderr for EAGAIN on the lock (antrea-io/antrea#287).
        Signature(
            "eagain",
            r"(?P<cmd>ip6?tables[\w-]{0,40}): Resource temporarily unavailable",
            ": Resource temporarily unavailable",
            _LOGS,
        ),
        # iptables while it cannot take the lock: "; waiting (1s) for it to exit..." / "; still 4s
        # 200000us time ahead ..." while it waits, ". Stopped waiting after 10s." when it gives up.
        Signature(
            "holding",
            r"Another app is currently holding the xtables lock(?P<tail>.{0,200})",
            "holding the xtables lock",
            _LOGS,
        ),
        Signature(
            "initialized", r"Initialized iptables", "Initialized iptables", _LOGS, versions=">=0.11.0", role="success"
        ),
        # v0.5 ran iptables-restore without taking the xtables lock and reported the command instead
        # of the error: `error executing iptables-restore: %v` of the exec.Cmd
        # (pkg/agent/util/iptables/iptables.go@v0.5.0; v0.6.0 takes the lock, antrea-io/antrea#632).
        Signature(
            "restore_unlocked",
            r"error executing iptables-restore: (?P<cmd>/\S*iptables-restore(?: --noflush)?)\s*$",
            "error executing iptables-restore: /",
            _LOGS,
            versions=">=0.5.0,<0.6.0",
        ),
    ),
    explains=("agent-crash", "ovs-flow-restore-wait"),
    lookalikes=("iptables-backend", "netfilter-feature"),
    values=Values,
    outcomes=(
        Outcome(
            "not-shared",
            message=_FAILED
            + """
            The agent exited during initialisation, so its container restarts and the Node's Pod network is not set
            up. Antrea {{ version }} ran iptables with --wait but against the container's own /run/xtables.lock, so
            it never queued behind kube-proxy: fixed in v0.3.0 by mounting the host's lock file (antrea-io/antrea#296).
        """,
            remediation=(
                Step(
                    "Upgrade Antrea to v0.3.0 or later: the agent then shares the host's xtables lock.",
                    "kubectl -n kube-system get ds antrea-agent -o jsonpath='{.spec.template.spec.containers[0].image}'",
                ),
                _RESTART,
            ),
        ),
        Outcome(
            "restore-unlocked",
            status=INCONCLUSIVE,
            message="""
            On {{ where }} antrea-agent's iptables-restore ({{ command }}) failed during initialisation and the agent
            exited. Antrea {{ version or "v0.5" }} ran iptables-restore without taking the xtables lock and logs only
            the command, not iptables' error: a concurrent writer such as kube-proxy is the likely cause
            (antrea-io/antrea#632, fixed in v0.6.0).
        """,
            remediation=(
                Step(
                    "Upgrade Antrea to v0.6.0 or later: the agent then takes the xtables lock for iptables-restore.",
                    "kubectl -n kube-system get ds antrea-agent -o jsonpath='{.spec.template.spec.containers[0].image}'",
                ),
                _RESTART,
            ),
        ),
        Outcome(
            "held-fatal",
            message=_FAILED
            + """
            The agent exited during initialisation (Antrea before v0.11 does not retry), so its container restarts
            and the Node's Pod network is not set up. The agent waits on the host's /run/xtables.lock: another writer
            (kube-proxy with a large ruleset, a firewall reload, another CNI) held it for too long, or the agent Pod
            does not mount the host's lock file.
        """,
        ),
        Outcome(
            "held",
            severity="error",
            message=_FAILED
            + """
            No successful iptables initialisation followed, so Antrea's iptables rules (SNAT, NodePort, NOTRACK) may
            be missing. The agent waits on the host's /run/xtables.lock: another writer (kube-proxy with a large
            ruleset, a firewall reload, another CNI) held it for too long, or the agent Pod does not mount the host's
            lock file.
        """,
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} antrea-agent's iptables calls waited on the xtables lock held by another program
            ({{ sample }}). {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} an earlier antrea-agent run failed on the xtables lock ({{ sample }}). {{ outcome_text }}
        """,
        ),
    ),
    remediation=(_MOUNT, _HOLDER, _RESTART),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        lock = [e for e in ev.hits("exit4", node) if "iptables" in e.text or "xtables" in e.text]
        lock += ev.hits("eagain", node)
        lock += [e for e in ev.hits("holding", node) if not e.groups.get("tail", "").lstrip().startswith(";")]
        unlocked = ev.hits("restore_unlocked", node)
        if not (lock or unlocked):
            continue  # lock waits that got the lock are normal contention
        failures = _in_order(lock + unlocked)
        fatal = _fatal_of(node, unlocked)
        version = ev.version(node)
        outcome, confidence = _conclusion(lock, fatal, version)
        yield RULE.finding(
            outcome,
            nodes=[node.name],
            confidence=confidence,
            values=Values(
                count=len(failures),
                sample=_sample(failures),
                version=str(version) if version else None,
                command=next((e.groups.get("cmd") for e in unlocked), None),
            ),
            evidence=failures[:4] + ([fatal] if fatal and fatal not in failures else []),
            missing=[
                Missing(
                    "iptables-restore's own error message (Antrea v0.5 logs only the command) and what "
                    "else rewrote iptables at that moment",
                    "kubectl -n kube-system logs <kube-proxy pod on {{ node }}> --timestamps | grep -i iptables",
                )
            ]
            if outcome == "restore-unlocked"
            else [],
            ruled_out=["iptables-backend: iptables exits with status 4 (lock), not 3 (table or module missing)"]
            if lock
            else [],
        )


def _conclusion(lock: list[LogEvent], fatal: LogEvent | None, version: versions.Version | None) -> tuple[str, float]:
    """Outcome and confidence. iptables' own lock message (EAGAIN, "holding the xtables lock")
    proves the lock; "exit status 4" alone is iptables' resource-problem status, almost always
    the lock; v0.5's bare command proves only that iptables-restore failed."""
    if not lock:
        return "restore-unlocked", 0.6
    said = any(t in e.text for e in lock for t in _LOCK_TEXT[1:])
    if version is not None and versions.satisfies(version, "<0.3.0"):
        return "not-shared", 0.95
    if fatal is not None:
        return "held-fatal", 0.95 if said else 0.85
    return "held", 0.9 if said else 0.8


def _fatal_of(node: NodeView, unlocked: list[LogEvent]) -> LogEvent | None:
    """A run's fatal line that is a lock failure or v0.5's unlocked iptables-restore failure."""
    spots = {(e.artifact, e.line) for e in unlocked}
    for run in node.runs:
        if run.fatal and (
            any(t in run.fatal.text for t in _LOCK_TEXT) or (run.fatal.artifact, run.fatal.line) in spots
        ):
            return run.fatal
    return None


def _sample(failures: list[LogEvent]) -> str:
    return next((t for e in failures for t in _LOCK_TEXT[1:] if t in e.text), "exit status 4")


def _in_order(events: list[LogEvent]) -> list[LogEvent]:
    """Each line once (a line can match several signatures), in time order."""
    seen: dict[tuple[str, int], LogEvent] = {}
    for e in events:
        seen.setdefault((e.artifact, e.line), e)
    return sorted(seen.values(), key=lambda e: (e.time is None, e.time or datetime.min, e.artifact, e.line))
