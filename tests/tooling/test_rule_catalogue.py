"""docs/rules.md is generated from the rule modules and must not drift from them."""

from __future__ import annotations

import difflib

import pytest
from support import ROOT

from diagnose.rules import catalogue
from diagnose.rules.rule import DOC_SECTIONS


def test_docs_rules_md_is_in_sync_with_the_rule_modules():
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    generated = catalogue.builtin_catalogue()
    if committed != generated:
        diff = "".join(
            list(
                difflib.unified_diff(
                    committed.splitlines(True), generated.splitlines(True), "docs/rules.md", "generated"
                )
            )[:40]
        )
        pytest.fail(
            "docs/rules.md is out of date with the rule modules (a rule was added or its docstring or "
            f"metadata changed). Regenerate it:\n\n    {catalogue.REGENERATE}\n\nand commit it.\n\n{diff}"
        )


def test_every_builtin_rule_has_its_entry_and_sections(rules):
    text = catalogue.render(rules)
    for r in rules:
        entry = text[text.index(f"\n### {r.id}\n") :]
        entry = entry[: entry.find("\n### ", 1) if "\n### " in entry[1:] else len(entry)]
        assert f"| [{r.id}](#{r.id.lower()}) | {r.severity} |" in text  # its row in the table by category
        for section in DOC_SECTIONS:
            assert f"\n#### {section}\n" in entry, (r.id, section)


def test_docstring_markup_becomes_markdown():
    doc = (
        "Summary line.\n\nSymptom\n-------\nThe agent logs ``failed to list *v1.<Kind>: ...\ni/o timeout``"
        " when <nic> is down.\n\nReferences\n----------\nantrea-io/antrea#1.\n"
    )
    md = catalogue.doc_markdown(doc, level=2)
    assert md == (
        "Summary line.\n\n## Symptom\n\nThe agent logs `failed to list *v1.<Kind>: ...\ni/o timeout`"
        " when \\<nic> is down.\n\n## References\n\nantrea-io/antrea#1.\n"
    )


def test_references_are_linked():
    assert (
        catalogue.reference_markdown("antrea-io/antrea#6448")
        == "[antrea-io/antrea#6448](https://github.com/antrea-io/antrea/issues/6448)"
    )
    assert catalogue.reference_markdown("https://antrea.io/docs") == "<https://antrea.io/docs>"
    assert catalogue.reference_markdown("pkg/agent/agent.go <x>") == "pkg/agent/agent.go \\<x>"
