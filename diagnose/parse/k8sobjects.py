"""Objects of the clusterinfo sections the core parser does not read: `#pods` and `#configs`.

antctl writes each object JSON-marshalled then converted to YAML (antrea-reference.md §1.1), so
the keys are the Kubernetes JSON names. `#pods` covers all namespaces and can be large: only the
fields diagnosis needs are kept.
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
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    name = meta.get("name")
    if not isinstance(name, str):
        return None
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
    ip = status.get("podIP") if isinstance(status.get("podIP"), str) else None
    node = spec.get("nodeName") if isinstance(spec.get("nodeName"), str) else None
    phase = status.get("phase") if isinstance(status.get("phase"), str) else None
    restarts, waiting = 0, None
    for cs in status.get("containerStatuses") or []:
        if not isinstance(cs, dict):
            continue
        if isinstance(cs.get("restartCount"), int):
            restarts = max(restarts, cs["restartCount"])
        state = cs.get("state") if isinstance(cs.get("state"), dict) else {}
        w = state.get("waiting") if isinstance(state.get("waiting"), dict) else None
        if w and isinstance(w.get("reason"), str):
            waiting = w["reason"]
    # A finished Pod keeps status.podIP although the IP may already serve another Pod.
    shown = {"Succeeded": "Completed", "Failed": "Failed"}.get(phase or "", waiting or phase)
    return PodRow(name=name, namespace=namespace, status=shown, restarts=restarts, ip=ip or None, node=node,
                  host_network=spec.get("hostNetwork") is True, source=source,
                  text=f"{namespace}/{name} podIP={ip} node={node} phase={phase}"
                       + (" hostNetwork=true" if spec.get("hostNetwork") is True else ""))


def configmaps(text: str) -> dict[str, dict[str, str]]:
    """ConfigMaps of `#configs` by name (antrea-config, antrea-ca, ...), with their string data."""
    out: dict[str, dict[str, str]] = {}
    for doc in yamlsafe.split_documents(clusterinfo.sections(text or "").get("configs", "")):
        obj = yamlsafe.load(doc)
        if not isinstance(obj, dict):
            continue
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        name = meta.get("name")
        data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
        if isinstance(name, str):
            out[name] = {str(k): v for k, v in data.items() if isinstance(v, str)}
    return out
