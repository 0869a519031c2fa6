"""`--templates DIR` as a user writes templates (extending the built-in report, making mistakes),
and the generated references docs/cli.md and docs/templates.md."""

from __future__ import annotations

import difflib

import pytest
from cli_support import NODE2_INFO
from support import ROOT

from diagnose.cli import cli
from diagnose.cli import docs as cli_docs
from diagnose.report import templating


@pytest.fixture
def user_templates(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    return folder


def test_extending_the_built_in_report_by_its_own_name(user_templates, run):
    (user_templates / "report.md.j2").write_text(
        '{% extends "report.md.j2" %}\n'
        "{% block footer %}{{ super() }}Reviewed by the network team; {{ found | length }} problem(s), "
        "{{ src.rules_run }} rules.\n{% endblock %}\n"
    )
    code, out, err = run("scan", NODE2_INFO, "-f", "md", "--templates", user_templates)
    assert code == 0, err
    assert out.startswith("## Antrea diagnosis") and "SecondaryNetwork bridged the Node" in out
    assert out.rstrip().endswith("rules.") and "Reviewed by the network team; 2 problem(s)" in out
    assert "<sub>antrea-diagnose" in out  # super(): the built-in footer is kept


def test_the_built_in_templates_under_builtin(user_templates, run):
    (user_templates / "report.md.j2").write_text('Note for the customer.\n\n{% include "builtin/report.md.j2" %}')
    code, out, err = run("scan", NODE2_INFO, "-f", "md", "--templates", user_templates)
    assert code == 0 and out.startswith("Note for the customer.\n\n## Antrea diagnosis"), err


@pytest.mark.parametrize(
    "text, message",
    [
        ("# Report\n{% if %}\n", "report.md.j2:2: Expected an expression, got 'end of statement block'."),
        ("# Report\n\n{{ d.no_such_key }}\n", "report.md.j2:3: 'dict object' has no attribute 'no_such_key'."),
        ("{{ d.source.path | shout }}\n", "report.md.j2:1: No filter named 'shout'."),
        ("x\n{{ 1 // 0 }}\n", "report.md.j2:2: ZeroDivisionError: integer division or modulo by zero."),
        ('{% include "header.md.j2" %}\n', "Template 'header.md.j2' was found neither in"),
    ],
)
def test_a_mistake_in_a_template_is_a_usage_error_with_file_and_line(user_templates, run, text, message):
    (user_templates / "report.md.j2").write_text(text)
    code, out, err = run("scan", NODE2_INFO, "-f", "md", "--templates", user_templates)
    assert code == 2 and out == ""
    assert err.startswith("antrea-diagnose: ") and message in err and err.count("\n") == 1, err
    if "report.md.j2:" in message:
        assert str(user_templates / "report.md.j2") in err


def test_a_missing_template_folder_is_a_usage_error(tmp_path, run):
    code, _, err = run("scan", NODE2_INFO, "-f", "md", "--templates", tmp_path / "nope")
    assert code == 2 and f"Directory '{tmp_path / 'nope'}' does not exist" in err


def test_templates_with_a_format_that_has_none_say_so(user_templates, run):
    code, _, err = run("scan", NODE2_INFO, "-f", "json", "--templates", user_templates)
    assert code == 0 and "Note: --templates applies to the md and html formats, not to json." in err


def _in_sync(path, generated: str, regenerate: str) -> None:
    current = path.read_text(encoding="utf-8")
    if current != generated:
        diff = "".join(
            difflib.unified_diff(current.splitlines(True), generated.splitlines(True), str(path), "generated", n=1)
        )
        pytest.fail(f"{path.name} is out of date. Regenerate it:\n\n    {regenerate}\n\n{diff[:4000]}")


def test_docs_cli_md_is_generated_from_the_commands():
    _in_sync(ROOT / "docs" / "cli.md", cli_docs.render(cli), cli_docs.REGENERATE)


def test_docs_templates_md_lists_the_report_variables():
    doc = templating.variables_doc()
    _in_sync(ROOT / "docs" / "templates.md", doc, templating.REGENERATE)
    for path in ("`d.source.nodes[].failed_reason`", "`d.findings[].evidence[].line`", "`d.timeline`"):
        assert path in doc
    for name in ("md", "code", "fence", "verdict", "nodes_headline"):
        assert f"| `{name}` |" in doc
    assert "`report.md.j2`: `header`, `findings`" in doc


def test_every_command_is_in_docs_cli_md():
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in (
        "scan",
        "timeline",
        "diff",
        "batch",
        "summary",
        "redact",
        "unredact",
        "rules list",
        "rules show",
        "rules lint",
    ):
        assert f"### `{command}`" in doc
