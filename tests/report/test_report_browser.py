"""The #6448 sample's HTML report opened in headless Chromium: it loads without a console error
(its one script allowed by the CSP hash), draws node2's timeline with the NIC attach before the
API timeout and the fatal exit, shows its copy buttons, filters without script, and puts node2's
story on the first screen. A control page proves the harness sees console errors. Skipped where
Chromium is missing, except in CI (CI=true), where its absence is a failure."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import png_facts, require_browser, run_chromium
from support import SAMPLES

from diagnose.diagnosis.engine import diagnose
from diagnose.report import render

BROWSER = require_browser()
LOGGING = ("--enable-logging=stderr", "--v=0")  # console messages on stderr
SCREEN = (1200, 1000)  # a laptop screen: node2's story must fit on it
# What Chromium logs for a script error or a CSP violation (wording differs between versions).
CONSOLE_ERRORS = ("Uncaught", "Refused to", "violates the following Content Security Policy")

# Appended to a copy of the report without its CSP: measures the first screen, then drives the
# CSS-only filters and records what stays visible (a script of the test, not of the report).
PROBE = """<script>
(function () {
  var out = {};
  var lane = document.querySelector("article.primary svg.tl");
  out.lane_bottom = lane.getBoundingClientRect().bottom;
  out.verdict_top = document.querySelector(".verdict").getBoundingClientRect().top;
  out.height = window.innerHeight;
  var card = document.getElementById("finding-1");
  var shown = function (el) { return getComputedStyle(el).display !== "none"; };
  out.all = shown(card);
  var labels = Array.prototype.slice.call(document.querySelectorAll("nav.filters label"));
  var node1 = labels.filter(function (l) { return l.textContent === "node1"; })[0];
  document.getElementById(node1.htmlFor).checked = true;
  out.node1_card = shown(card);
  out.node1_rows = Array.prototype.filter.call(document.querySelectorAll("table tr.byn"), shown).length;
  document.getElementById("nf-all").checked = true;
  document.getElementById("sf-critical").checked = false;
  out.no_critical_card = shown(card);
  document.body.setAttribute("data-probe", JSON.stringify(out));
})();
</script>"""


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return run_chromium(BROWSER, args, profile, LOGGING)


@pytest.fixture(scope="module")
def browser(tmp_path_factory, rules):
    d = tmp_path_factory.mktemp("report-browser")
    report = d / "report.html"
    text = render(diagnose(SAMPLES / "6448-secondary-network-primary-nic", rules).to_dict(), "html")
    report.write_text(text, encoding="utf-8")
    probe = d / "probe.html"
    probe.write_text(
        text.replace('http-equiv="Content-Security-Policy"', 'name="csp-removed"').replace(
            "</body>", PROBE + "</body>"
        ),
        encoding="utf-8",
    )
    control = d / "control.html"  # an inline script the CSP does not allow, and one that throws
    control.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'\"></head><body><script>document.title='x'</script>"
        "<p>control</p></body></html>",
        encoding="utf-8",
    )
    size = f"--window-size={SCREEN[0]},{SCREEN[1]}"
    jobs = {
        "dom": ["--dump-dom", report.as_uri()],
        "shot": [size, f"--screenshot={d / 'report.png'}", report.as_uri()],
        "probe": [size, "--dump-dom", probe.as_uri()],
        "control": ["--dump-dom", control.as_uri()],
    }
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {k: pool.submit(chromium, args, d / f"profile-{k}") for k, args in jobs.items()}
        done = {k: f.result() for k, f in futures.items()}
    return {"screenshot": d / "report.png", **{k: v for k, v in done.items()}}


class _Dom(HTMLParser):
    """Start tags with attributes, and the text of each marker's <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.markers: list[dict[str, str]] = []
        self._title_of: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "g" and "mk" in (a.get("class") or "").split():
            self.markers.append(
                {
                    "class": a.get("class") or "",
                    "kind": a.get("data-kind") or "",
                    "x": a.get("data-x") or "",
                    "title": "",
                }
            )
            self._title_of = self.markers[-1]
        elif tag != "title":
            self._title_of = None

    def handle_data(self, data):
        if self._title_of is not None and self.lasttag == "title":
            self._title_of["title"] += data


def console_errors(stderr: str) -> list[str]:
    """Console messages (the report's own script never logs) and script or CSP errors."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or any(e in line for e in CONSOLE_ERRORS)]


def test_the_harness_sees_console_errors(browser):
    assert console_errors(browser["control"].stderr), browser["control"].stderr[-2000:]


def test_the_report_loads_without_console_errors(browser):
    dom = browser["dom"]
    assert dom.returncode == 0 and "Antrea diagnosis" in dom.stdout
    assert console_errors(dom.stderr) == [], dom.stderr[-3000:]


def test_node2_timeline_has_the_attach_before_the_timeout_and_the_fatal_exit(browser):
    p = _Dom()
    p.feed(browser["dom"].stdout)
    card = browser["dom"].stdout
    card = card[card.index('id="finding-1"') : card.index("</article>")]
    lane = _Dom()
    lane.feed(card)
    assert [t for t, a in lane.tags if t == "svg" and "tl" in (a.get("class") or "")], "no timeline in the card"
    marks = lane.markers
    attach = [float(m["x"]) for m in marks if "Physical interface added to secondary OVS bridge" in m["title"]]
    timeout = [float(m["x"]) for m in marks if "i/o timeout" in m["title"]]
    fatal = [float(m["x"]) for m in marks if m["kind"] == "fatal"]
    assert attach and timeout and fatal, [m["title"][:60] for m in marks]
    # The first API timeout comes after the attach; the last one is in the fatal's own line.
    assert attach[0] < min(timeout) < fatal[0] and max(timeout) <= fatal[0]
    assert "rc" in next(m for m in marks if "Physical interface added" in m["title"])["class"].split()
    # Every Node is drawn: node1 and the controller in the timeline section.
    titles = [data for t, data in _titles(browser["dom"].stdout)]
    assert {
        "Timeline of node2",
        "Timeline of node1",
        "Timeline of antrea-controller",
        "All Nodes on one time axis",
    } <= set(titles)


def _titles(dom: str) -> list[tuple[str, str]]:
    class T(HTMLParser):
        def __init__(self):
            super().__init__()
            self.out: list[tuple[str, str]] = []
            self.parent: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.parent.append(tag)

        def handle_endtag(self, tag):
            while self.parent and self.parent.pop() != tag:
                pass

        def handle_data(self, data):
            if self.parent[-2:] == ["svg", "title"]:
                self.out.append(("svg", data))

    t = T()
    t.feed(dom)
    return t.out


def test_copy_buttons_are_shown_by_the_hashed_script(browser):
    p = _Dom()
    p.feed(browser["dom"].stdout)
    buttons = [a for t, a in p.tags if t == "button" and "copy" in (a.get("class") or "")]
    assert len(buttons) >= 3  # the remediation commands and the missing-evidence command
    assert all("hidden" not in a for a in buttons)  # the script ran under the CSP and showed them


def test_filters_work_without_script_and_the_story_fits_one_screen(browser):
    p = _Dom()
    p.feed(browser["probe"].stdout)
    body = next(a for t, a in p.tags if t == "body")
    probe = json.loads(body["data-probe"])
    assert probe["all"] and not probe["node1_card"] and not probe["no_critical_card"]
    assert probe["node1_rows"] >= 1  # node1's own rows stay
    assert probe["verdict_top"] < 200 and probe["lane_bottom"] <= probe["height"] <= SCREEN[1], probe


def test_screenshot_shows_a_rendered_page(browser):
    data = browser["screenshot"].read_bytes()
    width, height, values = png_facts(data)
    assert (width, height) == SCREEN
    assert len(data) > 20_000 and values > 30  # text and colours, not a blank page
