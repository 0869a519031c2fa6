import re
from html.parser import HTMLParser

from diagnose.report import render
from diagnose.report.html import script_hash


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.style = ""
        self.scripts: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.in_script = tag == "script"

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.scripts.append(data)
            return  # not page text
        if self.lasttag == "style":
            self.style += data
        self.text.append(data)


def parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    p.close()
    return p


def test_html_is_self_contained_and_locked_down(d):
    html = render(d, "html")
    p = parse(html)
    tags = [t for t, _ in p.tags]
    assert "iframe" not in tags and "object" not in tags and "link" not in tags
    csp = [a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1
    policy = dict(part.strip().split(" ", 1) for part in csp[0].split(";"))
    assert policy["default-src"] == "'none'"
    # One inline script (the copy buttons), allowed by its hash and by nothing broader.
    assert tags.count("script") == 1 and len(p.scripts) == 1
    assert not [a for t, a in p.tags if t == "script" and a]
    assert policy["script-src"] == f"'{script_hash(p.scripts[0])}'"
    assert "unsafe" not in policy["script-src"] and "connect-src" not in policy
    assert policy["style-src"] == "'unsafe-inline'"
    assert tags.index("meta") < tags.index("style")
    # Nothing is fetched: no src attribute, no CSS url() or @import, no fonts.
    assert not [a for _, a in p.tags if "src" in a]
    assert "url(" not in p.style and "@import" not in p.style and "@font-face" not in p.style
    hrefs = [a["href"] for t, a in p.tags if t == "a"]
    assert hrefs and all(
        h.startswith("#finding-") or h.startswith("https://github.com/antrea-io/") or h.startswith("https://antrea.io/")
        for h in hrefs
    )


def test_html_has_the_sections(d):
    html = render(d, "html")
    text = " ".join(" ".join(parse(html).text).split())
    for s in (
        "Most likely root cause: SecondaryNetwork bridge took the Node's primary NIC on node2",
        "Most likely root cause critical SecondaryNetwork bridge took the Node's primary NIC",  # kicker
        "Evidence (2 lines)",
        "Spec.PodCIDR is empty for Node node2",
        "Remediation Remove eth0 from the secondary bridge on node2 kubectl -n kube-system exec ds/antrea-agent",
        "Why it happens",  # no rule documentation in these fixtures: not shown
        "Missing evidence (needed to confirm this) The uplink MTU of node1 kubectl debug node/node1 -- ip link show",
        "Explains (symptoms this root cause accounts for)",
        "antrea-agent cannot reach kube-apiserver",
        "E0628 dial tcp 10.96.0.1:443: i/o timeout",  # a symptom's evidence
        "Ruled out podcidr-not-allocated",
        "References antrea-io/antrea#6448",
        "failed, fallback bundle (logs only): agent API unreachable",
        "Could not read Path Reason agent_node3.tar.gz not a gzip file (truncated download?)",
        "Not recognised",
        "screenshot.png",
        "Inconclusive: what would settle it",
        "Pod MTU too large for the tunnel · Nodes: node1",
    ):
        if s == "Why it happens":
            assert s not in text
            continue
        assert s in text, s
    assert '<span class="badge sev-critical">critical</span>' in html
    assert re.search(r'<article class="finding sev-critical fs-critical byn n1 primary" id="finding-1">', html)
    # Commands come with a copy button, hidden until the script shows it (useless without it).
    assert (
        '<div class="cmd"><pre><code>kubectl debug node/node1 -- ip link show</code></pre>'
        '<button type="button" class="copy" hidden>Copy</button></div>'
    ) in html
    # The uplink's and the MTU's remediation commands, the MTU's missing-evidence command in its
    # card and again under "Inconclusive".
    assert html.count('class="copy" hidden') == 4


def test_hostile_text_is_escaped_everywhere(d, hostile, hostile_everywhere):
    html = render(hostile_everywhere(d, hostile), "html")
    p = parse(html)
    tags = [t for t, _ in p.tags]
    assert tags.count("script") == 1 and "alert" not in p.scripts[0] and "img" not in tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=http://x/z.png&gt;" in html
    assert not [a for _, a in p.tags if "src" in a]
    # Hostile references are shown as text, never as links; bundle text never lands in an attribute.
    hrefs = [a["href"] for t, a in p.tags if t == "a"]
    assert all(h.startswith("#finding-") for h in hrefs)
    for _, attrs in p.tags:
        for value in attrs.values():
            assert "alert" not in (value or "") and "x/y.png" not in (value or "")


def test_quotes_cannot_break_out_of_an_attribute(d):
    d["findings"][0]["severity"] = 'critical" onmouseover="alert(1)'
    html = render(d, "html")
    assert "onmouseover" not in [k for _, a in parse(html).tags for k in a]


def test_control_characters_are_made_visible_in_html(d):
    d["findings"][0]["evidence"][0]["text"] = "a\x1b[31mb\u202ec\x00"
    html = render(d, "html")
    assert "\x1b" not in html and "\u202e" not in html and "\x00" not in html
    assert "a\\x1b[31mb\\u202ec\\x00" in html


def test_healthy_html(healthy):
    html = render(healthy, "html")
    assert "No problems found" in html
    assert "Most likely root cause" not in html


def test_filters_by_node_and_severity_are_css_only(story):
    html = render(story, "html")
    p = parse(html)
    radios = [a["id"] for t, a in p.tags if t == "input" and a.get("type") == "radio"]
    boxes = [a["id"] for t, a in p.tags if t == "input" and a.get("type") == "checkbox"]
    assert radios == ["nf-all", "nf-0", "nf-1", "nf-2"] and boxes == ["sf-critical", "sf-warning"]
    labels = " ".join(" ".join(p.text).split())
    assert "Node all node2 node1 antrea-controller Severity critical (3) warning (1)" in labels
    screen = p.style[p.style.index("@media screen") : p.style.index("@media print")]
    assert "#nf-1:checked ~ main .byn:not(.n1) { display: none; }" in screen
    assert "#sf-warning:not(:checked) ~ main .fs-warning { display: none; }" in screen
    # node2 is n0: its finding, its lane and its Node row carry the class the filter keys on.
    assert '<article class="finding sev-critical fs-critical byn n0 primary" id="finding-1">' in html
    assert '<figure class="lane byn n1">' in html and '<tr class="ok byn n1">' in html


def test_print_css_shows_everything_and_hides_the_controls(story):
    style = parse(render(story, "html")).style
    printing = style[style.index("@media print") :]
    assert "nav.filters, input.flt, button.copy { display: none !important; }" in printing
    assert "max-height: none" in printing and "break-inside: avoid" in printing
    assert "display: none; }" not in printing  # the filters apply on screen only


def test_no_filters_for_one_node_and_no_script_source_without_a_script(make_diagnosis, tmp_path):
    from diagnose.diagnosis.ranking import NodeSummary

    healthy = make_diagnosis([], nodes=[NodeSummary("node1", "worker", "v2.1.0", 3, 0)]).to_dict()
    html = render(healthy, "html")
    assert 'type="radio"' not in html and "<nav" not in html  # one Node, no findings: nothing to filter
    (tmp_path / "report.html.j2").write_text('<meta http-equiv="Content-Security-Policy" content="{{ csp }}">\n')
    assert "script-src" not in render(healthy, "html", [tmp_path])
    (tmp_path / "report.html.j2").write_text('<meta content="{{ csp }}"><script>go()</script><p>{{ csp }}</p>')
    page = render(healthy, "html", [tmp_path])
    assert f"script-src '{script_hash('go()')}'" in page.split("<script>")[0]
    assert re.search(r"<p>csp-[0-9a-f]{32}</p>", page)  # only the first occurrence is the policy
