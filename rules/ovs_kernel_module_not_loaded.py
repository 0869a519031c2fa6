"""The openvswitch kernel module cannot be loaded on the Node.

Symptom
-------
The antrea-agent Pod never starts: its install-cni init container exits with ``Failed to load
the OVS kernel module from the container, try running 'modprobe openvswitch' on your Nodes``
(after ``modprobe: FATAL: Module openvswitch not found in directory /lib/modules/<kernel>``),
or ovs-vswitchd logs ``Generic Netlink family 'ovs_datapath' does not exist. The Open vSwitch
kernel module is probably not loaded.`` and cannot create br-int's datapath.

Why it happens
--------------
Antrea's OVS bridge uses the kernel datapath (``ovsDatapathType: system``), provided by the
``openvswitch`` kernel module. The install-cni init container loads it with modprobe from
the host's ``/lib/modules`` (since v0.13, antrea-io/antrea#1777) unless it is built into the
kernel (v2.0+, antrea-io/antrea#5979) or loading is disabled (``agent.dontLoadKernelModules``,
v1.15+, antrea-io/antrea#5754). It fails when the running kernel has no such module (a
kernel package without the extra modules, a kernel updated without a reboot so
``/lib/modules/$(uname -r)`` is gone, a minimal distribution) or the container may not load
modules.

Evidence
--------
install-cni's ``Failed to load the OVS kernel module`` message (build/images/scripts/install_cni,
v0.13+), ``modprobe: FATAL: Module openvswitch not found`` (with the kernel version from its
path) in any container or host log, or ovs-vswitchd's ``The Open vSwitch kernel module is
probably not loaded`` (lib/dpif-netlink.c, once per ovs-vswitchd start); a pasted ``lsmod``
without ``openvswitch`` (and no ``openvswitch.ko`` in ``modules.builtin``) confirms it. When
those listings show the module loaded or built in, the failures are over and the rule stays
quiet; so does a later ovs-vswitchd that opened its kernel datapath (``Datapath supports
recirculation``, ofproto/ofproto-dpif.c). install-cni prints nothing when modprobe succeeds, so
only the listing or OVS can tell a failure is over. ``Module openvswitch is built-in`` is the
healthy case; a WireGuard module failure only matters with WireGuard encryption and is not this
rule.

Remediation
-----------
Load the module on the Node (``modprobe openvswitch``); if it is missing, install the kernel
package that ships it for the running kernel (or reboot into the kernel whose modules are
installed). Where modules must be loaded by the host, load it at boot and set
``agent.dontLoadKernelModules: true``.

References
----------
antrea-io/antrea#1777 (install-cni loads the module), antrea-io/antrea#5979 (skip if
built-in), antrea-io/antrea#5754 (dontLoadKernelModules), openvswitch/ovs lib/dpif-netlink.c.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    KERNEL_MODULES,
    OTHER_CONTAINER_LOG,
    OVS_CONTAINER_LOG,
    OVS_LOG,
    EvidenceLine,
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

_CONTAINERS = (OTHER_CONTAINER_LOG, AGENT_LOG, OVS_CONTAINER_LOG)


@dataclass
class Values:
    """The kernel without the openvswitch module and what showed it."""

    kernel: str  # the running kernel whose /lib/modules has no openvswitch ("" when modprobe did not say)
    sources: list[str]  # what showed the module missing, one clause each


_MISSING = """
    On {{ where }} the openvswitch kernel module is not loaded{% if kernel %} and the running kernel
    {{ kernel }} has none under /lib/modules{% endif %}: {{ sources | join("; ") }}.
"""

RULE = Rule(
    id="ANT-KMOD-001",
    slug="ovs-kernel-module-not-loaded",
    title="The openvswitch kernel module is not available on the Node",
    category="kernel-module",
    severity="critical",
    applies_to="all",
    platform="linux",
    inputs=Inputs(any_of=(*_CONTAINERS, OVS_LOG), optional=(KERNEL_MODULES,)),
    references=(
        "antrea-io/antrea#1777",
        "antrea-io/antrea#5979",
        "antrea-io/antrea#5754",
        "https://github.com/antrea-io/antrea/blob/main/build/images/scripts/install_cni",
        "https://github.com/openvswitch/ovs/blob/main/lib/dpif-netlink.c",
    ),
    signatures=(
        # build/images/scripts/install_cni (and install_cni_chaining), v0.13.0+.
        Signature(
            "install_cni_failed",
            r"Failed to load the OVS kernel module from the container",
            "Failed to load the OVS kernel module",
            _CONTAINERS,
            versions=">=0.13.0",
        ),
        # kmod's modprobe error, as in antrea-io/antrea#3243 for ip_tables.
        Signature(
            "modprobe_missing",
            r"modprobe: FATAL: Module openvswitch not found(?: in directory (?P<dir>\S+))?",
            "modprobe: FATAL: Module openvswitch",
            _CONTAINERS,
        ),
        # ovs-vswitchd when the genetlink family of the module does not exist (OVS >= 2.x).
        Signature(
            "no_datapath_family",
            r"The Open vSwitch kernel module is probably not loaded",
            "kernel module is probably not loaded",
            (OVS_LOG, OVS_CONTAINER_LOG),
        ),
        # ovs-vswitchd opened the kernel datapath (ofproto-dpif.c check_recirc, at every backer open):
        # the module is there.
        Signature(
            "datapath_opened",
            r"system@[\w-]{1,64}: Datapath supports recirculation",
            "Datapath supports recirculation",
            (OVS_LOG,),
            role="success",
        ),
    ),
    explains=("ovs-not-running", "agent-crash", "ovs-datapath-feature", "cni"),
    lookalikes=("ovs-not-running",),
    values=Values,
    outcomes=(
        Outcome(
            "init_failed",
            message=_MISSING
            + """
            Without it OVS cannot create br-int's kernel datapath, so the antrea-agent Pod does not start
            (install-cni exits) and Pods on the Node get no network.
        """,
        ),
        Outcome(
            "not_loaded",
            message=_MISSING
            + """
            Without it OVS cannot create br-int's kernel datapath, so the antrea-agent Pod cannot set up the Pod
            network and Pods on the Node get no network.
        """,
        ),
        Outcome("recovered", severity="info", message=_MISSING + "{{ outcome_text }}"),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} the openvswitch kernel module was missing earlier: {{ sources | join("; ") }}.
            {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "On the Node, check for the module and load it.",
            "uname -r; lsmod | grep openvswitch; modinfo openvswitch; modprobe openvswitch",
        ),
        Step(
            "If modinfo finds nothing, install the kernel package that ships openvswitch.ko for the running kernel, "
            "or reboot into the kernel whose modules are installed."
        ),
        Step(
            "Where kernel modules must be loaded by the host, load openvswitch at boot and stop Antrea from "
            "loading modules (Helm value agent.dontLoadKernelModules=true, v1.15+).",
            "echo openvswitch > /etc/modules-load.d/openvswitch.conf",
        ),
        Step(
            "Restart the antrea-agent Pod.",
            "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
            "--field-selector spec.nodeName={{ node }}",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        init_failed = ev.hits("install_cni_failed", node)
        modprobe = ev.hits("modprobe_missing", node)
        vswitchd = ev.hits("no_datapath_family", node)
        if not (init_failed or modprobe or vswitchd):
            continue
        mods = node.kernel_modules
        available = mods.available("openvswitch") if mods else None
        if available:
            continue  # lsmod / modules.builtin show it now: the failures are over
        sources = []
        if init_failed:
            sources.append("install-cni could not load it")
        if modprobe:
            sources.append("modprobe found no openvswitch module")
        if vswitchd:
            sources.append("ovs-vswitchd found no Open vSwitch datapath in the kernel")
        evidence: list[LogEvent | EvidenceLine] = [*modprobe[:2], *init_failed[:2], *vswitchd[:2]]
        if available is False:
            sources.append("the module list of the Node has no openvswitch")
            listing = node.note_on(KERNEL_MODULES, "(no openvswitch module in this listing)")
            if listing is not None:
                evidence.append(listing)
        kernel = next((d.rstrip("/").rsplit("/", 1)[-1] for e in modprobe if (d := e.groups.get("dir"))), "")
        yield RULE.finding(
            "init_failed" if init_failed else "not_loaded",
            nodes=[node.name],
            # Two independent witnesses (a listing, modprobe and OVS) or install-cni's own verdict.
            confidence=0.95 if len(sources) > 1 or init_failed else 0.85,
            values=Values(kernel=kernel, sources=sources),
            evidence=evidence,
            missing=[] if mods else [Missing.of(KERNEL_MODULES, "whether the module is loaded or built in now")],
        )
