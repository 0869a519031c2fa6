"""Ranking by evidence and cause (diagnose.diagnosis.ranking.rank): the three situations the tool got wrong."""

from __future__ import annotations

from datetime import datetime

from diagnose.bundle.model import LogEvent
from diagnose.diagnosis.ranking import rank
from diagnose.rules.rule import CONFIRMED, INCONCLUSIVE, Finding


def finding(
    rule_id: str,
    category: str,
    severity: str,
    status: str,
    confidence: float,
    nodes=("node1",),
    explains: tuple[str, ...] = (),
    events: list[LogEvent] = (),
) -> Finding:
    return Finding(
        rule_id=rule_id,
        slug=rule_id.lower(),
        category=category,
        severity=severity,
        title=rule_id,
        nodes=list(nodes),
        confidence=confidence,
        summary="",
        status=status,
        explains=explains,
        events=list(events),
    )


def event(rule_id: str, minute: int) -> LogEvent:
    return LogEvent(
        artifact="a.log",
        line=minute,
        text="x",
        signature=f"{rule_id}:s",
        node="node1",
        time=datetime(2024, 1, 1, 12, minute),
    )


def test_a_confirmed_error_outranks_an_inconclusive_critical():
    guess = finding("ANT-A-001", "podcidr-not-allocated", "critical", INCONCLUSIVE, 0.4)
    proof = finding("ANT-B-001", "iptables-backend", "error", CONFIRMED, 0.9)
    assert [f.rule_id for f in rank([guess, proof])] == ["ANT-B-001", "ANT-A-001"]


def test_the_cause_comes_before_its_symptom_and_carries_it():
    # v2.1+: flow restoration waits for the iptables initialisation, which failed on NOTRACK.
    stuck = finding(
        "ANT-FRW-001", "ovs-flow-restore-wait", "critical", CONFIRMED, 0.8, events=[event("ANT-FRW-001", 5)]
    )
    notrack = finding(
        "ANT-IPT-003",
        "netfilter-feature",
        "error",
        CONFIRMED,
        0.9,
        explains=("agent-crash", "ovs-flow-restore-wait"),
        events=[event("ANT-IPT-003", 1)],
    )
    [root] = rank([stuck, notrack])
    assert root.rule_id == "ANT-IPT-003" and [s.rule_id for s in root.symptoms] == ["ANT-FRW-001"]


def test_a_cause_that_starts_after_the_symptom_does_not_absorb_it():
    stuck = finding(
        "ANT-FRW-001", "ovs-flow-restore-wait", "critical", CONFIRMED, 0.8, events=[event("ANT-FRW-001", 1)]
    )
    later = finding(
        "ANT-IPT-003",
        "netfilter-feature",
        "error",
        CONFIRMED,
        0.9,
        explains=("ovs-flow-restore-wait",),
        events=[event("ANT-IPT-003", 30)],
    )
    roots = rank([stuck, later])
    assert len(roots) == 2 and all(not r.symptoms for r in roots)


def test_an_inconclusive_finding_never_absorbs_a_confirmed_one():
    maybe = finding(
        "ANT-SEC-001", "secondary-network-uplink", "critical", INCONCLUSIVE, 0.55, explains=("apiserver-unreachable",)
    )
    sure = finding("ANT-API-001", "apiserver-unreachable", "critical", CONFIRMED, 0.95)
    roots = rank([maybe, sure])
    assert [r.rule_id for r in roots] == ["ANT-API-001", "ANT-SEC-001"] and not roots[1].symptoms
