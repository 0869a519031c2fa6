"""Ranking: a finding that is history (at info) never hides a current fault under it."""

from diagnose.diagnosis.ranking import rank
from diagnose.rules.rule import Finding


def _finding(rule_id: str, category: str, severity: str, explains: tuple[str, ...] = ()) -> Finding:
    return Finding(
        rule_id=rule_id,
        slug=rule_id.lower(),
        category=category,
        severity=severity,
        title=rule_id,
        nodes=["worker-1"],
        confidence=0.8,
        summary=rule_id,
        explains=explains,
    )


def test_a_recovered_cause_does_not_absorb_a_current_symptom():
    history = _finding("ANT-TLS-001", "tls-certificate", "info", explains=("controller-unreachable",))
    current = _finding("ANT-CTRL-001", "controller-unreachable", "warning")
    roots = rank([history, current])
    assert [r.rule_id for r in roots] == ["ANT-CTRL-001", "ANT-TLS-001"]
    assert roots[1].symptoms == []


def test_a_current_cause_still_absorbs_its_symptom():
    cause = _finding("ANT-TLS-001", "tls-certificate", "error", explains=("controller-unreachable",))
    symptom = _finding("ANT-CTRL-001", "controller-unreachable", "warning")
    [root] = rank([cause, symptom])
    assert root.rule_id == "ANT-TLS-001" and [s.rule_id for s in root.symptoms] == ["ANT-CTRL-001"]
