"""The `agentinfo` file: AntreaAgentInfo written by the Go YAML encoder (lower-cased keys)."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.parse import yamlsafe


@dataclass
class AgentInfo:
    version: str | None
    node: str | None
    ovs_version: str | None


def parse(text: str) -> AgentInfo | None:
    obj = yamlsafe.load(text)
    if not isinstance(obj, dict):
        return None
    lower = {str(k).lower(): v for k, v in obj.items()}
    node_ref = lower.get("noderef")
    node = None
    if isinstance(node_ref, dict):
        node = node_ref.get("name") or node_ref.get("Name")
    ovs = lower.get("ovsinfo")
    ovs_version = None
    if isinstance(ovs, dict):
        ovs_version = ovs.get("version") or ovs.get("Version")
    version = lower.get("version")
    return AgentInfo(str(version) if version else None, str(node) if node else None,
                     str(ovs_version) if ovs_version else None)
