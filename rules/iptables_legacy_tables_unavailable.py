"""The iptables mode of the antrea-agent container does not match the Node's kernel.

Symptom
-------
antrea-agent cannot initialise iptables: ``Failed to initialize iptables: error checking if
chain ANTREA-PREROUTING exists in table raw: ... exit status 3: modprobe: FATAL: Module
ip_tables not found in directory /lib/modules/<kernel>`` followed by ``iptables v1.8.4
(legacy): can't initialize iptables table `raw': Table does not exist (do you need to
insmod?)``. The agent never finishes initialisation, the Antrea CNI configuration is not
installed and Pods stay in ``ContainerCreating`` (kubelet: ``No CNI configuration file in
/etc/cni/net.d/``).

Why it happens
--------------
iptables has two kernel back-ends: "legacy" (x_tables, needs the ``ip_tables`` module and its
``iptable_<table>`` modules) and "nf_tables". The iptables binary in the antrea-agent image
uses one of them. Antrea images before the fix always ran in legacy mode; RHEL/CentOS/Alma/
Rocky/Oracle Linux 8 kernels ship only nf_tables, so every iptables call failed
(antrea-io/antrea#3243, #3274, #3368). v1.2.4, v1.5.1 and v1.6.0+ images run kubernetes-sigs'
iptables-wrapper, which picks the mode the Node uses on first call (antrea-io/antrea#3276,
#3308; v1.3.x and v1.4.x never got it). That first wrapper still picked legacy on some
distributions whose kernel has no legacy tables (recent Talos, antrea-io/antrea#7755); Antrea
v2.4.5, v2.5.2 and v2.6.0 ship the current wrapper (antrea-io/antrea#7729). With the current
wrapper, legacy is chosen only when the Node's own iptables state is legacy. In ``nf_tables``
mode the binary fails with ``Could not fetch rule set generation id`` when the kernel lacks
nf_tables support.

Evidence
--------
``can't initialize iptables table`` (the iptables binary's error; its ``(legacy)`` /
``(nf_tables)`` tag names the mode), ``modprobe: FATAL: Module ip_tables not found``, or
``iptables v1.8.x (nf_tables): Could not fetch rule set generation id: <errno>`` (not with
``Permission denied`` / ``Operation not permitted``: a missing privilege, not a kernel) in the
agent log, usually inside the agent's ``Failed to initialize iptables`` (v0.5+, retried from
v0.11) or ``error setting up iptables rules`` (v0.2-v0.4) errors. The Antrea version decides
the conclusion: an image without the wrapper is itself the cause, the first wrapper may have
picked the wrong mode, the current one followed the Node; without the version the cause is
inconclusive. Look-alikes: a missing target/match extension (``netfilter-feature``)
initialises the table but rejects one rule; xtables lock contention (``iptables-lock``) exits
with status 4, not 3.

Whether the failure lasted rests on what the agent logs after it. From v0.11 the agent retries
its iptables initialisation every 2 s, logging ``Failed to initialize iptables`` at error level
on each failure and ``Initialized iptables`` (info) once it succeeds (pkg/agent/route/
route_linux.go, v0.11.0 to v2.7.0; no code path initialises iptables without one of the two),
so failures followed by ``Initialized iptables``, or that stopped while the agent went on
logging, passed (a module loaded by hand): history at ``info``. Up to v0.10 the failure was
fatal.

Remediation
-----------
Upgrade Antrea to v1.5.1 or later (v1.2.4 on the 1.2 line) to get the iptables-wrapper, and to
v2.4.5 / v2.5.2 / v2.6.0 or later for the current one. Check which back-end the Node uses and
that the kernel provides it.

References
----------
antrea-io/antrea#3243 (EL8), antrea-io/antrea#3274, antrea-io/antrea#3368, antrea-io/antrea#3276
and antrea-io/antrea#3308 (fix: iptables-wrapper, v1.2.4 / v1.5.1 / v1.6.0), antrea-io/antrea#7755
and antrea-io/antrea#7729 (Talos: current iptables-wrapper, v2.4.5 / v2.5.2 / v2.6.0),
CHANGELOG-1.2.md, CHANGELOG-1.5.md, CHANGELOG-1.6.md, CHANGELOG-2.4.md, CHANGELOG-2.5.md,
CHANGELOG-2.6.md.
"""

from __future__ import annotations

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
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
    versions,
)

_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
# Releases whose image always runs legacy iptables: before the wrapper, and v1.3.x/v1.4.x/v1.5.0
# which never got it (CHANGELOG-1.2.md 1.2.4, CHANGELOG-1.5.md 1.5.1, CHANGELOG-1.6.md 1.6.0).
_ALWAYS_LEGACY = ("<1.2.4", ">=1.3.0,<1.5.1")
# Releases with the first iptables-wrapper (kubernetes-sigs/iptables-wrappers@9e6ce59), before
# antrea-io/antrea#7729 (CHANGELOG-2.4.md 2.4.5, CHANGELOG-2.5.md 2.5.2, CHANGELOG-2.6.md 2.6.0).
_FIRST_WRAPPER = (">=1.2.4,<1.3.0", ">=1.5.1,<2.4.5", ">=2.5.0,<2.5.2")
# errno texts of "Could not fetch rule set generation id" that say the agent lacks privileges.
_NOT_KERNEL = ("Permission denied", "Operation not permitted")
_VERSION_COMMAND = "kubectl -n kube-system get pods -l app=antrea -o jsonpath='{..image}'"


@dataclass
class Values:
    """The iptables mode, what the kernel lacks and the Node's kernel."""

    mode: str  # the iptables mode of the agent's binary: "legacy" or "nf_tables"
    detail: str  # what the kernel lacks, e.g. "table raw does not exist; module ip_tables not found"
    kernel: str | None  # the Node's kernel release from modprobe's path, e.g. "4.18.0-348.7.1.el8_5.x86_64"
    el8: bool  # the kernel is of the EL8 family (RHEL, CentOS, Alma, Rocky, Oracle Linux 8)
    version: str | None  # the Antrea version of the agent, when known, e.g. "v1.5.0"


_CHECK_NODE = Step(
    "On the Node, see which back-end is in use and which table modules the kernel has.",
    "iptables --version; lsmod | grep -E '^(ip_tables|iptable_|nf_tables)'; "
    "modprobe --dry-run ip_tables; modprobe --dry-run nf_tables",
)
_RESTART = Step(
    "Restart the agent once the image or kernel is fixed.",
    "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent --field-selector spec.nodeName={{ node }}",
)
_IMAGE = "kubectl -n kube-system get ds antrea-agent -o jsonpath='{.spec.template.spec.containers[0].image}'"
_FAILS = """
    On {{ where }} every iptables call of antrea-agent fails: the container's iptables runs in {{ mode }} mode and
    the kernel does not provide it ({{ detail }}{% if kernel %}, kernel {{ kernel }}{% endif %}). The agent cannot
    install its iptables rules, so it never finishes initialising, the Antrea CNI configuration is not installed
    and Pods on the Node get no network.
"""

RULE = Rule(
    id="ANT-IPT-001",
    slug="iptables-legacy-tables-unavailable",
    title="iptables back-end of antrea-agent not supported by the Node's kernel",
    category="iptables-backend",
    severity="critical",
    references=(
        "antrea-io/antrea#3243",
        "antrea-io/antrea#3274",
        "antrea-io/antrea#3368",
        "antrea-io/antrea#3276",
        "antrea-io/antrea#3308",
        "antrea-io/antrea#7755",
        "antrea-io/antrea#7729",
        "https://github.com/antrea-io/antrea/blob/main/CHANGELOG/CHANGELOG-1.5.md",
    ),
    inputs=Inputs(any_of=_LOGS),
    platform="linux",  # iptables: the Windows agent has none
    signatures=(
        # iptables binary, e.g. "iptables v1.8.4 (legacy): can't initialize iptables table `raw':
        # Table does not exist (do you need to insmod?)" (antrea-io/antrea#3243, all Antrea versions).
        Signature(
            "cant_init",
            r"(?:(?P<bin>ip6?tables[\w-]{0,40}) v(?P<ver>[\d.]{1,20})(?: \((?P<mode>legacy|nf_tables)\))?: )?"
            r"can't initialize (?P<family>ip6?tables) table [`'\"]?(?P<table>\w+)",
            "can't initialize ip",
            _LOGS,
        ),
        # iptables-nft when the kernel has no nf_tables (xtables_error of iptables/nft.c, checked in the
        # 1.8.9 binary: the nf_tables binary never says "can't initialize ... table"), e.g.
        # "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Invalid argument".
        Signature(
            "nft_unavailable",
            r"(?P<bin>ip6?tables[\w-]{0,40}) v(?P<ver>[\d.]{1,20}) \(nf_tables\): Could not fetch rule set generation id: "
            r"(?P<err>[A-Za-z][A-Za-z ]{1,60})",
            "Could not fetch rule set generation id",
            _LOGS,
        ),
        # kmod's modprobe, run by the legacy binary to load the table modules.
        Signature(
            "module_missing",
            r"modprobe: FATAL: Module (?P<module>ip6?_tables|ip6?table_\w+) not found"
            r"(?: in directory (?P<dir>\S+))?",
            "modprobe: FATAL: Module ip",
            _LOGS,
        ),
        # The agent's wrapping error: "error setting up iptables rules: %v" (v0.2-v0.4),
        # "failed to initialize iptables: %v" (v0.5-v0.10, fatal), "Failed to initialize iptables:
        # %v - will retry in %v" (v0.11+, retried).
        Signature(
            "init_failed",
            r"[Ff]ailed to initialize iptables: (?P<err>.*)",
            "ailed to initialize iptables: ",
            _LOGS,
            versions=">=0.5.0",
        ),
        Signature(
            "setup_failed",
            r"error setting up iptables rules: (?P<err>.*)",
            "error setting up iptables rules",
            _LOGS,
            versions=">=0.2.0,<0.5.0",
        ),
        # The retried initialisation got through (pkg/agent/route/route_linux.go, v0.11+).
        Signature(
            "initialized", r"Initialized iptables", "Initialized iptables", _LOGS, versions=">=0.11.0", role="success"
        ),
    ),
    explains=("kernel-module", "netfilter-feature", "agent-crash", "ovs-flow-restore-wait"),
    lookalikes=("netfilter-feature", "iptables-lock", "kernel-module"),
    values=Values,
    outcomes=(
        Outcome(
            "image-always-legacy",
            message=_FAILS
            + """
            Antrea {{ version }} always uses legacy iptables{% if el8 %}, and EL8-family kernels (RHEL, CentOS, Alma,
            Rocky, Oracle Linux 8) only have nf_tables{% endif %}; v1.5.1 and later (and v1.2.4) detect the Node's
            mode (antrea-io/antrea#3276).
        """,
            remediation=(
                Step(
                    "Upgrade Antrea to v1.5.1 or later (v1.2.4 on the 1.2 line): the image then detects the Node's "
                    "iptables mode (iptables-wrapper) instead of always using legacy.",
                    _IMAGE,
                ),
                _CHECK_NODE,
                _RESTART,
            ),
        ),
        Outcome(
            "wrapper-picked-legacy",
            message=_FAILS
            + """
            Antrea {{ version }} ships the first iptables-wrapper, which picks legacy on some distributions whose
            kernel has no legacy tables (recent Talos, antrea-io/antrea#7755); v2.4.5, v2.5.2 and v2.6.0 ship the
            current one (antrea-io/antrea#7729).
        """,
            remediation=(
                Step(
                    "Upgrade Antrea to v2.4.5, v2.5.2, v2.6.0 or later: their iptables-wrapper selects nf_tables on "
                    "such Nodes.",
                    _IMAGE,
                ),
                _CHECK_NODE,
                _RESTART,
            ),
        ),
        Outcome(
            "node-uses-legacy",
            message=_FAILS
            + """
            Antrea {{ version }} picks the mode the Node already uses, so the Node's own iptables state (rules of
            the legacy back-end written by another program) or its kernel modules do not match.
        """,
            remediation=(
                Step(
                    "Find which back-end holds the Node's rules (the wrapper follows the one with more rules).",
                    "iptables-legacy-save 2>/dev/null | grep -c '^-A'; iptables-nft-save 2>/dev/null | grep -c '^-A'"
                    "   # on {{ node }}",
                ),
                _CHECK_NODE,
                _RESTART,
            ),
        ),
        Outcome(
            "no-nftables",
            message=_FAILS
            + """
            The kernel has no nf_tables support (not built, or the nf_tables module is not available).
        """,
            remediation=(
                Step(
                    "Check that the kernel has nf_tables and its table modules.",
                    "grep -E 'CONFIG_NF_TABLES=|CONFIG_NFT_COMPAT=' /boot/config-$(uname -r); "
                    "modprobe --dry-run nf_tables   # on {{ node }}",
                ),
                _RESTART,
            ),
        ),
        Outcome(
            "version-unknown",
            status=INCONCLUSIVE,
            message=_FAILS
            + """
            The Antrea version is not in the evidence: if it is older than v1.5.1 its image always uses legacy
            iptables{% if el8 %}, which EL8-family kernels do not provide{% endif %} (antrea-io/antrea#3243); up to
            v2.4.4 / v2.5.1 its iptables-wrapper may pick legacy on such kernels (antrea-io/antrea#7729).
        """,
            remediation=(
                Step(
                    "Check the Antrea version, and upgrade to v2.4.5, v2.5.2, v2.6.0 or later if it is older.", _IMAGE
                ),
                _CHECK_NODE,
                _RESTART,
            ),
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} antrea-agent's iptables ({{ mode }} mode) could not initialise for a while: the kernel did
            not provide it ({{ detail }}). {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} an earlier antrea-agent run could not initialise iptables ({{ mode }} mode): the kernel
            did not provide it ({{ detail }}). {{ outcome_text }}
        """,
        ),
    ),
    remediation=(_CHECK_NODE, _RESTART),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        cant_init, module_missing = ev.hits("cant_init", node), ev.hits("module_missing", node)
        # Without the privilege to open netlink the kernel's support is unknown: not this rule.
        nft = [e for e in ev.hits("nft_unavailable", node) if e.groups.get("err", "").strip() not in _NOT_KERNEL]
        if not (cant_init or module_missing or nft):
            continue  # an init failure alone may be lock contention or a missing extension
        # The legacy binary is the one that loads ip_tables with modprobe.
        legacy = module_missing or any(e.groups.get("mode") != "nf_tables" for e in cant_init)
        mode = "legacy" if legacy else "nf_tables"
        version = ev.version(node)
        kernel = next((d.rstrip("/").rsplit("/", 1)[-1] for e in module_missing if (d := e.groups.get("dir"))), None)
        both = bool(cant_init and module_missing) or bool(nft)
        outcome, confidence = _conclusion(mode, version, both)
        wrapping = [
            e for e in ev.hits("init_failed", node) + ev.hits("setup_failed", node) if "exit status 3" in e.text
        ]
        yield RULE.finding(
            outcome,
            nodes=[node.name],
            confidence=confidence,
            values=Values(
                mode=mode,
                detail=_detail(cant_init, module_missing, nft),
                kernel=kernel,
                el8=bool(kernel and ".el8" in kernel),
                version=str(version) if version else None,
            ),
            evidence=module_missing[:2] + cant_init[:2] + nft[:2] + wrapping[:2],
            missing=[
                Missing(
                    "the Antrea version (images before v1.5.1 always use legacy iptables; before v2.4.5 / "
                    "v2.5.2 / v2.6.0 the iptables-wrapper may pick it wrongly)",
                    _VERSION_COMMAND,
                )
            ]
            if outcome == "version-unknown"
            else [],
            ruled_out=["iptables-lock: iptables exits with status 3 (table or module missing), not 4 (lock)"]
            if _exits(cant_init + module_missing + wrapping, "3")
            else [],
        )


def _conclusion(mode: str, version: versions.Version | None, both: bool) -> tuple[str, float]:
    """The outcome and its confidence: the version tells which iptables-wrapper (if any) chose the
    mode; both the modprobe and the table errors prove the kernel lacks the mode."""
    if mode == "nf_tables":
        return "no-nftables", 0.9
    if version is None:
        return "version-unknown", 0.85 if both else 0.75
    if any(versions.satisfies(version, spec) for spec in _ALWAYS_LEGACY):
        return "image-always-legacy", 0.95
    if any(versions.satisfies(version, spec) for spec in _FIRST_WRAPPER):
        return "wrapper-picked-legacy", 0.85 if both else 0.8
    return "node-uses-legacy", 0.8


def _detail(cant_init: list[LogEvent], module_missing: list[LogEvent], nft: list[LogEvent]) -> str:
    tables = sorted({t for e in cant_init if (t := e.groups.get("table"))})
    modules = sorted({mod for e in module_missing if (mod := e.groups.get("module"))})
    parts = [f"table {', '.join(tables)} does not exist"] if tables else []
    parts += [f"module {', '.join(modules)} not found"] if modules else []
    parts += [f'nf_tables answers "{e.groups.get("err", "").strip()}"' for e in nft[:1]]
    return "; ".join(parts)


def _exits(events: list[LogEvent], status: str) -> bool:
    return any(f"exit status {status}:" in e.text for e in events)
