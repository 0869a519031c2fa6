"""The Node's NIC is left in the SecondaryNetwork OVS bridge and the Node lost its network.

Symptom
-------
With SecondaryNetwork bridging the Node's own NIC, the Node loses connectivity and antrea-agent
cannot reach the API server, on an Antrea release that is not affected by antrea-io/antrea#6448
(v2.0.x, v2.1.0 and later attach the NIC only after flow restoration).

Why it happens
--------------
The agent renames the NIC to ``<nic>~``, moves the Node IP and routes to an OVS internal port
``<nic>`` and attaches ``<nic>~`` to the secondary bridge; on exit it moves everything back
(``Restore()``). When that restoration fails (the agent logs ``Restore host interface name
failed``, ``Restore IPs to host interface failed``...), or the agent is killed before it runs
(SIGKILL, OOM: a later run finds ``Port already exists, skip the configuration`` for ``<nic>~``,
antrea-io/antrea#8297), the NIC stays in the bridge. It then only forwards while OVS and the
agent's flows work: after an OVS restart ``flow-restore-wait`` is set again until the agent clears
it, which it cannot do without the API server. With DHCP and a DNS manager the move can also lose
the Node's DNS configuration (antrea-io/antrea#6558).

Evidence
--------
Confirmed when the agent logged a failed restoration of the host interface (v2.0-v2.6 ``Restore
host interface name failed``, ``Restore IPs/routes to host interface failed``, ``Delete OVS port
failed``; v2.7 ``Failed to restore physical interface name``, ``Failed to restore host interface
configuration on shutdown``), or when the host state (``ip addr``: ``<nic>~`` enslaved to
``ovs-system``, the Node's default route on ``<nic>``) shows the NIC in the bridge of an agent
that cannot reach the API server. Inconclusive with only a restart that found the uplink port
already in the bridge (``Port already exists, skip the configuration``; v2.7 also ``Detected
stale host-connection interface``) and the API unreachable. All on a known release outside the
#6448 window; the same restore code serves AntreaIPAM's bridging of the uplink into br-int, so a
NIC no SecondaryNetwork bridge claims is left out. Look-alike: ``ANT-SEC-001`` (the dev-build
ordering bug) when the version is a v2.1.0 dev build or unknown; a dedicated secondary NIC that
does not carry the Node IP does not fire. A failed restore followed by a run that initialised is
history (the engine judges it).

Remediation
-----------
Give the NIC back to the host from the Node's console (remove the ports, rename the NIC, re-apply
the host network configuration), check ``flow-restore-wait`` and ``/etc/resolv.conf``, and use a
dedicated NIC for the secondary bridge where possible.

References
----------
antrea-io/antrea#8297, antrea-io/antrea#6558, antrea-io/antrea#6448, antrea-io/antrea
docs/secondary-network.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    IP_ADDR,
    IP_LINK,
    IP_ROUTE,
    EvidenceLine,
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
    Version,
)


@dataclass
class Values:
    """The NIC left in the bridge and the restore steps that failed."""

    nic: str  # the Node's NIC (in the bridge as "<nic>~"), e.g. "eth0"; "<nic>" when nothing names it
    version: str  # the agent's release, e.g. "v2.3.0"
    fatal: str | None  # the agent's failure to reach the API server, as logged; None when not logged
    restore_failed: str  # the restore steps the agent logged as failed, e.g. "Restore host interface name failed"
    port_exists: bool  # a restarted agent found the uplink port still in the bridge


_NOT_6448 = """Antrea {{ version }} attaches the NIC only after flow restoration, so this is not the #6448
    ordering bug: check whether OVS has flow-restore-wait set again (an OVS restart sets it until the agent, which
    needs the API server, clears it) and whether the Node kept its DNS configuration."""
_API = """{% if fatal %} and antrea-agent cannot reach the API server ("{{ fatal }}"){% endif %}"""

RULE = Rule(
    id="ANT-SEC-002",
    slug="secondary-bridge-uplink-lost",
    title="The Node's NIC is left in the SecondaryNetwork OVS bridge and the Node lost its network",
    category="secondary-network-uplink",
    severity="critical",
    applies_to=">=2.0.0",
    platform="linux",
    inputs=Inputs(any_of=(AGENT_LOG, IP_ADDR, IP_LINK), optional=(IP_ROUTE,)),
    references=(
        "antrea-io/antrea#8297",
        "antrea-io/antrea#6558",
        "antrea-io/antrea#6448",
        "https://github.com/antrea-io/antrea/blob/main/docs/secondary-network.md",
    ),
    signatures=(
        # pkg/agent/util/net_linux.go RestoreHostInterfaceConfiguration (v2.0-v2.6 wording; v2.7 keeps the
        # IP and route ones).
        Signature(
            "restore_failed",
            r'"(?P<what>Restore host interface name failed|Restore IPs to host interface failed|'
            r'Restore routes to host interface failed|Delete OVS port failed)"',
            ' failed"',
            versions=">=2.0.0",
        ),
        # v2.7: net_linux.go and secondarynetwork/init_linux.go ShutdownAndRestore.
        Signature(
            "restore_failed_v27",
            r'"(?P<what>Failed to restore physical interface name|'
            r'Failed to restore host interface configuration on shutdown)"',
            '"Failed to restore ',
            versions=">=2.7.0",
        ),
        Signature(
            "port_exists",
            r'"Port already exists, skip the configuration" port="?(?P<port>[^"\s]+~)',
            "Port already exists, skip the configuration",
            versions=">=2.0.0",
            role="context",
        ),
        Signature(
            "stale_uplink",
            r'"Detected stale host-connection interface, restoring it before re-adding as uplink"',
            "Detected stale host-connection interface",
            versions=">=2.7.0",
            role="context",
        ),
    ),
    explains=(
        "apiserver-unreachable",
        "ovs-flow-restore-wait",
        "agent-crash",
        "host-network-config",
        "controller-unreachable",
    ),
    lookalikes=("secondary-network-uplink", "apiserver-unreachable"),
    values=Values,
    outcomes=(
        Outcome(
            "restore_failed",
            message="""
            On {{ where }} antrea-agent failed to give the Node's NIC {{ nic }} back to the host ({{ restore_failed }}):
            it stays in the secondary OVS bridge as {{ nic }}~"""
            + _API
            + """, so the Node's network depends on OVS
            forwarding for it. """
            + _NOT_6448,
        ),
        Outcome(
            "left_in_bridge",
            message="""
            On {{ where }} the Node's NIC {{ nic }} is in an OVS bridge (renamed {{ nic }}~, enslaved to
            ovs-system)"""
            + _API
            + """. {% if port_exists %}A restarted agent found {{ nic }}~ still attached from an
            earlier run that did not restore it (killed or crashed: antrea-io/antrea#8297).{% else %}The NIC was not
            restored to the host.{% endif %} """
            + _NOT_6448,
        ),
        # The stale port is logged; where the Node IP and routes are is not.
        Outcome(
            "stale_port",
            status="inconclusive",
            message="""
            On {{ where }} a restarted antrea-agent found {{ nic }}~ still attached to the secondary OVS bridge from
            an earlier run that did not restore it (killed or crashed: antrea-io/antrea#8297)"""
            + _API
            + """.
            The Node's addresses and routes, which would show the NIC still cut off from the host, are not in the
            bundle. """
            + _NOT_6448,
        ),
        # The engine's judgement: a later run of the agent initialised after the failed restore.
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} antrea-agent left the Node's NIC {{ nic }} in the secondary OVS bridge in an earlier run.
            {{ outcome_text }}
        """,
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} antrea-agent left the Node's NIC {{ nic }} in the secondary OVS bridge for a while.
            {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Check flow-restore-wait from the Node's console.",
            "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock get Open_vSwitch . other_config",
        ),
        Step(
            "Give the NIC back to the host: remove it and the internal port from the bridge, rename it back "
            "and re-apply the host network configuration.",
            "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock del-port {{ nic }}~ -- "
            "del-port {{ nic }}; ip link set {{ nic }}~ down; ip link set {{ nic }}~ name {{ nic }}; "
            "ip link set {{ nic }} up; netplan apply",
        ),
        Step(
            "Check the Node's DNS configuration survived the move (DHCP with systemd-resolved).",
            "resolvectl status {{ nic }}; cat /etc/resolv.conf",
        ),
        Step(
            "Prefer a dedicated NIC for secondaryNetwork.ovsBridges[].physicalInterfaces; avoid killing the "
            "agent with SIGKILL (it restores the NIC only on a clean exit)."
        ),
    ),
)

OVSDB_COMMAND = (
    "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock get Open_vSwitch . other_config"
    "   # on {{ node }}'s console"
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        version = ev.version(node)
        if version is None or _dev_build_of_2_1(version):
            continue  # unknown or a #6448 build: ANT-SEC-001 speaks for it
        restore = [
            e
            for e in ev.hits("restore_failed", node) + ev.hits("restore_failed_v27", node)
            if not _bridged_by_design(node, _named_nic(e))
        ]
        stale = [
            e
            for e in ev.hits("port_exists", node) + ev.hits("stale_uplink", node)
            if not _bridged_by_design(node, _named_nic(e))
        ]
        fatal = node.api_failure()
        bridged = node.bridged_primary_nic()
        if bridged and _bridged_by_design(node, bridged.renamed_uplink):
            bridged = None
        cut_off = bool(fatal or node.failed_reason)
        if not restore and not ((bridged or stale) and cut_off):
            continue
        evidence: list[LogEvent | EvidenceLine] = [*restore[:4], *stale[:2]]
        if bridged:
            line = node.line_in((IP_ADDR, IP_LINK), f"{bridged.name}:")
            if line:
                evidence.append(line)
        if fatal:
            evidence.append(fatal)
        elif node.failed_reason:
            evidence.append(EvidenceLine("failed_nodes", None, None, node.name, node.name))
        missing = []
        if node.ovsdb is None:
            # The Node is cut off: the registry's `kubectl exec` cannot reach it, its console can.
            missing.append(Missing("the OVSDB value of other_config:flow-restore-wait", OVSDB_COMMAND))
        if node.links is None:
            missing.append(Missing.of(IP_ADDR, "from the Node's console: whether the NIC is still in the bridge"))
        outcome = "restore_failed" if restore else "left_in_bridge" if bridged else "stale_port"
        yield RULE.finding(
            outcome,
            nodes=[node.name],
            confidence={"restore_failed": 0.85, "left_in_bridge": 0.8, "stale_port": 0.65}[outcome],
            values=Values(
                nic=_nic(bridged.renamed_uplink if bridged else None, stale, restore),
                version=str(version),
                fatal=fatal.message if fatal else None,
                restore_failed=", ".join(sorted({e.groups.get("what", "") for e in restore})),
                port_exists=bool(stale),
            ),
            evidence=evidence,
            missing=missing,
            ruled_out=[f"antrea-io/antrea#6448: Antrea {version} attaches the NIC after flow restoration"],
        )


def _bridged_by_design(node: NodeView, nic: str | None) -> bool:
    """The NIC is in br-int on purpose (AntreaIPAM bridging mode) and no SecondaryNetwork bridge
    claims it: the restore code and the host state are the same for both."""
    mode = node.mode
    if not mode.bridging:
        return False
    return not any(nic in nics for nics in mode.secondary_bridges.values()) if nic else True


def _dev_build_of_2_1(version: Version) -> bool:
    return (version.major, version.minor, version.patch) == (2, 1, 0) and version.is_dev


def _named_nic(e: LogEvent) -> str | None:
    """The NIC a restore or stale-port line names, without the `~` of its bridged name."""
    name = (
        e.groups.get("port")
        or e.kv.get("interface")
        or e.kv.get("to")
        or e.kv.get("newName")
        or e.kv.get("from")
        or e.kv.get("port")
    )
    return name.rstrip("~") if name else None


def _nic(bridged: str | None, stale: list[LogEvent], restore: list[LogEvent]) -> str:
    """The NIC's own name, from the host state, a stale uplink port or the failed restore."""
    if bridged:
        return bridged
    return next((name for e in [*stale, *restore] if (name := _named_nic(e))), "<nic>")
