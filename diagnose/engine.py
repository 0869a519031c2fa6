"""The pipeline: source -> Cluster -> evidence -> findings -> ranked Diagnosis."""

from __future__ import annotations

from pathlib import Path

from diagnose import timeline, unexplained
from diagnose.bundle import reader
from diagnose.diagnosis import Diagnosis, NodeSummary, rank
from diagnose.evidence import ClusterView, RuleEvidence
from diagnose.model import CONTROLLER_NODE, UNATTRIBUTED, ReadProblem
from diagnose.rule import Rule
from diagnose.scan import Scanner

# Pseudo-Nodes say what they are, so reports can leave them out of the Node count.
_PSEUDO_ROLES = {CONTROLLER_NODE: "controller", UNATTRIBUTED: "unattributed"}


def scanner_for(rules: list[Rule]) -> Scanner:
    sigs = [(timeline.key(s.name), s) for s in timeline.SIGNATURES]
    sigs += [(rule.key(s.name), s) for rule in rules for s in rule.signatures]
    return Scanner(sigs, catch_all=unexplained.SIGNATURES)


def diagnose(source: Path, rules: list[Rule], scanner: Scanner | None = None) -> Diagnosis:
    """Diagnose one source. A `scanner` from `scanner_for(rules)` may be reused for many sources
    (batch workers do), one thread at a time: it only caches its compiled matchers."""
    miner = unexplained.Miner()
    cluster = reader.read(source, scanner or scanner_for(rules), miner)
    view = ClusterView(cluster)
    findings = []
    for rule in rules:
        assert rule.check is not None
        try:
            findings.extend(rule.check(RuleEvidence(view, rule)))
        except Exception as e:  # one broken rule must not cost the whole diagnosis
            cluster.problems.append(ReadProblem(rule.path or rule.id,
                                                f"rule {rule.id} failed: {type(e).__name__}: {e}"))
    nodes = [
        NodeSummary(
            name=n.name,
            role=_PSEUDO_ROLES.get(n.name, n.role),
            antrea_version=n.version,
            artifacts=len(n.data.artifacts),
            log_lines_matched=len(n.data.events),
            failed_reason=n.failed_reason,
            fallback_bundle=n.fallback_bundle,
        )
        for n in view.nodes.values()
    ]
    return Diagnosis(cluster=cluster, findings=rank(findings), nodes=nodes, rules_run=len(rules),
                     unexplained=miner.results(cluster))
