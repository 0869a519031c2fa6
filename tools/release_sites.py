"""What `extract_release_facts.py` looks up in each release: the log call sites of a healthy
antrea-agent / antrea-controller run and of the transient classes the corpus rebuilds, the
client-go / apiserver / apimachinery lines those binaries print, the OVS daemons' own log lines
and the antrea-ovs start script lines.

A site is found by a literal (`fixed`, used to git-grep the files that contain it) and an
optional regex `anchor` on the line of the call (default: the literal). `hint` picks one path
among several matches; `nth` picks the nth matching call in that file. A site that does not
exist at a tag is simply absent from that release's facts: the corpus generator skips the line,
so "which lines this release prints" is data too.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Site:
    key: str
    fixed: str
    anchor: str | None = None
    hint: str | None = None  # substring of the path to prefer
    nth: int = 0
    repo: str = "antrea"  # antrea | client-go | apimachinery | apiserver | ovs
    under: tuple[str, ...] = field(default=("pkg", "cmd"))
    kind: str = "go"  # go | c | shell


def A(key: str, fixed: str, anchor: str | None = None, hint: str | None = None, nth: int = 0) -> Site:
    return Site(key, fixed, anchor, hint, nth)


def CG(key: str, fixed: str, anchor: str | None = None, hint: str | None = None, nth: int = 0) -> Site:
    return Site(key, fixed, anchor, hint, nth, repo="client-go", under=("tools", "informers"))


def AS(key: str, fixed: str, anchor: str | None = None, hint: str | None = None) -> Site:
    return Site(key, fixed, anchor, hint, repo="apiserver", under=("pkg",))


def OVS(key: str, fixed: str, anchor: str | None = None, hint: str | None = None, nth: int = 0) -> Site:
    return Site(key, fixed, anchor, hint, nth, repo="ovs", under=("lib", "ofproto", "vswitchd", "ovsdb"), kind="c")


def SH(key: str, fixed: str) -> Site:
    return Site(key, fixed, hint="start_ovs", under=("build/images/scripts",), kind="shell")


AGENT = [
    # start-up, in the order cmd/antrea-agent/agent.go run() reaches them
    A("log_max", "Set log file max size to"),
    A("log_monitor", "Starting log file monitoring"),
    A("agent_start", "Starting Antrea ", r'"Starting Antrea [aA]gent', hint="cmd/antrea-agent/agent.go"),
    A("k8s_incluster", "No kubeconfig file was specified. Falling back to in-cluster config", hint="pkg/util/k8s"),
    A("antrea_incluster", "No Antrea kubeconfig file was specified", hint="pkg/agent/client"),
    A("ovsdb_connect", "Connecting to OVSDB at address"),
    A("ovsdb_retry", "Not connected yet", hint="ovs_client.go"),
    A("svccidr_start", "Starting ServiceCIDRDiscoverer"),
    A("setup_node", "Setting up node network", hint="pkg/agent/agent.go"),
    A("podcidr_wait", "Waiting for Node PodCIDR configuration to complete"),
    A("got_mtu", "Got Interface MTU"),
    A("bridge_created", "Created bridge", r'"Created bridge', hint="ovs_client.go"),
    A("bridge_exists", "Bridge exists", r'"Bridge exists', hint="ovs_client.go"),
    A("flexipam_prepare", "Preparing OVS bridge for AntreaFlexibleIPAM"),
    A("uplink_found", '"Found uplink"'),
    A("uplink_bridging", "Bridging uplink to OVS bridge"),
    A("uplink_alloc", "Allocated OpenFlow port for uplink interface"),
    A("tun_alloc", "Allocated OpenFlow port for tunnel interface"),
    A("gw_alloc", "Allocated OpenFlow port for gateway interface"),
    A("round_none", "No round number found in OVSDB"),
    A("round_using", "Using round number"),
    A("ipt_init", "Initializing iptables", hint="route_linux.go"),
    A("ipt_done", "Initialized iptables", hint="route_linux.go"),
    A("of_connected", "OFSwitch is connected"),
    A("of_disconnected", "OFSwitch is disconnected"),
    A("of_init_fail", "Failed to initialize openflow client"),
    A("err_of_connect", "failed to connect to OpenFlow switch after", hint="ofctrl_bridge.go"),
    A("agent_initialized", "Agent initialized NodeConfig"),
    A("endpoint_resolver_start", '"Starting controller"', hint="endpoint_resolver.go"),
    A("endpoint_selected", "Selected a new Endpoint for Service"),
    A("antrea_client_ca", "Updating Antrea client with the new CA bundle"),
    A("cni_start", '"Starting CNI server"'),
    A("cni_listening", "CNI server is listening"),
    A("noderoute_start", "Starting %s", hint="node_route_controller.go"),
    A(
        "egress_start",
        "Starting ",
        r"Infof?S?\(\"Starting( %s)?\"",
        hint="pkg/agent/controller/egress/egress_controller.go",
    ),
    A("traceflow_start", "Starting %s", hint="pkg/agent/controller/traceflow/traceflow_controller.go"),
    A("agent_monitor_start", "Starting Antrea Agent Monitor"),
    A("memberlist_start", '"Starting"', r'InfoS\("Starting", "controllerName"', hint="pkg/agent/memberlist/cluster.go"),
    A("memberlist_join_retry", "join cluster failed, will retry later"),
    A("np_wait_client", "Waiting for Antrea client to be ready", hint="networkpolicy_controller.go"),
    A("np_client_ready", "Antrea client is ready", hint="networkpolicy_controller.go"),
    A("np_client_stop", "Stopped waiting for Antrea client", hint="networkpolicy_controller.go"),
    A("np_watch_start", "Starting watch for", r"\"Starting watch for( %s)?\"", hint="networkpolicy_controller.go"),
    A("np_watch_start_s", '"Starting watch"', hint="networkpolicy_controller.go"),
    A("np_watch_started", "Started watch for", r"\"Started watch for( %s)?\"", hint="networkpolicy_controller.go"),
    A("np_watch_started_s", '"Started watch"', hint="networkpolicy_controller.go"),
    A("np_watch_fail", "Failed to start watch for %s: %v", hint="networkpolicy_controller.go"),
    A("np_watch_fail_s", '"Failed to start watch"', hint="networkpolicy_controller.go"),
    A("np_fallback", "Getting init events from fallback"),
    A("np_full_wait", "Waiting for all watchers to complete full sync"),
    A(
        "np_init_events",
        "init events for",
        r"Received %d init events for %s|\"Received init events\"",
        hint="networkpolicy_controller.go",
    ),
    A("np_full_done", "All watchers have completed full sync"),
    A("np_workers", "Starting NetworkPolicy workers now"),
    A("np_idalloc", "Starting IDAllocator worker"),
    A("noderoute_reconcile", "Reconciliation for %s", hint="node_route_controller.go"),
    A("noderoute_add", "Adding routes and flows to Node"),
    A("cni_reconcile", "for CNI server", r'"(Starting reconciliation|Reconciliation) for CNI server"'),
    A("frw_wait", "Waiting for flow restoration to complete", hint="cmd/antrea-agent"),
    A("frw_cleaning", "Cleaning up flow-restore-wait config", hint="pkg/agent/agent.go"),
    A("frw_cleaned", "Cleaned up flow-restore-wait config", hint="pkg/agent/agent.go"),
    A("frw_done", "Flow restoration has completed", hint="cmd/antrea-agent"),
    A("frw_skip", "flow-restore-wait was not true, skip cleaning it up"),
    A("frw_retry", "was not true before the delete call was made"),
    A("replay", "Replaying OF flows to OVS bridge"),
    A("replay_done", "Flow replay completed"),
    A("port_restore", "Restoring OF port configs to OVS bridge"),
    A("port_restore_done", "Port configs restoration completed"),
    A("stale_flows", "Deleting stale flows from previous round"),
    A("round_persist", "Persisting round number"),
    A("round_persisted", "was persisted to OVSDB"),
    # steady state
    A("cni_add", "Received CmdAdd request"),
    A("cni_alloc", '"Allocated IP addresses"', hint="cniserver/server.go", nth=1),
    A(
        "cni_configured",
        "Configured",
        r'"Configured (container interface|interfaces for container %s)"',
        hint="cniserver/pod_configuration.go",
    ),
    A("cni_add_ok", "CmdAdd for container", r'"CmdAdd for container (%v )?succeeded"', hint="cniserver/server.go"),
    A("cni_del", "Received CmdDel request"),
    A(
        "cni_del_port",
        "for container",
        r'"(Deleted container OVS port|Removed interfaces for container %s)"',
        hint="cniserver/pod_configuration.go",
    ),
    A("cni_del_ok", "CmdDel for container", r'"CmdDel for container (%v )?succeeded"', hint="cniserver/server.go"),
    A(
        "np_applied",
        "applied to Pods on this Node",
        r'"NetworkPolicy (%s )?applied to Pods on this Node( or the Node itself)?"',
        hint="networkpolicy_controller.go",
    ),
    A(
        "np_reconcile",
        "Reconciling",
        r'"Reconciling (Pod NetworkPolicy rule|rule %s of NetworkPolicy %s)"',
        hint="controller/networkpolicy/",
    ),
    # features and modes
    A(
        "ipsec_cert_start",
        '"Starting "',
        r'InfoS\("Starting " \+',
        hint="ipseccertificate/ipsec_certificate_controller.go",
    ),
    A("ipsec_cert_sync_err", "Error syncing IPSec certificates"),
    A("ipsec_cert_created", "Created new certificate and key for IPSec"),
    A("sec_bridge", '"OVS bridge created"'),  # v2.0-v2.6
    A("sec_bridge_ready", '"OVS bridge ready"'),  # v2.7 (AntreaNodeConfig rework)
    A("sec_rename", '"Renaming interface"'),
    A("sec_local_port", '"OVS bridge local port is ready"'),
    A("sec_prepare", '"Preparing host interface connection for secondary OVS bridge"'),
    A("sec_prepared", '"Prepared host interface connection for secondary OVS bridge"'),
    A(
        "sec_phy_added",
        '"Physical interface added to secondary OVS bridge"',
        r'"Physical interface added to secondary OVS bridge",',
    ),
    A("sec_connected", '"Connected physical interfaces to secondary OVS bridge"'),
    A("sec_reconciled", "Secondary network bridge reconciled from initial AntreaNodeConfig snapshot"),
    A("sec_ctrl_start", '"Starting secondary network controller"'),
    A("sec_podwatch_start", '"Starting "', hint="secondarynetwork/podwatch/controller.go"),
    A("stopping", "Stopping Antrea ", r'"Stopping Antrea [aA]gent', hint="cmd/antrea-agent/agent.go"),
    A("proxy_ready", '"AntreaProxy is ready"'),
    # Windows (pkg/agent/agent_windows.go, pkg/agent/util/net_windows.go)
    A("win_hns_creating", '"Creating HNSNetwork"'),
    A("win_hns_created", '"Created HNSNetwork"'),
    A("win_rsc", "Enabled Receive Segment Coalescing (RSC) for vSwitch"),
    A("win_uplink_alloc", "Allocated OpenFlow port for uplink interface", hint="agent_windows.go"),
    # fatal wrappers (main.go and run()), used by the transient "earlier run died" classes
    A("fatal_run", "Error running agent: %v", hint="cmd/antrea-agent/main.go"),
    A("err_init", "error initializing agent: %", hint="cmd/antrea-agent/agent.go"),
    A("err_ovsdb", "error connecting OVSDB: %v", hint="cmd/antrea-agent/agent.go"),
    A(
        "err_get_node",
        "failed to get Node with name",
        r"failed to get Node with name %[sq] from K8s",
        hint="pkg/agent/agent.go",
    ),
    A("podcidr_err", "Spec.PodCIDR is empty for Node. Please make sure"),
    A("podcidr_fatal", "Spec.PodCIDR is empty for Node %", hint="pkg/agent/agent.go"),
]

CONTROLLER = [
    A("ctrl_start", "Starting Antrea Controller", hint="cmd/antrea-controller/controller.go"),
    A("selfsigned_start", "Starting selfSignedCertProvider"),
    A("gen_cert", "self-signed cert", r"\"Generat(ing|ed) self-signed cert", hint="pkg/apiserver/certificate"),
    A("cacert_start", "Starting CACertController"),
    A("cacert_cm", "Syncing CA certificate with ConfigMap"),
    A("np_ctrl_start", "Starting %s", hint="pkg/controller/networkpolicy/networkpolicy_controller.go"),
    A("egress_ctrl_start", "Starting", r"\"Starting( %s)?\"", hint="pkg/controller/egress/controller.go"),
    A("eipp_start", "Starting %s", hint="pkg/controller/externalippool/controller.go"),
    A("grouping_start", "Starting %s", hint="pkg/controller/grouping/controller.go"),
    A("labelid_start", '"Starting controller"', hint="pkg/controller/labelidentity/controller.go"),
    A("tf_ctrl_start", "Starting %s", hint="pkg/controller/traceflow/controller.go"),
    A("stats_start", "Starting stats aggregator"),
    A("monitor_ctrl_start", '"Starting"', r'InfoS\("Starting", "controllerName"', hint="pkg/monitor/controller.go"),
    A("np_k8s_add", "Processing K8s NetworkPolicy %s/%s ADD event"),
    A("np_k8s_update", "Processing K8s NetworkPolicy %s/%s UPDATE event"),
    A("ctrl_fatal_run", "Error running controller: %v", hint="cmd/antrea-controller/main.go"),
]

CLIENT_GO = [
    CG("cache_wait", "Waiting for caches to sync", hint="shared_informer.go"),
    CG("cache_synced", "Caches are synced", hint="shared_informer.go"),
    CG("refl_list_fail", "failed to list %v: %v", r"Warningf\(\"%s: failed to list", hint="reflector.go"),
    CG(
        "refl_watch_fail",
        "Failed to watch",
        r'HandleError(WithContext)?\(.*"(%s: )?Failed to watch',
        hint="reflector.go",
    ),
    CG(
        "refl_watch_ended",
        "watch",
        r"Warningf\(\"%s: watch of %v ended with|\"Warning: watch ended with error\"",
        hint="reflector.go",
    ),
]

APIMACHINERY_ERROR = "pkg/util/runtime/runtime.go"  # HandleError: ErrorDepth (<v0.31) or "Unhandled Error"

APISERVER = [
    AS("serving", "Serving securely on", hint="secure_serving.go"),
    AS("dyn_serving", "Starting DynamicServingCertificateController"),
    AS("reqheader_start", "Starting %s", hint="requestheader_controller.go"),
    AS("cafile_start", '"Starting controller"', hint="configmap_cafile_content.go"),
]

OVS_SITES = [
    OVS("vlog_opened", "opened log file", hint="lib/vlog.c"),
    OVS("vswitchd_version", "VLOG_INFO", r"\(Open vSwitch\) %s|ovs_get_program_version", hint="vswitchd/bridge.c"),
    OVS("ovsdb_version", "VLOG_INFO", r"\(Open vSwitch\) %s|ovs_get_program_version", hint="ovsdb/ovsdb-server.c"),
    OVS("dpdk_disabled", "DPDK Disabled - Use other_config:dpdk-init to enable"),
    OVS("numa_node", "Discovered %", r"Discovered %[^ ]* CPU cores on NUMA node", hint="lib/ovs-numa.c"),
    OVS("numa_total", "NUMA nodes and", hint="lib/ovs-numa.c"),
    OVS("reconnect_connecting", "connecting...", hint="lib/reconnect.c"),
    OVS("reconnect_connected", ": connected", hint="lib/reconnect.c"),
    OVS("nsid", "listening to all nsid", hint="lib/netlink-socket.c"),
    OVS("dp_recirc", "Datapath supports recirculation", hint="ofproto/ofproto-dpif.c"),
    OVS("added_iface", "added interface %s on port", hint="vswitchd/bridge.c"),
    OVS("deleted_iface", "deleted interface %s on port", hint="vswitchd/bridge.c"),
    OVS("dpid", "using datapath ID", hint="vswitchd/bridge.c"),
    OVS("service_ctrl", "added %s controller", hint="ofproto/connmgr.c"),
    OVS("flow_mods", "ds_cstr(&s)", r'"%s: %s", rconn_get_name', hint="ofproto/connmgr.c"),
    OVS("memory_peak", "kB peak resident set size after", hint="lib/memory.c"),
    OVS("rconn_connected", ": connected", hint="lib/rconn.c"),
    OVS("rconn_closed", "connection closed by peer", hint="lib/rconn.c"),
]

START_OVS = [
    SH("ovs_db_starting", "Starting ovsdb-server"),
    SH("ovs_db_started", "Started ovsdb-server"),
    SH("ovs_db_running", "ovsdb-server is already running"),
    SH("ovs_vs_starting", "Starting ovs-vswitchd"),
    SH("ovs_hw_offload", "ovs-vswitchd set hw-offload to"),
    SH("ovs_vs_started", "Started ovs-vswitchd"),
    SH("ovs_vs_running", "ovs-vswitchd is already running"),
    SH("ovs_loop", "Started the loop that checks OVS status"),
    SH("ovs_stopped_restart", "OVS was stopped. Starting it again"),
    SH("ovs_stopping", "Stopping OVS before quit"),
]
