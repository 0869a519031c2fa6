"""The worked example of docs/writing-rules.md: a user's own pack used with `scan --rules DIR`."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner
from support import ROOT

from diagnose import lint
from diagnose.cli import cli

EXAMPLE = ROOT / "docs" / "examples" / "my-rules"
MODULE = "pod_mtu_below_site_underlay"
FIXTURES = f"fixtures/{MODULE}"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """The example pack copied somewhere else, as a user would keep it."""
    target = tmp_path_factory.mktemp("user") / "my-rules"
    shutil.copytree(EXAMPLE, target)
    return target


def scan(pack, case: str) -> dict:
    result = CliRunner().invoke(cli, ["scan", str(pack / FIXTURES / case), "--rules", str(pack), "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def site_findings(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["rule_id"] == "ANT-SITE-001"]


def test_the_users_rule_fires_on_its_fixture(pack):
    [finding] = site_findings(scan(pack, "fires-nic-left-at-1500"))
    assert finding["status"] == "confirmed" and finding["nodes"] == ["rack3-node7"]
    assert "MTU of 1450 (agent log), below the 8950 bytes" in finding["summary"]
    assert finding["evidence"][0]["text"].endswith('"Got Interface MTU" MTU=1450')


def test_the_old_wording_fires_too(pack):
    [finding] = site_findings(scan(pack, "fires-v1.5-setting-node-mtu"))
    assert finding["nodes"] == ["rack1-node2"]


def test_only_the_uplink_mtu_is_inconclusive_and_says_what_to_collect(pack):
    [finding] = site_findings(scan(pack, "fires-uplink-only-ip-link-inconclusive"))
    assert finding["status"] == "inconclusive"
    assert "Interface MTU" in finding["missing_evidence"][0]["command"]


def test_the_users_rule_stays_quiet_on_jumbo_frames(pack):
    assert site_findings(scan(pack, "quiet-jumbo-frames-8950")) == []


def test_the_example_pack_passes_the_lint(pack):
    assert lint.lint(pack) == []


def test_the_doc_shows_the_example_module_as_it_is():
    doc = (ROOT / "docs" / "writing-rules.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    module = (EXAMPLE / f"{MODULE}.py").read_text(encoding="utf-8")
    assert module in blocks, "docs/writing-rules.md must quote docs/examples/my-rules/" + MODULE + ".py verbatim"
