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
#3308; v1.3.x and v1.4.x never got it). The same message in ``nf_tables`` mode means the kernel
lacks nf_tables support.

Evidence
--------
``can't initialize iptables table`` (the iptables binary's error; its ``(legacy)`` /
``(nf_tables)`` tag names the mode) or ``modprobe: FATAL: Module ip_tables not found`` in the
agent log, usually inside the agent's ``Failed to initialize iptables`` (v0.5+, retried from
v0.11) or ``error setting up iptables rules`` (v0.2-v0.4) errors. The Antrea version decides
the remediation: an image without the wrapper is itself the cause. Look-alikes: a missing
target/match extension (``netfilter-feature``) initialises the table but rejects one rule;
xtables lock contention (``iptables-lock``) exits with status 4, not 3.

Remediation
-----------
Upgrade Antrea to v1.5.1 or later (v1.2.4 on the 1.2 line) to get the iptables-wrapper. Check
which back-end the Node uses and that the kernel provides it.

References
----------
antrea-io/antrea#3243 (EL8), antrea-io/antrea#3274, antrea-io/antrea#3368, antrea-io/antrea#3276
and antrea-io/antrea#3308 (fix: iptables-wrapper, v1.2.4 / v1.5.1 / v1.6.0), CHANGELOG-1.2.md,
CHANGELOG-1.5.md, CHANGELOG-1.6.md.
"""

from __future__ import annotations

from collections import defaultdict

from diagnose import versions
from diagnose.model import AGENT_LOG, OTHER_CONTAINER_LOG
from diagnose.rule import Missing, Rule, Signature, Step

_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
WRAPPER_SINCE = versions.parse("v1.5.1")
WRAPPER_BACKPORT = versions.parse("v1.2.4")  # CHANGELOG-1.2.md; v1.3.x and v1.4.x have no wrapper

RULE = Rule(
    id="ANT-IPT-001",
    slug="iptables-legacy-tables-unavailable",
    title="iptables back-end of antrea-agent not supported by the Node's kernel",
    category="iptables-backend",
    severity="critical",
    applies_to="all",
    fixed_in="v1.5.1",
    references=("antrea-io/antrea#3243", "antrea-io/antrea#3274", "antrea-io/antrea#3368",
                "antrea-io/antrea#3276", "antrea-io/antrea#3308",
                "https://github.com/antrea-io/antrea/blob/main/CHANGELOG/CHANGELOG-1.5.md"),
    signatures=(
        # iptables binary, e.g. "iptables v1.8.4 (legacy): can't initialize iptables table `raw':
        # Table does not exist (do you need to insmod?)" (antrea-io/antrea#3243, all Antrea versions).
        Signature("cant_init",
                  r"(?:(?P<bin>ip6?tables[\w-]{0,40}) v(?P<ver>[\d.]{1,20})(?: \((?P<mode>legacy|nf_tables)\))?: )?"
                  r"can't initialize (?P<family>ip6?tables) table [`'\"]?(?P<table>\w+)",
                  "can't initialize ip", _LOGS),
        # kmod's modprobe, run by the legacy binary to load the table modules.
        Signature("module_missing",
                  r"modprobe: FATAL: Module (?P<module>ip6?_tables|ip6?table_\w+) not found"
                  r"(?: in directory (?P<dir>\S+))?", "modprobe: FATAL: Module ip", _LOGS),
        # The agent's wrapping error: "error setting up iptables rules: %v" (v0.2-v0.4),
        # "failed to initialize iptables: %v" (v0.5-v0.10, fatal), "Failed to initialize iptables:
        # %v - will retry in %v" (v0.11+, retried).
        Signature("init_failed", r"[Ff]ailed to initialize iptables: (?P<err>.*)", "ailed to initialize iptables: ",
                  _LOGS, versions=">=0.5.0"),
        Signature("setup_failed", r"error setting up iptables rules: (?P<err>.*)", "error setting up iptables rules",
                  _LOGS, versions=">=0.2.0,<0.5.0"),
    ),
    explains=("kernel-module", "netfilter-feature", "agent-crash"),
    lookalikes=("netfilter-feature", "iptables-lock", "kernel-module"),
    message="""
        On {{ where }} every iptables call of antrea-agent fails: the container's iptables runs in
        {{ mode }} mode and the kernel does not provide it ({{ detail }}{% if kernel %}, kernel {{ kernel }}{% endif %}).
        The agent cannot install its iptables rules, so it never finishes initialising, the Antrea CNI
        configuration is not installed and Pods on the Node get no network.
        {% if old_image %}Antrea {{ version }} always uses legacy iptables{% if el8 %}, and EL8-family kernels (RHEL,
        CentOS, Alma, Rocky, Oracle Linux 8) only have nf_tables{% endif %}; v1.5.1 and later (and v1.2.4) detect
        the Node's mode (antrea-io/antrea#3276).{% elif mode == "nf_tables" %}The kernel lacks nf_tables support for this table.
        {% elif version %}Antrea {{ version }} picks the mode the Node uses, so the Node's own iptables state
        (rules of the other back-end) or kernel modules do not match.{% else %}If Antrea is older than v1.5.1
        its image always uses legacy iptables{% if el8 %}, which EL8-family kernels do not provide{% endif %}
        (antrea-io/antrea#3243).{% endif %}
    """,
    remediation=(
        Step("Upgrade Antrea to v1.5.1 or later (v1.2.4 on the 1.2 line): the image then detects the Node's "
             "iptables mode (iptables-wrapper) instead of always using legacy.",
             "kubectl -n kube-system get ds antrea-agent -o jsonpath='{.spec.template.spec.containers[0].image}'"),
        Step("On the Node, see which back-end is in use and which table modules the kernel has.",
             "iptables --version; lsmod | grep -E '^(ip_tables|iptable_|nf_tables)'; "
             "modprobe --dry-run ip_tables; modprobe --dry-run nf_tables"),
        Step("Restart the agent once the image or kernel is fixed.",
             "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
             "--field-selector spec.nodeName={{ node }}"),
    ),
)


def check(ev):
    by_node: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for name in ("cant_init", "module_missing", "init_failed", "setup_failed"):
        for node in ev.log_nodes:
            for e in ev.hits(name, node):
                by_node[node.name][name].append(e)
    for node_name, hits in sorted(by_node.items()):
        if not (hits["cant_init"] or hits["module_missing"]):
            continue  # an init failure alone may be lock contention or a missing extension
        node = ev.view.nodes[node_name]
        modes = {e.groups.get("mode") for e in hits["cant_init"] if e.groups.get("mode")}
        # The legacy binary is the one that loads ip_tables with modprobe.
        mode = "nf_tables" if modes == {"nf_tables"} else "legacy"
        version = ev.version(node)
        old_image = version is not None and not _has_wrapper(version) and mode == "legacy"
        tables = sorted({e.groups["table"] for e in hits["cant_init"] if e.groups.get("table")})
        modules = sorted({e.groups["module"] for e in hits["module_missing"] if e.groups.get("module")})
        details = []
        if tables:
            details.append(f"table {', '.join(tables)} does not exist")
        if modules:
            details.append(f"module {', '.join(modules)} not found")
        kernel = next((d.rstrip("/").rsplit("/", 1)[-1] for e in hits["module_missing"]
                       if (d := e.groups.get("dir"))), None)
        evidence = (hits["module_missing"][:2] + hits["cant_init"][:2] + hits["init_failed"][:2]
                    + hits["setup_failed"][:2])
        missing = []
        if version is None:
            missing.append(Missing("the Antrea version (images without iptables-wrapper always use legacy iptables)",
                                   "kubectl -n kube-system get ds antrea-agent "
                                   "-o jsonpath='{.spec.template.spec.containers[0].image}'"))
        yield RULE.finding(
            nodes=[node_name],
            confidence=0.95 if (hits["cant_init"] and hits["module_missing"]) or old_image else 0.85,
            values={"mode": mode, "detail": "; ".join(details), "kernel": kernel, "old_image": old_image,
                    "version": str(version) if version else None, "el8": bool(kernel and ".el8" in kernel)},
            evidence=evidence,
            missing=missing,
            ruled_out=["iptables-lock: iptables exits with status 3 (table missing), not 4 (lock)"]
            if _has_exit(hits, "3") and not _has_exit(hits, "4") else [],
        )



def _has_wrapper(version) -> bool:
    return version >= WRAPPER_SINCE or (version.major, version.minor) == (1, 2) and version >= WRAPPER_BACKPORT


def _has_exit(hits, status: str) -> bool:
    return any(f"exit status {status}:" in e.text for evs in hits.values() for e in evs)

