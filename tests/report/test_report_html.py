from html.parser import HTMLParser

from diagnose.report import render


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.style = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
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
    assert "script" not in tags and "iframe" not in tags and "object" not in tags and "link" not in tags
    csp = [a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1
    policy = dict(part.strip().split(" ", 1) for part in csp[0].split(";"))
    assert policy["default-src"] == "'none'"
    assert "script-src" not in policy  # falls back to default-src 'none'
    assert policy["style-src"] == "'unsafe-inline'"
    assert tags.index("meta") < tags.index("style")
    # Nothing is fetched: no src attribute, no CSS url() or @import, no fonts.
    assert not [a for _, a in p.tags if "src" in a]
    assert "url(" not in p.style and "@import" not in p.style and "@font-face" not in p.style
    hrefs = [a["href"] for t, a in p.tags if t == "a"]
    assert hrefs and all(h.startswith("#finding-") or h.startswith("https://github.com/antrea-io/") or
                         h.startswith("https://antrea.io/") for h in hrefs)


def test_html_has_the_sections(d):
    html = render(d, "html")
    text = " ".join(" ".join(parse(html).text).split())
    for s in (
        "Most likely root cause: SecondaryNetwork bridge took the Node's primary NIC on node2",
        "Most likely root cause critical SecondaryNetwork bridge took the Node's primary NIC",  # kicker
        "Evidence (2 lines)",
        "Spec.PodCIDR is empty for Node node2",
        "Remediation Remove eth0 from the secondary bridge on node2 kubectl -n kube-system exec ds/antrea-agent",
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
    ):
        assert s in text, s
    assert '<span class="badge sev-critical">critical</span>' in html
    assert '<article class="finding sev-critical primary" id="finding-1">' in html
    assert "<pre><code>kubectl debug node/node1 -- ip link show</code></pre>" in html


def test_hostile_text_is_escaped_everywhere(d, hostile, hostile_everywhere):
    html = render(hostile_everywhere(d, hostile), "html")
    p = parse(html)
    tags = [t for t, _ in p.tags]
    assert "script" not in tags and "img" not in tags
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
