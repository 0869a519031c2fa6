"""Ranked findings: root causes first, the symptoms they explain attached to them.

`Diagnosis.to_dict()` is the one report model: the JSON report is exactly this dict and the
Markdown, HTML and terminal renderers read the same dict, so no format knows more than another.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from diagnose import __version__
from diagnose.bundle.model import Cluster
from diagnose.diagnosis.verdict import Verdict
from diagnose.report import model as rm
from diagnose.report import storyline
from diagnose.rules.rule import CONFIRMED, SEVERITY_RANK, Finding, Missing, Rule


def rank(findings: list[Finding], fallbacks: frozenset[str] = frozenset()) -> list[Finding]:
    """Attach every finding that another explains, then order the root causes.

    A root attaches a symptom when it declares the symptom's category among those it causes
    (`Rule.explains`; a fallback crash finding counts as `agent-crash` whatever its category, and
    a cause of the crash also causes what a dead agent causes: CNI ADD failures),
    the symptom's Nodes are among its own, the timeline agrees (the cause did not start after
    the symptom on those Nodes) and it is at least as well supported: an inconclusive finding
    never absorbs a confirmed one. Roots are ordered confirmed first, then causes before
    symptoms (a root whose category another present finding could cause comes after that
    one), then severity, then confidence.
    """
    roots: list[Finding] = []
    for f in sorted(findings, key=lambda f: (-len(f.explains), _order(f))):
        host = next((r for r in roots if _explains(r, f, fallbacks)), None)
        if host is not None:
            host.symptoms.append(f)
        else:
            roots.append(f)
    # A root found later may still explain one placed before it.
    for r in list(roots):
        host = next((o for o in roots if o is not r and _explains(o, r, fallbacks)), None)
        if host is not None:
            roots.remove(r)
            host.symptoms.append(r)
            host.symptoms.extend(r.symptoms)
            r.symptoms = []
    for r in roots:
        for sym in r.symptoms:
            if sym.rule_id in fallbacks:  # the crash the root causes, whatever words its fatal used
                sym.category = "agent-crash"
        r.symptoms.sort(key=_order)

    def caused_by_another(f: Finding) -> bool:
        return any(
            f.category in r.explains for r in roots if r is not f and r.category != f.category and _current_enough(r, f)
        )

    return sorted(roots, key=lambda f: (f.status != CONFIRMED, caused_by_another(f), *_order(f)))


def _order(f: Finding) -> tuple[int, bool, float, int, str]:
    return (SEVERITY_RANK[f.severity], f.status != CONFIRMED, -f.confidence, -len(f.symptoms), f.rule_id)


# What a dead agent causes whatever killed it: with the agent gone its CNI server does not answer,
# so every cause that explains the crash explains the CNI ADD failures too.
_CRASH_CONSEQUENCES = frozenset({"cni"})


def _explains(root: Finding, other: Finding, fallbacks: frozenset[str]) -> bool:
    crashes = "agent-crash" in root.explains
    category_fits = (
        other.category in root.explains
        or (other.rule_id in fallbacks and crashes)
        or (crashes and other.category in _CRASH_CONSEQUENCES)
    )
    return (
        category_fits
        and (other.category != root.category or other.rule_id in fallbacks)
        and bool(other.nodes)
        and set(other.nodes) <= set(root.nodes)
        and (root.status == CONFIRMED or other.status != CONFIRMED)
        and SEVERITY_RANK[root.severity] <= SEVERITY_RANK[other.severity] + 1
        and _current_enough(root, other)
        and _cause_first(root, other)
    )


def _current_enough(cause: Finding, effect: Finding) -> bool:
    """History (a recovered failure, an expected state: `info`) causes no current fault."""
    return cause.severity != "info" or effect.severity == "info"


def _cause_first(root: Finding, other: Finding) -> bool:
    """The timeline agrees: on the Nodes they share, the cause's first dated line (of the root
    rule's own signatures: the symptoms it also cites do not count) is not later than the
    symptom's last one. State evidence has no time and always agrees."""
    own = root.rule_id + ":"
    for node in set(root.nodes) & set(other.nodes):
        cause = [
            e.time for e in root.events if e.time is not None and e.node in (node, None) and e.signature.startswith(own)
        ]
        effect = [e.time for e in other.events if e.time is not None and e.node in (node, None)]
        if cause and effect and min(cause) > max(effect):
            return False
    return True


@dataclass
class NodeSummary:
    """A Node as the report lists it: role, version, mode and what was read of it."""

    name: str
    role: str | None = None
    antrea_version: str | None = None
    artifacts: int = 0
    log_lines_matched: int = 0
    failed_reason: str | None = None  # in failed_nodes: antctl could not collect its bundle
    fallback_bundle: bool = False
    mode: str | None = None  # deployment mode as read (diagnose.facts.modes)


@dataclass
class NotEvaluated:
    """A rule the engine did not run: the source lacks the input it needs."""

    rule_id: str
    title: str
    missing: list[Missing]


@dataclass
class RuleFailure:
    """A rule that raised: its conclusion is missing from this diagnosis (a bug in the rule, never
    in the bundle; the input it was reading is named when the traceback shows it)."""

    rule_id: str
    title: str
    error: str  # "KeyError: 'mtu'"
    where: str  # the innermost frame in the rule's own module, "rules/x.py:123", else the rule's path

    @classmethod
    def of(cls, rule: Rule, error: BaseException) -> RuleFailure:
        import traceback  # only for a rule that raised

        frames = traceback.extract_tb(error.__traceback__)
        own = [f for f in frames if rule.path and Path(f.filename) == Path(rule.path)]
        frame = (own or frames)[-1] if (own or frames) else None
        where = f"{_short(frame.filename)}:{frame.lineno}" if frame is not None else (rule.path or rule.id)
        text = str(error).splitlines()[0][:300] if str(error) else ""
        return cls(rule.id, rule.title, f"{type(error).__name__}: {text}" if text else type(error).__name__, where)


def _short(filename: str) -> str:
    """A frame's file relative to the installed package or the rules folder it is in."""
    parts = Path(filename).parts
    for anchor in ("rules", "diagnose"):
        if anchor in parts:
            return "/".join(parts[len(parts) - 1 - parts[::-1].index(anchor) :])
    return Path(filename).name


@dataclass
class Diagnosis:
    """The outcome of a scan: findings in rank order, the Nodes, the verdict and what was not evaluated."""

    cluster: Cluster
    findings: list[Finding]
    nodes: list[NodeSummary]
    rules_run: int
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    # Error/warning line templates no rule signature matched (diagnose.diagnosis.unexplained), most frequent first.
    unexplained: list[dict[str, Any]] = field(default_factory=list)
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    rule_failures: list[RuleFailure] = field(default_factory=list)
    verdict: Verdict = field(default_factory=lambda: Verdict("no-fault", ""))

    def worst_severity(self) -> str | None:
        return min((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__, default=None)

    def report(self) -> rm.Report:
        """The typed report model every format renders (diagnose.report.model)."""
        c = self.cluster
        return rm.Report(
            schema_version=rm.SCHEMA_VERSION,
            tool=rm.Tool(name="antrea-diagnose", version=__version__),
            generated_at=self.generated_at.isoformat(timespec="seconds"),
            source=rm.SourceOut(
                path=c.source,
                shape=c.shape,
                collected_at=c.collected_at.isoformat() if c.collected_at else None,
                year_source=c.year_source or None,
                nodes=[rm.NodeOut(**asdict(n)) for n in self.nodes],
                artifacts=[
                    rm.ArtifactOut(path=a.path, kind=a.kind, node=a.node, size=a.size, truncated=a.truncated)
                    for a in c.all_artifacts()
                ],
                unreadable=[rm.ReadProblemOut(path=p.path, reason=p.reason) for p in c.problems],
                unrecognised=list(c.ignored),
                rules_run=self.rules_run,
            ),
            verdict=self.verdict.value,
            verdict_reason=self.verdict.reason,
            findings=[_finding_out(f) for f in self.findings],
            not_evaluated=[
                rm.NotEvaluatedOut(
                    rule_id=n.rule_id,
                    title=n.title,
                    missing=[rm.MissingOut(what=m.what, command=m.command) for m in n.missing],
                )
                for n in self.not_evaluated
            ],
            rule_failures=[
                rm.RuleFailureOut(rule_id=r.rule_id, title=r.title, error=r.error, where=r.where)
                for r in self.rule_failures
            ],
            unexplained=[rm.build(rm.UnexplainedOut, u) for u in self.unexplained],
            timeline=rm.build(rm.TimelineOut, storyline.build(c, self.findings)),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: the report model as plain data."""
        return rm.to_dict(self.report())


def _finding_out(f: Finding) -> rm.FindingOut:
    return rm.FindingOut(
        rule_id=f.rule_id,
        slug=f.slug,
        category=f.category,
        severity=f.severity,  # type: ignore[arg-type]
        confidence=f.confidence,
        nodes=f.nodes,
        title=f.title,
        summary=f.summary,
        status=f.status,  # type: ignore[arg-type]
        outcome=f.outcome,
        lasted=f.lasted,  # type: ignore[arg-type]
        missing_evidence=[rm.MissingOut(what=m.what, command=m.command) for m in f.missing],
        evidence=[
            rm.EvidenceOut(
                artifact=e.artifact,
                line=e.line,
                time=e.time,
                text=e.text,
                node=e.node,
                context=[rm.ContextOut(line=x.line, text=x.text) for x in e.context],
            )
            for e in f.evidence
        ],
        remediation=rm.RemediationOut(
            steps=[s.text for s in f.remediation],
            commands=[s.command for s in f.remediation if s.command],
            detail=[rm.StepOut(text=s.text, command=s.command) for s in f.remediation],
        ),
        references=f.references,
        ruled_out=f.ruled_out,
        symptoms=[_finding_out(s) for s in f.symptoms],
        why=f.why,
    )
