"""Antrea's custom resources as users paste them: `kubectl get ... -o yaml` or `kubectl describe`.

Only what diagnosis needs is kept: kind, name, namespace and the status — its conditions
(`AntreaAgentInfo.agentConditions`, `Egress.status.conditions`, ...), a phase, and the flat
status fields (e.g. `egressNode`). Both shapes give the same `CrdObject`s. Parsers never raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from diagnose.parse import yamlsafe
from diagnose.parse.shell import split_prompt

_API_GROUP = re.compile(r"(?:crd|controlplane|stats|system|ops|multicluster)\.antrea\.(?:io|tanzu\.vmware\.com)/")
_DESCRIBE_FIELD = re.compile(r"^(?P<indent> *)(?P<key>[A-Z][A-Za-z ]{0,60}):(?:\s+(?P<value>.*))?$")


@dataclass
class Condition:
    """A status condition of a Kubernetes object."""

    type: str
    status: str  # "True" / "False" / "Unknown"
    reason: str = ""
    message: str = ""
    last_transition: str = ""

    @property
    def failing(self) -> bool:
        return self.status.lower() == "false"


@dataclass
class CrdObject:
    """An Antrea custom resource: its kind, name, conditions and scalar status fields."""

    kind: str
    name: str
    namespace: str | None = None
    conditions: list[Condition] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # flat scalar status fields
    source: str = ""


def parse(text: str, source: str = "") -> list[CrdObject]:
    _, body = split_prompt(text or "")
    stripped = body.lstrip()
    if stripped.startswith(("apiVersion:", "items:", "kind:", "---", "{", "- ")) or "\napiVersion:" in body[:4096]:
        found = _from_yaml(body, source)
        if found:
            return found
    return _from_describe(body, source)


def sniff(head: str) -> bool:
    _, body = split_prompt(head or "")
    if _API_GROUP.search(body[:8192]) is None:
        return False
    return bool(re.search(r"^\s*(?:apiVersion|API Version):", body, re.M)) and bool(
        re.search(r"^\s*(?:kind|Kind):", body, re.M)
    )


def _from_yaml(text: str, source: str) -> list[CrdObject]:
    out: list[CrdObject] = []
    docs = [yamlsafe.load(d) for d in yamlsafe.split_documents(text)]
    for doc in docs:
        items = doc["items"] if isinstance(doc, dict) and isinstance(doc.get("items"), list) else [doc]
        for obj in items:
            if isinstance(obj, dict) and isinstance(obj.get("apiVersion"), str) and _API_GROUP.match(obj["apiVersion"]):
                crd = _object(obj, source)
                if crd:
                    out.append(crd)
    return out


def _object(obj: dict[str, Any], source: str) -> CrdObject | None:
    meta = yamlsafe.child(obj, "metadata")
    name = yamlsafe.string(meta, "name")
    if name is None:
        return None
    crd = CrdObject(str(obj.get("kind") or ""), name, yamlsafe.string(meta, "namespace"), source=source)
    status = yamlsafe.child(obj, "status")
    # AntreaAgentInfo/ControllerInfo keep their conditions at the top level.
    conds = obj.get("agentConditions") or obj.get("controllerConditions") or status.get("conditions") or []
    for c in conds if isinstance(conds, list) else []:
        if isinstance(c, dict) and isinstance(c.get("type"), str):
            crd.conditions.append(
                Condition(
                    c["type"],
                    str(c.get("status", "")),
                    str(c.get("reason") or ""),
                    str(c.get("message") or ""),
                    str(c.get("lastTransitionTime") or c.get("lastHeartbeatTime") or ""),
                )
            )
    for key, value in {**status, **{k: v for k, v in obj.items() if k in ("nodeName", "version")}}.items():
        if isinstance(value, (str, int, float, bool)):
            crd.status[key] = str(value)
    return crd


_CONDITION_KEYS = ("Type", "Status", "Reason", "Message", "Last Transition Time", "Last Heartbeat Time")


def _from_describe(text: str, source: str) -> list[CrdObject]:
    """`kubectl describe` of custom resources. kubectl prints the fields of an unstructured object in
    alphabetical order, so a condition's `Type` comes last (`Last Transition Time`, `Message`,
    `Reason`, `Status`, `Type`); a condition ends when one of its keys repeats or another key comes."""
    out: list[CrdObject] = []
    obj: CrdObject | None = None
    pending: dict[str, str] = {}

    def flush() -> None:
        if obj is not None and "Type" in pending:
            obj.conditions.append(
                Condition(
                    pending["Type"],
                    pending.get("Status", ""),
                    pending.get("Reason", ""),
                    pending.get("Message", ""),
                    pending.get("Last Transition Time") or pending.get("Last Heartbeat Time", ""),
                )
            )
        pending.clear()

    pending_indent = -1
    for raw in text.splitlines()[:200_000]:
        m = _DESCRIBE_FIELD.match(raw.rstrip()[:4096])
        if not m:
            continue
        key, value, indent = m["key"], (m["value"] or "").strip(), len(m["indent"])
        if indent >= 2 and key in _CONDITION_KEYS and obj is not None:
            if key in pending or indent != pending_indent:
                flush()
            pending[key], pending_indent = value, indent
            continue
        flush()
        if indent == 0 and key == "Name":
            obj = CrdObject("", value, source=source)
            out.append(obj)
        elif obj is None:
            continue
        elif indent == 0 and key == "Namespace":
            obj.namespace = value or None
        elif indent == 0 and key == "Kind":
            obj.kind = value
        elif indent == 2 and value:
            obj.status[key[0].lower() + key[1:].replace(" ", "")] = value
    flush()
    return [o for o in out if o.kind]
