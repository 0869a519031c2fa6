"""The Markdown report of a hostile bundle, rendered the way GitHub renders a comment: nothing
from the bundle becomes markup, a link, an image, a mention, or closes the report's folds.
(The renderer's escaping is unit-tested in tests/report; this runs a real bundle through it.)"""

from __future__ import annotations

import re
from pathlib import Path

from hostile_corpus import GOOD_CATEGORY, hostile_bundle
from markdown_it import MarkdownIt

from diagnose.report import render
from diagnose.report.markdown import MAX_CHARS

BASE = "http://127.0.0.1:9"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
MARKDOWN_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "strong",
    "em",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "ul",
    "ol",
    "li",
    "a",
    "hr",
    "br",
    "blockquote",
    "del",
}
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_CODE = re.compile(r"<pre><code[^>]*>.*?</code></pre>|<code>.*?</code>", re.S)


def test_hostile_bundle_in_a_github_comment(run, tmp_path):
    report = run(hostile_bundle(tmp_path, BASE))
    assert GOOD_CATEGORY in [f["category"] for f in report["findings"]]
    md = render(report, "md")
    assert len(md) < MAX_CHARS
    html = _MD.render(md)
    prose = _CODE.sub("", html)
    # No markup from the bundle: the only tags are Markdown's and the ones the template writes.
    tags = set(re.findall(r"<([a-z][a-z0-9]*)", html))
    written = {t for f in TEMPLATES.glob("*md*") for t in re.findall(r"<([a-z][a-z0-9]*)\b", f.read_text())}
    assert tags <= MARKDOWN_TAGS | written, tags
    assert html.count("<details>") == html.count("</details>") == md.count("<details>")
    assert BASE not in "".join(re.findall(r'(?:href|src)="([^"]*)"', html))  # no link or image to it
    assert "@everyone" not in prose and "#123" not in prose  # no ping, no cross-reference
    assert "127.0.0.1:9/script" in html  # the lines are still there to read, inside code
