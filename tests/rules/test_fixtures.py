"""Every rule fixture folder against the `expect.yaml` beside it: the one test a new rule needs.

The format is documented in `diagnose.rules.expectations`; `antrea-diagnose rules test` runs the same
check on any rule pack. Rule-specific Python tests remain only for behaviour across rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnose.rules import expectations

FIXTURES = Path(__file__).parent / "fixtures"
CASES = list(expectations.cases(FIXTURES))


@pytest.mark.parametrize("case", [c for c in CASES if c.spec_path.exists()], ids=lambda c: c.name)
def test_fixture_meets_its_expectations(case: expectations.Case, run) -> None:
    problems = expectations.problems(run(case.path), case.spec())
    assert not problems, f"{case.name}: " + " | ".join(problems)


def test_every_fixture_says_what_it_expects() -> None:
    missing = [c.name for c in CASES if not c.spec_path.exists()]
    assert missing == [], f"fixture folders without {expectations.FILE}: {missing}"
