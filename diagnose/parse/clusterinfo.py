"""The top-level `clusterinfo` file: `#<section>` lines, each followed by `---`-separated YAML.

From it: each Node's PodCIDRs, addresses and role (`#nodes`), and the antrea-agent.conf text
carried by the `antrea-config` ConfigMap (`#configs`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from diagnose.parse import yamlsafe

_SECTION = re.compile(r"^#([a-z]+)\s*$")


@dataclass
class NodeInfo:
    """A Node of clusterinfo's #nodes section."""

    name: str
    pod_cidrs: list[str]
    internal_ips: list[str]
    control_plane: bool
    ready: bool | None


@dataclass
class ClusterInfo:
    """An antctl clusterinfo file: its Nodes and the Antrea configuration files."""

    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    agent_conf_text: str | None = None
    controller_conf_text: str | None = None
    sections: list[str] = field(default_factory=list)


def sections(text: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        m = _SECTION.match(line)
        if m:
            current = out.setdefault(m[1], [])
        elif current is not None:
            current.append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def parse(text: str) -> ClusterInfo:
    info = ClusterInfo()
    parts = sections(text)
    info.sections = sorted(parts)
    for doc in yamlsafe.split_documents(parts.get("nodes", "")):
        node = _node(yamlsafe.load(doc))
        if node:
            info.nodes[node.name] = node
    for doc in yamlsafe.split_documents(parts.get("configs", "")):
        obj = yamlsafe.load(doc)
        if not isinstance(obj, dict):
            continue
        data = obj.get("data")
        if isinstance(data, dict):
            if isinstance(data.get("antrea-agent.conf"), str):
                info.agent_conf_text = data["antrea-agent.conf"]
            if isinstance(data.get("antrea-controller.conf"), str):
                info.controller_conf_text = data["antrea-controller.conf"]
    return info


def _node(obj: object) -> NodeInfo | None:
    if not isinstance(obj, dict):
        return None
    meta = yamlsafe.child(obj, "metadata")
    name = yamlsafe.string(meta, "name")
    if name is None:
        return None
    spec = yamlsafe.child(obj, "spec")
    status = yamlsafe.child(obj, "status")
    cidrs = [c for c in (spec.get("podCIDRs") or []) if isinstance(c, str)]
    single = yamlsafe.string(spec, "podCIDR")
    if not cidrs and single:
        cidrs = [single]
    ips = [
        a["address"]
        for a in status.get("addresses") or []
        if isinstance(a, dict) and a.get("type") == "InternalIP" and isinstance(a.get("address"), str)
    ]
    labels = yamlsafe.child(meta, "labels")
    control_plane = any(
        k in labels for k in ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
    )
    ready = None
    for cond in status.get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == "Ready":
            ready = cond.get("status") == "True"
    return NodeInfo(name, cidrs, ips, control_plane, ready)


# Parsed once per text: the reader needs the Node names to place pasted files, the rules need
# the rest, and the YAML of a large cluster's #nodes is the costly part. Treat as read-only.
parse_once = functools.lru_cache(maxsize=4)(parse)
