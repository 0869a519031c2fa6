"""Redact a report: the `Diagnosis.to_dict()` dict every format is rendered from.

The diagnosis is computed on the real bundle (so it is exactly the unredacted one); only then
are its texts redacted, with names found in what the diagnosis read (Nodes, clusterinfo,
agentinfo, the log lines that matched) and in the report itself. Every string is scrubbed except
the rule catalogue's own fields (ids, categories, severities, references); paths of artifacts
are scrubbed as file names, the way `redact` renames the files.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from diagnose.bundle import model as m
from diagnose.redact.harvest import Harvester
from diagnose.redact.scrub import Scrubber
from diagnose.redact.session import Session
from diagnose.redact.vocab import Vocabulary

# Fields whose values come from the rule pack or the tool, never from the bundle.
STATIC_KEYS = frozenset(
    {
        "schema_version",
        "generated_at",
        "tool",
        "rule_id",
        "slug",
        "title",
        "why",
        "category",
        "severity",
        "status",
        "confidence",
        "references",
        "kind",
        "level",
        "signatures",
        "shape",
        "collected_at",
        "time",
        "start",
        "end",
        "role",
    }
)
PATH_KEYS = frozenset({"artifact", "path", "example_log", "unrecognised"})


def vocabulary_of(diagnosis: Any, data: dict[str, Any]) -> Vocabulary:
    """Names to hide, from what the diagnosis read and from the report's own texts."""
    h = Harvester()
    cluster: m.Cluster = diagnosis.cluster
    for name in cluster.nodes:
        if name not in m.PSEUDO_NODES:
            h.vocabulary.add("node", name)
    for a in cluster.all_artifacts():
        h.path(tuple(p for part in a.path.split("!") for p in PurePosixPath(part).parts))
        if a.meta.get("host"):
            h.vocabulary.add("host", a.meta["host"])
        if a.data and b"\x00" not in a.data[:8192]:
            text = a.data.decode("utf-8", "replace")
            h.clusterinfo(text) if a.kind == m.CLUSTER_INFO else h.text(text)
    for node in cluster.nodes.values():
        h.text("\n".join(e.text for e in node.events))
    h.text("\n".join(_strings(data)))
    return h.vocabulary


def redact_diagnosis(diagnosis: Any, data: dict[str, Any], session: Session, signature_text: str = "") -> dict:
    """A redacted copy of `data` (the input dict is not changed)."""
    vocabulary = vocabulary_of(diagnosis, data)
    session.trust_redacted_input(vocabulary)
    scrubber = Scrubber(session.mapper, vocabulary, signature_text)
    out = _redact(data, scrubber, None)
    source = out.get("source")
    if isinstance(source, dict) and isinstance(data.get("source", {}).get("path"), str):
        # The user's own path (home directory, customer folder) says more than the bundle's name.
        source["path"] = scrubber.path_part(PurePosixPath(data["source"]["path"].rstrip("/")).name or ".")
    return out


def _redact(value: Any, scrubber: Scrubber, key: str | None) -> Any:
    if key in STATIC_KEYS:
        return value
    if isinstance(value, dict):
        return {k: _redact(v, scrubber, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, scrubber, key) for v in value]
    if isinstance(value, str):
        return scrubber.path(value) if key in PATH_KEYS else scrubber.text(value)
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []
