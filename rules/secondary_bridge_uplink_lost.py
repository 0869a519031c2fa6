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
Confirmed when the agent logged a failed restoration of the host interface. Otherwise inconclusive:
the host state (``ip addr``: ``<nic>~`` enslaved to ``ovs-system``, the Node's default route on
``<nic>``) or a restart that found the uplink port already in the bridge, together with an agent
that cannot reach the API server, on a known release outside the #6448 window. Look-alike:
``ANT-SEC-001`` (the dev-build ordering bug) when the version is a v2.1.0 dev build or unknown;
a dedicated secondary NIC that does not carry the Node IP does not fire.

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

from diagnose import versions
from diagnose.rule import CONFIRMED, INCONCLUSIVE, EvidenceLine, Missing, Rule, Signature, Step

RULE = Rule(
    id="ANT-SEC-002",
    slug="secondary-bridge-uplink-lost",
    title="The Node's NIC is left in the SecondaryNetwork OVS bridge and the Node lost its network",
    category="secondary-network-uplink",
    severity="critical",
    applies_to=">=2.0.0",
    references=("antrea-io/antrea#8297", "antrea-io/antrea#6558", "antrea-io/antrea#6448",
                "https://github.com/antrea-io/antrea/blob/main/docs/secondary-network.md"),
    signatures=(
        # pkg/agent/util/net_linux.go RestoreHostInterfaceConfiguration (v2.0-v2.7 wording).
        Signature("restore_failed",
                  r'"(?P<what>Restore host interface name failed|Restore IPs to host interface failed|'
                  r'Restore routes to host interface failed|Delete OVS port failed)"',
                  " failed\"", versions=">=2.0.0"),
        Signature("port_exists", r'"Port already exists, skip the configuration" port="?(?P<port>[^"\s]+~)',
                  "Port already exists, skip the configuration", versions=">=2.0.0", role="context"),
        Signature("stale_uplink", r'"Detected stale host-connection interface, restoring it before re-adding as uplink"',
                  "Detected stale host-connection interface", versions=">=2.7.0", role="context"),
    ),
    explains=("apiserver-unreachable", "ovs-flow-restore-wait", "agent-crash", "host-network-config",
              "controller-unreachable"),
    lookalikes=("secondary-network-uplink", "apiserver-unreachable"),
    message="""
        On {{ where }} the Node's NIC {{ nic }} is in an OVS bridge (renamed {{ nic }}~, enslaved to
        ovs-system){% if fatal %} and antrea-agent cannot reach the API server ("{{ fatal }}"){% endif %}.
        {% if restore_failed %}The agent failed to give the NIC back to the host ({{ restore_failed }}), so
        the Node's network depends on OVS forwarding for it.{% elif port_exists %}A restarted agent found
        {{ nic }}~ still attached from an earlier run that did not restore it (killed or crashed:
        antrea-io/antrea#8297).{% else %}The NIC was not restored to the host.{% endif %}
        Antrea {{ version }} attaches the NIC only after flow restoration, so this is not the #6448
        ordering bug: check whether OVS has flow-restore-wait set again (an OVS restart sets it until the
        agent, which needs the API server, clears it) and whether the Node kept its DNS configuration.
    """,
    remediation=(
        Step("Check flow-restore-wait from the Node's console.",
             "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock get Open_vSwitch . other_config"),
        Step("Give the NIC back to the host: remove it and the internal port from the bridge, rename it back "
             "and re-apply the host network configuration.",
             "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock del-port {{ nic }}~ -- "
             "del-port {{ nic }}; ip link set {{ nic }}~ down; ip link set {{ nic }}~ name {{ nic }}; "
             "ip link set {{ nic }} up; netplan apply"),
        Step("Check the Node's DNS configuration survived the move (DHCP with systemd-resolved).",
             "resolvectl status {{ nic }}; cat /etc/resolv.conf"),
        Step("Prefer a dedicated NIC for secondaryNetwork.ovsBridges[].physicalInterfaces; avoid killing the "
             "agent with SIGKILL (it restores the NIC only on a clean exit)."),
    ),
)


def check(ev):
    for node in ev.nodes:
        version = ev.version(node)
        if version is None or _dev_build_of_2_1(version):
            continue  # unknown or a #6448 build: ANT-SEC-001 speaks for it
        restore = ev.hits("restore_failed", node)
        stale = ev.hits("port_exists", node) + ev.hits("stale_uplink", node)
        fatal = node.api_failure()
        bridged = node.bridged_primary_nic()
        if bridged and _bridged_by_design(node, bridged.renamed_uplink):
            bridged = None  # AntreaIPAM bridging / Windows: the uplink belongs in br-int
        if not restore and not ((bridged or stale) and (fatal or node.failed_reason)):
            continue
        nic = _nic(bridged, stale, restore)
        evidence = [*restore[:4], *stale[:2]]
        if bridged:
            line = node.line_in(("ip-addr", "ip-link"), f"{bridged.name}:")
            if line:
                evidence.append(line)
        if fatal:
            evidence.append(fatal)
        elif node.failed_reason:
            evidence.append(EvidenceLine("failed_nodes", None, None, node.name, node.name))
        missing = []
        if node.ovsdb is None:
            missing.append(Missing("the OVSDB value of other_config:flow-restore-wait",
                                   "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock get Open_vSwitch . "
                                   "other_config   # on {{ node }}'s console"))
        if node.links is None:
            missing.append(Missing("the Node's interfaces and routes", "ip addr; ip route   # on {{ node }}'s console"))
        # A failed restore is logged; a NIC found in OVS while the Node lost the API server is observed.
        observed = bool(restore) or bool(bridged and (fatal or node.failed_reason))
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.85 if restore else 0.8 if observed else 0.65,
            values={"nic": nic, "version": str(version), "fatal": fatal.message if fatal else None,
                    "restore_failed": ", ".join(sorted({e.groups.get("what", "") for e in restore})),
                    "port_exists": bool(stale)},
            evidence=evidence,
            status=CONFIRMED if observed else INCONCLUSIVE,
            missing=missing,
            ruled_out=[f"antrea-io/antrea#6448: Antrea {version} attaches the NIC after flow restoration"],
        )


def _bridged_by_design(node, nic: str) -> bool:
    """The NIC is in br-int on purpose (AntreaIPAM bridging mode, Windows) and no SecondaryNetwork
    bridge claims it."""
    mode = node.mode
    claimed = any(nic in nics for nics in mode.secondary_bridges.values())
    return mode.bridging and not claimed


def _dev_build_of_2_1(version: versions.Version) -> bool:
    return (version.major, version.minor, version.patch) == (2, 1, 0) and version.is_dev


def _nic(bridged, stale, restore) -> str:
    """The NIC's own name, from the host state, a stale uplink port or the failed restore."""
    if bridged:
        return bridged.renamed_uplink
    for e in [*stale, *restore]:
        name = e.groups.get("port") or e.kv.get("to") or e.kv.get("interface") or e.kv.get("from")
        if name:
            return name.rstrip("~")
    return "<nic>"
