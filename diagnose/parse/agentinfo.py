"""The `agentinfo` file: AntreaAgentInfo written by the Go YAML encoder (lower-cased keys).

`conditions` also reads the bundle's `controllerinfo` (`antctl -oyaml get controllerinfo`, JSON
field names): both hold a list of conditions (`agentconditions` / `controllerConditions`) with
`type`, `status`, `lastheartbeattime`, `reason`, `message`, whatever the key case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diagnose.parse import yamlsafe
from diagnose.parse.crds import Condition


@dataclass
class AgentInfo:
    """An AntreaAgentInfo: the agent's and OVS's versions, its Node and conditions."""

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
    return AgentInfo(
        str(version) if version else None, str(node) if node else None, str(ovs_version) if ovs_version else None
    )


_CONDITION_KEYS = ("agentconditions", "controllerconditions")


def conditions(text: str) -> list[Condition]:
    """The conditions of an AntreaAgentInfo (`agentinfo`) or AntreaControllerInfo (`controllerinfo`)
    document; [] when it has none or is not YAML."""
    obj = yamlsafe.load(text)
    if not isinstance(obj, dict):
        return []
    lower = {str(k).lower(): v for k, v in obj.items()}
    found: list[object] = next((lower[k] for k in _CONDITION_KEYS if isinstance(lower.get(k), list)), [])
    out = []
    for item in found:
        if not isinstance(item, dict):
            continue
        c = {str(k).lower(): v for k, v in item.items()}
        if not isinstance(c.get("type"), str):
            continue
        out.append(
            Condition(
                c["type"],
                _text(c.get("status")),
                _text(c.get("reason")),
                _text(c.get("message")),
                _text(c.get("lastheartbeattime") or c.get("lasttransitiontime")),
            )
        )
    return out


def _text(value: Any) -> str:
    """A scalar as text; a YAML-encoded Go time (`{time: ...}`) as its inner value."""
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    if isinstance(value, bool):  # YAML 1.1 reads an unquoted True as a boolean
        return "True" if value else "False"
    return "" if value is None else str(value)
