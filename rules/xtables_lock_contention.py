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
Later versions share the host lock; failures then mean another writer holds the lock for
long (a large kube-proxy iptables ruleset, a firewall reload), or a custom manifest that
dropped the ``xtables-lock`` hostPath mount.

Evidence
--------
iptables errors with ``exit status 4``, ``iptables: Resource temporarily unavailable`` or
``Another app is currently holding the xtables lock`` (without ``waiting``) in the agent log.
Lock waits that end in success (``...; waiting (1s) for it to exit...`` then ``Initialized
iptables``) are normal contention and stay quiet, as do failures followed by ``Initialized
iptables`` (the agent retries since v0.11, antrea-io/antrea#1497). Exit status 3 (table
missing) is the ``iptables-backend`` look-alike.

Remediation
-----------
Before v0.3.0 upgrade. Otherwise check that the agent Pod mounts the host's
``/run/xtables.lock`` and find the program that holds the lock.

References
----------
antrea-io/antrea#287, antrea-io/antrea#296 (fix, v0.3.0), antrea-io/antrea#1497 (iptables init
retried, v0.11), coreos/go-iptables (error format ``running [...]: exit status N: <stderr>``).
"""

from __future__ import annotations

from diagnose import timeline, versions
from diagnose.model import AGENT_LOG, OTHER_CONTAINER_LOG
from diagnose.rule import Rule, Signature, Step, unique_lines

_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
SHARED_LOCK_SINCE = versions.parse("v0.3.0")
_LOCK_TEXT = ("exit status 4", "Resource temporarily unavailable", "holding the xtables lock")

RULE = Rule(
    id="ANT-IPT-002",
    slug="xtables-lock-contention",
    title="iptables calls of antrea-agent fail on the xtables lock",
    category="iptables-lock",
    severity="critical",
    applies_to="all",
    references=("antrea-io/antrea#287", "antrea-io/antrea#296", "antrea-io/antrea#1497",
                "https://github.com/coreos/go-iptables"),
    signatures=(
        # go-iptables: "running [<args>]: exit status 4: <stderr>"; the agent wraps it in its own errors.
        Signature("exit4", r"exit status 4\b(?P<tail>.*)", "exit status 4", _LOGS),
        # iptables' stderr for EAGAIN on the lock (antrea-io/antrea#287).
        Signature("eagain", r"(?P<cmd>ip6?tables[\w-]{0,40}): Resource temporarily unavailable",
                  ": Resource temporarily unavailable", _LOGS),
        # iptables while it cannot take the lock; "; waiting (1s) for it to exit..." with --wait
        # (quoted in coreos/go-iptables tests).
        Signature("holding", r"Another app is currently holding the xtables lock(?P<tail>.{0,200})",
                  "holding the xtables lock", _LOGS),
        Signature("initialized", r"Initialized iptables", "Initialized iptables", _LOGS, versions=">=0.11.0"),
    ),
    explains=("agent-crash",),
    lookalikes=("iptables-backend", "netfilter-feature"),
    message="""
        On {{ where }} antrea-agent's iptables calls failed {{ count }} time{{ "s" if count > 1 else "" }} because
        the xtables lock was held by another program ({{ sample }}).
        {% if fatal %}The agent exited during initialisation, so its container restarts and the Node's Pod
        network is not set up.{% else %}The failures were not followed by a successful iptables initialisation,
        so Antrea's iptables rules (SNAT, NodePort, NOTRACK) may be missing.{% endif %}
        {% if unshared %}Antrea {{ version }} ran iptables with --wait but against the container's own
        /run/xtables.lock, so it never queued behind kube-proxy: fixed in v0.3.0 by mounting the host's lock
        file (antrea-io/antrea#296).{% else %}The agent waits on the host's /run/xtables.lock: another writer
        (kube-proxy with a large ruleset, a firewall reload, another CNI) held it for too long, or the agent Pod
        does not mount the host's lock file.{% endif %}
    """,
    remediation=(
        Step("Upgrade Antrea if it is older than v0.3.0 (the agent then shares the host's xtables lock)."),
        Step("Check that the antrea-agent container mounts the host's /run/xtables.lock.",
             "kubectl -n kube-system get ds antrea-agent -o yaml | grep -B2 -A3 xtables"),
        Step("On the Node, find who holds the lock and how often iptables is rewritten.",
             "fuser -v /run/xtables.lock; ps -eo pid,etime,cmd | grep -E 'iptables|kube-proxy|firewalld' | grep -v grep"),
        Step("Restart the agent once the contention is gone.",
             "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
             "--field-selector spec.nodeName={{ node }}"),
    ),
)


def check(ev):
    for node in ev.log_nodes:
        failures = [e for e in ev.hits("exit4", node) if _is_iptables(e.text)]
        failures += ev.hits("eagain", node)
        failures += [e for e in ev.hits("holding", node) if "waiting" not in e.groups.get("tail", "")]
        if not failures:
            continue  # lock waits that got the lock are normal contention
        failures = unique_lines(sorted(failures, key=lambda e: (e.time is None, e.time or 0, e.artifact, e.line)))
        fatal = _fatal_with_lock_error(node)
        if not fatal and _recovered(ev, node, failures):
            continue
        version = ev.version(node)
        sample = next((t for e in failures for t in ("Resource temporarily unavailable", "holding the xtables lock")
                       if t in e.text), "exit status 4")
        evidence = failures[:4] + ([fatal] if fatal and fatal not in failures else [])
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.95 if fatal or len(failures) > 1 else 0.85,
            severity="critical" if fatal else "error",
            values={"count": len(failures), "sample": sample, "fatal": bool(fatal),
                    "unshared": version is not None and version < SHARED_LOCK_SINCE,
                    "version": str(version) if version else None},
            evidence=evidence,
            ruled_out=["iptables-backend: iptables exits with status 4 (lock), not 3 (table or module missing)"],
        )


def _is_iptables(text: str) -> bool:
    return "iptables" in text or "xtables" in text


def _fatal_with_lock_error(node):
    fatal_keys = {timeline.key(k) for k in ("fatal", "fatal_bare", "fatal_init")}
    for run in node.runs:
        if run.fatal and any(t in run.fatal.text for t in _LOCK_TEXT):
            return run.fatal
    return next((e for e in node.undated_events if e.signature in fatal_keys and any(t in e.text for t in _LOCK_TEXT)),
                None)


def _recovered(ev, node, failures) -> bool:
    """A later `Initialized iptables` in the same timed run: the retry worked."""
    last = failures[-1]
    if last.time is None or last.run is None:
        return False
    run = node.runs[last.run]
    return run.first(ev.key("initialized"), after=last) is not None


