"""What the engine guarantees about findings, whatever the rules say.

After the rules ran and before ranking:

1. **Versions.** A rule bound to versions (`applies_to`, `fixed_in`) did not run where the Node's
   version is known to be outside them (`RuleEvidence.nodes`); where the version is unknown its
   finding is only `inconclusive`, with the command that tells the version.
2. **No false alarm.** The log lines a finding rests on are judged (`diagnose.facts.outcome`): a
   failure that recovered, or that only an earlier run had before a healthy one, is history and
   at most `info`; a single warning line with nothing after it is at most `warning`. A finding
   that also rests on current state (routes, addresses, OVSDB, kubectl output) is not capped.
3. **A fallback yields.** A fallback finding (every fatal gets one) is dropped when a specific
   finding cites the same fatal line.
"""

from __future__ import annotations

from datetime import datetime

from diagnose.bundle import model as m
from diagnose.facts import lifecycle
from diagnose.facts import outcome as outcomes
from diagnose.rules.evidence import ClusterView, NodeView
from diagnose.rules.rule import INCONCLUSIVE, SEVERITY_RANK, Finding, Missing, Rule

VERSION_COMMAND = "kubectl -n kube-system get pods -l app=antrea -o jsonpath='{..image}'"
# Lifecycle lines are context (start, ready), not failures; fatal and panic lines are.
_LIFECYCLE_FAILURES = lifecycle.FATALS | lifecycle.PANICS


def apply(findings: list[Finding], view: ClusterView, rules: dict[str, Rule]) -> list[Finding]:
    kinds = {a.path: a.kind for a in view.cluster.all_artifacts()}
    roles = {r.key(s.name): s.role for r in rules.values() for s in r.signatures}
    roles.update({k: "failure" for k in _LIFECYCLE_FAILURES})
    out: list[Finding] = []
    for f in findings:
        rule = rules.get(f.rule_id)
        if rule is not None and rule.version_bound:
            _unknown_version(f, view, rule)
        if rule is None or rule.judge_outcome:
            successes = {k for k, role in roles.items() if role == "success" and k.startswith(f.rule_id + ":")}
            successes |= set(rule.recovered_by) if rule else set()
            _judge(f, view, kinds, roles, successes, rule)
        out.append(f)
    return _without_shadowed_fallbacks(out, rules)


def _unknown_version(f: Finding, view: ClusterView, rule: Rule) -> None:
    nodes = [view.nodes[n] for n in f.nodes if n in view.nodes]

    def unknown(n: NodeView) -> bool:
        if rule.covers(view.node_version(n)) is not None:
            return False
        releases = view.node_releases(n)
        return not releases or rule.covers_any(releases) is None

    if nodes and all(unknown(n) for n in nodes):
        f.status = INCONCLUSIVE
        span = rule.applies_to if rule.applies_to not in ("", "all") else "every version"
        fixed = f", fixed in {rule.fixed_in}" if rule.fixed_in else ""
        f.missing.append(Missing(f"the Antrea version (this failure exists in {span}{fixed})", VERSION_COMMAND))


def _judge(
    f: Finding, view: ClusterView, kinds: dict[str, str], roles: dict[str, str], successes: set[str], rule: Rule | None
) -> None:
    if any(kinds.get(e.artifact) not in m.LOG_KINDS for e in f.evidence if e.artifact in kinds):
        return  # rests on current state too: the state is what it is now
    failures = [e for e in f.events if roles.get(e.signature) == "failure"]
    if not failures:
        return
    signatures = {e.signature for e in failures}
    judged: list[outcomes.Outcome] = []
    for name in f.nodes or [m.UNATTRIBUTED]:
        node = view.nodes.get(name)
        if node is None:
            continue
        mine = [e for sig in signatures for e in node.events(sig)]
        good = [e for sig in successes for e in node.events(sig)]
        result = node.outcome(mine, good, rule.retry_interval if rule else 0.0) if mine else None
        if result is not None:
            judged.append(result)
    if not judged:
        return
    if any(o.current for o in judged):
        f.lasted = next(o.state for o in judged if o.current)
        return
    worst = min(judged, key=lambda o: SEVERITY_RANK[outcomes.SEVERITY_CAP.get(o.state, "critical")])
    f.lasted = worst.state
    cap = outcomes.SEVERITY_CAP.get(worst.state)
    if cap and SEVERITY_RANK[f.severity] < SEVERITY_RANK[cap]:
        f.severity = cap
    note = f"Not a current fault: {worst.describe()}." if cap == "info" else f"{worst.describe().capitalize()}."
    told = next((o for o in (rule.outcomes if rule else ()) if o.name == worst.state), None)
    if told is not None and rule is not None:  # the rule tells this outcome in its own words
        values = {**f.values, "outcome_text": note}
        f.outcome, f.summary = told.name, rule.render(told.message, values)
        if told.severity and SEVERITY_RANK[told.severity] > SEVERITY_RANK[f.severity]:
            f.severity = told.severity
    elif rule is not None and "outcome" in rule.message:  # a one-template rule that words it itself
        f.outcome = worst.state
        f.summary = rule.render(rule.message, {**f.values, "outcome": worst.state, "outcome_text": note})
    else:
        f.outcome = worst.state
        f.summary = f"{f.summary} ({note})"


def _without_shadowed_fallbacks(findings: list[Finding], rules: dict[str, Rule]) -> list[Finding]:
    """A fallback finding whose latest log line a specific finding cites is explained by it."""
    specific = [f for f in findings if not (rules.get(f.rule_id) and rules[f.rule_id].fallback)]
    # A line is the same when its file and line number are, or (a line logged to several klog
    # severity files) its time and text are.
    cited: set[tuple[str, int | None] | tuple[str, str, str]] = {
        (e.artifact, e.line) for f in specific for e in f.evidence
    }
    cited |= {("same", e.time, e.text) for f in specific for e in f.evidence if e.time}
    out = []
    for f in findings:
        rule = rules.get(f.rule_id)
        if rule is not None and rule.fallback:
            logged = [e for e in f.events if e.time is not None] or f.events
            last = max(logged, key=lambda e: (e.time or datetime.min, e.line), default=None)
            if last is not None and (
                (last.artifact, last.line) in cited or ("same", last.time_text, last.text) in cited
            ):
                continue
        out.append(f)
    return out
