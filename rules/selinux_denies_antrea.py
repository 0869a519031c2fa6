"""SELinux denies Antrea's containers access to the host files they manage.

Symptom
-------
The antrea-agent Pod does not start or its containers fail on host paths: install-cni cannot
write ``/host/etc/cni/net.d/10-antrea.conflist`` or ``/host/opt/cni/bin/antrea`` (``Permission
denied``), OVS cannot open its database or sockets under ``/var/run/openvswitch``, although the
files and directories exist; the Node's audit log has ``avc:  denied`` records for them.

Why it happens
--------------
On an SELinux-enforcing Node a container process runs in a confined domain (``container_t``)
unless it is privileged; hostPath files it writes keep the host's labels, and the policy can
refuse access whatever the Unix permissions say. Antrea's install-cni init container is not
privileged by default (``agent.installCNI.securityContext.privileged: false``, only
``SYS_MODULE``) and writes the CNI configuration and binaries into host directories; host
directories relabelled or created by other tools (``/etc/cni/net.d``, ``/opt/cni/bin``,
``/var/run/antrea``, ``/var/log/antrea``) can then be denied.

Evidence
--------
AVC denial records (``avc:  denied  { <perms> } for ... comm="<process>" ... tcontext=...
tclass=...``) from ``audit.log``/``ausearch``/``dmesg``/``journalctl`` or pasted into any log,
whose process or target is Antrea's (antrea-*, ovs*, or a path/label with cni, antrea,
openvswitch). Records with ``permissive=1`` were only logged, not enforced, and do not count.
``Permission denied`` on those paths in install-cni / antrea-ovs logs without any AVC record
is a denial observed but not attributed (AppArmor refuses root the same way; a read-only mount
says ``Read-only file system`` instead): lower confidence, and the audit log is asked for.
Denials that stopped while the log went on are history (``info``); no line says a denied
container got through later, so that judgement rests on silence.

Remediation
-----------
Read the denials, then fix the labels of the host paths (``restorecon``) or allow the access
with a local policy module (``audit2allow``), or run the affected container with the SELinux
type your distribution provides for privileged system containers.

References
----------
antrea-io/antrea build/charts/antrea/values.yaml (``agent.installCNI.securityContext``),
build/images/scripts/install_cni.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    HOST_LOG,
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
    Signature,
    Step,
)

_ALL = (HOST_LOG, OTHER_CONTAINER_LOG, OVS_CONTAINER_LOG, OVS_LOG, AGENT_LOG)
_KV = re.compile(r'(\w+)=("[^"]{0,400}"|\S{1,400})')
# Targets Antrea writes or serves: the CNI dirs (net.d is /etc/cni/net.d's basename in AVC
# records), its run/log dirs, OVS's database, sockets and run dir, the xtables lock.
_ANTREA_PATH = re.compile(r"cni|net\.d|antrea|openvswitch|conf\.db|db\.sock|\.mgmt|xtables", re.I)
_ANTREA_COMM = re.compile(r"^(?:antrea|ovs|ovsdb|install|install_cni|start_ovs|iptables|ip6tables|ipset|modprobe)")
_DENIED_PATH = re.compile(
    r"(/(?:host/)?(?:etc/cni|opt/cni|var/run/antrea|run/antrea|var/run/openvswitch|"
    r"var/log/antrea|run/xtables)[^\s:'\"]{0,200})[^\n]{0,200}Permission denied"
)
AUDIT_CMD = "ausearch -m avc -ts recent   # on {{ node }}; or: grep 'avc: .*denied' /var/log/audit/audit.log"


@dataclass
class Values:
    """The SELinux denials of Antrea's processes and what they break."""

    count: int  # AVC denials of Antrea's processes or paths
    denials: list[str]  # those denials summarised, e.g. "install {write} on net.d (dir, ...)"
    paths: list[str]  # host paths Antrea's containers got "Permission denied" on (without AVC records)
    component: str  # what the denied access breaks: "cni", "ovs" or "" when neither is named


_BREAKS = """
    {% if component == "cni" %}install-cni cannot install the CNI configuration or binaries, so the antrea-agent Pod
    does not start and Pods on the Node get no network.{% elif component == "ovs" %}OVS cannot use its database and
    sockets, so OVS does not run and the Node's Pod network is down.{% else %}The denied accesses break the component
    that needs them.{% endif %}
"""

RULE = Rule(
    id="ANT-SEL-001",
    slug="selinux-denies-antrea",
    title="SELinux denies Antrea's containers access to host files",
    category="selinux",
    severity="critical",
    applies_to="all",
    platform="linux",
    inputs=Inputs(any_of=_ALL),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/build/charts/antrea/values.yaml",
        "https://github.com/antrea-io/antrea/blob/main/build/images/scripts/install_cni",
    ),
    signatures=(
        # Linux audit AVC record (audit.log, dmesg "audit: type=1400", journal), or pasted in any log.
        Signature("avc", r"avc:\s{1,4}denied\s{1,4}\{ (?P<perms>[^}]{1,200}) \} for (?P<rest>.{0,2000})", "avc:", _ALL),
        # What the denied process reports: install-cni's install/cp, OVS opening its files.
        Signature(
            "eacces", r"Permission denied", "Permission denied", (OTHER_CONTAINER_LOG, OVS_CONTAINER_LOG, OVS_LOG)
        ),
    ),
    explains=("agent-crash", "ovs-not-running", "kernel-module"),
    lookalikes=("ovs-not-running",),
    values=Values,
    outcomes=(
        Outcome(
            "avc_denied",
            message="""
            On {{ where }} SELinux denied {{ count }} access{{ "es" if count > 1 else "" }} by Antrea's containers
            ({{ denials | join("; ") }}).
        """
            + _BREAKS,
        ),
        # The denial is seen, the module that made it is not named.
        Outcome(
            "permission_denied",
            message="""
            On {{ where }} Antrea's containers got "Permission denied" on host paths ({{ paths | join(", ") }})
            although they run as root: only a security module refuses root that way, and on an SELinux-enforcing
            Node this is how its denials show.
        """
            + _BREAKS,
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} Antrea's containers were denied access to host files
            ({{ (denials or paths) | join("; ") }}). {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} Antrea's containers were denied access to host files in an earlier run
            ({{ (denials or paths) | join("; ") }}). {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step("Read the denials and the SELinux mode.", "getenforce; " + AUDIT_CMD),
        Step(
            "Restore the default labels of the host paths Antrea uses.",
            "restorecon -Rv /etc/cni/net.d /opt/cni/bin /var/run/antrea /var/log/antrea",
        ),
        Step(
            "If the policy itself refuses the access, build a local module from the denials (review it first).",
            "ausearch -m avc -ts recent | audit2allow -M antrea-local && semodule -i antrea-local.pp",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        denials: list[tuple[LogEvent, dict[str, str]]] = []
        for e in ev.hits("avc", node):
            fields = {k: v.strip('"') for k, v in _KV.findall(e.groups.get("rest", ""))}
            if fields.get("permissive") == "1":
                continue  # logged only: SELinux did not block it
            target = " ".join(fields.get(k, "") for k in ("name", "path", "tcontext"))
            if not (
                _ANTREA_COMM.match(fields.get("comm", ""))
                and _ANTREA_PATH.search(target)
                or fields.get("comm", "").startswith(("antrea", "ovs"))
            ):
                continue
            denials.append((e, fields))
        eacces = [(e, m[1]) for e in ev.hits("eacces", node) if (m := _DENIED_PATH.search(e.text))]
        if not (denials or eacces):
            continue
        # EACCES for a root container on a hostPath is a security module's denial (DAC lets root
        # through; a read-only mount says EROFS): the denial is observed, SELinux is the likely
        # module (AppArmor the other); the audit log names it.
        targets = " ".join(f.get("name", "") + f.get("path", "") + f.get("tcontext", "") for _, f in denials)
        targets = (targets + " ".join(p for _, p in eacces)).lower()
        yield RULE.finding(
            "avc_denied" if denials else "permission_denied",
            nodes=[node.name],
            confidence=0.9 if denials else 0.7,
            values=Values(
                count=len(denials),
                denials=_summaries(denials),
                paths=sorted({p for _, p in eacces})[:4],
                component="cni" if "cni" in targets else "ovs" if "openvswitch" in targets else "",
            ),
            evidence=[*(e for e, _ in denials[:4]), *(e for e, _ in eacces[:3])],
            missing=[] if denials else [Missing("the SELinux AVC denials of the Node (audit log)", AUDIT_CMD)],
        )


def _summaries(denials: list[tuple[LogEvent, dict[str, str]]]) -> list[str]:
    grouped: dict[str, int] = defaultdict(int)
    for e, f in denials:
        what = (
            f"{f.get('comm', '?')} {{{e.groups.get('perms', '').strip()}}} on {f.get('name') or f.get('path') or '?'}"
        )
        tclass = f.get("tclass")
        grouped[what + (f" ({tclass}, {f.get('tcontext', '?')})" if tclass else "")] += 1
    return [k + (f" x{n}" if n > 1 else "") for k, n in list(grouped.items())[:4]]
