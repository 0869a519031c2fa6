"""The artifact-kind registry: one row per kind of file the tool understands.

Each row says how the kind is recognised (its file name in an antctl bundle, its content, a
pasted file's name), what reads it, what evidence it feeds and the one command that collects it.
Everything else is derived from this table: the bundle layout (`diagnose.bundle.layout`), the
loose-file classifier (`diagnose.bundle.classify`), rule input declarations and the "could not
evaluate, collect this" list of a report. To teach the tool a new kind of file, add a row (and
its parser under `diagnose/parse/`).

Recognition order matters where two formats could both claim a text: rows are tried top to
bottom, so the more distinctive formats come first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from diagnose.bundle import model as m


@dataclass(frozen=True)
class Kind:
    """A row of the registry: how a kind of file is recognised, read and collected."""

    name: str  # the kind id used everywhere (model constants)
    title: str  # what a person calls it
    collect: str  # the command that collects it ({node} is the Node's name)
    feeds: str  # what it tells the rules (documentation)
    bundle_names: tuple[str, ...] = ()  # file names at the root of an agent/controller bundle
    loose_name: str | None = None  # regex on a pasted file's name, used when the content says nothing
    detect: Callable[[str, str], bool] | None = None  # (head text, file name) -> is this kind
    log: bool = False  # streamed through the signature scanner

    @property
    def name_pattern(self) -> re.Pattern[str] | None:
        return _compiled(self.loose_name) if self.loose_name else None


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


def _lazy(module: str, func: str, expect: str | None = None) -> Callable[[str, str], bool]:
    """A detector that imports its parser module on first use (`--help` imports none)."""

    def detect(head: str, name: str) -> bool:
        import importlib

        result = getattr(importlib.import_module(f"diagnose.parse.{module}"), func)(head)
        return result == expect if expect is not None else bool(result)

    return detect


def _klog_detect(program: str) -> Callable[[str, str], bool]:
    def detect(head: str, name: str) -> bool:
        from diagnose.parse import klog

        if not (
            head.startswith("Log file created at:") or any(klog.looks_like_klog(ln) for ln in head.splitlines()[:20])
        ):
            return False
        return klog.program_of(name, head) == program

    return detect


def _search(pattern: str, flags: int = re.M) -> Callable[[str, str], bool]:
    compiled = re.compile(pattern, flags)
    return lambda head, name: compiled.search(head) is not None


ON_NODE = "  # on {node}"
AGENT_EXEC = "kubectl -n kube-system exec <antrea-agent pod on {node}> -c antrea-agent -- "
OVS_EXEC = "kubectl -n kube-system exec <antrea-agent pod on {node}> -c antrea-ovs -- "

KINDS: tuple[Kind, ...] = (
    # -- logs ---------------------------------------------------------------------------------
    Kind(
        m.CONTROLLER_LOG,
        "antrea-controller log",
        "kubectl -n kube-system logs deploy/antrea-controller (add --previous after a restart)",
        "controller runs, fatal errors, certificate and NetworkPolicy computation failures",
        loose_name=r"antrea-controller",
        detect=_klog_detect("antrea-controller"),
        log=True,
    ),
    Kind(
        m.HOST_LOG,
        "host log (kubelet, audit, dmesg, journal)",
        "journalctl -u kubelet --since -2h; dmesg -T; ausearch -m avc -ts recent" + ON_NODE,
        "SELinux denials, kernel messages, kubelet's view of the Antrea Pods",
        loose_name=r"(^|[^a-z])(audit\.log|ausearch|dmesg|journal(ctl)?|syslog|messages|kubelet)([^a-z]|$)",
        detect=lambda head, name: _klog_detect("kubelet")(head, name) or _lazy("hostlog", "sniff")(head, name),
        log=True,
    ),
    Kind(
        m.AGENT_LOG,
        "antrea-agent log",
        "kubectl -n kube-system logs <antrea-agent pod on {node}> -c antrea-agent (add --previous after a restart)",
        "agent runs, start-up phases, every agent-side failure",
        loose_name=r"antrea-agent(?!.*\.(?:conf|ya?ml)$)|agent.*\.log",
        detect=_klog_detect("antrea-agent"),
        log=True,
    ),
    Kind(
        m.OVS_CONTAINER_LOG,
        "antrea-ovs container log",
        "kubectl -n kube-system logs <antrea-agent pod on {node}> -c antrea-ovs (add --previous)",
        "OVS daemon starts and restarts as the antrea-ovs container saw them",
        loose_name=r"antrea-ovs",
        detect=_search(
            r"^\[(?:\x1b?\[[\d;]*m)*\d{4}-\d\d-\d\dT[\d:.]+Z? (?:\x1b?\[[\d;]*m)*\w+ "
            r"(?:\x1b?\[[\d;]*m)*antrea-ovs"
        ),
        log=True,
    ),
    Kind(
        m.OVS_LOG,
        "OVS daemon log (ovs-vswitchd.log, ovsdb-server.log)",
        OVS_EXEC + "tail -n 2000 /var/log/openvswitch/ovs-vswitchd.log",
        "bridges, ports and datapath errors as OVS logged them",
        loose_name=r"^(ovs-vswitchd|ovsdb-server)\.log",
        detect=_lazy("vlog", "sniff"),
        log=True,
    ),
    Kind(
        m.CLUSTER_INFO,
        "antctl clusterinfo",
        "antctl supportbundle (its top-level clusterinfo file)",
        "Nodes and their PodCIDRs, Pods, the antrea-config ConfigMap (agent configuration)",
        loose_name=r"^clusterinfo$",
        detect=_search(r"^#(nodes|pods|configs|daemonsets|deployments|replicas)\s*$"),
    ),
    Kind(
        m.KUBECTL_DESCRIBE_POD,
        "kubectl describe pod",
        "kubectl -n kube-system describe pod <antrea-agent pod on {node}>",
        "container states, restart counts, last termination reasons, Pod events",
        detect=_lazy("kubectl", "detect", m.KUBECTL_DESCRIBE_POD),
    ),
    Kind(
        m.KUBECTL_PODS,
        "kubectl get pods -o wide",
        "kubectl get pods -A -o wide",
        "Pod phases, restarts, IPs and Nodes (duplicate IPs, crash loops)",
        detect=_lazy("kubectl", "detect", m.KUBECTL_PODS),
    ),
    Kind(
        m.KUBECTL_EVENTS,
        "kubectl get events",
        "kubectl get events -A --sort-by=.lastTimestamp",
        "warnings Kubernetes recorded: failed CNI ADD (FailedCreatePodSandBox), back-offs, probe failures",
        loose_name=r"events",
        detect=_lazy("k8sevents", "sniff"),
    ),
    Kind(
        m.ANTREA_CRD,
        "Antrea custom resources (kubectl get -o yaml / describe)",
        "kubectl get antreaagentinfos,antreacontrollerinfos,egresses,externalippools,ippools -o yaml",
        "status conditions of AntreaAgentInfo, Egress, IP pools and other Antrea objects",
        detect=_lazy("crds", "sniff"),
    ),
    Kind(
        m.HNS_NETWORK,
        "Get-HNSNetwork",
        "Get-HNSNetwork | ConvertTo-Json -Depth 10   # PowerShell on {node}",
        "the HNS networks of a Windows Node (antrea-hnsnetwork, its adapter and subnets)",
        bundle_names=("HNSNetwork",),
        loose_name=r"hns-?network",
        detect=_lazy("hns", "sniff"),
    ),
    Kind(
        m.WIN_IPCONFIG,
        "ipconfig /all",
        "ipconfig /all   # on {node}",
        "Windows adapters, their addresses and DHCP state (an APIPA 169.254 address has no lease)",
        bundle_names=("ipconfig",),
        loose_name=r"ipconfig",
        detect=_lazy("windows", "sniff_ipconfig"),
    ),
    Kind(
        m.WIN_ROUTES,
        "route print",
        "route print   # on {node}",
        "the Windows routing table",
        bundle_names=("routes",),
        loose_name=r"route-?print",
        detect=_lazy("windows", "sniff_route_print"),
    ),
    Kind(
        m.WIN_ADAPTERS,
        "Get-NetAdapter",
        "Get-NetAdapter | Format-List *   # PowerShell on {node}",
        "Windows network adapters and their state",
        bundle_names=("network-adapters",),
        loose_name=r"net-?adapter|network-adapters",
        detect=_lazy("windows", "sniff_adapters"),
    ),
    Kind(
        m.OVSDB_DUMP_JSON,
        "ovsdb-client -f json dump",
        OVS_EXEC + "ovsdb-client -f json dump",
        "OVSDB tables: flow-restore-wait, bridges, ports, interfaces and their errors",
        detect=_lazy("ovsdb", "detect", m.OVSDB_DUMP_JSON),
    ),
    Kind(
        m.OVSDB_DUMP,
        "ovsdb-client dump",
        OVS_EXEC + "ovsdb-client dump",
        "OVSDB tables: flow-restore-wait, bridges, ports, interfaces and their errors",
        detect=_lazy("ovsdb", "detect", m.OVSDB_DUMP),
    ),
    Kind(
        m.OVSDB_LIST,
        "ovs-vsctl list",
        OVS_EXEC + "ovs-vsctl list open_vswitch",
        "the Open_vSwitch row (other_config:flow-restore-wait) or other tables",
        detect=_lazy("ovsdb", "detect", m.OVSDB_LIST),
    ),
    Kind(
        m.OVS_VSCTL_SHOW,
        "ovs-vsctl show",
        OVS_EXEC + "ovs-vsctl show",
        "bridges and their ports (which NIC is in which bridge)",
        loose_name=r"vsctl-?show",
        detect=_lazy("ovsdb", "detect", m.OVS_VSCTL_SHOW),
    ),
    Kind(
        m.IP_ADDR,
        "ip addr",
        "ip addr" + ON_NODE,
        "interfaces, addresses, MTUs, masters (NICs in OVS)",
        bundle_names=("address",),
        loose_name=r"(^|[^a-z])(ip-?)?addr(ess)?([^a-z]|$)",
        detect=_lazy("ipaddr", "detect", m.IP_ADDR),
    ),
    Kind(
        m.IP_LINK,
        "ip link",
        "ip link" + ON_NODE,
        "interfaces, MTUs and masters",
        bundle_names=("link",),
        loose_name=r"(^|[^a-z])(ip-?)?link([^a-z]|$)",
        detect=_lazy("ipaddr", "detect", m.IP_LINK),
    ),
    Kind(
        m.ROUTE_TABLE_ALL,
        "ip route show table all",
        "ip route show table all" + ON_NODE,
        "routes of every table (policy routing)",
        bundle_names=("route-table-all",),
        loose_name=r"route-table-all",
    ),
    Kind(
        m.IP_ROUTE,
        "ip route",
        "ip route" + ON_NODE,
        "the Node's routes (default route, PodCIDR routes)",
        bundle_names=("route",),
        loose_name=r"(^|[^a-z])(ip-?)?routes?([^a-z]|$)",
        detect=_lazy("iproute", "sniff"),
    ),
    Kind(m.IP_RULE, "ip rule", "ip rule" + ON_NODE, "policy routing rules", bundle_names=("rule",)),
    Kind(
        m.GROUPS,
        "ovs-ofctl dump-groups",
        OVS_EXEC + "ovs-ofctl dump-groups br-int -O OpenFlow15",
        "OpenFlow groups of br-int (Service load balancing)",
        bundle_names=("groups",),
        loose_name=r"dump-groups|(^|[^a-z])groups([^a-z]|$)",
        detect=_lazy("groups", "sniff"),
    ),
    Kind(
        m.FLOWS,
        "ovs-ofctl dump-flows",
        OVS_EXEC + "ovs-ofctl dump-flows br-int --names -O OpenFlow15",
        "OpenFlow flows of br-int per table",
        bundle_names=("flows",),
        loose_name=r"dump-flows|(^|[^a-z])flows([^a-z]|$)",
        detect=_lazy("flows", "sniff"),
    ),
    Kind(
        m.OVS_PORTS,
        "ovs-ofctl dump-ports-desc",
        OVS_EXEC + "ovs-ofctl dump-ports-desc br-int -O OpenFlow15",
        "OpenFlow port numbers of br-int (antrea-gw0, antrea-tun0, uplink)",
        bundle_names=("ovsports",),
        loose_name=r"ovsports|dump-ports-desc",
        detect=_lazy("ofports", "sniff"),
    ),
    Kind(
        m.OVS_APPCTL,
        "ovs-appctl output",
        OVS_EXEC + "ovs-appctl dpif/show; ovs-appctl dpctl/show",
        "datapath ports and statistics, ofproto traces, daemon state",
        loose_name=r"appctl",
        detect=_lazy("appctl", "sniff"),
    ),
    Kind(
        m.AGENT_INFO,
        "AntreaAgentInfo",
        "kubectl get antreaagentinfo {node} -o yaml",
        "agent version, conditions (OVSDB, OpenFlow, controller connection), OVS version",
        bundle_names=("agentinfo",),
        loose_name=r"agentinfo",
        detect=_search(r"^(agentconditions|ovsinfo|nodesubnets|networkpolicycontrollerinfo):"),
    ),
    Kind(
        m.AGENT_CONFIG,
        "antrea-agent.conf",
        "kubectl -n kube-system get configmap antrea-config -o yaml",
        "feature gates, traffic mode, tunnel type, transport interface, SecondaryNetwork bridges",
        loose_name=r"antrea-agent.*\.(conf|ya?ml)$|values.*\.ya?ml$",
        detect=_search(
            r"^ {0,8}(featureGates|secondaryNetwork|trafficEncapMode|ovsBridge|tunnelType|"
            r"transportInterface|antreaProxy|hostGateway|defaultMTU|kubeAPIServerOverride):"
        ),
    ),
    # Bare agent messages without a klog header (quoted from an issue or `kubectl describe`), and
    # Go crashes as the container prints them.
    Kind(
        m.AGENT_LOG + ":bare",
        "antrea-agent messages (no log header)",
        "kubectl -n kube-system logs <antrea-agent pod on {node}> -c antrea-agent",
        "agent failures quoted without their log header",
        detect=lambda head, name: (
            _search(
                r"^(?:Error running agent: |error initializing agent: |"
                r"Failed to (?:complete|validate): )"
            )(head, name)
            or _lazy("bare", "looks_like_antrea_messages")(head, name)
        ),
        log=True,
    ),
    Kind(
        m.RESOLV_CONF,
        "/etc/resolv.conf",
        "cat /etc/resolv.conf; resolvectl status" + ON_NODE,
        "the Node's DNS servers",
        loose_name=r"resolv\.conf",
        detect=_lazy("resolvconf", "sniff"),
    ),
    Kind(
        m.KERNEL_MODULES,
        "lsmod / modules.builtin",
        "lsmod; cat /lib/modules/$(uname -r)/modules.builtin" + ON_NODE,
        "which kernel modules are loaded or built in",
        loose_name=r"lsmod|modules\.builtin|proc-modules",
        detect=_lazy("kmods", "sniff"),
    ),
    Kind(
        m.OTHER_CONTAINER_LOG,
        "container log (install-cni, antrea-ipsec, sysctl-init)",
        "kubectl -n kube-system logs <antrea-agent pod on {node}> --all-containers --prefix",
        "init-container failures (module loading), the IPsec daemons",
        loose_name=r"install-cni|antrea-ipsec|sysctl-init",
        detect=_search(
            r"^(?:Failed to load the (?:OVS|WireGuard) kernel module|Module (?:openvswitch|wireguard) "
            r"is built-in|modprobe: (?:FATAL|ERROR): |(?:install|cp|mkdir|ln|chmod|mv): (?:cannot|can't) |"
            r"\[(?:\x1b\[[\d;]*m)*\d{4}-\d\d-\d\dT[\d:.]+Z? "
            r".{0,40}antrea-ipsec)"
        ),
        log=True,
    ),
    # Recognised antctl files with no parser: listed as read, never misread as something else.
    Kind(
        m.IPTABLES,
        "iptables-save",
        "iptables-save -c" + ON_NODE,
        "the Node's iptables rules",
        bundle_names=("iptables",),
        loose_name=r"iptables-save",
    ),
    Kind(
        m.CONTROLLER_INFO,
        "AntreaControllerInfo",
        "kubectl get antreacontrollerinfo -o yaml",
        "controller version and conditions",
        bundle_names=("controllerinfo",),
    ),
    Kind(
        m.FAILED_NODES,
        "antctl failed_nodes",
        "antctl supportbundle (its failed_nodes file)",
        "Nodes antctl could not collect",
        bundle_names=("failed_nodes",),
    ),
    Kind(
        m.OTHER,
        "other antctl file",
        "antctl supportbundle",
        "nothing yet (recognised, not parsed)",
        bundle_names=(
            "ipset",
            "nftables",
            "memberlist",
            "memprofile",
            "goroutinestacks",
            "networkpolicies",
            "addressgroups",
            "appliedtogroups",
            "HNSEndpoint",
        ),
    ),
)

BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
BUNDLE_FILES: dict[str, str] = {n: k.name.split(":")[0] for k in KINDS for n in k.bundle_names}
LOG_KINDS: frozenset[str] = frozenset(k.name for k in KINDS if k.log and ":" not in k.name)


def kind_of(name: str) -> str:
    """The kind id of a registry row (`agent-log:bare` is an agent log)."""
    return name.split(":", 1)[0]


def by_content(head: str, name: str) -> str | None:
    for k in KINDS:
        if k.detect is not None and k.detect(head, name):
            return kind_of(k.name)
    return None


def by_name(name: str) -> str | None:
    for k in KINDS:
        pattern = k.name_pattern
        if pattern is not None and pattern.search(name):
            return kind_of(k.name)
    return None


def collect_command(kind: str, node: str | None = None) -> str:
    row = BY_NAME.get(kind)
    command = row.collect if row else "antctl supportbundle"
    return command.replace("{node}", node or "<node>")


def title(kind: str) -> str:
    row = BY_NAME.get(kind)
    return row.title if row else kind
