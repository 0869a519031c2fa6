"""docs/writing-rules.md, followed: the worked example pack, and the "Adding a rule" steps.

The guide quotes the example module and one expect.yaml verbatim; the pack passes `rules lint`
and `rules test` from wherever a user keeps it; and a new rule made the way the guide says (copy
a module and its fixtures, edit, no test file) is checked by the lint and the fixture runner,
which catch a misspelt template variable and a rule that raises.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import ROOT

from diagnose.cli import cli
from diagnose.rules import lint

GUIDE = ROOT / "docs" / "writing-rules.md"
EXAMPLE = ROOT / "docs" / "examples" / "my-rules"
MODULE = "pod_mtu_below_site_underlay"
FIXTURES = f"fixtures/{MODULE}"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    """The example pack copied somewhere else, as a user would keep it."""
    target = tmp_path_factory.mktemp("user") / "my-rules"
    shutil.copytree(EXAMPLE, target)
    return target


def test_the_guide_quotes_the_example_as_it_is():
    doc = GUIDE.read_text(encoding="utf-8")
    module = (EXAMPLE / f"{MODULE}.py").read_text(encoding="utf-8")
    assert module in re.findall(r"```python\n(.*?)```", doc, re.S), f"quote {MODULE}.py verbatim"
    spec = (EXAMPLE / FIXTURES / "fires-nic-left-at-1500" / "expect.yaml").read_text(encoding="utf-8")
    assert spec in re.findall(r"```yaml\n(.*?)```", doc, re.S), "quote its expect.yaml verbatim"


def test_the_example_pack_passes_the_lint_and_its_fixtures(pack):
    assert lint.lint(pack) == []
    result = invoke("rules", "test", str(pack))
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == 4


def test_a_scan_with_the_pack_reports_the_site_rule(pack):
    result = invoke("scan", str(pack / FIXTURES / "fires-nic-left-at-1500"), "--rules", str(pack), "-f", "json")
    assert result.exit_code == 0, result.output
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "ANT-SITE-001"]
    assert finding["outcome"] == "pods_below_site" and finding["nodes"] == ["rack3-node7"]


# -- "Adding a rule", on a scratch copy of a built-in rule ---------------------------------------

SOURCE = "apiserver_unreachable"


@pytest.fixture
def scratch(tmp_path) -> Path:
    """The guide's steps: copy a module and its fixture folders, give it a new id and slug."""
    folder = tmp_path / "scratch-pack"
    (folder / "fixtures").mkdir(parents=True)
    text = (ROOT / "rules" / f"{SOURCE}.py").read_text(encoding="utf-8")
    text = text.replace('id="ANT-API-001"', 'id="ANT-SCR-001"').replace(
        'slug="apiserver-unreachable"', 'slug="scratch-rule"'
    )
    (folder / "scratch_rule.py").write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "tests" / "rules" / "fixtures" / SOURCE, folder / "fixtures" / "scratch_rule")
    for spec in (folder / "fixtures" / "scratch_rule").glob("*/expect.yaml"):
        # The original rule is loaded too and ranks first on equal evidence: "first" is its.
        text = spec.read_text(encoding="utf-8").replace("ANT-API-001", "ANT-SCR-001").replace("    first: true\n", "")
        spec.write_text(text, encoding="utf-8")
    return folder


def test_a_copied_rule_runs_its_copied_fixtures(scratch):
    result = invoke("rules", "test", str(scratch))
    assert result.exit_code == 0, result.output
    assert "ok   scratch_rule/fires-informers-never-recover" in result.output


def test_a_misspelt_template_variable_fails_the_lint(scratch):
    module = scratch / "scratch_rule.py"
    module.write_text(module.read_text(encoding="utf-8").replace("{{ error }}", "{{ eror }}", 1), encoding="utf-8")
    problems = [p for p in lint.lint(scratch) if p.error]
    assert any("eror" in str(p) for p in problems), problems


def test_a_raising_rule_fails_the_fixture_runner(scratch):
    module = scratch / "scratch_rule.py"
    # A later definition of check() replaces the copied one: a bug that raises on every source.
    text = module.read_text(encoding="utf-8") + "\n\ndef check(ev):  # noqa: F811\n    raise RuntimeError('bug')\n"
    module.write_text(text, encoding="utf-8")
    result = invoke("rules", "test", str(scratch))
    assert result.exit_code == 1 and "rule ANT-SCR-001 raised RuntimeError: bug" in result.output


def test_a_case_without_expectations_fails(scratch):
    (scratch / "fixtures" / "scratch_rule" / "quiet-forbidden-is-not-reachability" / "expect.yaml").unlink()
    result = invoke("rules", "test", str(scratch))
    assert result.exit_code == 1 and "no expect.yaml" in result.output
