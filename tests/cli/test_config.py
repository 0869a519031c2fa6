"""The conventions people bring from ruff and sqlfluff: a config file found upward, --select and
--ignore, case-insensitive ids and values, -V, JSON and sorted `rules list`, shell completion."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from cli_support import NODE2_INFO
from click.shell_completion import ShellComplete
from support import ROOT

from diagnose import __version__
from diagnose.cli import cli

EXAMPLE_PACK = ROOT / "docs" / "examples" / "my-rules"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with a subfolder as the working directory (config files are found upward)."""
    work = tmp_path / "project" / "tickets" / "1234"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return tmp_path / "project"


def _rule_ids(out: str) -> list[str]:
    return [r["id"] for r in json.loads(out)]


# -- config file -------------------------------------------------------------------------------------


def test_a_dotfile_found_upward_sets_the_defaults(project, run):
    (project / ".antrea-diagnose.toml").write_text('format = "json"\nfail-on = "CRITICAL"\n')
    code, out, err = run("scan", NODE2_INFO)
    assert code == 1, err  # the critical #6448 finding, with fail-on from the file
    assert json.loads(out)["findings"][0]["rule_id"] == "ANT-SEC-001"


def test_pyproject_tool_table_and_the_command_line_wins(project, run):
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.antrea-diagnose]\nselect = ["ANT-SEC"]\n')
    code, out, _ = run("rules", "list", "--format", "json")
    assert code == 0 and _rule_ids(out) == ["ANT-SEC-001", "ANT-SEC-002"]
    code, out, _ = run("rules", "list", "--format", "json", "--select", "mtu")
    assert _rule_ids(out) == ["ANT-MTU-001", "ANT-MTU-002"]


def test_the_nearest_file_wins_and_a_pyproject_without_the_table_is_passed_over(project, run):
    (project / ".antrea-diagnose.toml").write_text('select = ["mtu"]\n')
    (project / "tickets" / "pyproject.toml").write_text('[project]\nname = "x"\n')  # someone else's
    code, out, _ = run("rules", "list", "-f", "json")
    assert _rule_ids(out) == ["ANT-MTU-001", "ANT-MTU-002"]
    (project / "tickets" / ".antrea-diagnose.toml").write_text('select = ["benign"]\n')
    code, out, _ = run("rules", "list", "-f", "json")
    assert _rule_ids(out) == ["ANT-BEN-001"]


def test_per_command_tables_and_values_that_fit_only_some_commands(project, run):
    (project / ".antrea-diagnose.toml").write_text('format = "md"\n\n[timeline]\nformat = "csv"\n')
    code, out, err = run("scan", NODE2_INFO)
    assert code == 0 and out.startswith("## Antrea diagnosis"), err
    code, out, err = run("timeline", NODE2_INFO)
    assert code == 0 and out.startswith("time,node,run,level"), err  # md is no timeline format: csv from [timeline]
    code, out, _ = run("diff", NODE2_INFO, NODE2_INFO)
    assert out.startswith("## Antrea diff")


def test_folders_are_relative_to_the_config_file_and_limits_take_a_table(project, run):
    shutil.copytree(EXAMPLE_PACK, project / "my-rules")
    (project / ".antrea-diagnose.toml").write_text('rules = ["my-rules"]\n\n[limit]\nmax_member_bytes = 100\n')
    code, out, _ = run("rules", "list", "-f", "json")
    assert "ANT-SITE-001" in _rule_ids(out)
    code, out, _ = run("scan", NODE2_INFO, "-f", "json")
    reasons = [u["reason"] for u in json.loads(out)["source"]["unreadable"]]
    assert "is larger than 100 bytes (max_member_bytes); only its start was read" in reasons


def test_an_explicit_config_and_isolated(project, tmp_path, run):
    (project / ".antrea-diagnose.toml").write_text('select = ["mtu"]\n')
    other = tmp_path / "team.toml"
    other.write_text('[tool.antrea-diagnose]\nselect = ["benign"]\n')
    assert _rule_ids(run("rules", "list", "-f", "json", "--config", other)[1]) == ["ANT-BEN-001"]
    assert len(_rule_ids(run("rules", "list", "-f", "json", "--isolated")[1])) > 30


@pytest.mark.parametrize(
    "text, message",
    [
        ('colour = "red"\n', "unknown key 'colour'; the keys are the long option names:"),
        ("format = \n", "is not valid TOML"),
        ('[scan]\nformat = "pdf"\n', "[scan] format = 'pdf': 'pdf' is not one of"),
        ("[scan]\njobs = 3\n", "[scan] has no option 'jobs'"),
        ('[scna]\nformat = "md"\n', "[scna] is not a command table"),
        ('select = ["ANT-NOPE"]\n', "--select 'ant-nope' matches no rule id, slug or category"),
    ],
)
def test_a_broken_config_is_a_usage_error_naming_the_file(project, run, text, message):
    (project / ".antrea-diagnose.toml").write_text(text)
    code, _, err = run("scan", NODE2_INFO)
    assert code == 2 and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    code, out, _ = run("scan", "--help")  # help still works
    assert code == 0 and "--select" in out


# -- rule selection ---------------------------------------------------------------------------------


def test_select_and_ignore_by_id_prefix_slug_and_category_in_any_case(run):
    code, out, _ = run("scan", NODE2_INFO, "-f", "json", "--select", "ant-sec-001")
    report = json.loads(out)
    assert report["source"]["rules_run"] == 1 and [f["rule_id"] for f in report["findings"]] == ["ANT-SEC-001"]
    code, out, _ = run("scan", NODE2_INFO, "-f", "json", "--ignore", "Secondary-Network-Uplink,benign")
    ids = {f["rule_id"] for f in json.loads(out)["findings"]}
    assert not {"ANT-SEC-001", "ANT-SEC-002", "ANT-BEN-001"} & ids
    code, out, _ = run(
        "rules", "list", "-f", "json", "--select", "secondary-bridge-took-node-nic", "--select", "ANT-MTU"
    )
    assert _rule_ids(out) == ["ANT-MTU-001", "ANT-MTU-002", "ANT-SEC-001"]


def test_a_name_that_matches_no_rule_is_a_usage_error(run):
    code, _, err = run("scan", NODE2_INFO, "--select", "ANT-SEC-01")
    assert code == 2 and err == (
        "antrea-diagnose: --select 'ant-sec-01' matches no rule id, slug or category; see "
        "`antrea-diagnose rules list`.\n"
    )
    code, _, err = run("rules", "list", "--select", "mtu", "--ignore", "mtu")
    assert code == 2 and "leave no rule to run" in err


def test_ids_and_values_are_case_insensitive(run):
    code, out, _ = run("rules", "show", "ant-sec-001")
    assert code == 0 and "ANT-SEC-001" in out
    code, _, _ = run("scan", NODE2_INFO, "--fail-on", "Critical", "-q")
    assert code == 1
    code, out, _ = run("scan", NODE2_INFO, "--format", "JSON")
    assert code == 0 and out.startswith("{")


def test_rules_list_json_is_sorted_with_the_metadata(run, rules):
    code, out, _ = run("rules", "list", "--format", "json")
    data = json.loads(out)
    assert [r["id"] for r in data] == sorted(r.id for r in rules)
    sec = next(r for r in data if r["id"] == "ANT-SEC-001")
    assert sec["fixed_in"] == "v2.1.0" and sec["category"] == "secondary-network-uplink"
    assert set(sec) >= {"id", "slug", "severity", "category", "title", "applies_to", "references", "module"}


def test_version_flag(run):
    assert run("-V") == (0, f"antrea-diagnose, version {__version__}\n", "")


def test_help_has_examples(run):
    for command in (
        ["--help"],
        ["scan", "--help"],
        ["timeline", "--help"],
        ["diff", "--help"],
        ["rules", "list", "--help"],
    ):
        code, out, _ = run(*command)
        assert code == 0 and re.search(r"Examples:\n +antrea-diagnose ", out), command


def test_shell_completion_of_rule_ids_slugs_and_categories():
    def complete(args: list[str], incomplete: str) -> list[str]:
        return [c.value for c in ShellComplete(cli, {}, "antrea-diagnose", "_X").get_completions(args, incomplete)]

    assert complete(["rules", "show"], "ANT-SEC") == ["ANT-SEC-001", "ANT-SEC-002"]
    assert complete(["rules", "show"], "ant-mtu-00") == ["ANT-MTU-001", "ANT-MTU-002"]
    assert "secondary-network-uplink" in complete(["scan", "x", "--select"], "second")
    assert complete(["scan", "x", "--ignore"], "mtu,ANT-BEN") == ["mtu,ANT-BEN-001"]
    assert "ANT-SITE-001" in complete(["rules", "show", "--rules", str(EXAMPLE_PACK)], "ANT-SI")
