"""A generated cluster state (runs, logs, host state of each Node) and the shapes it reaches a
support engineer in: the antctl output directory, one Node's agent bundle, loose pasted files,
`kubectl logs` (with and without `--timestamps`) and the CRI files of /var/log/pods."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from corpusgen import host
from corpusgen.klogrun import KlogRun
from corpusgen.ovs import OvsLog
from corpusgen.samplegen import seeded, to_yaml, uuid4, write_tar_gz
from corpusgen.topology import Cluster, Node

SHAPES = ("antctl", "agent-tarball", "loose", "kubectl-logs", "kubectl-logs-timestamps", "cri")


@dataclass
class NodeState:
    node: Node
    runs: list[KlogRun]  # agent container runs, oldest first
    ovs: OvsLog
    ovsdb: str
    antrea_ovs: list[str] = field(default_factory=list)  # antrea-ovs container logs, oldest first


@dataclass
class Scenario:
    cls: str
    cluster: Cluster
    focus: str  # the Node whose files the single-Node shapes carry
    nodes: dict[str, NodeState]
    controller: KlogRun
    extras: dict[str, str] = field(default_factory=dict)  # more pasted files (e.g. kubectl get pods)
    host_in_pastes: bool = True  # loose shape carries `ip`/`ovs-vsctl` output

    @property
    def release(self) -> str:
        return self.cluster.release.tag

    def write(self, shape: str, dest: Path) -> Path:
        """Write this scenario in `shape` under `dest`; returns the path to scan."""
        dest.mkdir(parents=True, exist_ok=True)
        return {
            "antctl": self._antctl,
            "agent-tarball": self._agent_tarball,
            "loose": self._loose,
            "kubectl-logs": self._kubectl_logs,
            "kubectl-logs-timestamps": self._kubectl_logs_ts,
            "cri": self._cri,
        }[shape](dest)

    # -- shapes ---------------------------------------------------------------------------------
    def _antctl(self, dest: Path) -> Path:
        c = self.cluster
        d = dest / f"support-bundles_{c.collected:%Y%m%dT%H%M%SZ}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "clusterinfo").write_text(clusterinfo(c, self.nodes))
        write_tar_gz(d / "controller.tar.gz", self._controller_members())
        for name in self.nodes:
            write_tar_gz(d / f"agent_{name}.tar.gz", self._agent_members(name))
        self._write_extras(dest)
        return dest

    def _agent_tarball(self, dest: Path) -> Path:
        path = dest / f"agent_{self.focus}.tar.gz"
        write_tar_gz(path, self._agent_members(self.focus))
        return path

    def _loose(self, dest: Path) -> Path:
        st = self.nodes[self.focus]
        c, n = self.cluster, st.node
        for run in st.runs:
            for name, text in run.klog_files().items():
                (dest / name).write_text(text)
        (dest / "ovs-vswitchd.log").write_text(st.ovs.text())
        if self.host_in_pastes:
            (dest / f"ip-addr.{n.name}.txt").write_text(f"root@{n.name}:~# ip addr\n" + host.ip_addr(c, n))
            (dest / f"ip-route.{n.name}.txt").write_text(f"root@{n.name}:~# ip route\n" + host.ip_route(c, n))
            (dest / f"ip-link.{n.name}.txt").write_text(f"root@{n.name}:~# ip link\n" + host.ip_link(c, n))
            (dest / f"ovs-vsctl-show.{n.name}.txt").write_text(host.ovs_vsctl_show(c, n))
        self._write_extras(dest)
        return dest

    def _kubectl_logs(self, dest: Path) -> Path:
        return self._container_logs(dest, lambda r: r.container_log(), ts=False)

    def _kubectl_logs_ts(self, dest: Path) -> Path:
        return self._container_logs(dest, lambda r: r.container_log_timestamps(), ts=True)

    def _container_logs(self, dest: Path, text, ts: bool) -> Path:
        """`kubectl logs` of the agent container (and `--previous` when it restarted); the antrea-ovs
        container's log when the scenario involves it."""
        st = self.nodes[self.focus]
        pod = host.agent_pod(st.node)
        (dest / f"{pod}.antrea-agent.log").write_text(text(st.runs[-1]))
        if len(st.runs) > 1:
            (dest / f"{pod}.antrea-agent.previous.log").write_text(text(st.runs[-2]))
        if st.antrea_ovs:
            (dest / f"{pod}.antrea-ovs.log").write_text(
                _with_kubelet_ts(st.antrea_ovs[-1]) if ts else st.antrea_ovs[-1]
            )
        self._write_extras(dest)
        return dest

    def _cri(self, dest: Path) -> Path:
        st = self.nodes[self.focus]
        pod = host.agent_pod(st.node)
        uid = uuid4(seeded(self.cluster.name, st.node.name, "pod-uid"))
        base = dest / f"kube-system_{pod}_{uid}" / "antrea-agent"
        base.mkdir(parents=True, exist_ok=True)
        for k, run in enumerate(st.runs):
            (base / f"{k}.log").write_text(run.cri_log())
        self._write_extras(dest)
        return dest

    # -- members --------------------------------------------------------------------------------
    def _agent_members(self, name: str) -> list[tuple[str, bytes]]:
        st = self.nodes[name]
        c, n = self.cluster, st.node
        files: list[tuple[str, bytes]] = []
        for run in st.runs:
            files += [(f"logs/agent/{fn}", text.encode()) for fn, text in run.klog_files().items()]
        files.append(("logs/ovs/ovs-vswitchd.log", st.ovs.text().encode()))
        files.append(("logs/ovs/ovsdb-server.log", st.ovsdb.encode()))
        files.append(("iptables", host.iptables_save(c, n, c.collected).encode()))
        files.append(("route", host.ip_route(c, n).encode()))
        files.append(("link", host.ip_link(c, n).encode()))
        files.append(("address", host.ip_addr(c, n).encode()))
        files.append(("flows", host.flows_text(c, n, f"{c.name}/{n.name}/flows").encode()))
        files.append(("agentinfo", host.agentinfo(c, n, c.collected).encode()))
        files.append(("ovsports", host.ovsports_text(c, n).encode()))
        if c.release.at_least("v1.11.0"):
            files.append(("memberlist", host.memberlist(c).encode()))
        return files

    def _controller_members(self) -> list[tuple[str, bytes]]:
        files = [(f"logs/controller/{fn}", text.encode()) for fn, text in self.controller.klog_files().items()]
        c = self.cluster
        info = {
            "apiVersion": "crd.antrea.io/v1beta1",
            "kind": "AntreaControllerInfo",
            "metadata": {"name": "antrea-controller"},
            "version": c.release.version,
            "nodeRef": {"kind": "Node", "name": c.controller_node.name},
            "connectedAgentNum": len(c.nodes),
            "controllerConditions": [
                {
                    "type": "ControllerHealthy",
                    "status": "True",
                    "lastHeartbeatTime": f"{c.collected - timedelta(seconds=41):%Y-%m-%dT%H:%M:%SZ}",
                }
            ],
            "apiPort": 10349,
        }
        files.append(("controllerinfo", to_yaml(info).encode()))
        return files

    def _write_extras(self, dest: Path) -> None:
        for name, text in self.extras.items():
            (dest / name).write_text(text)


def _with_kubelet_ts(text: str) -> str:
    out = []
    for line in text.splitlines(keepends=True):
        m = re.search(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)Z", line)
        stamp = f"{m.group(1)}.000000000Z" if m else "1970-01-01T00:00:00.000000000Z"
        out.append(f"{stamp} {line}")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# clusterinfo
# ---------------------------------------------------------------------------------------------


def agent_conf(c: Cluster) -> str:
    """The release's rendered antrea-agent.conf with this cluster's settings."""
    text = c.release.conf.get("antrea-agent.conf", "")
    for gate, val in c.gates.items():
        text = re.sub(rf"^#  {gate}: \w+$", f"  {gate}: {str(val).lower()}", text, count=1, flags=re.M)
    text = re.sub(r'^trafficEncapMode: "\w+"', f'trafficEncapMode: "{c.encap}"', text, count=1, flags=re.M)
    text = re.sub(r'^tunnelType: "\w+"', f'tunnelType: "{c.tunnel}"', text, count=1, flags=re.M)
    text = re.sub(
        r'^trafficEncryptionMode: "\w+"', f'trafficEncryptionMode: "{c.encryption}"', text, count=1, flags=re.M
    )
    if c.encap == "networkPolicyOnly":
        text = re.sub(r"^noSNAT: false", "noSNAT: true", text, count=1, flags=re.M)
    if c.bridging:
        text = re.sub(r"^enableBridgingMode: false", "enableBridgingMode: true", text, count=1, flags=re.M)
    if c.encryption == "ipsec" and c.ipsec_auth == "cert":
        text = re.sub(r'^  authenticationMode: "psk"', '  authenticationMode: "cert"', text, count=1, flags=re.M)
    if c.multicast:
        text = re.sub(r"^(multicast:\n(?:#.*\n)*)  enable: false", r"\1  enable: true", text, count=1, flags=re.M)
    if c.secondary:
        sec = c.secondary
        text = text.rstrip("\n") + (
            "\n\nsecondaryNetwork:\n  ovsBridges:\n"
            f"    - bridgeName: {sec['bridgeName']}\n      physicalInterfaces:\n"
            + "".join(f"      - {p}\n" for p in sec["physicalInterfaces"])
        )
    return text if text.endswith("\n") else text + "\n"


def clusterinfo(c: Cluster, nodes: dict[str, NodeState]) -> str:
    """antctl's `clusterinfo`: `#section` lines followed by `---`-terminated YAML documents."""
    created = c.collected - timedelta(days=3)
    stamp = f"{created:%Y-%m-%dT%H:%M:%SZ}"

    def meta(name: str, ns: str | None = None, **extra: object) -> dict:
        m: dict = {"name": name, "uid": uuid4(seeded(c.name, "uid", name)), "creationTimestamp": stamp}
        if ns:
            m["namespace"] = ns
        m.update(extra)
        return m

    out = []

    def section(name: str, objs: list[dict]) -> None:
        out.append(f"#{name}\n" + "".join(to_yaml(o) + "---\n" for o in objs))

    node_objs = []
    for n in c.nodes:
        spec: dict = {}
        if n.pod_cidr and c.encap != "networkPolicyOnly":
            spec = {"podCIDR": n.pod_cidr, "podCIDRs": [n.pod_cidr]}
        if c.chaining == "eks":
            spec["providerID"] = f"aws:///us-west-2a/i-0{seeded(n.name).randrange(16**16):016x}"
        labels = {"kubernetes.io/hostname": n.name, "kubernetes.io/os": "windows" if n.windows else "linux"}
        if n.control_plane:
            labels["node-role.kubernetes.io/control-plane"] = ""
        node_objs.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": meta(n.name, labels=labels),
                "spec": spec,
                "status": {
                    "addresses": [{"address": n.ip, "type": "InternalIP"}, {"address": n.name, "type": "Hostname"}],
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                        }
                    ],
                },
            }
        )
    section("nodes", node_objs)
    pods = []
    for n in c.nodes:
        restarts = max(0, len(nodes[n.name].runs) - 1) if n.name in nodes else 0
        pods.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": meta(
                    host.agent_pod(n), "kube-system", labels={"app": "antrea", "component": "antrea-agent"}
                ),
                "spec": {"nodeName": n.name, "hostNetwork": True},
                "status": {
                    "phase": "Running",
                    "hostIP": n.ip,
                    "podIP": n.ip,
                    "containerStatuses": [
                        {
                            "name": "antrea-agent",
                            "ready": True,
                            "restartCount": restarts,
                            "state": {"running": {"startedAt": stamp}},
                        }
                    ],
                },
            }
        )
    cp = c.controller_node
    pods.append(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta(
                "antrea-controller-7bd8d6bc7d-x7k2p",
                "kube-system",
                labels={"app": "antrea", "component": "antrea-controller"},
            ),
            "spec": {"nodeName": cp.name, "hostNetwork": True},
            "status": {"phase": "Running", "hostIP": cp.ip, "podIP": cp.ip},
        }
    )
    section("pods", pods)
    section(
        "deployments",
        [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": meta("antrea-controller", "kube-system"),
                "status": {"availableReplicas": 1, "readyReplicas": 1, "replicas": 1},
            }
        ],
    )
    section(
        "daemonsets",
        [
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": meta("antrea-agent", "kube-system"),
                "status": {
                    "currentNumberScheduled": len(c.nodes),
                    "desiredNumberScheduled": len(c.nodes),
                    "numberAvailable": len(c.nodes),
                    "numberReady": len(c.nodes),
                },
            }
        ],
    )
    data = {"antrea-agent.conf": agent_conf(c)}
    for key in ("antrea-cni.conflist", "antrea-controller.conf"):
        if key in c.release.conf:
            data[key] = c.release.conf[key]
    section(
        "configs",
        [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": meta("antrea-config", "kube-system", labels={"app": "antrea"}),
                "data": data,
            }
        ],
    )
    return "".join(out)


def at(c: Cluster, minutes_before: float) -> datetime:
    return c.collected - timedelta(minutes=minutes_before)
