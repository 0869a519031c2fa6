"""Two snapshots of one cluster in, what changed out: the `diff` dict every format renders.

Findings are compared per rule and Node (a rule firing on one more Node is "appeared on
node3"), symptoms included; a finding whose severity or status changed is "changed". Nodes are
compared by name; host state per Node only where both bundles carry it (otherwise the diff says
which bundle lacks it, rather than listing everything as added or removed).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from diagnose import __version__
from diagnose.diff.snapshot import NodeFacts, Snapshot
from diagnose.rules.rule import SEVERITIES

SCHEMA_VERSION = "1.0"


def compare(old: Snapshot, new: Snapshot) -> dict[str, Any]:
    nodes = _nodes(old, new)
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "antrea-diagnose", "version": __version__},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "old": _side(old),
        "new": _side(new),
        "same_cluster": bool(set(old.nodes) & set(new.nodes)) or not (old.nodes and new.nodes),
        "findings": _findings(old, new),
        "nodes": nodes,
        "versions": _versions(old, new),
        "feature_gates": _gates(old.feature_gates, new.feature_gates),
        "agent_config": _settings(old.agent_config, new.agent_config),
        "controller_config": _settings(old.controller_config, new.controller_config),
        "host": _host(old, new),
    }
    out["changed"] = any(
        _has_changes(out[k])
        for k in ("findings", "nodes", "versions", "feature_gates", "agent_config", "controller_config", "host")
    )
    out["summary"] = summary_line(out)
    return out


def _side(s: Snapshot) -> dict[str, Any]:
    return {
        "source": s.source,
        "collected_at": s.collected_at,
        "verdict": s.verdict,
        "verdict_kind": s.verdict_kind,
        "nodes": len(s.nodes),
    }


def _has_changes(part: Any) -> bool:
    if isinstance(part, dict):
        return any(_has_changes(v) for k, v in part.items() if k not in ("missing", "old", "new", "unchanged")) or (
            "old" in part and "new" in part and part["old"] != part["new"]
        )
    if isinstance(part, list):
        return bool(part)
    return False


# -- findings -----------------------------------------------------------------------------------------


def _findings(old: Snapshot, new: Snapshot) -> dict[str, list[dict[str, Any]]]:
    appeared: dict[str, dict[str, Any]] = {}
    resolved: dict[str, dict[str, Any]] = {}
    changed: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    for key in sorted(set(old.findings) | set(new.findings)):
        rule_id, node = key
        a, b = old.findings.get(key), new.findings.get(key)
        if a is None and b is not None:
            _group(appeared, rule_id, b, node)
        elif b is None and a is not None:
            _group(resolved, rule_id, a, node)
        elif a is not None and b is not None and (a["severity"], a["status"]) != (b["severity"], b["status"]):
            ck = (rule_id, a["severity"], b["severity"], a["status"], b["status"])
            entry = changed.setdefault(
                ck, {**_brief(b), "nodes": [], "old_severity": a["severity"], "old_status": a["status"]}
            )
            if node:
                entry["nodes"].append(node)
    # In the order of their report: root causes first, each followed by the symptoms it explains.
    return {
        k: [_unranked(f) for f in sorted(v.values(), key=lambda f: f["rank"])]
        for k, v in (("appeared", appeared), ("resolved", resolved), ("changed", changed))
    }


def _unranked(f: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in f.items() if k != "rank"}


def _brief(f: dict[str, Any]) -> dict[str, Any]:
    return {k: f.get(k) for k in ("rule_id", "title", "category", "severity", "status", "explained_by", "rank")}


def _group(into: dict[str, dict[str, Any]], rule_id: str, f: dict[str, Any], node: str) -> None:
    entry = into.setdefault(rule_id, {**_brief(f), "nodes": []})
    if node:
        entry["nodes"].append(node)
    if _rank(f["severity"]) < _rank(entry["severity"]):
        entry["severity"] = f["severity"]


def _rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 9


def worst_new(diff: dict[str, Any]) -> str | None:
    """The worst severity among findings that appeared or changed (for `--fail-on`)."""
    found = [f["severity"] for f in diff["findings"]["appeared"]]
    found += [f["severity"] for f in diff["findings"]["changed"] if _rank(f["severity"]) < _rank(f["old_severity"])]
    return min(found, key=_rank, default=None)


# -- Nodes and versions --------------------------------------------------------------------------------


def _nodes(old: Snapshot, new: Snapshot) -> dict[str, list[dict[str, Any]]]:
    added = [_node_brief(new.nodes[n]) for n in sorted(set(new.nodes) - set(old.nodes))]
    lost = [_node_brief(old.nodes[n]) for n in sorted(set(old.nodes) - set(new.nodes))]
    changed = []
    for name in sorted(set(old.nodes) & set(new.nodes)):
        a, b = old.nodes[name], new.nodes[name]
        for fld in ("status", "ready", "role", "pod_cidrs", "internal_ips"):
            va, vb = getattr(a, fld), getattr(b, fld)
            if va != vb and va is not None and vb is not None:
                entry = {"node": name, "field": fld, "old": va, "new": vb}
                if fld == "status" and b.status_detail:
                    entry["detail"] = b.status_detail
                changed.append(entry)
    return {"added": added, "lost": lost, "changed": changed}


def _node_brief(n: NodeFacts) -> dict[str, Any]:
    return {"node": n.name, "role": n.role, "status": n.status, "version": n.version}


def _versions(old: Snapshot, new: Snapshot) -> dict[str, Any]:
    def found(s: Snapshot) -> dict[str, str]:
        out = {name: n.version for name, n in s.nodes.items() if n.version}
        out.update(s.pseudo_versions)
        return out

    a, b = found(old), found(new)
    per_node = [
        {"node": name, "old": a[name], "new": b[name]} for name in sorted(set(a) & set(b)) if a[name] != b[name]
    ]
    return {"old": sorted(set(a.values())), "new": sorted(set(b.values())), "changed": per_node}


# -- configuration --------------------------------------------------------------------------------------


def _gates(old: dict[str, bool] | None, new: dict[str, bool] | None) -> list[dict[str, Any]]:
    """Feature gates set in either config; a gate not set is at its default (None)."""
    if old is None or new is None:
        return []
    return [
        {"gate": g, "old": old.get(g), "new": new.get(g)}
        for g in sorted(set(old) | set(new))
        if old.get(g) != new.get(g)
    ]


def _settings(old: dict[str, str] | None, new: dict[str, str] | None) -> dict[str, Any]:
    if old is None and new is None:
        return {"changes": []}
    if old is None or new is None:
        return {"changes": [], "missing": "old" if old is None else "new"}
    return {
        "changes": [
            {"key": k, "old": old.get(k), "new": new.get(k)}
            for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)
        ]
    }


# -- host state per Node -----------------------------------------------------------------------------------


def _host(old: Snapshot, new: Snapshot) -> list[dict[str, Any]]:
    out = []
    for name in sorted(set(old.nodes) & set(new.nodes)):
        a, b = old.nodes[name], new.nodes[name]
        entry: dict[str, Any] = {"node": name}
        entry["routes"] = _sets(a.routes, b.routes)
        entry["interfaces"] = _interfaces(a.interfaces, b.interfaces)
        entry["ovs_ports"] = _ports(a.ovs_ports, b.ovs_ports)
        if any(
            entry[k].get("added") or entry[k].get("removed") or entry[k].get("changed") or entry[k].get("missing")
            for k in ("routes", "interfaces", "ovs_ports")
        ):
            out.append(entry)
    return out


def _missing(a: Any, b: Any) -> str | None:
    if a is None and b is None:
        return None
    if a is None:
        return "old"
    return "new" if b is None else None


def _sets(a: set[str] | None, b: set[str] | None) -> dict[str, Any]:
    if a is None or b is None:
        return {"added": [], "removed": [], "missing": _missing(a, b)}
    return {"added": sorted(b - a), "removed": sorted(a - b)}


def _interfaces(a: dict[str, dict[str, Any]] | None, b: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    if a is None or b is None:
        return {"added": [], "removed": [], "changed": [], "missing": _missing(a, b)}
    changed = []
    for name in sorted(set(a) & set(b)):
        x, y = a[name], b[name]
        change: dict[str, Any] = {"interface": name}
        gained = sorted(set(y["addresses"]) - set(x["addresses"]))
        lost = sorted(set(x["addresses"]) - set(y["addresses"]))
        if gained:
            change["addresses_added"] = gained
        if lost:
            change["addresses_removed"] = lost
        for fld in ("mtu", "master", "state"):
            if x.get(fld) != y.get(fld):
                change[fld] = {"old": x.get(fld), "new": y.get(fld)}
        if len(change) > 1:
            changed.append(change)
    return {
        "added": [{"interface": n, **b[n]} for n in sorted(set(b) - set(a))],
        "removed": [{"interface": n, **a[n]} for n in sorted(set(a) - set(b))],
        "changed": changed,
    }


def _ports(a: dict[str, int] | None, b: dict[str, int] | None) -> dict[str, Any]:
    if a is None or b is None:
        return {"added": [], "removed": [], "changed": [], "missing": _missing(a, b)}
    return {
        "added": [{"port": p, "ofport": b[p]} for p in sorted(set(b) - set(a))],
        "removed": [{"port": p, "ofport": a[p]} for p in sorted(set(a) - set(b))],
        "changed": [{"port": p, "old": a[p], "new": b[p]} for p in sorted(set(a) & set(b)) if a[p] != b[p]],
    }


# -- one line ------------------------------------------------------------------------------------------


def summary_line(d: dict[str, Any]) -> str:
    """`2 findings appeared, 1 resolved; 1 Node changed status; 1 feature gate, 2 agent settings
    changed; host state changed on node1`, or that nothing changed."""
    from diagnose.report.view import plural

    parts = []
    f = d["findings"]
    found = [(len(f[k]), k) for k in ("appeared", "resolved", "changed") if f[k]]
    if found:
        first = f"{plural(found[0][0], 'finding')} {found[0][1]}"
        parts.append(", ".join([first] + [f"{n} {k}" for n, k in found[1:]]))
    n = d["nodes"]
    if n["added"]:
        parts.append(f"{plural(len(n['added']), 'Node')} added")
    if n["lost"]:
        parts.append(f"{plural(len(n['lost']), 'Node')} lost")
    if n["changed"]:
        parts.append(f"{plural(len({c['node'] for c in n['changed']}), 'Node')} changed")
    if d["versions"]["changed"] or d["versions"]["old"] != d["versions"]["new"]:
        parts.append("Antrea version changed")
    config = []
    if d["feature_gates"]:
        config.append(plural(len(d["feature_gates"]), "feature gate"))
    if d["agent_config"]["changes"]:
        config.append(plural(len(d["agent_config"]["changes"]), "agent setting"))
    if d["controller_config"]["changes"]:
        config.append(plural(len(d["controller_config"]["changes"]), "controller setting"))
    if config:
        parts.append(", ".join(config) + " changed")
    hosts = [
        h["node"]
        for h in d["host"]
        if any(
            h[k].get("added") or h[k].get("removed") or h[k].get("changed")
            for k in ("routes", "interfaces", "ovs_ports")
        )
    ]
    if hosts:
        parts.append("host network changed on " + ", ".join(hosts))
    return "; ".join(parts) if parts else "No change found between the two bundles."
