"""The rule contract: what a module in `rules/` declares and what its check returns.

A rule module has a docstring (its documentation, in the sections of `DOC_SECTIONS`), one
`RULE = Rule(...)` holding its metadata and log signatures as data, and a plain function
`check(ev) -> Iterable[Finding]` that reads evidence (`diagnose.rules.evidence.RuleEvidence`) and
builds findings with `RULE.finding(...)`.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from diagnose.bundle.model import PSEUDO_NODES, EvidenceLine, LogEvent
from diagnose.rules.severity import PROBLEM_SEVERITIES as PROBLEM_SEVERITIES  # re-exported: rules import them here
from diagnose.rules.severity import SEVERITIES as SEVERITIES
from diagnose.rules.severity import SEVERITY_RANK as SEVERITY_RANK
from diagnose.scan.signature import Signature

if TYPE_CHECKING:  # only for annotations: jinja2 loads on first render, modes and versions import this module's peers
    import jinja2

    from diagnose.cache import SignedCache
    from diagnose.facts.modes import Mode
    from diagnose.facts.versions import Version


# The root-cause taxonomy: every finding's category is one of these ids. The first table, plus
# the classes the message catalogue showed Antrea's source has (cni ... diagnostics). The
# descriptions are the generated docs/taxonomy.md.
TAXONOMY: dict[str, str] = {
    "secondary-network-uplink": "SecondaryNetwork OVS bridge / physical uplink problems (NIC moved into the bridge, "
    "IP/route/DNS move, restore)",
    "ovs-flow-restore-wait": "flow restoration never completed / `flow-restore-wait` left set, so OVS forwards nothing",
    "apiserver-unreachable": "the agent/controller cannot reach kube-apiserver",
    "controller-unreachable": "the agent cannot reach or trust antrea-controller (Service, endpoints, CA bundle)",
    "podcidr-not-allocated": "the Node has no PodCIDR (kube-controller-manager / NodeIPAM configuration)",
    "podcidr-conflict": "overlapping or duplicate PodCIDRs",
    "ovs-not-running": "ovsdb-server / ovs-vswitchd not running or failing to start",
    "ovs-datapath-feature": "kernel datapath lacks a feature Antrea needs (conntrack zones, ct NAT, ...)",
    "kernel-module": "a kernel module cannot be loaded or is missing",
    "iptables-backend": "iptables legacy/nft mismatch or missing table support",
    "iptables-lock": "xtables lock contention with other writers",
    "netfilter-feature": "a netfilter target/match is missing",
    "host-network-config": "host routes, addresses, DNS or NIC state broken by something outside Antrea",
    "mtu": "MTU misconfiguration or encapsulation overhead problems",
    "tunnel": "tunnel port / encapsulation problems",
    "ovs-flows": "OpenFlow / group programming errors",
    "ipam": "IP allocation failures, exhausted pools",
    "duplicate-pod-ip": "the same Pod IP in use twice",
    "networkpolicy": "NetworkPolicy realization problems",
    "antreaproxy": "AntreaProxy / Service load-balancing problems",
    "tls-certificate": "certificate / CA problems",
    "ipsec": "IPsec encryption failures (antrea-ipsec container, strongSwan, certificates)",
    "wireguard": "WireGuard encryption failures",
    "egress": "Egress IP assignment and failover failures (memberlist, ExternalIPPool)",
    "multicast": "Multicast (IGMP, multicast routing) failures",
    "nodeportlocal": "NodePortLocal port allocation and rule failures",
    "selinux": "SELinux / AppArmor denials",
    "windows-hns": "Windows HNS / vSwitch problems",
    "cni": "CNI ADD/DEL failures: network namespace, interface setup, IPAM calls from the CNI server",
    "agent-config": "antrea-agent / antrea-controller configuration rejected or inconsistent (antrea-agent.conf "
    "options, feature gates that do not fit together)",
    "multicluster": "Antrea Multi-cluster (leader/member controllers, gateways, ResourceExports)",
    "flow-export": "FlowExporter, IPFIX export and the flow-aggregator",
    "bgp": "BGPPolicy and the BGP speaker",
    "diagnostics": "Traceflow, PacketCapture, SupportBundle collection and antctl",
    "agent-crash": "panics and fatal exits of antrea-agent or antrea-controller not explained by a more specific "
    "category",
    "benign": "known-harmless states users mistake for faults (reported as `info`)",
}
CATEGORIES = frozenset(TAXONOMY)

DOC_SECTIONS = ("Symptom", "Why it happens", "Evidence", "Remediation", "References")

CONFIRMED = "confirmed"
INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Inputs:
    """The artifact kinds (diagnose.bundle.artifacts) a rule reads. `needs`: every one must be in the
    source; `any_of`: at least one. Without them the engine does not run the rule and lists it
    as not evaluated, with the command that collects what is missing. `optional`: read when
    present (documentation, and the report's "what would sharpen this")."""

    needs: tuple[str, ...] = ()  # every one must be in the source
    any_of: tuple[str, ...] = ()  # at least one must be
    optional: tuple[str, ...] = ()  # read when present

    def missing(self, present: set[str]) -> list[str]:
        lacking = [k for k in self.needs if k not in present]
        if self.any_of and not any(k in present for k in self.any_of):
            lacking.extend(self.any_of)
        return lacking


@dataclass(frozen=True)
class Step:
    """One remediation step; `command` is a shell command the user can run."""

    text: str  # what to do (a template)
    command: str | None = None  # a shell command that does or checks it (a template)


@dataclass(frozen=True)
class Outcome:
    """One conclusion a rule can reach: its name, how bad and how sure it is, how it is told.

    `message` is a Jinja2 template rendered with the fields of the rule's `Values` dataclass (and
    `nodes`, `node`, `where`). The engine judges whether a finding's log lines lasted
    (diagnose.facts.outcome); a rule that declares an outcome named `recovered`, `superseded` or
    `once` has its finding re-told that way, else the engine appends a sentence of its own."""

    name: str  # e.g. "fatal", "ongoing"; "recovered"/"superseded"/"once" are told when the engine judges so
    message: str  # Jinja2 template of the summary, rendered with the rule's Values
    severity: str | None = None  # None: the rule's severity
    status: str = CONFIRMED  # confirmed, or inconclusive (with the Missing evidence that would settle it)
    remediation: tuple[Step, ...] | None = None  # None: the rule's remediation


# What the engine may conclude about a finding's log lines, besides what the rule concluded.
ENGINE_OUTCOMES = ("recovered", "superseded", "once")


@dataclass(frozen=True)
class Missing:
    """Evidence the bundle lacks, and the exact command that collects it."""

    what: str  # what is missing, one sentence (a template)
    command: str  # the command that collects it (a template)

    @classmethod
    def of(cls, kind: str, why: str = "") -> Missing:
        """The registry's collecting command for an artifact kind (`{{ node }}` is filled in)."""
        from diagnose.bundle import artifacts

        what = artifacts.title(kind) + (f" ({why})" if why else "")
        return cls(what, artifacts.collect_command(kind, "{{ node }}"))


@dataclass
class Finding:
    """A diagnosed failure: the rule, its Nodes, confidence, evidence and remediation."""

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
    # The log events the finding rests on, for the engine's judgement of whether they lasted
    # (diagnose.facts.outcome); not part of the report.
    events: list[LogEvent] = field(default_factory=list, repr=False)
    outcome: str | None = None  # the rule's conclusion (an `Outcome` name), or the engine's (`recovered`...)
    lasted: str | None = None  # the engine's judgement of its log lines: fatal, persisting, recovered...
    values: dict[str, Any] = field(default_factory=dict, repr=False)  # what the summary was rendered with


@dataclass
class Rule:
    """A rule's metadata, as data: the module's `RULE = Rule(...)`; `check` is its function."""

    id: str  # stable id, e.g. "ANT-SNU-001"
    slug: str  # module file name with "-" for "_"
    title: str  # one line: tables and the finding's title
    category: str  # its taxonomy id (TAXONOMY)
    severity: str  # the default severity of its outcomes: critical, error, warning, info
    remediation: tuple[Step, ...]  # what to do, in order; texts and commands are templates
    references: tuple[str, ...]  # upstream issues/PRs (owner/repo#N) or doc URLs it comes from
    outcomes: tuple[Outcome, ...] = ()  # the conclusions it can reach, one message each
    values: type | None = None  # the dataclass of the values its messages are rendered with
    message: str = ""  # (rule packs written before outcomes) one template for every conclusion
    signatures: tuple[Signature, ...] = ()  # the log lines it needs, matched in the engine's one pass
    applies_to: str = "all"  # Antrea versions where the failure can happen, e.g. ">=2.0.0"
    fixed_in: str | None = None  # the release that fixed it (the engine does not run it from there on)
    inputs: Inputs = field(default_factory=Inputs)  # the artifact kinds it reads (needs / any of / optional)
    modes: tuple[str, ...] | None = None  # traffic modes it applies to (diagnose.facts.modes); None: all
    platform: str = "any"  # "linux", "windows" or "any"
    # The engine judges whether the finding's log lines lasted and caps a recovered one at
    # `info`; False for a rule whose finding is about what happened, not what still is.
    judge_outcome: bool = True  # False: its finding is a state or setting, never capped as recovered
    # A fallback rule (every fatal gets a finding) yields to any specific finding of the same fatal.
    fallback: bool = False  # a catch-all (every fatal gets a finding) that yields to a specific one
    # Engine lifecycle lines that prove the rule's failures over (e.g. `core:flow_replay_completed`
    # after OpenFlow errors during an OVS restart), besides its own "success" signatures.
    recovered_by: tuple[str, ...] = ()  # engine lifecycle keys that prove its failures over
    # Seconds the failing subsystem may wait between two retries of a lasting failure, when longer
    # than the engine's quiet window (diagnose.facts.outcome.QUIET_AFTER): e.g. 300 for a
    # workqueue with maxRetryDelay 300 s. Silence shorter than that does not prove recovery.
    retry_interval: float = 0.0  # seconds between retries of a lasting failure, when over the quiet window
    explains: tuple[str, ...] = ()  # symptom categories a finding of this rule accounts for
    lookalikes: tuple[str, ...] = ()  # categories it is told apart from (see docstring Evidence)
    # Filled by the loader:
    doc: str = ""  # the module docstring (its documentation)
    path: str = ""  # the module's file
    check: Callable[[Any], Iterable[Finding]] | None = None  # the module's check(ev)

    def key(self, signature_name: str) -> str:
        return f"{self.id}:{signature_name}"

    @property
    def version_bound(self) -> bool:
        return self.applies_to.strip() not in ("", "all", "*") or self.fixed_in is not None

    def applies(self, mode: Mode, version: Version | None, releases: Sequence[Version] | None = None) -> bool:
        """Whether the rule runs on a Node of this mode (diagnose.facts.modes.Mode) and version
        (None: unknown, the rule runs and the engine marks its findings inconclusive); `releases`,
        when the version is unknown, are those the Node's logged messages exist in."""
        if self.modes is not None and mode.encap is not None and mode.encap not in self.modes:
            return False
        if self.platform != "any" and mode.os is not None and mode.os != self.platform:
            return False
        if version is None and releases:
            return self.covers_any(releases) is not False
        return self.covers(version) is not False

    def covers_any(self, releases: Sequence[Version]) -> bool | None:
        """True when every one of `releases` has the failure, False when none has, else None."""
        verdicts = {self.covers(r) for r in releases}
        return True if verdicts == {True} else False if verdicts == {False} else None

    def covers(self, version: Version | None) -> bool | None:
        """Whether `version` is one the failure exists in; None when the version is unknown."""
        from diagnose.facts import versions

        if not self.version_bound:
            return True
        if version is None:
            return None
        if versions.satisfies(version, self.applies_to) is False:
            return False
        fixed = versions.parse(self.fixed_in) if self.fixed_in else None
        return not (fixed is not None and version >= fixed)

    def outcome(self, name: str) -> Outcome:
        for o in self.outcomes:
            if o.name == name:
                return o
        if not self.outcomes and name == "":
            return Outcome("", self.message, self.severity)
        raise KeyError(f"rule {self.id} declares no outcome {name!r}")

    def finding(
        self,
        outcome: str = "",
        *,
        nodes: Iterable[str],
        confidence: float,
        values: Any = None,
        evidence: Iterable[LogEvent | EvidenceLine] = (),
        status: str | None = None,
        missing: Iterable[Missing] = (),
        ruled_out: Iterable[str] = (),
        severity: str | None = None,
        extra_steps: Iterable[Step] = (),
        category: str | None = None,
    ) -> Finding:
        """A finding of the outcome `outcome`, its message and remediation rendered with
        `values` (an instance of the rule's `Values` dataclass)."""
        chosen = self.outcome(outcome)
        if self.values is not None and not isinstance(values, self.values):
            raise TypeError(f"rule {self.id}: values must be a {self.values.__name__}, not {type(values).__name__}")
        values = as_dict(values)
        evidence = list(evidence)
        nodes = sorted(set(nodes))
        named = [n for n in nodes if n not in PSEUDO_NODES]
        values.setdefault("nodes", nodes)
        # Commands name a real Node, or a placeholder the user fills in: never "(unattributed)";
        # messages say where ("the Node of these files" for a pasted excerpt that names none).
        values.setdefault("node", named[0] if named else "<node>")
        values.setdefault("where", ", ".join(named) if named else "the Node of these files")
        remediation = chosen.remediation if chosen.remediation is not None else self.remediation
        steps = [
            Step(_render(s.text, values), _render(s.command, values) if s.command else None)
            for s in (*remediation, *extra_steps)
        ]
        return Finding(
            rule_id=self.id,
            slug=self.slug,
            category=category or self.category,
            severity=severity or chosen.severity or self.severity,
            title=self.title,
            nodes=nodes,
            confidence=round(max(0.0, min(1.0, confidence)), 2),
            summary=_render(chosen.message, values),
            evidence=unique_lines(e if isinstance(e, EvidenceLine) else EvidenceLine.of(e) for e in evidence),
            remediation=steps,
            references=list(self.references),
            status=status or chosen.status,
            missing=[Missing(_render(m.what, values), _render(m.command, values)) for m in missing],
            ruled_out=list(ruled_out),
            explains=self.explains,
            why=doc_section(self.doc, "Why it happens"),
            events=[e for e in evidence if isinstance(e, LogEvent)],
            outcome=chosen.name or None,
            values=values,
        )

    def render(self, template: str, values: dict[str, Any]) -> str:
        return _render(template, values)


def as_dict(values: Any) -> dict[str, Any]:
    """A rule's values as template variables: a dataclass's fields (shallow), or a dict."""
    if values is None:
        return {}
    if dataclasses.is_dataclass(values) and not isinstance(values, type):
        return {f.name: getattr(values, f.name) for f in dataclasses.fields(values)}
    return dict(values)


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


UNDERLINE = re.compile(r"^(-{3,}|={3,})\s*$")  # under a docstring section's title


def doc_sections(doc: str) -> tuple[str, list[tuple[str, str]]]:
    """(summary paragraph, [(section title, body)]) of a rule docstring in the fixed format:
    titles underlined with dashes (`DOC_SECTIONS`); the one parser of rule docstrings."""
    lines = doc.splitlines()
    heads = [
        i
        for i in range(len(lines) - 1)
        if lines[i].strip() and UNDERLINE.match(lines[i + 1]) and not UNDERLINE.match(lines[i])
    ]
    summary = "\n".join(lines[: heads[0] if heads else len(lines)]).strip()
    sections = []
    for n, i in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        sections.append((lines[i].strip(), "\n".join(lines[i + 2 : end]).strip()))
    return summary, sections


@functools.lru_cache(maxsize=256)
def doc_section(doc: str, title: str) -> str:
    """One section of a rule docstring as one paragraph of plain text (RST ``code`` markers
    dropped); "" when the docstring has no such section."""
    body = next((b for t, b in doc_sections(doc)[1] if t == title), "")
    return " ".join(body.replace("``", "").split())


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
def _template(source: str) -> jinja2.Template:
    """Compiled once per process. Messages and commands are rendered with untrusted values from
    the evidence as plain text: escaping is the report's job (HTML autoescape, Markdown code).
    What `Environment.from_string` does, with the compiled code from the signed cache."""
    env = _environment()
    return env.template_class.from_code(env, _template_code(env, source), env.make_globals(None))


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2  # on first use: `--help` and `rules list` do not need it

    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


# Bump when `_environment()` changes: the code Jinja2 generates depends on its settings.
_TEMPLATE_CODE_VERSION = 1


def _template_code(env: jinja2.Environment, source: str) -> types.CodeType:
    """The Python code Jinja2 compiles `source` to. Compiling takes 1-2 ms a template, more than
    the rest of a finding, so the code is kept (marshalled) in the user's signed cache, like the
    Hyperscan databases: a later run loads it in microseconds."""
    cache = _template_cache(source)
    cached = cache.load_object() if cache is not None else None
    if isinstance(cached, types.CodeType):
        return cached
    code = env.compile(source)
    if cache is not None:
        cache.store_object(code)
    return code


def _template_cache(source: str) -> SignedCache | None:
    """The signed cache entry of one template for this Jinja2 and this Python (the code's
    bytecode and marshal format); None when caching is off."""
    import hashlib
    import marshal
    import sys

    import jinja2

    from diagnose.cache import SignedCache, default_cache_dir

    directory = default_cache_dir()
    if directory is None:
        return None
    versions = f"{_TEMPLATE_CODE_VERSION}|{jinja2.__version__}|{sys.version}|{marshal.version}"
    return SignedCache(directory, "jinja", hashlib.sha256(f"{versions}\n{source}".encode()).hexdigest())
