"""Objects of the clusterinfo sections the core parser does not read: `#pods` and `#configs`.

antctl writes each object JSON-marshalled then converted to YAML (antrea-io/antrea
pkg/antctl/raw/supportbundle/command.go), so the keys are the Kubernetes JSON names. `#pods` covers
all namespaces and can be large: only the fields diagnosis needs are kept.
"""

from __future__ import annotations

from diagnose.parse import clusterinfo, yamlsafe
from diagnose.parse.kubectl import PodRow


def pods(text: str, source: str = "clusterinfo") -> list[PodRow]:
    out: list[PodRow] = []
    for doc in yamlsafe.split_documents(clusterinfo.sections(text or "").get("pods", "")):
        obj = yamlsafe.load(doc)
        row = _pod(obj, source) if isinstance(obj, dict) else None
        if row:
            out.append(row)
    return out


def _pod(obj: dict, source: str) -> PodRow | None:
    meta = yamlsafe.child(obj, "metadata")
    spec = yamlsafe.child(obj, "spec")
    status = yamlsafe.child(obj, "status")
    name = yamlsafe.string(meta, "name")
    if name is None:
        return None
    namespace = yamlsafe.string(meta, "namespace")
    ip = yamlsafe.string(status, "podIP")
    node = yamlsafe.string(spec, "nodeName")
    phase = yamlsafe.string(status, "phase")
    restarts: int = 0
    waiting: str | None = None
    for cs in status.get("containerStatuses") or []:
        if not isinstance(cs, dict):
            continue
        if isinstance(cs.get("restartCount"), int):
            restarts = max(restarts, cs["restartCount"])
        reason = yamlsafe.string(yamlsafe.child(yamlsafe.child(cs, "state"), "waiting"), "reason")
        if reason is not None:
            waiting = reason
    # A finished Pod keeps status.podIP although the IP may already serve another Pod.
    shown = {"Succeeded": "Completed", "Failed": "Failed"}.get(phase or "", waiting or phase)
    return PodRow(
        name=name,
        namespace=namespace,
        status=shown,
        restarts=restarts,
        ip=ip or None,
        node=node,
        host_network=spec.get("hostNetwork") is True,
        source=source,
        text=f"{namespace}/{name} podIP={ip} node={node} phase={phase}"
        + (" hostNetwork=true" if spec.get("hostNetwork") is True else ""),
    )


def configmaps(text: str) -> dict[str, dict[str, str]]:
    """ConfigMaps of `#configs` by name (antrea-config, antrea-ca, ...), with their string data."""
    out: dict[str, dict[str, str]] = {}
    for doc in yamlsafe.split_documents(clusterinfo.sections(text or "").get("configs", "")):
        obj = yamlsafe.load(doc)
        if not isinstance(obj, dict):
            continue
        name = yamlsafe.string(yamlsafe.child(obj, "metadata"), "name")
        data = yamlsafe.child(obj, "data")
        if name is not None:
            out[name] = {str(k): v for k, v in data.items() if isinstance(v, str)}
    return out
