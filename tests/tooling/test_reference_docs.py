"""The reference pages generated from the code are committed as generated."""

from pathlib import Path

import pytest

from diagnose.rules import reference

DOCS = Path(__file__).parents[2] / "docs"


@pytest.mark.parametrize("page,file", [("taxonomy", "taxonomy.md"), ("api", "rule-api.md")])
def test_generated_page_is_in_sync(page, file):
    assert (DOCS / file).read_text() == reference.PAGES[page](), (
        f"docs/{file} is out of date: python -m diagnose.rules.reference {page} > docs/{file}"
    )
