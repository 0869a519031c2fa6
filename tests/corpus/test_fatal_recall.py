"""Promise 2, never miss a dead agent: for every taxonomy category, the most common fatal or error
message Antrea's source prints for it, pasted alone (as the klog line with its header, and as the
bare message), gets a finding of severity `error` or `critical` in that category, ranked first.

Entries come from data/fatal_messages.json (tools/fatal_catalogue.py resolves each message's
format strings, `file:line` and level from Antrea's source at the named release). Cases the tool
gets wrong today are strict xfails listed in data/known_failures_fatal.tsv.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpusgen import cases, fatal
from corpusgen.facts import DATA, fatal_entries

from diagnose.diagnosis.engine import diagnose
from diagnose.errors import InputError

KNOWN = cases.load_known_failures(DATA / "known_failures_fatal.tsv")
# Categories with no log message of their own (see tools/fatal_catalogue.py).
NO_MESSAGE = {"benign", "duplicate-pod-ip"}


def _params() -> list:
    return [
        pytest.param(c, id=c, marks=[pytest.mark.xfail(strict=True, reason=KNOWN[c])] if c in KNOWN else [])
        for c in fatal.case_ids()
    ]


@pytest.mark.parametrize("case_id", _params())
def test_pasted_message_is_found_in_its_category(case_id: str, tmp_path: Path, rules) -> None:
    entry = fatal.entry_for(case_id)
    try:
        report = diagnose(fatal.write(case_id, tmp_path), rules).to_dict()
    except InputError as e:
        pytest.fail(f"the paste was rejected: {e}")
    assert fatal.verdict(report, entry["category"]) == ""


def taxonomy_categories() -> set[str]:
    """The category ids of the taxonomy table in the rule contract (diagnose/rules/rule.py)."""
    from diagnose.rules import rule

    return set(rule.CATEGORIES)


def test_every_category_has_an_entry() -> None:
    covered = {e["category"] for e in fatal_entries()}
    assert sorted(taxonomy_categories() - NO_MESSAGE - covered) == []


def test_entries_carry_their_source() -> None:
    for e in fatal_entries():
        assert e["message"] and e["release"].startswith("v")
        if e["origin"] == "klog":
            assert e["level"] in ("E", "F") and e["line"] > 0, e["id"]


def test_known_failures_name_existing_cases() -> None:
    assert sorted(set(KNOWN) - set(fatal.case_ids())) == []
