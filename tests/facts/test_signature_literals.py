"""`rules lint` against the message catalogue: literals and versions that disagree with the source."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import ROOT

from diagnose.facts.literals import foreign_origin, literal_warnings, message_part
from diagnose.rules import lint

EXAMPLE = ROOT / "docs" / "examples" / "my-rules"  # the pack of docs/writing-rules.md


def test_a_literal_only_other_releases_log_names_where_the_source_has_it():
    [warning] = literal_warnings("Waiting for Node PodCIDR configuration", ">=2.5.0")
    assert "in no Antrea message of the versions it claims (>=2.5.0: v2.5.0..main)" in warning
    assert "'Waiting for Node PodCIDR configuration to complete' (pkg/agent, v1.8.0..v2.4.0)" in warning


def test_a_misspelt_literal_gets_the_closest_wording():
    [warning] = literal_warnings("Failed to initialise iptables", "all")
    assert "is in no Antrea message; the closest the source has is 'Failed to initialize iptables: %v" in warning


def test_releases_that_word_it_differently_are_named():
    [warning] = literal_warnings("failed to get Node with name", "all")
    assert "is not in v1.0.0..v1.5.0 (claimed: all)" in warning
    assert "'Failed to get node from K8s with name %s: %v'" in warning


@pytest.mark.parametrize(
    "literal, versions",
    [
        ("Failed to initialize iptables: ", ">=1.0.0"),  # right
        ('"Got Interface MTU" MTU=', ">=1.11.0"),  # a structured line's message and key
        ("Multicast feature doesn't work", "all"),  # a feature younger than "all": nothing else was logged
        ("Caches are synced", "all"),  # client-go, though Antrea says "caches not synced" somewhere
        ("x509: ", "all"),
        ("sample failure: ", "all"),  # resembles no Antrea message: another program's
        ("error setting up iptables rules", ">=0.2.0,<0.5.0"),  # older than the catalogue: cannot judge
    ],
)
def test_right_foreign_or_unjudgeable_literals_get_no_warning(literal, versions):
    assert literal_warnings(literal, versions) == []


def test_foreign_wording_and_structured_literals_are_recognised():
    assert foreign_origin("modprobe: FATAL: Module ip_tables") == "modprobe"
    assert foreign_origin("Failed to initialize iptables") is None
    assert message_part('"Got Interface MTU" MTU=') == "Got Interface MTU"
    assert message_part(' failed"') == " failed"
    assert message_part("plain text") == "plain text"


def test_the_lint_of_a_users_pack_warns_about_a_wrong_versions_claim_and_does_not_fail(tmp_path: Path):
    pack = tmp_path / "my-rules"
    shutil.copytree(EXAMPLE, pack)
    module = pack / "pod_mtu_below_site_underlay.py"
    source = module.read_text(encoding="utf-8")
    assert source.count('versions=">=1.11.0"') == 1
    module.write_text(source.replace('versions=">=1.11.0"', 'versions="<1.11.0"'), encoding="utf-8")
    [problem] = lint.lint(pack)
    assert not problem.error
    assert problem.message == (
        "signature 'mtu': literal '\"Got Interface MTU\" MTU=' is in no Antrea message of the versions it claims "
        "(<1.11.0: v1.0.0..v1.10.0); the source has it in 'Got Interface MTU' (pkg/agent, v1.11.0..main)"
    )
