"""The rule contract: what a module in `rules/` declares and what its check returns.

A rule module has a docstring (its documentation, in the sections of `DOC_SECTIONS`), one
`RULE = Rule(...)` holding its metadata and log signatures as data, and a plain function
`check(ev) -> Iterable[Finding]` that reads evidence (`diagnose.evidence.RuleEvidence`) and
builds findings with `RULE.finding(...)`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from diagnose.model import AGENT_LOG, PSEUDO_NODES, LogEvent

SEVERITIES = ("critical", "error", "warning", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # lower is worse

# The root-cause taxonomy of DESIGN.md; a finding's category must be one of these.
CATEGORIES = frozenset(
    """
    secondary-network-uplink ovs-flow-restore-wait apiserver-unreachable controller-unreachable
    podcidr-not-allocated podcidr-conflict ovs-not-running ovs-datapath-feature kernel-module
    iptables-backend iptables-lock netfilter-feature host-network-config mtu tunnel ovs-flows ipam
    duplicate-pod-ip networkpolicy antreaproxy tls-certificate ipsec wireguard egress multicast
    nodeportlocal selinux windows-hns agent-crash benign
    """.split()
)

DOC_SECTIONS = ("Symptom", "Why it happens", "Evidence", "Remediation", "References")

CONFIRMED = "confirmed"
INCONCLUSIVE = "inconclusive"



@dataclass(frozen=True)
class Signature:
    """A log line pattern, matched in the engine's single pass over every log of `kinds`.

    `literal` must occur in every matching line: the scanner looks for it first and runs the
    regex only on lines that contain it. Patterns are searched in the whole raw line, so they
    must not rely on the klog header; use named groups for fields the check needs.
    """

    name: str
    pattern: str
    literal: str
    kinds: tuple[str, ...] = (AGENT_LOG,)
    versions: str = "all"  # which Antrea versions log this wording (documentation and lint)
    follow: int = 0  # keep up to this many continuation lines (e.g. a goroutine dump)
    # A cheaper pattern matching a superset of `pattern`'s lines, for the multi-pattern engine
    # when `pattern` has no literal and a costly start (the catch-all of diagnose.unexplained).
    prefilter: str | None = None


@dataclass(frozen=True)
class Step:
    """One remediation step; `command` is a shell command the user can run."""

    text: str
    command: str | None = None


@dataclass(frozen=True)
class Missing:
    """Evidence the bundle lacks, and the exact command that collects it."""

    what: str
    command: str


@dataclass
class ContextLine:
    """A line next to an evidence line in the same file, for the report's excerpt."""

    line: int
    text: str


@dataclass
class EvidenceLine:
    artifact: str
    line: int | None
    time: str | None
    text: str
    node: str | None = None
    context: list[ContextLine] = field(default_factory=list)  # lines before, then after, in file order

    @classmethod
    def of(cls, event: LogEvent) -> EvidenceLine:
        first = event.line - len(event.before)
        context = [ContextLine(first + i, t) for i, t in enumerate(event.before) if first + i >= 1]
        context += [ContextLine(event.line + 1 + i, t) for i, t in enumerate(event.after)]
        return cls(event.artifact, event.line, event.time_text, event.text, event.node, context)


@dataclass
class Finding:
    rule_id: str
    slug: str
    category: str
    severity: str
    title: str
    nodes: list[str]
    confidence: float
    summary: str
    evidence: list[EvidenceLine] = field(default_factory=list)
    remediation: list[Step] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    status: str = CONFIRMED
    missing: list[Missing] = field(default_factory=list)
    ruled_out: list[str] = field(default_factory=list)  # look-alikes and why they do not apply
    explains: tuple[str, ...] = ()  # categories this finding accounts for on its Nodes
    symptoms: list[Finding] = field(default_factory=list)  # attached by the diagnosis ranking
    why: str = ""  # the rule's "Why it happens" documentation, one paragraph (the report's root-cause card)


@dataclass
class Rule:
    id: str  # stable id, e.g. "ANT-SNU-001"
    slug: str  # module file name with "-" for "_"
    title: str
    category: str
    severity: str
    message: str  # Jinja2 template of the finding summary, rendered with the check's values
    remediation: tuple[Step, ...]
    references: tuple[str, ...]
    signatures: tuple[Signature, ...] = ()
    applies_to: str = "all"  # Antrea versions where the failure can happen, e.g. ">=2.0.0"
    fixed_in: str | None = None
    explains: tuple[str, ...] = ()  # symptom categories a finding of this rule accounts for
    lookalikes: tuple[str, ...] = ()  # categories it is told apart from (see docstring Evidence)
    # Filled by the loader:
    doc: str = ""
    path: str = ""
    check: Callable[[Any], Iterable[Finding]] | None = None

    def key(self, signature_name: str) -> str:
        return f"{self.id}:{signature_name}"

    def finding(
        self,
        *,
        nodes: Iterable[str],
        confidence: float,
        values: dict[str, Any] | None = None,
        evidence: Iterable[LogEvent | EvidenceLine] = (),
        status: str = CONFIRMED,
        missing: Iterable[Missing] = (),
        ruled_out: Iterable[str] = (),
        severity: str | None = None,
        extra_steps: Iterable[Step] = (),
    ) -> Finding:
        """Build a finding, rendering the summary and remediation with `values`."""
        values = dict(values or {})
        nodes = sorted(set(nodes))
        named = [n for n in nodes if n not in PSEUDO_NODES]
        values.setdefault("nodes", nodes)
        # Commands name a real Node, or a placeholder the user fills in: never "(unattributed)";
        # messages say where ("the Node of these files" for a pasted excerpt that names none).
        values.setdefault("node", named[0] if named else "<node>")
        values.setdefault("where", ", ".join(named) if named else "the Node of these files")
        steps = [Step(_render(s.text, values), _render(s.command, values) if s.command else None)
                 for s in (*self.remediation, *extra_steps)]
        return Finding(
            rule_id=self.id,
            slug=self.slug,
            category=self.category,
            severity=severity or self.severity,
            title=self.title,
            nodes=nodes,
            confidence=round(max(0.0, min(1.0, confidence)), 2),
            summary=_render(self.message, values),
            evidence=unique_lines(e if isinstance(e, EvidenceLine) else EvidenceLine.of(e) for e in evidence),
            remediation=steps,
            references=list(self.references),
            status=status,
            missing=[Missing(_render(m.what, values), _render(m.command, values)) for m in missing],
            ruled_out=list(ruled_out),
            explains=self.explains,
            why=doc_section(self.doc, "Why it happens"),
        )


def unique_lines(items: Iterable[Any]) -> list[Any]:
    """Evidence lines or events without repeats of the same (artifact, line), in order: the
    same line often reaches a rule through two signatures or two runs' views."""
    seen: set[tuple[str, int | None]] = set()
    out = []
    for item in items:
        key = (item.artifact, item.line) if item.line is not None else (item.artifact, item.text)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


@functools.lru_cache(maxsize=256)
def doc_section(doc: str, title: str) -> str:
    """One section of a rule docstring (`Title` over a `---` underline) as one paragraph of
    plain text (RST ``code`` markers dropped); "" when the docstring has no such section."""
    lines = [line.strip() for line in doc.splitlines()]
    out: list[str] = []
    inside = False
    for i, line in enumerate(lines):
        underline = bool(line) and set(line) == {"-"}
        if i + 1 < len(lines) and line and not underline and set(lines[i + 1] or "x") == {"-"}:
            if inside:
                break
            inside = line == title
        elif inside and not underline:
            out.append(line)
    return " ".join(" ".join(out).replace("``", "").split())


def _render(template: str, values: dict[str, Any]) -> str:
    names = _plain_fields(template)
    if names is not None:  # `{{ name }}` only: what Jinja2 would print, without importing it
        missing = [n for n in names if n not in values]
        if not missing:
            text = _PLAIN_FIELD.sub(lambda m: str(values[m[1]]), template)
            return " ".join(text.split())
    return " ".join(_template(template).render(**values).split())


_PLAIN_FIELD = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")


@functools.lru_cache(maxsize=512)
def _plain_fields(template: str) -> tuple[str, ...] | None:
    """The field names of a template made only of text and `{{ name }}` fields; None for
    anything else (filters, expressions, tags, comments), which Jinja2 renders."""
    rest = _PLAIN_FIELD.sub("", template)
    if "{{" in rest or "{%" in rest or "{#" in rest or "}}" in rest:
        return None
    return tuple(_PLAIN_FIELD.findall(template))


@functools.lru_cache(maxsize=512)
def _template(source: str):
    """Compiled once per process. Messages and commands are rendered with untrusted values from
    the evidence as plain text: escaping is the report's job (HTML autoescape, Markdown code)."""
    return _environment().from_string(source)


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2  # on first use: `--help` and `rules list` do not need it

    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
