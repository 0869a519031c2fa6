"""Promise 1, no false alarm: a healthy cluster, or one that had a passing problem and recovered,
gets nothing at `warning` or above.

The inputs are generated at test time from facts extracted from Antrea's source at each release
(tests/corpus/data/, see tools/extract_release_facts.py): every class of
corpusgen/classes.py for its releases, in every shape a user sends (antctl directory, one Node's
agent bundle, loose pasted files, `kubectl logs` with and without `--timestamps`, CRI files).

Cases the tool gets wrong today are listed in data/known_failures_healthy.tsv with what it reports;
they run as strict xfails, so a fix turns them into XPASS failures until their line is removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpusgen import cases

from diagnose.diagnosis.engine import diagnose

KNOWN = cases.load_known_failures(cases.facts.DATA / "known_failures_healthy.tsv")
SEVERE = {"critical", "error", "warning"}


def _params() -> list:
    out = []
    for case_id in cases.healthy_case_ids():
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN[case_id])] if case_id in KNOWN else []
        out.append(pytest.param(case_id, id=case_id, marks=marks))
    return out


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("healthy-corpus")


def severe_findings(report: dict) -> list[str]:
    """`rule_id/severity/nodes` of every finding (root causes and attached symptoms) at warning or above."""
    out = []
    for f in report["findings"]:
        for g in [f, *f.get("symptoms", [])]:
            if g["severity"] in SEVERE:
                out.append(f"{g['rule_id']}/{g['severity']}/{','.join(g['nodes'])}")
    return out


@pytest.mark.parametrize("case_id", _params())
def test_nothing_at_warning_or_above(case_id: str, corpus_root: Path, rules) -> None:
    path = cases.write_healthy(case_id, corpus_root)
    report = diagnose(path, rules).to_dict()
    assert severe_findings(report) == []
    assert report["source"]["unreadable"] == []
    # the input was understood (a corpus the tool cannot read would pass for the wrong reason)
    assert any(n.get("antrea_version") for n in report["source"]["nodes"])


def test_corpus_spans_releases_classes_and_shapes() -> None:
    ids = cases.healthy_case_ids()
    releases = {i.split("/")[1] for i in ids}
    classes = {i.split("/")[0] for i in ids}
    shapes = {i.split("/")[2] for i in ids}
    assert {"v1.11.0", "v1.15.0", "v2.0.0", "v2.2.0", "v2.7.0"} <= releases
    assert len(classes) >= 15 and len(shapes) == 6 and len(ids) >= 150


def test_known_failures_name_existing_cases() -> None:
    """A stale line (case renamed or removed) would silently stop guarding anything."""
    assert sorted(set(KNOWN) - set(cases.healthy_case_ids())) == []
