"""SecondaryNetwork moved the Node's primary NIC into an OVS bridge while flow-restore-wait was set.

Symptom
-------
After enabling SecondaryNetwork with the Node's own NIC as the bridge's physical interface,
worker Nodes go dark (SSH lost), antrea-agent crash-loops with ``failed to get Node ... i/o
timeout`` or ``Spec.PodCIDR is empty for Node``, and the agent never recovers; control-plane
Nodes may look fine (antrea-io/antrea#6448).

Why it happens
--------------
antrea-ovs sets the global ``other_config:flow-restore-wait=true`` whenever it starts OVS; while
it is set OVS forwards nothing new on any bridge. Dev builds between antrea-io/antrea#6342 (which
delayed clearing the flag until the agent's initial syncs) and the fix antrea-io/antrea#6504
(released in v2.1.0) created the secondary bridge, renamed the NIC to ``<nic>~``, moved the Node
IP to an OVS internal port and attached the NIC *before* clearing the flag. From then on the Node
has no network, the initial syncs cannot reach the API server, so the flag is never cleared:
a deadlock. The agent API never starts (no support bundle), the liveness probe restarts the
agent, and every later run fails to reach the API server through the bridged NIC. Control-plane
Nodes survive because their API server is local.

Evidence
--------
Confirmed from the agent log when a run logs ``Physical interface added to secondary OVS
bridge`` (after ``Renaming interface`` ``<nic>`` → ``<nic>~``) with no ``Cleaned up
flow-restore-wait config`` before it, and that run never clears the flag or the Node later fails
to reach the API server. The absent clean-up line is conclusive on these builds: every path of
``FlowRestoreComplete`` that removes the key logs it (pkg/agent/agent.go, v2.0-v2.7); the other
two paths (``flow-restore-wait was not true, skip cleaning it up``: OVS kept running, no key to
clear; an error: a fatal line) leave no key set or end the run. A run that cleared the flag
after attaching the NIC recovered (a control-plane Node, whose API server is local); one whose
later run started and cleared it is history (``info``). Without that log, the host state (``ip
addr``: ``<nic>~`` with ``master ovs-system`` and no IPv4, the Node IP and default route on
``<nic>``) and an agent that cannot reach the API server on an affected build confirm the NIC in
the bridge and the lost Node, with the ordering inferred from the build; the agent config alone
(SecondaryNetwork on with a single physical interface) makes it inconclusive, with the commands
that collect what is missing. On releases that attach the NIC after flow restoration (v2.0.x and
v2.1.0+), this ordering cannot happen and the rule does not run: a bridged NIC with lost
connectivity there has other causes (restore failures such as antrea-io/antrea#8297, DNS lost
with DHCP antrea-io/antrea#6558). A NIC bridged after the flag was cleared (a dedicated secondary
NIC) is the supported set-up and does not fire.

Remediation
-----------
Upgrade to v2.1.0 or later. To recover a Node now, from its console clear flow-restore-wait
(or restore the NIC from the bridge). Until upgraded, give the secondary bridge a dedicated NIC.

References
----------
antrea-io/antrea#6448, antrea-io/antrea#6504 (fix), antrea-io/antrea#6342 (regression),
antrea-io/antrea docs/secondary-network.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from diagnose.api import (
    AGENT_CONFIG,
    AGENT_LOG,
    CLUSTER_INFO,
    IP_ADDR,
    IP_LINK,
    IP_ROUTE,
    OVS_LOG,
    EvidenceLine,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Run,
    Signature,
    Step,
    lifecycle,
)


@dataclass
class Values:
    """The NIC the SecondaryNetwork bridge took, and the agent's failure."""

    nic: str  # the Node's NIC moved into the bridge, e.g. "enp0s1" (renamed "enp0s1~")
    bridge: str  # the SecondaryNetwork OVS bridge, e.g. "br-ext"; "<secondary bridge>" when unknown
    version: str  # the agent's version, e.g. "v2.1.0-dev-6e00ebf"; "(version unknown)"
    fatal: str | None  # the agent's failure to reach the API server, as logged; None when not logged
    basis: str  # what an inferred finding rests on: the host state, the agent config, the API failure
    survivors: list[str] = field(default_factory=list)  # Nodes that went through it and recovered


_MOVED = """On {{ where }} antrea-agent {{ version }} moved the Node's NIC {{ nic }} into the SecondaryNetwork OVS
    bridge {{ bridge }} (renamed {{ nic }}~, Node IP moved to the internal port {{ nic }})"""
_CUT_OFF = """With the flag set OVS forwards nothing new, so the Node lost its network; the agent then could not
    reach the API server{% if fatal %} ("{{ fatal }}"){% endif %}, so it never cleared the flag and never recovered.
    This is antrea-io/antrea#6448, a bug of v2.1.0 dev builds fixed in v2.1.0 (antrea-io/antrea#6504).
    {% if survivors %}{{ survivors | join(", ") }} went through the same sequence but recovered because their API
    server is local.{% endif %}"""
_STILL_BRIDGED = """The NIC is still in the bridge: the next restart of OVS or the agent repeats it until Antrea is
    upgraded to v2.1.0 or later."""
_INFERRED = """The agent log of the run that attached the NIC is not in the bundle; the finding rests on {{ basis }}."""

OVSDB_COMMAND = (
    "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock get Open_vSwitch . other_config"
    "   # on {{ node }}'s console; with the agent Pod up: kubectl exec -n kube-system "
    "<antrea-agent pod> -c antrea-ovs -- ovs-vsctl get Open_vSwitch . other_config"
)

RULE = Rule(
    id="ANT-SEC-001",
    slug="secondary-bridge-took-node-nic",
    title="SecondaryNetwork bridged the Node's NIC while OVS flow-restore-wait was set",
    category="secondary-network-uplink",
    severity="critical",
    applies_to=">=2.1.0-dev,<2.1.0",
    fixed_in="v2.1.0",
    platform="linux",
    inputs=Inputs(any_of=(AGENT_LOG, IP_ADDR, IP_LINK), optional=(IP_ROUTE, OVS_LOG, AGENT_CONFIG, CLUSTER_INFO)),
    references=(
        "antrea-io/antrea#6448",
        "antrea-io/antrea#6504",
        "antrea-io/antrea#6342",
        "https://github.com/antrea-io/antrea/blob/main/docs/secondary-network.md",
    ),
    signatures=(
        Signature(
            "bridge_created",
            r'"OVS bridge (?:created|ready)" bridge="?(?P<bridge>[^"\s]+)',
            "OVS bridge ",
            role="context",
        ),
        Signature(
            "renamed",
            r'"Renaming interface" oldName="?(?P<old>[^"\s]+)"? newName="?(?P<new>[^"\s]+)',
            "Renaming interface",
            role="context",
        ),
        # v1.14-v1.15 say "Physical interface added to OVS bridge" and never rename the NIC.
        Signature(
            "uplink_added",
            r'"Physical interface added to secondary OVS bridge[^"]*" device="?(?P<dev>[^"\s]+)',
            "Physical interface added to secondary OVS bridge",
            versions=">=2.0.0",
            role="context",
        ),
        # Only renamed uplinks (`<nic>~`): every Pod interface add logs the same line.
        Signature(
            "ovs_added",
            r"bridge (?P<bridge>[\w.-]+): added interface (?P<iface>[^\s~]+~) on port (?P<port>\d+)",
            "~ on port ",
            kinds=("ovs-log",),
            role="context",
        ),
    ),
    explains=(
        "apiserver-unreachable",
        "podcidr-not-allocated",
        "ovs-flow-restore-wait",
        "agent-crash",
        "host-network-config",
    ),
    lookalikes=("apiserver-unreachable", "podcidr-not-allocated", "ovs-flow-restore-wait"),
    values=Values,
    outcomes=(
        Outcome("attached_before_clear", message=_MOVED + " before it cleared OVS flow-restore-wait. " + _CUT_OFF),
        # The NIC in OVS and the Node cut off from the API server are observed; the ordering is the
        # build's, which the agent log would show.
        Outcome(
            "bridged_on_affected_build",
            message=_MOVED
            + """ on a build that does so before clearing OVS
            flow-restore-wait. """
            + _CUT_OFF
            + " "
            + _INFERRED,
        ),
        Outcome(
            "suspected_from_config",
            status="inconclusive",
            message="""
            On {{ where }} antrea-agent {{ version }} is configured to move the Node's NIC {{ nic }} into the
            SecondaryNetwork OVS bridge {{ bridge }}, a build that does so before clearing OVS flow-restore-wait, and
            it cannot reach the API server{% if fatal %} ("{{ fatal }}"){% endif %}: antrea-io/antrea#6448 (fixed in
            v2.1.0) would cut the Node off that way. """
            + _INFERRED,
        ),
        # A later run of the agent started and cleared the flag: the Node works again (the rule's
        # conclusion, or the engine's judgement of the failures the finding cites).
        Outcome(
            "history",
            severity="info",
            message=_MOVED + " before it cleared OVS flow-restore-wait, which "
            "cut the Node off (antrea-io/antrea#6448); a later run started and cleared the flag, so the Node "
            "works again. " + _STILL_BRIDGED,
        ),
        Outcome(
            "superseded",
            severity="info",
            message=_MOVED + " before it cleared OVS flow-restore-wait "
            "(antrea-io/antrea#6448). {{ outcome_text }} " + _STILL_BRIDGED,
        ),
    ),
    remediation=(
        Step(
            "Upgrade Antrea to v2.1.0 or later (the fix attaches the NIC only after flow-restore-wait is "
            "cleared); do not run `latest`/dev images in production."
        ),
        Step(
            "Recover the Node from its console: clear flow-restore-wait so OVS forwards again.",
            "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock remove Open_vSwitch . other_config "
            "flow-restore-wait",
        ),
        Step(
            "Or give the NIC back to the host: remove it and the internal port from the bridge, rename it "
            "back and re-apply the host network config.",
            "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock del-port {{ bridge }} {{ nic }}~ -- "
            "del-port {{ bridge }} {{ nic }}; ip link set {{ nic }}~ down; ip link set {{ nic }}~ name {{ nic }}; "
            "ip link set {{ nic }} up; netplan apply",
        ),
        Step(
            "Until upgraded, use a dedicated NIC for secondaryNetwork.ovsBridges[].physicalInterfaces (not the "
            "one carrying the Node IP), or remove the secondaryNetwork bridge config."
        ),
    ),
)


@dataclass
class _Attach:
    """A run that attached an uplink to the secondary bridge before clearing the flag."""

    run: Run
    renamed: LogEvent | None
    added: LogEvent


@dataclass
class _Case:
    """A finding to be: its outcome, Node, confidence, values and evidence."""

    outcome: str
    node: str
    confidence: float
    values: Values
    evidence: list[LogEvent | EvidenceLine]
    missing: list[Missing]


def check(ev: RuleEvidence) -> Iterator[Finding]:
    cfg = ev.config
    config_nics = (
        [i for b in cfg.secondary_bridges for i in b.physical_interfaces]
        if cfg and cfg.gate("SecondaryNetwork")
        else []
    )
    config_bridge = cfg.secondary_bridges[0].name if cfg and cfg.secondary_bridges else None
    cases: list[_Case] = []
    survivors: list[str] = []
    for node in ev.nodes:
        attach = _attach_before_clear(ev, node)
        fatal = node.api_failure()
        if attach is not None:
            if attach.run.first(lifecycle.key("frw_cleaned"), after=attach.added) and not _later_runs_failed(
                node, attach.run
            ):
                survivors.append(node.name)
            else:
                cases.append(_from_log(ev, node, attach, fatal))
            continue
        if not (fatal or node.failed_reason):
            continue
        host = node.bridged_primary_nic(unknown_routes_count=True)
        if host and node.mode.bridging and host.renamed_uplink not in config_nics:
            host = None  # AntreaIPAM bridging: the uplink belongs in br-int
        nic = (host.renamed_uplink if host else None) or (config_nics[0] if len(config_nics) == 1 else None)
        if nic:
            cases.append(_inferred(ev, node, nic, bool(host), config_nics, config_bridge, fatal))
    for case in cases:
        case.values.survivors = [n for n in survivors if n != case.node]
        yield RULE.finding(
            case.outcome,
            nodes=[case.node],
            confidence=case.confidence,
            values=case.values,
            evidence=case.evidence,
            missing=case.missing,
            ruled_out=_ruled_out(ev.view.nodes[case.node]),
        )


def _attach_before_clear(ev: RuleEvidence, node: NodeView) -> _Attach | None:
    for run in node.runs:
        added = run.first(ev.key("uplink_added"))
        if added is None:
            continue
        cleared = run.first(lifecycle.key("frw_cleaned"))
        if cleared is not None and run.events.index(cleared) < run.events.index(added):
            continue  # the supported order: flag cleared, then the NIC attached
        renamed = next((e for e in run.all(ev.key("renamed")) if e.groups.get("new") == added.groups.get("dev")), None)
        return _Attach(run, renamed, added)
    return None


def _later_runs_failed(node: NodeView, run: Run) -> bool:
    return any(r.fatal for r in node.runs[node.runs.index(run) + 1 :]) or bool(node.failed_reason)


def _from_log(ev: RuleEvidence, node: NodeView, attach: _Attach, fatal: LogEvent | None) -> _Case:
    run, renamed, added = attach.run, attach.renamed, attach.added
    nic = (added.groups.get("dev") or "").rstrip("~") or (renamed.groups.get("old") if renamed else "") or "?"
    bridge_event = run.first(ev.key("bridge_created"))
    waited = run.first(lifecycle.key("frw_waiting"))
    later = node.runs[node.runs.index(run) + 1 :]
    later_fatals = [r.fatal for r in later if r.fatal]
    evidence: list[LogEvent | EvidenceLine] = [e for e in (bridge_event, renamed, added, waited) if e is not None]
    evidence.append(run.events[-1])  # where the run stops, without "Cleaned up flow-restore-wait config"
    evidence.extend(later_fatals[-1:])
    evidence.extend(e for e in ev.hits("ovs_added", node) if e.groups.get("iface", "").startswith(nic))
    host = node.bridged_primary_nic(unknown_routes_count=True)
    if host:
        line = node.line_in((IP_ADDR, IP_LINK), f"{host.name}:")
        if line:
            evidence.append(line)
    # A later run that initialised and cleared the flag, with no failure since: the Node works again.
    recovered = bool(later) and later[-1].healthy and not node.failed_reason
    shown = later_fatals[-1] if later_fatals else fatal
    return _Case(
        outcome="history" if recovered else "attached_before_clear",
        node=node.name,
        confidence=0.97 if host else 0.92,
        values=Values(
            nic=nic,
            bridge=bridge_event.groups.get("bridge", "?") if bridge_event else "?",
            version=_version(ev, node),
            fatal=shown.message if shown else None,
            basis="",
        ),
        evidence=evidence[:14],
        missing=[] if recovered else _missing(node, need_host=host is None),
    )


def _inferred(
    ev: RuleEvidence,
    node: NodeView,
    nic: str,
    host_seen: bool,
    config_nics: list[str],
    config_bridge: str | None,
    fatal: LogEvent | None,
) -> _Case:
    basis = []
    evidence: list[LogEvent | EvidenceLine] = []
    if host_seen:
        basis.append(f"the host state ({nic}~ enslaved to ovs-system, {nic} carrying the Node's route)")
        for name in (f"{nic}~:", f"dev {nic} "):
            line = node.line_in((IP_ADDR, IP_LINK, IP_ROUTE), name)
            if line:
                evidence.append(line)
    if config_nics:
        basis.append(f"the agent config (SecondaryNetwork bridging {', '.join(config_nics)})")
    if fatal:
        basis.append("the agent failing to reach the API server")
        evidence.append(fatal)
    elif node.failed_reason:
        basis.append("the Node missing from the bundle (its agent API never came up)")
        evidence.append(EvidenceLine("failed_nodes", None, None, node.name, node.name))
    return _Case(
        outcome="bridged_on_affected_build" if host_seen else "suspected_from_config",
        node=node.name,
        confidence=0.85 if host_seen else 0.55,
        values=Values(
            nic=nic,
            bridge=config_bridge or "<secondary bridge>",
            version=_version(ev, node),
            fatal=(fatal.message or fatal.text) if fatal else None,
            basis=" and ".join(basis),
        ),
        evidence=evidence,
        missing=[
            Missing(
                "the agent log of the run that attached the NIC (the klog files survive restarts)",
                "tar czf antrea-logs-{{ node }}.tgz /var/log/antrea   # on {{ node }}'s console",
            ),
            *_missing(node, need_host=not host_seen),
        ],
    )


def _version(ev: RuleEvidence, node: NodeView) -> str:
    version = ev.version(node)
    return str(version) if version else "(version unknown)"


def _missing(node: NodeView, need_host: bool) -> list[Missing]:
    out = []
    if node.ovsdb is None:
        # The Node is cut off: the registry's `kubectl exec` cannot reach it, its console can.
        out.append(
            Missing(
                "the OVSDB value of other_config:flow-restore-wait (antctl bundles carry no OVSDB dump)", OVSDB_COMMAND
            )
        )
    if need_host:
        why = "from the Node's console: which NIC is in the bridge, and where the Node IP is"
        out += [Missing.of(kind, why) for kind in (IP_ADDR, IP_ROUTE) if not node.has(kind)]
    return out


def _ruled_out(node: NodeView) -> list[str]:
    out = ["podcidr-not-allocated: the agent lost the API server, so an empty PodCIDR is not the cause"]
    info = node.info
    if info and info.pod_cidrs:
        out[0] += f" (clusterinfo shows {', '.join(info.pod_cidrs)} allocated)"
    out.append("an API server outage: the agent lost it right after moving the NIC into OVS")
    return out
