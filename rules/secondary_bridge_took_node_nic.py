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
flow-restore-wait config`` before it, and that run never clears the flag (it is restarted or
stops logging) or the Node later fails to reach the API server. Without that log, the host
state (``ip addr``: ``<nic>~`` with ``master ovs-system`` and no IPv4, the Node IP and default
route on ``<nic>``) or the agent config (SecondaryNetwork on with a single physical interface)
plus an agent that cannot reach the API server on an affected build make the finding
inconclusive, with the commands that collect what is missing. On releases that attach the NIC
after flow restoration (v2.0.x and v2.1.0+), this ordering cannot happen and the rule stays
quiet: a bridged NIC with lost connectivity there has other causes (restore failures such as
antrea-io/antrea#8297, DNS lost with DHCP antrea-io/antrea#6558). A NIC bridged after the flag
was cleared (a dedicated secondary NIC) is the supported set-up and does not fire.

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

from diagnose.facts import lifecycle
from diagnose.rule import CONFIRMED, INCONCLUSIVE, EvidenceLine, Missing, Rule, Signature, Step

RULE = Rule(
    id="ANT-SEC-001",
    slug="secondary-bridge-took-node-nic",
    title="SecondaryNetwork bridged the Node's NIC while OVS flow-restore-wait was set",
    category="secondary-network-uplink",
    severity="critical",
    applies_to=">=2.1.0-dev,<2.1.0",
    fixed_in="v2.1.0",
    references=("antrea-io/antrea#6448", "antrea-io/antrea#6504", "antrea-io/antrea#6342",
                "https://github.com/antrea-io/antrea/blob/main/docs/secondary-network.md"),
    signatures=(
        Signature("bridge_created", r'"OVS bridge (?:created|ready)" bridge="?(?P<bridge>[^"\s]+)', "OVS bridge ", role="context"),
        Signature("renamed", r'"Renaming interface" oldName="?(?P<old>[^"\s]+)"? newName="?(?P<new>[^"\s]+)',
                  "Renaming interface", role="context"),
        Signature("uplink_added", r'"Physical interface added to secondary OVS bridge[^"]*" device="?(?P<dev>[^"\s]+)',
                  "Physical interface added to secondary OVS bridge", role="context"),
        # Only renamed uplinks (`<nic>~`): every Pod interface add logs the same line.
        Signature("ovs_added", r"bridge (?P<bridge>[\w.-]+): added interface (?P<iface>[^\s~]+~) on port (?P<port>\d+)",
                  "~ on port ", kinds=("ovs-log",), role="context"),
    ),
    explains=("apiserver-unreachable", "podcidr-not-allocated", "ovs-flow-restore-wait", "agent-crash",
              "host-network-config"),
    lookalikes=("apiserver-unreachable", "podcidr-not-allocated", "ovs-flow-restore-wait"),
    message="""
        On {{ nodes | join(", ") }} antrea-agent {{ version or "(version unknown)" }} moved the Node's NIC
        {{ nic }} into the SecondaryNetwork OVS bridge {{ bridge }} (renamed {{ nic }}~, Node IP moved to the
        internal port {{ nic }}) {% if ordering_seen %}before it cleared OVS flow-restore-wait{% else %}on a
        build that does so before clearing OVS flow-restore-wait{% endif %}. With the flag set OVS forwards
        nothing new, so the Node lost its network; the agent then could not reach the API server
        {%- if fatal %} ("{{ fatal }}"){% endif %}, so it never cleared the flag and never recovered.
        This is antrea-io/antrea#6448, a bug of v2.1.0 dev builds fixed in v2.1.0 (antrea-io/antrea#6504).
        {% if survivors %}{{ survivors | join(", ") }} went through the same sequence but recovered because
        their API server is local.{% endif %}
        {% if not confirmed %}The agent log of the run that attached the NIC is not in the bundle; the
        finding rests on {{ basis }}.{% endif %}
    """,
    remediation=(
        Step("Upgrade Antrea to v2.1.0 or later (the fix attaches the NIC only after flow-restore-wait is "
             "cleared); do not run `latest`/dev images in production."),
        Step("Recover the Node from its console: clear flow-restore-wait so OVS forwards again.",
             "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock remove Open_vSwitch . other_config "
             "flow-restore-wait"),
        Step("Or give the NIC back to the host: remove it and the internal port from the bridge, rename it "
             "back and re-apply the host network config.",
             "ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock del-port {{ bridge }} {{ nic }}~ -- "
             "del-port {{ bridge }} {{ nic }}; ip link set {{ nic }}~ down; ip link set {{ nic }}~ name {{ nic }}; "
             "ip link set {{ nic }} up; netplan apply"),
        Step("Until upgraded, use a dedicated NIC for secondaryNetwork.ovsBridges[].physicalInterfaces (not the "
             "one carrying the Node IP), or remove the secondaryNetwork bridge config."),
    ),
)

OVSDB_COMMAND = ("ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock get Open_vSwitch . other_config"
                 "   # on {{ node }}'s console; with the agent Pod up: kubectl exec -n kube-system "
                 "<antrea-agent pod> -c antrea-ovs -- ovs-vsctl get Open_vSwitch . other_config")


def check(ev):
    cfg = ev.config
    config_nics = [i for b in cfg.secondary_bridges for i in b.physical_interfaces] \
        if cfg and cfg.gate("SecondaryNetwork") else []
    config_bridge = cfg.secondary_bridges[0].name if cfg and cfg.secondary_bridges else None
    broken, survivors = [], []
    for node in ev.nodes:
        version = ev.version(node)
        affected_build = version is None or (version.major, version.minor, version.patch) == (2, 1, 0) and version.is_dev
        attach = _attach_before_clear(ev, node)
        fatal = node.api_failure()
        if attach is not None:
            run, renamed, added = attach
            if run.first(lifecycle.key("frw_cleaned"), after=added) and not _later_runs_failed(node, run):
                survivors.append(node.name)
                continue
            broken.append(_confirmed(ev, node, run, renamed, added, fatal))
            continue
        if not affected_build or not (fatal or node.failed_reason):
            continue
        host = node.bridged_primary_nic(unknown_routes_count=True)
        if host and node.mode.bridging and host.renamed_uplink not in config_nics:
            host = None  # AntreaIPAM bridging / Windows: the uplink belongs in br-int
        if host or (len(config_nics) == 1 and (fatal or node.failed_reason)):
            broken.append(_inferred(node, version, host, config_nics, config_bridge, fatal))
    for item in broken:
        item["values"]["survivors"] = survivors
        yield RULE.finding(**item)


def _attach_before_clear(ev, node):
    """(run, rename event, attach event) of a run that attached an uplink before clearing the flag."""
    for run in node.runs:
        added = run.first(ev.key("uplink_added"))
        if added is None:
            continue
        cleared = run.first(lifecycle.key("frw_cleaned"))
        if cleared is not None and run.events.index(cleared) < run.events.index(added):
            continue  # the supported order: flag cleared, then the NIC attached
        renamed = next((e for e in run.all(ev.key("renamed"))
                        if e.groups.get("new") == added.groups.get("dev")), None)
        return run, renamed, added
    return None


def _later_runs_failed(node, run) -> bool:
    return any(r.fatal for r in node.runs[node.runs.index(run) + 1:]) or bool(node.failed_reason)


def _confirmed(ev, node, run, renamed, added, fatal):
    nic = (added.groups.get("dev") or "").rstrip("~") or (renamed.groups.get("old") if renamed else "?")
    bridge_event = run.first(ev.key("bridge_created"))
    waited = run.first(lifecycle.key("frw_waiting"))
    later = [r.fatal for r in node.runs[node.runs.index(run) + 1:] if r.fatal]
    evidence = [e for e in (bridge_event, renamed, added, waited) if e is not None]
    evidence.append(run.events[-1])  # where the run stops, without "Cleaned up flow-restore-wait config"
    evidence.extend(later[-1:])
    evidence.extend(e for e in ev.hits("ovs_added", node) if e.groups.get("iface", "").startswith(nic))
    host = node.bridged_primary_nic(unknown_routes_count=True)
    if host:
        line = node.line_in(("ip-addr", "ip-link"), f"{host.name}:")
        if line:
            evidence.append(line)
    version = ev.version(node)
    return {
        "nodes": [node.name],
        "confidence": 0.97 if host else 0.92,
        "values": {"nic": nic, "bridge": bridge_event.groups.get("bridge") if bridge_event else "?",
                   "version": str(version) if version else None, "ordering_seen": True,
                   "fatal": (later[-1] if later else fatal).message if (later or fatal) else None,
                   "confirmed": True, "basis": ""},
        "evidence": evidence[:14],
        "status": CONFIRMED,
        "missing": _missing(node, need_host=host is None),
        "ruled_out": _ruled_out(node),
    }


def _inferred(node, version, host, config_nics, config_bridge, fatal):
    nic = host.renamed_uplink if host else config_nics[0]
    basis = []
    evidence = []
    if host:
        basis.append(f"the host state ({nic}~ enslaved to ovs-system, {nic} carrying the Node's route)")
        for name in (f"{nic}~:", f"dev {nic} "):
            line = node.line_in(("ip-addr", "ip-link", "ip-route"), name)
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
    # The NIC in OVS and the Node cut off from the API server are both observed: the finding is
    # confirmed; what is inferred (from the build) is the ordering, which the agent log would show.
    observed = bool(host and (fatal or node.failed_reason))
    return {
        "nodes": [node.name],
        "confidence": 0.85 if observed else 0.75 if host else 0.55,
        "values": {"nic": nic, "bridge": config_bridge or "<secondary bridge>",
                   "version": str(version) if version else None,
                   "ordering_seen": False, "fatal": fatal.message or fatal.text if fatal else None,
                   "confirmed": False, "basis": " and ".join(basis)},
        "evidence": evidence,
        "status": CONFIRMED if observed else INCONCLUSIVE,
        "missing": [Missing("the agent log of the run that attached the NIC (the klog files survive restarts)",
                            "tar czf antrea-logs-{{ node }}.tgz /var/log/antrea   # on {{ node }}'s console"),
                    *_missing(node, need_host=host is None)],
        "ruled_out": _ruled_out(node),
    }


def _missing(node, need_host: bool):
    out = []
    if node.ovsdb is None:
        out.append(Missing("the OVSDB value of other_config:flow-restore-wait (antctl bundles carry no OVSDB dump)",
                           OVSDB_COMMAND))
    if need_host:
        out.append(Missing("the Node's interfaces and routes (which NIC is in the bridge)",
                           "ip addr; ip route   # on {{ node }}'s console"))
    return out


def _ruled_out(node) -> list[str]:
    out = ["podcidr-not-allocated: the agent lost the API server, so an empty PodCIDR is not the cause"]
    info = node.info
    if info and info.pod_cidrs:
        out[0] += f" (clusterinfo shows {', '.join(info.pod_cidrs)} allocated)"
    out.append("an API server outage: the agent lost it right after moving the NIC into OVS")
    return out
