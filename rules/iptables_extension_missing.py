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
extension rather than a chain. ``No chain/target/match`` for a chain (``-j ANTREA-...``) or
without the command is only a hint and makes the finding inconclusive. Look-alikes: a whole
table missing (``can't initialize iptables table``) is ``iptables-backend``; exit status 4 is
``iptables-lock``.

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

from diagnose.model import AGENT_LOG, OTHER_CONTAINER_LOG
from diagnose.rule import CONFIRMED, INCONCLUSIVE, Missing, Rule, Signature, Step

_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
# Targets built into iptables itself, and the chain prefixes Kubernetes networking uses: a
# "No chain/target/match" about those is a missing chain, not a missing kernel extension.
_NOT_EXTENSIONS = re.compile(r"^(?:ACCEPT|DROP|RETURN|QUEUE|ANTREA-[\w-]+|KUBE-[\w-]+|[a-z][\w-]*)$")
_JUMP = re.compile(r"(?:^|\s)-j\s+([\w-]+)")
# Kernel module of an extension when it is not xt_<name> (antrea-io/antrea#2635 for NOTRACK).
_MODULE = {"NOTRACK": "xt_CT", "CT": "xt_CT"}

RULE = Rule(
    id="ANT-IPT-003",
    slug="iptables-extension-missing",
    title="iptables target or match used by Antrea is missing from the kernel",
    category="netfilter-feature",
    severity="error",
    applies_to="all",
    references=("antrea-io/antrea#2635", "https://github.com/coreos/go-iptables"),
    signatures=(
        # iptables / iptables-restore stderr when the extension cannot be loaded (inside the agent's
        # error, or its "stderr=" value).
        Signature("couldnt_load", r"Couldn't load (?P<kind>target|match) [`'\"\\]*(?P<name>[\w-]+)",
                  "Couldn't load ", _LOGS),
        # go-iptables' not-exist text, e.g. "running [... -j NOTRACK --wait]: exit status 1: iptables:
        # No chain/target/match by that name."
        Signature("no_such", r"No chain/target/match by that name", "No chain/target/match by that name", _LOGS),
    ),
    # iptables initialisation failing stops the agent before flow restoration completes (v2.1+
    # waits for it), so a stuck flow-restore-wait on the same Node is its symptom.
    explains=("agent-crash", "ovs-flow-restore-wait"),
    lookalikes=("iptables-backend", "iptables-lock"),
    message="""
        On {{ where }} antrea-agent cannot install its iptables rules: the kernel does not provide the iptables
        {{ kind }} {{ name }}{% if module %} (kernel module {{ module }}){% endif %}. antrea-agent installs all its
        rules in one iptables-restore transaction, so none of them is in place until the extension is available:
        SNAT of Pod traffic leaving the Node, NodePort and the other iptables-based features do not work.
        {% if not confirmed %}The error does not say which extension is missing ({{ hint }}).{% endif %}
    """,
    remediation=(
        Step("Check whether the extension's module exists for the running kernel and load it.",
             "modinfo {{ module or 'xt_<name>' }}; modprobe {{ module or 'xt_<name>' }}; "
             "grep -E 'CONFIG_NETFILTER_XT_(TARGET|MATCH)_' /boot/config-$(uname -r)"),
        Step("Try the failing rule by hand to see iptables' own message.",
             "iptables -t raw -A OUTPUT -p udp --dport 6081 -j {{ name if kind == 'target' else 'NOTRACK' }} && "
             "iptables -t raw -D OUTPUT -p udp --dport 6081 -j {{ name if kind == 'target' else 'NOTRACK' }}"),
        Step("Install the kernel package that ships the module (or use a kernel built with it), then restart "
             "the agent.",
             "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
             "--field-selector spec.nodeName={{ node }}"),
    ),
)


def check(ev):
    for node in ev.log_nodes:
        named = [(e, e.groups.get("kind", "target"), e.groups.get("name", "")) for e in ev.hits("couldnt_load", node)]
        unnamed = []
        for e in ev.hits("no_such", node):
            target = _jump_target(e.text)
            if target and not _NOT_EXTENSIONS.match(target):
                named.append((e, "target", target))
            elif target is None and "iptables" in e.text:
                unnamed.append(e)
        if not (named or unnamed):
            continue
        confirmed = bool(named)
        kind, name = (named[0][1], named[0][2]) if named else ("target or match", "(unknown)")
        module = _MODULE.get(name) or (f"xt_{name}" if named else None)
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.9 if confirmed else 0.5,
            values={"kind": kind, "name": name, "module": module, "confirmed": confirmed,
                    "hint": "iptables reported 'No chain/target/match by that name' without the failing rule"},
            evidence=[e for e, _, _ in named[:3]] + unnamed[:3],
            status=CONFIRMED if confirmed else INCONCLUSIVE,
            missing=() if confirmed else (
                Missing("the iptables-restore input and stderr of the failing call (agent log at -v=2, or the "
                        "error line's stdin=/stderr= values)",
                        "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent | "
                        "grep -A3 'Failed to execute iptables command'"),),
        )


def _jump_target(text: str) -> str | None:
    """The `-j` target of the command quoted in the error, when the line has one."""
    found = _JUMP.findall(text)
    return found[-1] if found else None

