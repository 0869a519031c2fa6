"""The story of each Node: its agent runs, restarts, OVS events and every signature hit of all
its logs merged in time order, with the evidence lines of the findings marked.

`build` makes the `timeline` part of `Diagnosis.to_dict()` (bounded per Node, evidence kept
first); the renderers only draw it. `merged` is the same stream unbounded, for the
`antrea-diagnose timeline` command. Both read the events the scan kept and the runs of
`diagnose.facts.runs`; nothing is re-read from the bundle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from diagnose.bundle import model as m
from diagnose.facts import lifecycle
from diagnose.facts import runs as runsmod
from diagnose.rules.rule import Finding

MAX_EVENTS = 300  # per Node in the report
MAX_TEXT = 1000  # characters of a raw line kept in the report
MAX_LABEL = 160  # characters of an event's one-line label

# Event kinds, by what they mean for the story.
START, RESTART, FATAL, LIFECYCLE, OVS, LOG = "start", "restart", "fatal", "lifecycle", "ovs", "log"
KINDS = (START, RESTART, FATAL, LIFECYCLE, OVS, LOG)
# How a run ended: a fatal line, stopped without one and started again (killed, e.g. by the
# liveness probe), or still logging when the logs end.
ENDINGS = ("fatal", "restart", "running")

_FATAL = lifecycle.FATALS
_LIFECYCLE = {
    lifecycle.key(n)
    for n in (
        "initialized",
        "frw_waiting",
        "frw_cleaning",
        "frw_cleaned",
        "frw_skipped",
        "frw_completed",
        "ofswitch_disconnected",
        "flow_replay_completed",
    )
}
_AGENT_KINDS = (m.AGENT_LOG, m.OTHER_CONTAINER_LOG)  # where the lifecycle markers are scanned
_OVS_KINDS = (m.OVS_LOG, m.OVS_CONTAINER_LOG)
_ERROR_KEYS = frozenset({"err", "error", "reason"})
_GO_SOURCE = re.compile(r"^[\w./-]+\.go:\d+: ")
# `kubectl logs --timestamps` / container-runtime prefix: the same line in a container log.
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\S+ (?:(?:stdout|stderr) \w )?")
# klog letters, OVS vlog levels and script-container words, as one scale.
_LEVELS = {
    "F": "fatal",
    "FATAL": "fatal",
    "EMER": "fatal",
    "E": "error",
    "ERR": "error",
    "ERROR": "error",
    "W": "warning",
    "WARN": "warning",
    "WARNING": "warning",
    "I": "info",
    "INFO": "info",
    "D": "info",
    "DBG": "info",
    "DEBUG": "info",
}


@dataclass
class StoryEvent:
    """One log line of a Node's story (a line matched by several signatures is one event)."""

    event: m.LogEvent
    kind: str
    signatures: list[str]
    run: int | None = None  # 1-based number of the agent run it falls in
    findings: list[str] = field(default_factory=list)  # rule ids whose evidence is this line
    root_cause: bool = False  # evidence of the most likely root cause

    @property
    def level(self) -> str | None:
        return level_of(self.event.level)

    @property
    def label(self) -> str:
        return label_of(self.event)


@dataclass
class AgentRun:
    """A run of the agent on a Node: its start, end, version and how it ended."""

    number: int  # 1-based, in time order
    start: m.LogEvent  # its start line, or its first agent line when the start was not logged
    end: m.LogEvent  # its last matched agent line
    start_seen: bool
    version: str | None
    ending: str  # one of ENDINGS
    fatal: m.LogEvent | None


@dataclass
class NodeStory:
    """A Node's agent runs and timed events, for the storyline."""

    node: str
    runs: list[AgentRun]
    events: list[StoryEvent]  # timed events in time order, then undated ones in file order


def level_of(level: str | None) -> str | None:
    return _LEVELS.get((level or "").upper()) if level else None


def label_of(e: m.LogEvent) -> str:
    """The event in one line: its message (without a client-go `file.go:N: ` prefix) and a few
    of its key=value fields."""
    text = _GO_SOURCE.sub("", e.message, count=1) if e.message else e.text
    if e.kv:
        # An error field goes last and keeps its end: that is where a Go error chain names its cause.
        fields = sorted(list(e.kv.items())[:3], key=lambda kv: kv[0] in _ERROR_KEYS)
        text += " " + " ".join(f"{k}={_tail(v, 80) if k in _ERROR_KEYS else _short(v, 60)}" for k, v in fields)
    text = " ".join(text.split())
    if len(text) > MAX_LABEL and level_of(e.level) in ("fatal", "error", "warning"):
        # An error's cause ends its chain ("...: dial tcp 10.43.0.1:443: i/o timeout"): keep both ends.
        return text[: MAX_LABEL // 2] + "…" + text[len(text) - MAX_LABEL // 2 + 1 :]
    return _short(text, MAX_LABEL)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tail(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[len(text) - limit + 1 :]


def merged(cluster: m.Cluster, findings: Iterable[Finding] = ()) -> list[NodeStory]:
    """Every Node's merged event stream, unbounded, most affected Nodes first."""
    findings = list(findings)
    kinds = {a.path: a.kind for a in cluster.all_artifacts()}
    marks, root = _evidence_marks(findings)
    stories = [_story(node, kinds, marks, root) for node in cluster.nodes.values() if node.events]
    order = _node_order(findings, [s.node for s in stories])
    return sorted(stories, key=lambda s: order[s.node])


def build(cluster: m.Cluster, findings: list[Finding], max_events: int = MAX_EVENTS) -> dict[str, Any]:
    """The `timeline` of the report: per Node its runs and at most `max_events` events."""
    affected = {n for f in findings if f.severity != "info" for n in _all_nodes(f)}
    nodes = []
    for story in merged(cluster, findings):
        kept, omitted = _bound(story.events, max_events)
        timed = [s.event.time for s in story.events if s.event.time is not None]
        nodes.append(
            {
                "node": story.node,
                "affected": story.node in affected,
                "start": _iso(min(timed)) if timed else None,
                "end": _iso(max(timed)) if timed else None,
                "runs": [_run_dict(r) for r in story.runs],
                "restarts": max(0, len(story.runs) - 1),
                "events": [_event_dict(s) for s in kept],
                "omitted_events": omitted,
                "undated_events": sum(1 for s in kept if s.event.time is None),
            }
        )
    return {"max_events_per_node": max_events, "nodes": nodes}


# -- one Node -------------------------------------------------------------------------------------


def _story(node: m.NodeData, kinds: dict[str, str], marks: dict[tuple, list[str]], root: set[tuple]) -> NodeStory:
    agent_events = [e for e in node.events if kinds.get(e.artifact) in _AGENT_KINDS]
    runs = runsmod.build(agent_events, "agent") if node.name != m.CONTROLLER_NODE else []
    agent_runs: list[AgentRun] = []
    number_of: dict[int, int] = {}  # run index -> 1-based agent run number (dated runs only)
    for i, r in enumerate(r for r in runs if r.dated):
        fatal = r.fatal
        ending = "fatal" if fatal else ("restart" if r.followed else "running")
        number_of[r.index] = i + 1
        last = next(e for e in reversed(r.events) if e.time is not None)
        agent_runs.append(AgentRun(i + 1, r.start or r.events[0], last, r.start is not None, r.version, ending, fatal))
    others = runsmod.dedupe(
        e for e in node.events if kinds.get(e.artifact) not in _AGENT_KINDS or node.name == m.CONTROLLER_NODE
    )
    placed = [e for r in runs for e in r.events]
    ordered = sorted([e for e in placed + others if e.time is not None], key=lambda e: (e.time, e.artifact, e.line))
    ordered += [e for e in placed + others if e.time is None]
    groups: dict[tuple, StoryEvent] = {}
    for e in ordered:
        key = (e.time, e.message or e.text) if e.time else (e.artifact, e.line)
        story = groups.get(key)
        if story is None:
            run = number_of.get(e.run) if e.run is not None and e.time is not None else None
            groups[key] = StoryEvent(e, LOG, [e.signature], run)
        elif e.signature not in story.signatures:
            story.signatures.append(e.signature)
    events = list(groups.values())
    for s in events:
        s.kind = _kind(s, kinds.get(s.event.artifact))
        for k in _keys(s.event.artifact, s.event.line, s.event.time_text, s.event.text):
            for rule_id in marks.get(k, ()):
                if rule_id not in s.findings:
                    s.findings.append(rule_id)
            s.root_cause = s.root_cause or k in root
    return NodeStory(node.name, agent_runs, events)


def _kind(s: StoryEvent, artifact_kind: str | None) -> str:
    sigs = set(s.signatures)
    if sigs & _FATAL:
        return FATAL
    if sigs & {lifecycle.key("start"), lifecycle.key("controller_start")}:
        return RESTART if s.run is not None and s.run > 1 else START
    if sigs & _LIFECYCLE:
        return LIFECYCLE
    if artifact_kind in _OVS_KINDS:
        return OVS
    return LOG


def _keys(artifact: str, line: int | None, time: str | None, text: str) -> list[tuple]:
    """How an evidence line is recognised among the events: its file and line, or (the same line
    kept from another copy of the log, e.g. the ERROR file) its time and text."""
    keys: list[tuple] = [("at", artifact, line)]
    if time:
        keys.append(("same", time, _STAMP.sub("", text.strip(), count=1)))
    return keys


def _evidence_marks(findings: list[Finding]) -> tuple[dict[tuple, list[str]], set[tuple]]:
    marks: dict[tuple, list[str]] = {}
    root: set[tuple] = set()

    def visit(f: Finding, is_root: bool) -> None:
        for e in f.evidence:
            for k in _keys(e.artifact, e.line, e.time, e.text):
                ids = marks.setdefault(k, [])
                if f.rule_id not in ids:
                    ids.append(f.rule_id)
                if is_root:
                    root.add(k)
        for s in f.symptoms:
            visit(s, False)

    for i, f in enumerate(findings):
        visit(f, i == 0 and f.severity != "info")
    return marks, root


def _all_nodes(f: Finding) -> list[str]:
    return [*f.nodes, *(n for s in f.symptoms for n in _all_nodes(s))]


def _node_order(findings: list[Finding], names: list[str]) -> dict[str, tuple]:
    """The most likely root cause's Nodes first, then other Nodes with problems, then the rest."""
    rank: dict[str, int] = {}
    for i, f in enumerate(findings):
        for n in _all_nodes(f):
            rank.setdefault(n, i if f.severity != "info" else len(findings))
    pseudo = m.PSEUDO_NODES
    return {n: (rank.get(n, len(findings) + 1), n in pseudo, i) for i, n in enumerate(names)}


# -- bounding -------------------------------------------------------------------------------------


def _priority(s: StoryEvent) -> int:
    if s.root_cause:
        return 0
    if s.findings:
        return 1
    if s.kind in (FATAL, START, RESTART, LIFECYCLE):
        return 2
    if s.kind == OVS:
        return 3
    if s.level in ("fatal", "error", "warning"):
        return 4
    return 5


def _bound(events: list[StoryEvent], limit: int) -> tuple[list[StoryEvent], int]:
    """At most `limit` events: whole priority classes while they fit, then an even sample across
    the class that does not (so the story still spans its whole time), in the original order."""
    if len(events) <= limit:
        return events, 0
    by_class: dict[int, list[int]] = {}
    for i, s in enumerate(events):
        by_class.setdefault(_priority(s), []).append(i)
    keep: list[int] = []
    for p in sorted(by_class):
        room = limit - len(keep)
        members = by_class[p]
        if room <= 0:
            break
        if len(members) <= room:
            keep += members
        else:
            step = len(members) / room
            keep += [members[int(j * step)] for j in range(room)]
    kept = sorted(keep)
    return [events[i] for i in kept], len(events) - len(kept)


# -- the report's dicts ---------------------------------------------------------------------------


def _iso(t) -> str:
    return t.isoformat(timespec="microseconds")


def _run_dict(r: AgentRun) -> dict[str, Any]:
    return {
        "number": r.number,
        "start": r.start.time_text,
        "start_seen": r.start_seen,
        "end": r.end.time_text,
        "version": r.version,
        "ended": r.ending,
        "fatal": _short(" ".join((r.fatal.message or r.fatal.text).split()), MAX_LABEL) if r.fatal else None,
    }


def _event_dict(s: StoryEvent) -> dict[str, Any]:
    e = s.event
    return {
        "time": e.time_text,
        "run": s.run,
        "kind": s.kind,
        "level": s.level,
        "artifact": e.artifact,
        "line": e.line,
        "label": s.label,
        "text": _short(e.text, MAX_TEXT),
        "signatures": s.signatures,
        "findings": s.findings,
        "root_cause": s.root_cause,
    }
