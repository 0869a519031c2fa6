"""Recognise a loose file (pasted into a ticket) by its content first, its name second.

Content wins because ticket attachments are named anything (`log.txt`, `output2`), while a
klog line, an OVS vlog line or `ip route` output each look like nothing else. The name only
decides when the content is not recognisable (e.g. an empty or truncated file).
"""

from __future__ import annotations

import re

from diagnose import model as m
from diagnose.parse import flows, hns, hostlog, ipaddr, iproute, klog, kmods, kubectl, ofports, ovsdb, shell, vlog
from diagnose.parse import resolvconf as resolv

# antrea-ovs container stdout; colour codes may be left in, or only their "[1;34m" remnants.
_OVS_CONTAINER = re.compile(
    r"^\[(?:\x1b?\[[\d;]*m)*\d{4}-\d\d-\d\dT[\d:.]+Z? (?:\x1b?\[[\d;]*m)*\w+ (?:\x1b?\[[\d;]*m)*antrea-ovs", re.M)
# install-cni init container (build/images/scripts/install_cni): module loading messages.
_INSTALL_CNI = re.compile(r"^(?:Failed to load the (?:OVS|WireGuard) kernel module|Module (?:openvswitch|wireguard) "
                          r"is built-in|modprobe: (?:FATAL|ERROR): )", re.M)
# antrea-ipsec container stdout (start_ovs_ipsec `logging`), ANSI colours possibly left in.
_IPSEC_CONTAINER = re.compile(
    r"^\[(?:\x1b\[[\d;]*m)*\d{4}-\d\d-\d\dT[\d:.]+Z? .{0,40}antrea-ipsec(?:\x1b\[[\d;]*m)*\]:", re.M)
_CLUSTERINFO = re.compile(r"^#(nodes|pods|configs|daemonsets|deployments|replicas)\s*$", re.M)
# antrea-agent.conf, or Helm values for the chart (keys possibly indented under `antrea:`).
_AGENT_CONF_KEYS = re.compile(
    r"^ {0,8}(featureGates|secondaryNetwork|trafficEncapMode|ovsBridge|tunnelType|"
    r"transportInterface|antreaProxy|hostGateway|defaultMTU|kubeAPIServerOverride):", re.M)
_AGENT_INFO = re.compile(r"^(agentconditions|ovsinfo|nodesubnets|networkpolicycontrollerinfo):", re.M)
# Bare agent messages without a klog header (e.g. quoted from an issue or `kubectl describe`).
_AGENT_MESSAGE = re.compile(r"^(?:Error running agent: |error initializing agent: )", re.M)

_BY_NAME: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"install-cni", re.I), m.OTHER_CONTAINER_LOG),
    (re.compile(r"(^|[^a-z])(audit\.log|ausearch|dmesg|journal(ctl)?|syslog|messages)([^a-z]|$)", re.I), m.HOST_LOG),
    (re.compile(r"resolv\.conf", re.I), m.RESOLV_CONF),
    (re.compile(r"lsmod|modules\.builtin|proc-modules", re.I), m.KERNEL_MODULES),
    (re.compile(r"ovsports|dump-ports-desc", re.I), m.OVS_PORTS),
    (re.compile(r"antrea-controller", re.I), m.CONTROLLER_LOG),
    (re.compile(r"antrea-ovs", re.I), m.OVS_CONTAINER_LOG),
    (re.compile(r"^(ovs-vswitchd|ovsdb-server)\.log", re.I), m.OVS_LOG),
    (re.compile(r"antrea-agent.*\.(conf|ya?ml)$", re.I), m.AGENT_CONFIG),
    (re.compile(r"antrea-agent|agent.*\.log", re.I), m.AGENT_LOG),
    (re.compile(r"route-table-all", re.I), m.ROUTE_TABLE_ALL),
    (re.compile(r"(^|[^a-z])(ip-?)?routes?([^a-z]|$)", re.I), m.IP_ROUTE),
    (re.compile(r"(^|[^a-z])(ip-?)?addr(ess)?([^a-z]|$)", re.I), m.IP_ADDR),
    (re.compile(r"(^|[^a-z])(ip-?)?link([^a-z]|$)", re.I), m.IP_LINK),
    (re.compile(r"dump-flows|(^|[^a-z])flows([^a-z]|$)", re.I), m.FLOWS),
    (re.compile(r"agentinfo", re.I), m.AGENT_INFO),
    (re.compile(r"^clusterinfo$"), m.CLUSTER_INFO),
]


def _when(test, kind: str):
    return lambda body: kind if test(body) else None


# After the log formats, in order: the first detector that recognises the text decides. Formats
# with their own `detect()` name one of several kinds (ip addr vs ip link, four OVSDB shapes).
_DETECTORS = (
    ovsdb.detect,
    ipaddr.detect,
    _when(iproute.sniff, m.IP_ROUTE),
    _when(flows.sniff, m.FLOWS),
    _when(ofports.sniff, m.OVS_PORTS),
    _when(_AGENT_INFO.search, m.AGENT_INFO),
    _when(_AGENT_CONF_KEYS.search, m.AGENT_CONFIG),
    _when(_AGENT_MESSAGE.search, m.AGENT_LOG),
    _when(resolv.sniff, m.RESOLV_CONF),
    _when(kmods.sniff, m.KERNEL_MODULES),
)


def by_name(name: str) -> str | None:
    for pattern, kind in _BY_NAME:
        if pattern.search(name):
            return kind
    return None


def by_content(head: str, name: str = "") -> str | None:
    """Kind of a text from its first bytes, or None when it is not recognisable."""
    _, body = shell.split_prompt(head)
    lines = [ln for ln in body.splitlines()[:40] if ln.strip()]
    if not lines:
        return None
    if head.startswith("Log file created at:") or any(klog.looks_like_klog(ln) for ln in lines[:20]):
        return m.CONTROLLER_LOG if "antrea-controller" in name or "Antrea Controller" in head else m.AGENT_LOG
    if _OVS_CONTAINER.search(body):
        return m.OVS_CONTAINER_LOG
    if vlog.sniff(body):
        return m.OVS_LOG
    if _CLUSTERINFO.search(body):
        return m.CLUSTER_INFO
    pasted = kubectl.detect(body) or (m.HNS_NETWORK if hns.sniff(body) else None)
    if pasted:
        return pasted
    if _IPSEC_CONTAINER.search(body) or _INSTALL_CNI.search(body):
        return m.OTHER_CONTAINER_LOG
    if hostlog.sniff(body):
        return m.HOST_LOG
    for detect in _DETECTORS:
        kind = detect(body)
        if kind:
            return kind
    return None


def classify(name: str, head: bytes) -> str | None:
    text = head.decode("utf-8", errors="replace")
    return by_content(text, name) or (by_name(name) if text.strip() else None)
