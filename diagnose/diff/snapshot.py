"""What one diagnosed bundle says, in the comparable shape `diff` needs.

Everything comes from the `Diagnosis` (its findings and Nodes) and the parsed evidence of its
cluster (`ClusterView`: clusterinfo, agent config, each Node's routes, interfaces and OVS ports);
no file is read again. A fact the bundle does not carry is None, so that "not collected" is never
mistaken for "all gone".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from diagnose.bundle import model as m
from diagnose.parse import yamlsafe
from diagnose.rules.evidence import ClusterView, NodeView

MAX_CONFIG_KEYS = 2000  # a hostile config cannot make the diff unbounded


@dataclass
class NodeFacts:
    """What a report tells about one Node, in the form the diff compares."""

    name: str
    role: str | None = None
    version: str | None = None
    status: str = "ok"  # ok, failed, fallback, failed+fallback, not collected
    status_detail: str | None = None
    ready: bool | None = None
    pod_cidrs: list[str] | None = None
    internal_ips: list[str] | None = None
    routes: set[str] | None = None  # canonical `ip route` lines
    interfaces: dict[str, dict[str, Any]] | None = None  # name -> {addresses, mtu, master, state}
    ovs_ports: dict[str, int] | None = None  # port name -> ofport


@dataclass
class Snapshot:
    """What a report or bundle tells, in the form the diff compares."""

    source: str
    collected_at: str | None
    verdict: str  # the report's verdict sentence
    verdict_kind: str | None  # fault, no-fault, not-enough-evidence (when the report has it)
    findings: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (rule id, Node) -> finding
    nodes: dict[str, NodeFacts] = field(default_factory=dict)  # agent Nodes
    pseudo_versions: dict[str, str] = field(default_factory=dict)  # the controller's version
    agent_config: dict[str, str] | None = None  # flattened antrea-agent.conf (feature gates apart)
    feature_gates: dict[str, bool] | None = None
    controller_config: dict[str, str] | None = None


def take(result: Any) -> Snapshot:
    """The snapshot of one `diagnose.diagnosis.engine.diagnose` result."""
    from diagnose.report import view

    report = result.to_dict()
    cluster: m.Cluster = result.cluster
    ev = ClusterView(cluster)
    snap = Snapshot(
        source=cluster.source,
        collected_at=cluster.collected_at.isoformat() if cluster.collected_at else None,
        verdict=view.verdict(report),
        verdict_kind=report.get("verdict"),
    )
    for f in _flatten(report.get("findings", [])):
        for node in f.get("nodes") or [""]:
            key = (f["rule_id"], node)
            if key not in snap.findings or _worse(f, snap.findings[key]):
                snap.findings[key] = f
    summaries = {n["name"]: n for n in report["source"]["nodes"]}
    info = ev.clusterinfo
    names = [n.name for n in ev.agent_nodes] + sorted(set(info.nodes) - set(ev.nodes) if info else ())
    for name in names:
        snap.nodes[name] = _node(name, ev.nodes.get(name), summaries.get(name), info.nodes.get(name) if info else None)
    for name in m.PSEUDO_NODES:
        if name in summaries and summaries[name].get("antrea_version"):
            snap.pseudo_versions[name] = summaries[name]["antrea_version"]
    agent_text = _agent_config_text(ev)
    if agent_text is not None:
        flat = _flat(yamlsafe.load(agent_text))
        snap.feature_gates = {k.split(".", 1)[1]: v == "true" for k, v in flat.items() if k.startswith("featureGates.")}
        snap.agent_config = {k: v for k, v in flat.items() if not k.startswith("featureGates.")}
    if info is not None and info.controller_conf_text:
        snap.controller_config = _flat(yamlsafe.load(info.controller_conf_text))
    return snap


def _flatten(
    findings: list[dict[str, Any]], parent: str | None = None, out: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Root causes and their symptoms in report order, each with its rank and the root cause
    that explains it."""
    out = [] if out is None else out
    for f in findings:
        out.append({**f, "rank": len(out), "explained_by": parent})
        _flatten(f.get("symptoms", []), f.get("rule_id"), out)
    return out


_RANK = {"critical": 0, "error": 1, "warning": 2, "info": 3}


def _worse(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _RANK.get(a.get("severity", ""), 9) < _RANK.get(b.get("severity", ""), 9)


def _node(name: str, nv: NodeView | None, summary: dict[str, Any] | None, info: Any) -> NodeFacts:
    from diagnose.report import view

    facts = NodeFacts(name)
    if summary is not None:
        facts.role = summary.get("role")
        facts.version = summary.get("antrea_version")
        failed, fallback = bool(summary.get("failed_reason")), bool(summary.get("fallback_bundle"))
        facts.status = (
            "failed, fallback bundle"
            if failed and fallback
            else "failed"
            if failed
            else "fallback bundle"
            if fallback
            else "ok"
        )
        if failed or fallback:
            facts.status_detail = view.node_status(summary)
    else:
        facts.status = "no bundle"
        facts.status_detail = "in clusterinfo, but the bundle has nothing of this Node"
    if info is not None:
        facts.ready = info.ready
        facts.pod_cidrs = sorted(info.pod_cidrs)
        facts.internal_ips = sorted(info.internal_ips)
        facts.role = facts.role or ("control-plane" if info.control_plane else "worker")
    if nv is not None:
        if nv.routes is not None:
            facts.routes = {_route_line(r) for r in nv.routes}
        if nv.links is not None:
            facts.interfaces = {
                lk.name: {
                    "addresses": sorted(a.cidr for a in lk.addresses),
                    "mtu": lk.mtu,
                    "master": lk.master,
                    "state": lk.state,
                }
                for lk in nv.links
            }
        facts.ovs_ports = nv.of_ports
    return facts


def _route_line(route: Any) -> str:
    """One route as `ip route` prints it, whitespace normalised (the trailing space, a wrap)."""
    text = " ".join(route.raw.split())
    if text:
        return text
    parts = [route.dst]
    for key in ("via", "dev", "table", "proto", "scope", "src", "metric"):
        value = getattr(route, key)
        if value is not None:
            parts += [key, str(value)]
    return " ".join(parts)


def _agent_config_text(ev: ClusterView) -> str | None:
    """antrea-agent.conf as the cluster ran it: clusterinfo's antrea-config, else a pasted one
    (the same order as `ClusterView.agent_config`)."""
    info = ev.clusterinfo
    if info is not None and info.agent_conf_text:
        return info.agent_conf_text
    for a in ev.cluster.all_artifacts():
        if a.kind == m.AGENT_CONFIG:
            return a.text()
    return None


def _flat(obj: Any, prefix: str = "", out: dict[str, str] | None = None) -> dict[str, str]:
    """`{"a": {"b": 1}}` -> `{"a.b": "1"}`; lists are kept whole, as compact JSON."""
    out = {} if out is None else out
    if isinstance(obj, dict):
        for k, v in obj.items():
            if len(out) >= MAX_CONFIG_KEYS:
                break
            _flat(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif prefix:
        out[prefix] = _scalar(obj)
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(", ", ": "), default=str)
    return str(value)
