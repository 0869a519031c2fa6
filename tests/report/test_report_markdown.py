import re

import pytest
from markdown_it import MarkdownIt

from diagnose.report import render
from diagnose.report.markdown import MAX_CHARS
from diagnose.report.mdtext import code, escape, fence

# GitHub-flavoured enough for what the report uses: raw HTML allowed (GitHub sanitises it, we
# check it is never produced from bundle text), tables.
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_CODE = re.compile(r"<pre><code[^>]*>.*?</code></pre>|<code>.*?</code>", re.S)


def to_html(md: str) -> str:
    return _MD.render(md)


def outside_code(html: str) -> str:
    return _CODE.sub("", html)


def links(html: str) -> list[str]:
    return re.findall(r"<a href=\"([^\"]*)\"", html)


def test_report_has_the_sections_and_commands(d):
    md = render(d, "md")
    for text in (
        "## Antrea diagnosis",
        "**Verdict:** 🔴 Most likely root cause: SecondaryNetwork bridge took the Node's primary NIC on node2",
        "**Source:** `support-bundles_20240628T185900Z` (antctl-directory)",
        "| # | Severity | Root cause |",
        "### 1. SecondaryNetwork bridge took the Node's primary NIC (most likely root cause)",
        "<details><summary>Evidence (2 lines)</summary>",
        "**Remediation**",
        "- [ ] Remove eth0 from the secondary bridge on node2",
        "**Explains**",
        "antrea-agent cannot reach kube-apiserver",
        "**Ruled out**",
        "### 2. Pod MTU too large for the tunnel",
        "**Missing evidence** (needed to confirm this)",
        "### Nodes",
        "failed, fallback bundle \\(logs only\\): agent API unreachable",
        "### Could not read",
        "not a gzip file \\(truncated download?\\)",
        "### Not recognised",
        "`screenshot.png`",
    ):
        assert text in md, text
    # Remediation is a checklist; commands are in sh code blocks, indented under their item.
    assert (
        "  ```sh\n  kubectl -n kube-system exec ds/antrea-agent -c antrea-ovs -- ovs-vsctl del-port "
        "br-secondary eth0\n  ```" in md
    )
    assert "- [ ] Upgrade Antrea to v2.1.0 or later, which refuses to move the primary NIC" in md
    assert "  ```sh\n  kubectl debug node/node1 -- ip link show\n  ```" in md
    html = to_html(md)
    assert '<pre><code class="language-sh">kubectl debug node/node1 -- ip link show\n</code></pre>' in html
    assert "Spec.PodCIDR is empty for Node node2\n</code></pre>" in html
    assert "https://github.com/antrea-io/antrea/issues/6448" in links(html)
    assert "shortened" not in md


def test_root_cause_order_is_the_report_order(d):
    md = render(d, "md")
    assert md.index("### 1. SecondaryNetwork") < md.index("### 2. Pod MTU")
    # Symptoms are listed under their root cause, not as root causes.
    assert "### 3." not in md


def test_hostile_log_line_stays_inside_its_code_block(make_diagnosis, uplink_finding, evidence_line, hostile):
    d = make_diagnosis([uplink_finding([evidence_line(hostile, 7)])]).to_dict()
    md = render(d, "md")
    # The fence is longer than the longest backtick run of the content.
    assert "`````text\n" in md
    html = to_html(md)
    assert "<script" not in html and "<img" not in html
    assert "javascript:" not in "".join(links(html))
    assert all(not url.startswith("http://x") for url in links(html))
    # The line is shown as it is, inside a code block.
    escaped_line = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert re.search(r"<pre><code class=\"language-text\">[^<]*" + re.escape(escaped_line), html)
    assert "@everyone" not in outside_code(html)


def test_hostile_text_in_every_field_is_neutralised(d, hostile, hostile_everywhere):
    md = render(hostile_everywhere(d, hostile), "md")
    html = to_html(md)
    assert "<script" not in html
    assert "<img" not in html
    # The only links are the report's own (none here: every reference is hostile text).
    assert links(html) == []
    prose = outside_code(html)
    assert "@everyone" not in prose  # a zero-width joiner follows the @: nobody is pinged
    assert "@\u200deveryone" in prose
    assert "#123" not in prose  # not an issue cross-reference
    assert "[bold]not markup[/bold]" in prose  # escaped text still reads the same
    # Tables keep their shape: a `|` in a value does not add cells.
    md_cells = render(hostile_everywhere(d, "a | b | c"), "md")
    assert "<td>a | b | c</td>" in to_html(md_cells)


def test_newlines_in_bundle_text_do_not_start_blocks(d):
    d["findings"][0]["summary"] = "fine\n# Heading\n```\n- item\n<details>"
    html = to_html(render(d, "md"))
    assert "<h1>" not in html
    assert "fine # Heading" in html


def test_control_characters_are_made_visible(make_diagnosis, uplink_finding, evidence_line):
    d = make_diagnosis([uplink_finding([evidence_line("colour \x1b[31mred\x1b[0m\rover\u202eevil", 1)])]).to_dict()
    md = render(d, "md")
    assert "\x1b" not in md and "\r" not in md and "\u202e" not in md
    assert "colour \\x1b[31mred\\x1b[0m\\x0dover\\u202eevil" in md


def test_report_fits_a_github_comment(make_diagnosis, uplink_finding, evidence_line):
    long_text = "E0628 18:57:17.883444       1 agent.go:99] " + "connection refused " * 20
    lines = [evidence_line(f"{long_text} #{i}", i) for i in range(1, 5001)]
    d = make_diagnosis([uplink_finding(lines)]).to_dict()
    assert len(render(d, "json")) > 1_000_000

    md = render(d, "md")
    assert len(md) < MAX_CHARS
    html = to_html(md)
    assert "This report was shortened to fit in a GitHub comment (65,536 characters)" in html
    m = re.search(r"left out ([\d,]+) evidence lines", html)
    assert m and int(m[1].replace(",", "")) > 4000
    assert re.search(r"… [\d,]+ more evidence lines not shown", html)
    # What matters survives the cut.
    assert "### 1. SecondaryNetwork bridge took the Node's primary NIC" in md
    assert "ovs-vsctl del-port br-secondary eth0" in md
    assert html.count("<pre><code") >= 2  # code blocks still balanced


def test_many_symptoms_and_paths_are_cut_too(make_diagnosis, uplink_finding, diagnosis):
    d = diagnosis.to_dict()
    symptom = d["findings"][0]["symptoms"][0]
    d["findings"][0]["symptoms"] = [dict(symptom, title=f"symptom {i} " + "x" * 200) for i in range(2000)]
    d["source"]["unrecognised"] = [f"junk/file-{i}-" + "y" * 100 for i in range(3000)]
    md = render(d, "md")
    assert len(md) < MAX_CHARS
    assert "symptom findings" in md and "unrecognised paths" in md
    assert "more symptoms not shown" in md


def test_a_report_that_fits_is_not_cut(make_diagnosis, uplink_finding, evidence_line):
    lines = [evidence_line(f"line {i}", i) for i in range(1, 40)]
    md = render(make_diagnosis([uplink_finding(lines)]).to_dict(), "md")
    assert "shortened" not in md
    assert "line 39" in md
    assert "<details><summary>Evidence (39 lines)</summary>" in md  # long evidence is folded


def test_healthy_report_says_so(healthy):
    md = render(healthy, "md")
    assert "**Verdict:** ✅ No problems found" in md
    assert "No findings" in md


def test_template_override_comes_first(d, tmp_path):
    (tmp_path / "report.md.j2").write_text("custom {{ d.findings | length }} {{ d.source.path | md }}\n")
    assert render(d, "md", [tmp_path]) == "custom 2 support-bundles\\_20240628T185900Z\n"
    # The HTML template is still found in the built-in folder.
    assert "<!DOCTYPE html>" in render(d, "html", [tmp_path])


@pytest.mark.parametrize("text", ["x", "a`b", "``` x ````", "`start", ""])
def test_code_helpers_cannot_be_closed_from_inside(text):
    block = fence(text, "text")
    html = to_html(block + "\n\nafter")
    assert html.endswith("<p>after</p>\n")
    if text:
        span = code(text)
        assert to_html(span).count("<code>") == 1


def test_escape_keeps_text_and_kills_markup():
    html = to_html("- " + escape("1. *a* _b_ <i>c</i> [l](u) `d` ~~e~~ $f$ @g #7 http://h www.i.org"))
    assert "<em>" not in html and "<i>" not in html and "<a " not in html and "<del>" not in html
    assert "<li>1. *a* _b_ &lt;i&gt;c&lt;/i&gt; [l](u) `d` ~~e~~ $f$ @\u200dg #\u200d7 " in html


def test_last_resort_cut_closes_the_open_code_block(d):
    from diagnose.report.markdown import render_markdown

    d["findings"][0]["evidence"] = d["findings"][0]["evidence"] * 3
    hard_cuts = 0
    for limit in range(1500, 4000, 37):  # cut points land inside and outside code blocks
        md = render_markdown(d, max_chars=limit)
        assert len(md) < limit
        if "Report cut at" in md:
            hard_cuts += 1
            assert to_html(md).endswith(
                f"<p><strong>Report cut at {limit:,} characters.</strong> "
                "The HTML and JSON reports have everything.</p>\n"
            )
        else:
            assert "shortened to fit" in to_html(md)
    assert hard_cuts > 10


def _cut_kinds(md: str) -> set[str]:
    m = re.search(r"left out (.*?)\. The HTML and JSON reports have everything", re.sub(r"\\(.)", r"\1", md))
    return {re.sub(r"^[\d,]+ ", "", part) for part in m[1].split(", ")} if m else set()


def test_the_least_important_parts_are_cut_first(story):
    from diagnose.report.markdown import render_markdown

    full = render_markdown(story)
    assert "shortened" not in full and "lines around them" in full and "**Why it happens:**" in full
    seen = set()
    for limit in range(len(full) - 200, 2500, -700):
        md = render_markdown(story, max_chars=limit)
        assert len(md) < limit
        cut = _cut_kinds(md)
        seen |= cut
        if "lines around evidence lines" in cut or "timeline rows" in cut:
            assert "artifact paths" in cut
        if "evidence lines" in cut:
            assert {"artifact paths", "lines around evidence lines"} <= cut
        if "explanations (why it happens)" in cut:
            assert "lines around evidence lines" in cut and "**Why it happens:**" not in md
        if "Node timelines" in cut:
            assert "evidence lines" in cut and "### Timeline" not in md
        if "Report cut at" not in md:
            assert "### 1. SecondaryNetwork bridged the Node's NIC" in md  # the root cause stays
            assert "- [ ] Recover the Node from its console" in md or "remediation steps" in cut
    assert {
        "artifact paths",
        "lines around evidence lines",
        "timeline rows",
        "evidence lines",
        "explanations (why it happens)",
        "Node timelines",
    } <= seen


def test_root_cause_evidence_is_folded_and_remediation_is_a_checklist(story):
    md = render(story, "md")
    assert len(md) < MAX_CHARS and "shortened" not in md
    html = to_html(md)
    assert html.count("<details>") == html.count("</details>") == md.count("<details>")
    assert "<details><summary>Evidence (8 lines, with the lines around them)</summary>" in md
    items = re.findall(r"^- \[ \] (.*)$", md, re.M)
    assert len(items) == 4 and items[1].startswith("Recover the Node from its console")
    assert (
        "  ```sh\n  ovs-vsctl --db=unix:/var/run/antrea/openvswitch/db.sock remove Open_vSwitch . other_config "
        "flow-restore-wait\n  ```" in md
    )
