"""Build small bundles in the real antctl layout inside tmp_path (archives made on the fly)."""

from __future__ import annotations

import os
import tarfile
import zipfile
from pathlib import Path

from support import tar_bytes

FIX = Path(__file__).resolve().parents[1] / "rules" / "fixtures" / "secondary_bridge_took_node_nic"
RUNS = FIX / "fires-6448-agent-klog-runs"

CLUSTERINFO = """#nodes
metadata:
  name: node1
  labels:
    node-role.kubernetes.io/control-plane: "true"
spec:
  podCIDR: 10.42.0.0/24
---
metadata:
  name: node2
spec:
  podCIDR: 10.42.1.0/24
---
#configs
metadata:
  name: antrea-config
  namespace: kube-system
data:
  antrea-agent.conf: |
    featureGates:
      SecondaryNetwork: true
      AntreaIPAM: true
    secondaryNetwork:
      ovsBridges: [{bridgeName: "br-ext", physicalInterfaces: ["enp0s1"]}]
---
"""

HEALTHY_LOG = """Log file created at: 2024/06/28 18:50:00
Running on machine: node1
Binary: Built with gc go1.21.11 for linux/arm64
Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg
I0628 18:50:00.100000       1 agent.go:107] "Starting Antrea agent" version="v2.1.0-dev-6e00ebf"
I0628 18:50:02.000000       1 agent.go:476] Agent initialized NodeConfig=&{node1 ...}, NetworkConfig=&{...}
I0628 18:50:03.610000       1 agent.go:649] Cleaned up flow-restore-wait config
"""


def agent_files_node2() -> dict[str, bytes]:
    return {f"logs/agent/{p.name}": p.read_bytes() for p in sorted(RUNS.iterdir())}


def make_antctl_dir(tmp_path: Path) -> Path:
    """support-bundles_<ts>/ with clusterinfo, controller, a healthy node1 and node2 failing."""
    d = tmp_path / "support-bundles_20240628T185800Z"
    d.mkdir()
    (d / "clusterinfo").write_text(CLUSTERINFO)
    (d / "failed_nodes").write_text("node2\n")
    (d / "controller.tar.gz").write_bytes(
        tar_bytes(
            {
                "logs/controller/antrea-controller.cp.root.log.INFO.20240628-185000.1": b'I0628 18:50:00.000000       1 controller.go:100] "Starting Antrea Controller" version="v2.1.0"\n',
                "controllerinfo": b"version: v2.1.0\n",
            }
        )
    )
    (d / "agent_node1.tar.gz").write_bytes(
        tar_bytes(
            {
                "logs/agent/antrea-agent.node1.root.log.INFO.20240628-185000.1": HEALTHY_LOG.encode(),
                "route": b"default via 192.168.64.1 dev enp0s1 proto dhcp src 192.168.64.27 metric 100\n",
                "flows": b"cookie=0x1, table=Classifier, priority=200,in_port=antrea-gw0 actions=goto_table:SpoofGuard\n",
                "memprofile": b"\x1f\x8b\x08\x00binary-ish",
            }
        )
    )
    (d / "agent_node2.tar.gz").write_bytes(
        tar_bytes(
            {
                "logs/agent/antrea-agent.log": RUNS.joinpath(
                    "antrea-agent.node2.root.log.INFO.20240628-185717.1"
                ).read_bytes(),
                "agentinfo": b"version: v2.1.0-dev-6e00ebf\nnoderef:\n  name: node2\n",
            }
        )
    )
    return d


def archive_dir(src: Path, dest: Path, fmt: str) -> Path:
    if fmt == "zip":
        with zipfile.ZipFile(dest, "w") as zf:
            for root, _, files in os.walk(src):
                for f in files:
                    full = Path(root, f)
                    zf.write(full, full.relative_to(src.parent).as_posix())
        return dest
    with tarfile.open(dest, "w:gz") as tar:
        tar.add(src, arcname=src.name)
    return dest
