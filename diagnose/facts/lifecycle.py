"""Process lifecycle lines: what the engine scans for in every log, whatever rules are loaded.

Runs (`diagnose.facts.runs`) are cut at start lines and judged by their ready and fatal lines;
the fallback finding (`diagnose.diagnosis.ranking.fallback`) needs every fatal, panic and stack trace.
So these signatures are part of the engine, matched in the same single pass as the rules' own.

Wording per version, checked in antrea-io/antrea at each tag:
- agent start (cmd/antrea-agent/agent.go): `Starting Antrea agent (version X)` (printf, v1.0-v1.14),
  `"Starting Antrea agent" version="X"` (v1.15-v2.1), `"Starting Antrea Agent" version="X"` (v2.2+);
- controller start (cmd/antrea-controller/controller.go): `Starting Antrea Controller (version X)`
  (up to v2.1), `"Starting Antrea Controller" version="X"` (v2.2+);
- `Agent initialized NodeConfig=%v, NetworkConfig=%v` (pkg/agent/agent.go, every version): the
  NetworkConfig struct prints positionally, its first two fields are the traffic encap mode and
  the tunnel type (pkg/agent/config/node_config.go);
- flow restoration (cmd/antrea-agent/agent.go, pkg/agent/agent.go): `Waiting for flow restoration
  to complete` and `Flow restoration has completed` (v2.1+), `Cleaning up flow-restore-wait config`,
  `Cleaned up flow-restore-wait config`, `flow-restore-wait was not true, skip cleaning it up` (an
  agent restart under a running OVS: nothing to clean; `skip cleaning up it` up to v1.11);
- OVS reconnection (pkg/ovs/openflow/ofctrl_bridge.go, pkg/agent/agent.go): `OFSwitch is
  disconnected`, `Replaying OF flows to OVS bridge`, `Flow replay completed`;
- fatal: any klog `F` line (klog.Fatal: the goroutine dump follows), and the fatal messages of
  cmd/antrea-agent/main.go and cmd/antrea-controller/main.go quoted without their header;
- crashes: `Observed a panic` (apimachinery HandleCrash), Go runtime `panic:` and a goroutine dump
  (`goroutine N [running]:`) on stderr, also when its `panic:` line was not pasted;
- ovs-vswitchd start (vswitchd/ovs-vswitchd.c `ovs-vswitchd (Open vSwitch) %s` via vlog).
"""

from __future__ import annotations

import re

from diagnose.bundle.model import AGENT_LOG, CONTROLLER_LOG, OTHER_CONTAINER_LOG, OVS_CONTAINER_LOG, OVS_LOG
from diagnose.scan.signature import Signature

CORE = "core"
_AGENT = (AGENT_LOG, OTHER_CONTAINER_LOG)
_ANTREA = (AGENT_LOG, CONTROLLER_LOG, OTHER_CONTAINER_LOG)
# The klog header as diagnose.parse.klog accepts it (RFC 3339 stamp and name prefixes optional).
_KLOG = r"(?:^|\s)(?P<lvl>[IWEF])\d{4} \d\d:\d\d:\d\d\.\d{6}\s{1,20}\d{1,10} [^\]\s]{1,200}\] "


def key(name: str) -> str:
    return f"{CORE}:{name}"


SIGNATURES: tuple[Signature, ...] = (
    Signature(
        "start",
        r'Starting Antrea [Aa]gent(?: \(version (?P<v1>[^)\s]+)\)|" version="(?P<v2>[^"]+)")',
        "Starting Antrea ",
        _AGENT,
    ),
    Signature(
        "controller_start",
        r'Starting Antrea Controller(?: \(version (?P<v1>[^)\s]+)\)|" version="(?P<v2>[^"]+)")',
        "Starting Antrea Controller",
        (CONTROLLER_LOG,),
    ),
    # The traffic mode and tunnel follow the NodeConfig: read with network_config() (a lazy repeat over
    # the NodeConfig would backtrack quadratically on a line crafted with many "Agent initialized").
    Signature("initialized", r"Agent initialized NodeConfig=", "Agent initialized NodeConfig=", _AGENT),
    Signature(
        "frw_waiting",
        r"Waiting for flow restoration to complete",
        "Waiting for flow restoration",
        _AGENT,
        versions=">=2.1.0",
    ),
    Signature("frw_cleaning", r"Cleaning up flow-restore-wait config", "Cleaning up flow-restore-wait", _AGENT),
    Signature("frw_cleaned", r"Cleaned up flow-restore-wait config", "Cleaned up flow-restore-wait", _AGENT),
    # "skip cleaning up it" up to v1.11, "skip cleaning it up" since (pkg/agent/agent.go).
    Signature(
        "frw_skipped",
        r"flow-restore-wait was not true, skip cleaning (?:it up|up it)",
        "flow-restore-wait was not true, skip",
        _AGENT,
    ),
    Signature(
        "frw_completed", r"Flow restoration has completed", "Flow restoration has completed", _AGENT, versions=">=2.1.0"
    ),
    # AntreaIPAM bridging mode moves the transport NIC into br-int (pkg/agent/agent_linux.go, v1.4+).
    Signature(
        "bridging", r"Bridging uplink to OVS bridge|Preparing OVS bridge for AntreaFlexibleIPAM", "OVS bridge", _AGENT
    ),
    Signature("ofswitch_disconnected", r"OFSwitch is disconnected", "OFSwitch is disconnected", _AGENT),
    Signature("flow_replay_completed", r"Flow replay completed", "Flow replay completed", _AGENT),
    # klog.Fatal of any component; "Error running agent" & co. are the common ones. The dump follows.
    Signature(
        "klog_fatal",
        _KLOG.replace("(?P<lvl>[IWEF])", "F") + r"(?P<fatal>.*)$",
        "",
        _ANTREA,
        follow=30,
        prefilter=r"(?:\A|\n)(?:\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-][\d:]+) )?(?:[\w.-]{1,80} ){0,2}F\d{4} ",
    ),
    # Every error line, for the fallback that names the errors no rule explains (rules/persistent_errors.py):
    # klog E lines, and error messages pasted without a header.
    Signature(
        "klog_error",
        _KLOG.replace("(?P<lvl>[IWEF])", "E") + r"(?P<msg>.*)$",
        "",
        _ANTREA,
        prefilter=r"(?:\A|\n)(?:\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-][\d:]+) )?(?:[\w.-]{1,80} ){0,2}E\d{4} ",
    ),
    # A structured message with an error (`"..." err=...`) or a failure word counts too: Antrea's
    # ErrorS messages are often worded `"Syncing X failed"`.
    Signature(
        "bare_error",
        r'^(?:antrea-(?:agent|controller) )?(?P<msg>"?(?:[Ff]ailed|[Ee]rror|[Uu]nable|[Cc]annot|'
        r"[Cc]ould not|[Cc]an't)\b.*|[\w.-]{1,40}: (?:cannot|can't) .*|\"[^\"]{1,300}\" (?:\S+ ){0,8}?err=.*|"
        r'"[^"]{0,300}\b(?:failed|error|Failed|Error)\b[^"]{0,300}".*)$',
        "",
        _ANTREA,
        # Any line that starts with a quote stands for the two structured forms: their bounded
        # repeats before `err=` made this prefilter a third of Hyperscan's time on klog files,
        # where no line starts with a quote; the regex decides the few that do.
        prefilter=r'(?:\A|\n)(?:antrea-(?:agent|controller) )?(?:"?(?:[Ff]ailed|[Ee]rror|[Uu]nable|[Cc]annot|'
        r"[Cc]ould not|[Cc]an't)\b|[\w.-]{1,40}: (?:cannot|can't) |\")",
    ),
    Signature(
        "fatal_bare",
        r"^(?:antrea-(?:agent|controller) )?(?P<fatal>(?:Error running (?:agent|controller)|"
        r"Failed to (?:complete|validate)): .*)$",
        "",
        _ANTREA,
        prefilter=r"(?:Error running (?:agent|controller)|Failed to (?:complete|validate)): ",
    ),
    Signature(
        "observed_panic", r'Observed a panic(?:: |" panic=")(?P<panic>.*)', "Observed a panic", _ANTREA, follow=40
    ),
    Signature("runtime_panic", r"^(?:\d{4}-\d\d-\d\dT\S+ )?panic: (?P<panic>.+)$", "panic: ", _ANTREA, follow=40),
    Signature(
        "goroutine_dump", r"^(?:\d{4}-\d\d-\d\dT\S+ )?goroutine \d{1,10} \[running\]:", "goroutine ", _ANTREA, follow=25
    ),
    # A Python daemon of an Antrea container (ovs-monitor-ipsec, OVS's ipsec helpers) dying.
    Signature(
        "py_traceback",
        r"^(?:\d{4}-\d\d-\d\dT\S+ )?Traceback \(most recent call last\):",
        "Traceback (most",
        (OTHER_CONTAINER_LOG, OVS_CONTAINER_LOG, OVS_LOG),
        follow=40,
    ),
    Signature(
        "vswitchd_start",
        r"\|vswitchd\|INFO\|ovs-vswitchd \(Open vSwitch\) (?P<ovs_version>[\w.+~-]+)",
        "ovs-vswitchd (Open vSwitch)",
        (OVS_LOG,),
    ),
)

_NETWORK_CONFIG = re.compile(r"NetworkConfig=&?\{(\w{1,32}) (\w{0,32})")


def network_config(initialized_line: str) -> tuple[str, str] | None:
    """(traffic encap mode, tunnel type) of an `Agent initialized` line, e.g. ("encap", "geneve")."""
    found = _NETWORK_CONFIG.search(initialized_line)
    return (found[1], found[2]) if found else None


_NODE_IPS = re.compile(r"(?:NodeIPv4|TransportIPv4): ([\d.]+)/")
_POD_CIDRS = re.compile(r"PodIPv[46]CIDR: ([0-9a-fA-F.:]+/\d+)")


def node_ips(initialized_line: str) -> set[str]:
    """The Node and transport IPv4 addresses an `Agent initialized` line names."""
    return set(_NODE_IPS.findall(initialized_line))


def pod_cidrs(initialized_line: str) -> list[str]:
    """The PodCIDRs an `Agent initialized` line names (`PodIPv4CIDR: 10.244.1.0/24`)."""
    return _POD_CIDRS.findall(initialized_line)


FATALS = frozenset(key(n) for n in ("klog_fatal", "fatal_bare"))
ERRORS = frozenset(key(n) for n in ("klog_error", "bare_error"))
PANICS = frozenset(key(n) for n in ("observed_panic", "runtime_panic", "goroutine_dump", "py_traceback"))
STARTS = {"agent": key("start"), "controller": key("controller_start"), "ovs": key("vswitchd_start")}
# A run of the agent that logged one of these got through initialisation and flow restoration.
AGENT_READY = frozenset(key(n) for n in ("frw_cleaned", "frw_skipped", "frw_completed"))
