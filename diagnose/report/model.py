"""The report model: what every format renders, as typed data. The JSON report is exactly this
model, and its JSON Schema (`schema.json`, `python -m diagnose.report.schemagen`) is generated from
it, so the format, its documentation and the renderers cannot drift apart.

Each field's `doc` is its documentation in the schema and in docs/templates.md. Strings from the
bundle are untrusted: every renderer escapes them.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args, get_origin, get_type_hints

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

SCHEMA_VERSION: Literal["2.0"] = "2.0"  # 2.0: a finding's nested symptoms are `symptoms` (was `explains`)

Severity = Literal["critical", "error", "warning", "info"]
Verdict = Literal["fault", "no-fault", "not-enough-evidence"]


def doc(text: str, **bounds: Any) -> Any:
    """A required field with its documentation (and `minimum`/`maximum` for numbers)."""
    return field(metadata={"doc": text, **bounds})


def optional(text: str, default: Any = None, **bounds: Any) -> Any:
    """A field that reports written before it do not have (not in the schema's `required`)."""
    if isinstance(default, list):
        return field(default_factory=list, metadata={"doc": text, "optional": True, **bounds})
    return field(default=default, metadata={"doc": text, "optional": True, **bounds})


@dataclass(kw_only=True)
class Tool:
    """The program that wrote the report."""

    name: Literal["antrea-diagnose"] = doc("Always `antrea-diagnose`.")
    version: str = doc("Version of antrea-diagnose.")


@dataclass(kw_only=True)
class NodeOut:
    """A Node (or the controller) and what arrived for it."""

    name: str = doc("Node name.")
    role: str | None = doc("`agent`, `controller`... when known.")
    antrea_version: str | None = doc("Antrea version read from the bundle (agentinfo or logs), when known.")
    artifacts: int = doc("How many artifacts were read for it.", minimum=0)
    log_lines_matched: int = doc("How many of its log lines matched a rule signature.", minimum=0)
    failed_reason: str | None = doc(
        "Set when the Node is in `failed_nodes`: why antctl could not collect its bundle; null otherwise."
    )
    fallback_bundle: bool = doc("True when its bundle is the logs-only fallback built from the K8s API (antctl v2.3+).")
    mode: str | None = optional(
        "The Node's deployment mode as read (traffic encap mode, tunnel type, AntreaIPAM "
        "bridging, Windows), e.g. `encap, geneve tunnel`; null for the controller."
    )


@dataclass(kw_only=True)
class ArtifactOut:
    """One file of the source."""

    path: str = doc("Display path, archive members joined with `!`.")
    kind: str = doc(
        "What the file is, e.g. `agent-log`, `ovs-log`, `ip-route`, `flows`, `agentinfo`, "
        "`clusterinfo`, `other` (diagnose/bundle/artifacts.py lists every kind)."
    )
    node: str | None = doc("The Node it belongs to; null for cluster-wide files.")
    size: int = doc("Size in bytes (uncompressed).", minimum=0)
    truncated: bool = doc("True when the content was cut at the size limit before parsing.")


@dataclass(kw_only=True)
class ReadProblemOut:
    """Something that could not be read."""

    path: str = doc("Display path of the file (archive members joined with `!`).")
    reason: str = doc("Why it could not be read, in one sentence.")


@dataclass(kw_only=True)
class SourceOut:
    """What was read."""

    path: str = doc("The source as given: a directory, an archive or a file.")
    shape: str = doc(
        "What the source was recognised as, e.g. `antctl-directory`, `antctl-archive`, `agent-bundle`, "
        "`loose-files`; `unrecognised files` when nothing in it was."
    )
    collected_at: str | None = doc(
        "When the bundle was collected (from its `support-bundles_<time>` name), ISO 8601, "
        "possibly without a UTC offset; null when unknown."
    )
    nodes: list[NodeOut] = doc(
        "One entry per Node seen: with a bundle, only in `failed_nodes`, or with a logs-only "
        "fallback bundle (the controller appears as `antrea-controller`)."
    )
    artifacts: list[ArtifactOut] = doc("Every file recognised and read.")
    unreadable: list[ReadProblemOut] = doc("What could not be read, and why.")
    unrecognised: list[str] = doc("Display paths of files that were read but not recognised (not used).")
    rules_run: int = doc("How many rules were checked.", minimum=0)
    year_source: str | None = optional(
        "Where the year of log lines that carry none (klog) came from: the bundle's "
        "collection time, the klog file headers, or a guess (the current year), said "
        "as such."
    )


@dataclass(kw_only=True)
class MissingOut:
    """Evidence the source lacks, and how to collect it."""

    what: str = doc("What is missing, in one sentence.")
    command: str = doc("The exact shell command that collects it.")


@dataclass(kw_only=True)
class ContextOut:
    """A line next to an evidence line in the same file."""

    line: int = doc("1-based line number in the artifact.", minimum=1)
    text: str = doc("The raw line (untrusted bundle text).")


@dataclass(kw_only=True)
class EvidenceOut:
    """One line that supports a finding (untrusted bundle text)."""

    artifact: str = doc("Display path of the artifact the line is from.")
    line: int | None = doc("1-based line number in the artifact; null when not from a file line.", minimum=1)
    time: str | None = doc(
        "Timestamp as logged, ISO 8601 with microseconds, without UTC offset (klog has no zone); "
        "null when the line has none."
    )
    text: str = doc("The raw line (cut when very long).")
    node: str | None = doc("The Node it is from; null when unknown or cluster-wide.")
    context: list[ContextOut] = optional(
        "Up to 2 lines before and 2 after it in the same file, in file order, not the line itself (each cut at "
        "512 characters); fewer at a file's start or end or at an edge of the scanner's read chunk, none when the "
        "line is not from a scanned log.",
        default=[],
    )


@dataclass(kw_only=True)
class StepOut:
    """One remediation step."""

    text: str = doc("What to do.")
    command: str | None = doc("A shell command that does it or checks it; null when the step has none.")


@dataclass(kw_only=True)
class RemediationOut:
    """What to do about the finding, in order."""

    steps: list[str] = doc("The steps' texts, in order.")
    commands: list[str] = doc("The steps' commands, in order (steps without a command are skipped).")
    detail: list[StepOut] = doc("The steps with their commands, in order.")


@dataclass(kw_only=True)
class FindingOut:
    """One finding. In `findings` it is a root cause; in `symptoms` it is a symptom the enclosing finding
    accounts for (same shape, nested)."""

    rule_id: str = doc("Stable id of the rule that produced the finding, e.g. `ANT-SEC-001`.")
    slug: str = doc("The rule's slug (its module name with `-` for `_`), e.g. `secondary-bridge-took-node-nic`.")
    category: str = doc("The root-cause category (the taxonomy: docs/taxonomy.md).")
    severity: Severity = doc(
        "`critical`: the Node or cluster network is down; `error`; `warning`; `info`: worth "
        "knowing, not a fault (e.g. a known-harmless state, a failure that recovered)."
    )
    confidence: float = doc(
        "How sure the rule is that this is what happened, 0 (guess) to 1 (certain); rounded to 2 decimals.",
        minimum=0,
        maximum=1,
    )
    nodes: list[str] = doc(
        "Names of the Nodes the finding applies to, sorted; empty for a cluster-wide finding (the "
        "controller appears as `antrea-controller`, files of no known Node as `(unattributed)`)."
    )
    title: str = doc("The rule's one-line title.")
    summary: str = doc(
        "One-paragraph explanation rendered from the message of the rule's outcome with values from "
        "the evidence (untrusted text: escape it when rendering)."
    )
    status: Literal["confirmed", "inconclusive"] = doc(
        "`confirmed`: the evidence proves it; `inconclusive`: it is likely but evidence is missing, listed in "
        "`missing_evidence` with the command that collects it."
    )
    outcome: str | None = optional(
        "The rule's conclusion: one of the outcomes its module declares (e.g. `fatal`, `ongoing`), or the engine's "
        "when it judged the log lines over (`recovered`, `superseded`, `once`); null for a rule pack written before "
        "outcomes."
    )
    lasted: Literal["fatal", "persisting", "recovered", "superseded", "once"] | None = optional(
        "The engine's judgement of the finding's log lines: did the failure kill the latest run (`fatal`), go on to "
        "the end (`persisting`), stop while the component kept working (`recovered`), happen only in a run a "
        "healthy one followed (`superseded`), or appear once with nothing after it (`once`); null when it rests on "
        "state or was not judged."
    )
    missing_evidence: list[MissingOut] = doc("Evidence the source lacks that would confirm or refute the finding.")
    evidence: list[EvidenceOut] = doc("The lines that support the finding, in the order the rule gives them.")
    remediation: RemediationOut = doc("What to do about the finding, in order.")
    references: list[str] = doc("Upstream references: `owner/repo#N` (a GitHub issue or pull request) or a URL.")
    ruled_out: list[str] = doc("Look-alike causes the rule ruled out, each with the reason.")
    symptoms: list[FindingOut] = doc("Symptom findings this finding accounts for on its Nodes, most important first.")
    why: str = optional(
        'Why this failure happens, in one paragraph: the "Why it happens" section of the rule\'s '
        "documentation (empty when the rule has none).",
        default="",
    )


@dataclass(kw_only=True)
class NotEvaluatedOut:
    """A rule the engine did not run."""

    rule_id: str = doc("The rule's stable id.")
    title: str = doc("The rule's title.")
    missing: list[MissingOut] = doc("Each missing input and the command that collects it.")


@dataclass(kw_only=True)
class RuleFailureOut:
    """A rule that raised while checking this source: a bug in the rule, and its conclusion is missing."""

    rule_id: str = doc("The rule's stable id.")
    title: str = doc("The rule's title.")
    error: str = doc("The exception, `Type: message` (first line).")
    where: str = doc("Where it was raised: `file:line` in the rule's own module when the traceback passes through it.")


@dataclass(kw_only=True)
class ExampleOut:
    """The first line seen with a template (untrusted bundle text)."""

    artifact: str = doc("Display path of the log the line is from.")
    line: int = doc("1-based line number in that log.", minimum=1)
    time: str | None = doc("Timestamp as logged, ISO 8601 with microseconds, without UTC offset; null when unknown.")
    text: str = doc("The raw line (cut when very long).")


@dataclass(kw_only=True)
class UnexplainedOut:
    """One template of unexplained error or warning lines."""

    template: str = doc(
        "The message with its variable parts replaced by placeholders such as `<ip>`, `<num>`, "
        "`<name>`, `<node>` (untrusted text: escape it when rendering)."
    )
    count: int = doc("How many lines have this template.", minimum=1)
    level: Literal["error", "warning"] = doc("`error` (klog E, OVS ERR/EMER) or `warning` (klog W, OVS WARN).")
    nodes: list[str] = doc("Nodes whose logs have such lines, sorted (the controller appears as `antrea-controller`).")
    example: ExampleOut = doc("The first line seen with this template.")
    overflow: bool = doc(
        "True for the one entry that counts the lines of templates beyond the limit of distinct "
        "templates kept (its `template` says so); false for every real template."
    )


@dataclass(kw_only=True)
class RunOut:
    """One agent process."""

    number: int = doc("1-based, in time order (the `run` of its events).", minimum=1)
    start: str | None = doc(
        "Time of its `Starting Antrea agent` line, or of its first matched line when the start was not logged."
    )
    start_seen: bool = doc("True when its start line is in the logs (false: the logs begin in the middle of this run).")
    end: str | None = doc(
        "Time of its last matched agent log line (the process may have logged unmatched lines after it)."
    )
    version: str | None = doc("Antrea version from its start line, when logged.")
    ended: Literal["fatal", "restart", "running"] = doc(
        "How it ended: `fatal` (a fatal line), `restart` (no fatal line, and another run followed: killed, e.g. by "
        "the liveness probe or OOM), `running` (the last run, still logging when the logs end)."
    )
    fatal: str | None = doc(
        "The fatal message (untrusted bundle text, one line, cut) when it ended on one; null otherwise."
    )


@dataclass(kw_only=True)
class TimelineEventOut:
    """One log line of a Node's story (untrusted bundle text)."""

    time: str | None = doc(
        "Timestamp as logged, ISO 8601 with microseconds, no UTC offset; null when the line has none."
    )
    run: int | None = doc(
        "`number` of the agent run it falls in; null outside any agent run or without a time.", minimum=1
    )
    kind: Literal["start", "restart", "fatal", "lifecycle", "ovs", "log"] = doc(
        "`start` (first agent start), `restart` (a later start), `fatal` (the agent's fatal exit), `lifecycle` "
        "(initialized, flow restoration and OVS reconnection markers), `ovs` (a line of an OVS log), `log` (any "
        "other signature hit)."
    )
    level: Literal["fatal", "error", "warning", "info"] | None = doc(
        "Log level on one scale (klog F/E/W/I, OVS EMER/ERR/WARN/INFO/DBG); null when the line has none."
    )
    artifact: str = doc("Display path of the log the line is from.")
    line: int = doc("1-based line number in that log.", minimum=1)
    label: str = doc("The line in short: its message and a few key=value fields, on one line, cut at 160 characters.")
    text: str = doc("The raw line (cut at 1,000 characters).")
    signatures: list[str] = doc(
        "Keys of the signatures that matched it, `<rule id>:<name>` (`core:` for the engine's lifecycle markers)."
    )
    findings: list[str] = doc("Rule ids of the findings (root causes or symptoms) that cite this line as evidence.")
    root_cause: bool = doc(
        "True when it is evidence of the most likely root cause (the first finding, when at warning or above)."
    )


@dataclass(kw_only=True)
class TimelineNodeOut:
    """One Node's story."""

    node: str = doc("Node name (untrusted bundle text).")
    affected: bool = doc("True when a finding at warning or above (a root cause or a symptom) names this Node.")
    start: str | None = doc(
        "Time of its first timed event (ISO 8601 with microseconds, no UTC offset); null when no event has a time."
    )
    end: str | None = doc("Time of its last timed event; null when no event has a time.")
    runs: list[RunOut] = doc(
        "The agent processes seen in its logs, in time order (a new run starts at each `Starting Antrea agent` line)."
    )
    restarts: int = doc("How many times the agent started again after a first run (runs minus one).", minimum=0)
    events: list[TimelineEventOut] = doc(
        "Its events: timed ones in time order, then undated ones (pasted excerpts) in file order. A line matched "
        "by several signatures, or logged to several files (klog INFO and ERROR, a container log), is one event."
    )
    omitted_events: int = doc("Events left out to stay within `max_events_per_node`.", minimum=0)
    undated_events: int = doc("How many of `events` have no time (listed last, not drawn on a time axis).", minimum=0)


@dataclass(kw_only=True)
class TimelineOut:
    """The story of each Node: its agent runs and the signature hits of all its logs (agent, OVS, container
    and host logs) merged in time order, with the evidence lines of the findings marked. Times are as
    logged (klog has no zone; OVS times are UTC)."""

    max_events_per_node: int = doc(
        "At most this many events are kept per Node: evidence lines of the most likely root cause first, then of "
        "other findings, lifecycle markers (start, fatal, flow restoration), OVS events, errors and warnings, other "
        "hits; a class that does not fit whole is cut.",
        minimum=0,
    )
    nodes: list[TimelineNodeOut] = doc(
        "One entry per Node (or the controller, `antrea-controller`) with matched log "
        "lines: the Nodes of the most likely root cause first, then other Nodes with "
        "problems, then the rest."
    )


@dataclass(kw_only=True)
class Report:
    """The JSON report of antrea-diagnose (`--format json`): what was read from an Antrea support bundle
    and the root causes found, most likely first. The Markdown, HTML and terminal reports render the
    same data."""

    schema_version: Literal["2.0"] = doc("Version of this report format.")
    tool: Tool = doc("The program that wrote the report.")
    generated_at: str = doc("When the report was made: ISO 8601 with UTC offset, to the second.")
    source: SourceOut = doc("What was read.")
    verdict: Verdict = doc(
        "The one-word answer: `fault` (a finding at warning or above), `no-fault` (Nodes were judged and nothing at "
        "warning or above was found), `not-enough-evidence` (no Node's logs or state were read: only "
        "configuration, only the controller, or nothing readable)."
    )
    verdict_reason: str = doc(
        "Why that verdict, in one sentence (for `not-enough-evidence`, what was read and what to collect)."
    )
    findings: list[FindingOut] = doc(
        "Root causes ranked most likely first: confirmed before inconclusive, causes before the symptoms they can "
        "cause, then severity and confidence. Symptoms a root cause accounts for are nested in its `symptoms`, not "
        "listed here."
    )
    not_evaluated: list[NotEvaluatedOut] = doc(
        "Rules the engine did not run because the source lacks the input they need, with the command that collects it."
    )
    rule_failures: list[RuleFailureOut] = doc(
        "Rules that raised an exception on this source (bugs in the rules): what they check is missing from the "
        "findings. `scan --strict-rules` exits 4 when there is one."
    )
    unexplained: list[UnexplainedOut] = doc(
        "Error and warning log lines that no rule signature matched, grouped into templates (numbers, addresses, "
        "UUIDs, hex ids, durations, quoted names, Pod and Node names masked), most frequent first: what may be new "
        "to the rule catalogue. A line logged to several klog severity files counts once."
    )
    timeline: TimelineOut = doc("The story of each Node.")


T = TypeVar("T", bound="DataclassInstance")


def build(cls: type[T], data: Any) -> T:
    """A model object from plain data (a dict from another module, a parsed JSON report), checking
    that its shape is the model's: a missing or unknown key is a bug, raised here."""
    hints, fields = _shape(cls)
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
    values = {}
    for name, f in fields.items():
        if name not in data:
            if f.metadata.get("optional"):
                continue
            raise ValueError(f"{cls.__name__}: missing key {name!r}")
        values[name] = _convert(hints[name], data[name])
    return cls(**values)


@functools.cache
def _shape(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    """A model class's resolved field types and its fields by name (resolving the annotations
    is the costly part of `build`, and the same for every object of a class)."""
    return get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls)}


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(hint)
    args = [a for a in get_args(hint) if a is not type(None)]
    if origin is list:
        return [_convert(args[0], v) for v in value]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, value)
    if args and origin is not Literal:  # X | None
        return _convert(args[0], value)
    return value


def to_dict(obj: Any) -> dict[str, Any]:
    """The JSON form: field order kept, optional fields that are unset left out only when they
    were never set (none are, once built by the engine)."""
    return dataclasses.asdict(obj)
