"""`antrea-diagnose scan` on every input of the hostile corpus: exit 0 (the rest of the source
was still diagnosed) or 3 (nothing readable), the one-sentence note that names the problem, no
traceback, nothing written anywhere, within a 1 GiB address space and a time bound.

The runs are separate processes started together (cli_batch.py), checked one test per input
class."""

from __future__ import annotations

import pytest
from hostile_cli import TIMEOUT, run_cli_batch
from hostile_corpus import CASES, GOOD_CATEGORY, Case


def _listing(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture(scope="module")
def results(tmp_path_factory, cli_cache):
    base = tmp_path_factory.mktemp("corpus")
    jobs, inputs, before = [], {}, {}
    for case in CASES:
        inputs[case.name] = base / case.name / "input"
        inputs[case.name].mkdir(parents=True)
        source = case.build(inputs[case.name])
        before[case.name] = _listing(inputs[case.name])
        args = ["scan", str(source), "-f", "json"] + [x for lim in case.limits for x in ("--limit", lim)]
        jobs.append((args, base / case.name / "sandbox"))
    runs = run_cli_batch(jobs, cli_cache)
    return {
        c.name: (run, before[c.name], _listing(inputs[c.name]), inputs[c.name])
        for c, run in zip(CASES, runs, strict=True)
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_scan_survives(results, case: Case):
    result, before, after, inputs = results[case.name]
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert result.returncode == case.exit, result.stderr
    assert result.written == []  # nothing in the working directory, home or temp directory
    assert after == before  # nothing written next to the input either
    assert not (inputs.parent / "evil.log").exists() and not (inputs.parent.parent / "evil.log").exists()
    assert result.seconds < TIMEOUT / 2
    if case.exit == 3:
        line = result.stderr.strip()
        assert line.startswith("antrea-diagnose: ") and "\n" not in line
        assert case.message in line
        return
    report = result.report
    assert GOOD_CATEGORY in [f["category"] for f in report["findings"]]  # the rest was diagnosed
    if case.message:
        assert any(case.message in note for note in result.notes()), result.notes()
