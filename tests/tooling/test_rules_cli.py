"""`antrea-diagnose rules list` and `rules show`: what a user reads about the catalogue."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner
from support import ROOT

from diagnose.cli import cli, main
from diagnose.rules.rule import DOC_SECTIONS

EXAMPLE_PACK = ROOT / "docs" / "examples" / "my-rules"


def test_rules_list_is_a_table_of_every_rule_with_its_versions(rules):
    result = CliRunner().invoke(cli, ["rules", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert result.stdout.split()[:5] == ["ID", "Severity", "Category", "Title", "Versions"]
    for r in rules:
        row = next(ln for ln in result.stdout.splitlines() if ln.startswith(r.id + " "))
        assert r.severity in row and r.category in row
    sec = next(ln for ln in result.stdout.splitlines() if ln.startswith("ANT-SEC-001 "))
    assert ">=2.1.0-dev,<2.1.0, fixed in v2.1.0" in sec
    assert f"{len(rules)} rules" in result.stdout


def test_rules_list_includes_a_users_pack():
    result = CliRunner().invoke(cli, ["rules", "list", "--rules", str(EXAMPLE_PACK)], env={"COLUMNS": "200"})
    row = next(ln for ln in result.stdout.splitlines() if ln.startswith("ANT-SITE-001 "))
    assert "warning" in row and "mtu" in row and "Pod MTU below the site's jumbo-frame underlay" in row


def test_rules_show_renders_the_documentation_sections():
    result = CliRunner().invoke(cli, ["rules", "show", "ANT-PCD-001"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ANT-PCD-001" in out and "Node has no PodCIDR allocated" in out
    headings = [ln.strip() for ln in out.splitlines() if ln.strip() in DOC_SECTIONS]
    assert headings == list(DOC_SECTIONS)
    assert "``" not in out, "RST code markup is rendered, not printed"
    assert "podcidr_not_allocated.py" in out


def test_rules_show_finds_a_rule_by_slug_in_a_users_pack():
    result = CliRunner().invoke(cli, ["rules", "show", "pod-mtu-below-site-underlay", "--rules", str(EXAMPLE_PACK)])
    assert result.exit_code == 0, result.output
    assert "ANT-SITE-001" in result.stdout and "jumbo" in result.stdout


def test_rules_show_of_an_unknown_rule_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["antrea-diagnose", "rules", "show", "ANT-NOPE-999"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert "No rule has the id or slug 'ANT-NOPE-999'" in capsys.readouterr().err
