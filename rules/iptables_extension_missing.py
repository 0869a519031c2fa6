"""An iptables target or match that Antrea's rules use is missing from the Node's kernel.

Symptom
-------
antrea-agent keeps failing to install its iptables rules (``Failed to initialize iptables`` /
``Failed to execute iptables command`` with iptables-restore's stderr, or ``Failed to sync
iptables``) naming one target or match: ``Couldn't load target `NOTRACK'``, or ``iptables: No
chain/target/match by that name.`` for a rule with ``-j NOTRACK``. Pod traffic that needs
Antrea's iptables rules (SNAT to the outside, NodePort, ...) fails.

Why it happens
--------------
antrea-agent writes all its rules in one ``iptables-restore`` transaction; if the kernel lacks
one extension the rules need (a module not built or not installed: e.g. ``NOTRACK`` needs
``xt_CT`` / ``CONFIG_NETFILTER_XT_TARGET_CT``, antrea-io/antrea#2635), the whole transaction
is rejected and none of the rules are installed. Minimal or custom kernels (appliances,
stripped cloud images) are the usual cause.

Evidence
--------
An iptables error that names the missing extension (``Couldn't load target|match X``), or
``No chain/target/match by that name`` where the failing command's ``-j`` target is an
extension rather than a chain (a little less sure: a missing match gives the same text). ``No
chain/target/match`` for a chain (``-j ANTREA-...``) is a missing chain, not an extension; without
the command it is only a hint and the finding is inconclusive. Look-alikes: a whole table missing
(``can't initialize iptables table``) is ``iptables-backend``; exit status 4 is ``iptables-lock``.

Whether the failure lasted rests on what the agent logs after it. From v0.11 the agent retries
its iptables initialisation every 2 s, logging ``Failed to initialize iptables`` at error level
on each failure and ``Initialized iptables`` (info) once it succeeds (pkg/agent/route/
route_linux.go, v0.11.0 to v2.7.0); after that it re-syncs every 60 s and logs every failure
(``Failed to sync iptables``) with no success line at the default verbosity. So errors that
stopped while the agent went on logging are a failure that passed (an extension loaded by hand,
a kernel updated): history at ``info``. Up to v0.10 a failed initialisation was fatal
(``failed to initialize iptables``), so the run's fatal exit is the outcome.

Remediation
-----------
Load or install the kernel module that provides the extension, or use a kernel built with it;
then restart the agent.

References
----------
antrea-io/antrea#2635 (NOTRACK target missing when the kernel lacks
CONFIG_NETFILTER_XT_TARGET_CT), coreos/go-iptables (``No chain/target/match by that name.``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

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
)

_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
# Targets built into iptables itself, and the chain prefixes Kubernetes networking uses: a
# "No chain/target/match" about those is a missing chain, not a missing kernel extension.
_NOT_EXTENSIONS = re.compile(r"^(?:ACCEPT|DROP|RETURN|QUEUE|ANTREA-[\w-]+|KUBE-[\w-]+|[a-z][\w-]*)$")
_JUMP = re.compile(r"(?:^|\s)-j\s+([\w-]+)")
# Kernel module of an extension when it is not xt_<name> (antrea-io/antrea#2635 for NOTRACK).
_MODULE = {"NOTRACK": "xt_CT", "CT": "xt_CT"}


@dataclass
class Values:
    """The iptables extension that could not be loaded and its kernel module."""

    kind: str  # "target" or "match": what iptables could not load ("target or match" when unnamed)
    name: str  # the extension, e.g. "NOTRACK"; "" when the error does not name it
    module: str | None  # the kernel module that provides it, e.g. "xt_CT"; None when unnamed


_BY_HAND = Step(
    "Find the failing rule and iptables' own message in the agent log (the iptables-restore input and stderr of "
    "the failing call).",
    "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent | "
    "grep -A3 'Failed to execute iptables command'",
)
_RESTART = Step(
    "Install the kernel package that ships the module (or use a kernel built with it), then restart the agent.",
    "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent --field-selector spec.nodeName={{ node }}",
)

RULE = Rule(
    id="ANT-IPT-003",
    slug="iptables-extension-missing",
    title="iptables target or match used by Antrea is missing from the kernel",
    category="netfilter-feature",
    severity="error",
    references=("antrea-io/antrea#2635", "https://github.com/coreos/go-iptables"),
    inputs=Inputs(any_of=_LOGS),
    platform="linux",  # iptables: the Windows agent has none
    signatures=(
        # iptables / iptables-restore stderr when the extension cannot be loaded (inside the agent's
        # error, or its "stderr=" value).
        Signature(
            "couldnt_load", r"Couldn't load (?P<kind>target|match) [`'\"\\]*(?P<name>[\w-]+)", "Couldn't load ", _LOGS
        ),
        # go-iptables' not-exist text, e.g. "running [... -j NOTRACK --wait]: exit status 1: iptables:
        # No chain/target/match by that name."
        Signature("no_such", r"No chain/target/match by that name", "No chain/target/match by that name", _LOGS),
        # The retried initialisation got through (pkg/agent/route/route_linux.go, v0.11+).
        Signature(
            "initialized", r"Initialized iptables", "Initialized iptables", _LOGS, versions=">=0.11.0", role="success"
        ),
    ),
    # iptables initialisation failing stops the agent before flow restoration completes (v2.1+
    # waits for it), so a stuck flow-restore-wait on the same Node is its symptom.
    explains=("agent-crash", "ovs-flow-restore-wait"),
    lookalikes=("iptables-backend", "iptables-lock"),
    values=Values,
    outcomes=(
        Outcome(
            "missing",
            message="""
            On {{ where }} antrea-agent cannot install its iptables rules: the kernel does not provide the iptables
            {{ kind }} {{ name }} (kernel module {{ module }}). antrea-agent installs all its rules in one
            iptables-restore transaction, so none of them is in place until the extension is available: SNAT of
            Pod traffic leaving the Node, NodePort and the other iptables-based features do not work.
        """,
        ),
        Outcome(
            "unnamed",
            status=INCONCLUSIVE,
            message="""
            On {{ where }} antrea-agent cannot install its iptables rules: iptables answers "No
            chain/target/match by that name" without the failing rule, so it is not known whether a kernel
            extension or a chain is missing. Until the rules are installed, SNAT of Pod traffic leaving the Node,
            NodePort and the other iptables-based features do not work.
        """,
            remediation=(
                _BY_HAND,
                Step(
                    "If the failing rule uses an extension target or match (NOTRACK, CT, ...), load the module that "
                    "provides it.",
                    "grep -E 'CONFIG_NETFILTER_XT_(TARGET|MATCH)_' /boot/config-$(uname -r)",
                ),
                _RESTART,
            ),
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} antrea-agent could not install its iptables rules for a while: the kernel did not
            provide the iptables {{ kind }}{% if name %} {{ name }}{% endif %}. {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} an earlier antrea-agent run could not install its iptables rules: the kernel did not
            provide the iptables {{ kind }}{% if name %} {{ name }}{% endif %}. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Check whether the extension's module exists for the running kernel and load it.",
            "modinfo {{ module }}; modprobe {{ module }}; "
            "grep -E 'CONFIG_NETFILTER_XT_(TARGET|MATCH)_' /boot/config-$(uname -r)",
        ),
        Step(
            "Try the failing rule by hand to see iptables' own message.",
            "iptables -t raw -A OUTPUT -p udp --dport 6081 -j {{ name if kind == 'target' else 'NOTRACK' }} && "
            "iptables -t raw -D OUTPUT -p udp --dport 6081 -j {{ name if kind == 'target' else 'NOTRACK' }}",
        ),
        _RESTART,
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        said = [(e, e.groups.get("kind", "target"), e.groups.get("name", "")) for e in ev.hits("couldnt_load", node)]
        inferred, unnamed = _no_such(ev, node)
        named = said + inferred
        if named:
            _, kind, name = named[0]
            yield RULE.finding(
                "missing",
                nodes=[node.name],
                # iptables naming the extension it cannot load rules the look-alikes out; a -j target
                # inferred from "No chain/target/match" could still be a missing match of that rule.
                confidence=0.9 if said else 0.8,
                values=Values(kind=kind, name=name, module=_MODULE.get(name, f"xt_{name}")),
                evidence=[e for e, _, _ in named[:3]],
            )
        elif unnamed:
            yield RULE.finding(
                "unnamed",
                nodes=[node.name],
                confidence=0.5,
                values=Values(kind="target or match", name="", module=None),
                evidence=unnamed[:3],
                missing=[
                    Missing(
                        "the iptables-restore input and stderr of the failing call (agent log at -v=2, or "
                        "the error line's stdin=/stderr= values)",
                        "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent | "
                        "grep -A3 'Failed to execute iptables command'",
                    )
                ],
            )


def _no_such(ev: RuleEvidence, node: NodeView) -> tuple[list[tuple[LogEvent, str, str]], list[LogEvent]]:
    """ "No chain/target/match" lines whose command jumps to an extension (with that target), and
    iptables lines that quote no command at all. A jump to a chain is a missing chain: neither."""
    inferred, unnamed = [], []
    for e in ev.hits("no_such", node):
        found = _JUMP.findall(e.text)
        target = found[-1] if found else None
        if target and not _NOT_EXTENSIONS.match(target):
            inferred.append((e, "target", target))
        elif target is None and "iptables" in e.text:
            unnamed.append(e)
    return inferred, unnamed
