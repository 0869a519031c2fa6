"""The pipeline: source -> Cluster -> evidence -> findings -> ranked Diagnosis."""

from __future__ import annotations

import os
from pathlib import Path

from diagnose.bundle import reader
from diagnose.bundle.model import CONTROLLER_NODE, UNATTRIBUTED
from diagnose.diagnosis import policy, unexplained, verdict
from diagnose.diagnosis.ranking import Diagnosis, NodeSummary, NotEvaluated, RuleFailure, rank
from diagnose.facts import lifecycle
from diagnose.rules.evidence import ClusterView, RuleEvidence
from diagnose.rules.rule import Finding, Missing, Rule
from diagnose.scan.scanner import Scanner

# Pseudo-Nodes say what they are, so reports can leave them out of the Node count.
_PSEUDO_ROLES = {CONTROLLER_NODE: "controller", UNATTRIBUTED: "unattributed"}


def scanner_for(rules: list[Rule]) -> Scanner:
    sigs = [(lifecycle.key(s.name), s) for s in lifecycle.SIGNATURES]
    sigs += [(rule.key(s.name), s) for rule in rules for s in rule.signatures]
    return Scanner(sigs, catch_all=unexplained.SIGNATURES)


def diagnose(
    source: Path, rules: list[Rule], scanner: Scanner | None = None, raise_rule_errors: bool | None = None
) -> Diagnosis:
    """Diagnose one source. A `scanner` from `scanner_for(rules)` may be reused for many sources
    (batch workers do), one thread at a time: it keeps its compiled matchers, and forgets what it
    learnt of the last source's logs (`Scanner.new_source`), so that a report never depends on
    which bundle came before.

    A rule that raises is listed in `Diagnosis.rule_failures` and the others still run; with
    `raise_rule_errors` (default: env ANTREA_DIAGNOSE_RULE_ERRORS=raise, as the test suite sets)
    the exception propagates."""
    if raise_rule_errors is None:
        raise_rule_errors = os.environ.get("ANTREA_DIAGNOSE_RULE_ERRORS") == "raise"
    miner = unexplained.Miner()
    if scanner is None:
        scanner = scanner_for(rules)
    scanner.new_source()
    cluster = reader.read(source, scanner, miner)
    view = ClusterView(cluster)
    present = {a.kind for a in cluster.all_artifacts()}
    findings: list[Finding] = []
    skipped: list[NotEvaluated] = []
    failures: list[RuleFailure] = []
    for rule in rules:
        assert rule.check is not None
        lacking = rule.inputs.missing(present)
        if lacking:
            skipped.append(NotEvaluated(rule.id, rule.title, [Missing.of(k) for k in lacking]))
            continue
        try:
            findings.extend(rule.check(RuleEvidence(view, rule)))
        except Exception as e:  # one broken rule must not cost the whole diagnosis, nor hide
            if raise_rule_errors:
                raise
            failures.append(RuleFailure.of(rule, e))
    by_id = {r.id: r for r in rules}
    findings = policy.apply(findings, view, by_id)
    nodes = [
        NodeSummary(
            name=n.name,
            role=_PSEUDO_ROLES.get(n.name, n.role),
            antrea_version=n.version,
            artifacts=len(n.data.artifacts),
            log_lines_matched=len(n.data.events),
            failed_reason=n.failed_reason,
            fallback_bundle=n.fallback_bundle,
            mode=n.mode.describe() if n.name != CONTROLLER_NODE else None,
        )
        for n in view.nodes.values()
    ]
    fallbacks = frozenset(r.id for r in rules if r.fallback)
    ranked = rank(findings, fallbacks)
    return Diagnosis(
        cluster=cluster,
        findings=ranked,
        nodes=nodes,
        rules_run=len(rules) - len(skipped),
        unexplained=miner.results(cluster),
        not_evaluated=skipped,
        rule_failures=failures,
        verdict=verdict.decide(ranked, view),
    )
