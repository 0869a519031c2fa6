"""The HTML report opened in a real browser (headless Chromium) after being built from a bundle
whose log lines, host name and file names carry script, event handlers, `javascript:` links
and fetches of a local HTTP server. Nothing may run and nothing may be fetched: the server
records every request, the dumped DOM shows whether a script ran. A control page with the same
payloads unescaped proves the harness would see both. Skipped where Chromium is missing, except
in CI (CI=true), where .ci/run installs it and its absence is a failure."""

from __future__ import annotations

import html
import http.server
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import png_facts, require_browser, run_chromium
from hostile_cli import run_cli
from hostile_corpus import GOOD_CATEGORY, HOSTILE_HOST, hostile_bundle, payloads
from markupsafe import escape

BROWSER = require_browser()
WINDOW = (1200, 1600)

# Tags the report's template writes; anything else in the rendered DOM came from the bundle.
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
REPORT_TAGS = {t for f in TEMPLATES.glob("*html*") for t in re.findall(r"<([a-z][a-z0-9]*)\b", f.read_text())}


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    do_POST = do_GET

    def log_message(self, *args) -> None:
        pass


def _recording_server():
    requests: list[str] = []

    class Handler(_Recorder):
        pass

    Handler.requests = requests
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}", requests


@pytest.fixture(scope="module")
def servers():
    """One server the report's payloads point at, one for the control page."""
    report_srv, report_base, report_requests = _recording_server()
    control_srv, control_base, control_requests = _recording_server()
    yield report_base, report_requests, control_base, control_requests
    report_srv.shutdown()
    control_srv.shutdown()


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return run_chromium(BROWSER, args, profile)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(dom: str) -> list[tuple[str, dict[str, str | None]]]:
    p = _Tags()
    p.feed(dom)
    return p.tags


@pytest.fixture(scope="module")
def pages(servers, tmp_path_factory, cli_cache):
    """Build the report with the CLI, then open it (and a control page) in Chromium at once."""
    base, requests, control_base, control_requests = servers
    d = tmp_path_factory.mktemp("browser")
    report = d / "report.html"
    result = run_cli(["scan", str(hostile_bundle(d, base)), "-o", str(report)], d / "sandbox", cache=cli_cache)
    assert result.returncode == 0, result.stderr
    text = report.read_text(encoding="utf-8")
    no_csp = d / "report-without-csp.html"  # the escaping alone must hold, not just the CSP
    no_csp.write_text(text.replace('http-equiv="Content-Security-Policy"', 'name="csp-removed"'), encoding="utf-8")
    control = d / "control.html"  # the same payloads, unescaped: the harness must see them act
    control.write_text(
        "<!DOCTYPE html><html><body><p>control</p>" + "".join(payloads(control_base)[:2]) + "</body></html>",
        encoding="utf-8",
    )
    jobs = {
        "report": ["--dump-dom", report.as_uri()],
        "no_csp": ["--dump-dom", no_csp.as_uri()],
        "control": ["--dump-dom", control.as_uri()],
        "shot": [f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={d / 'report.png'}", report.as_uri()],
    }
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {k: pool.submit(chromium, args, d / f"profile-{k}") for k, args in jobs.items()}
        done = {k: f.result() for k, f in futures.items()}
    return {
        "text": text,
        "screenshot": d / "report.png",
        "requests": list(requests),
        "base": base,
        "control_requests": list(control_requests),
        **{k: v.stdout for k, v in done.items()},
    }


def test_control_page_shows_the_harness_would_catch_an_attack(pages):
    assert "/img" in pages["control_requests"] and "/onerror" in pages["control_requests"]
    assert 'data-pwned="' in pages["control"]


@pytest.mark.parametrize("page", ["report", "no_csp"])
def test_nothing_runs_and_nothing_is_fetched(pages, page):
    dom = pages[page]
    assert "Antrea diagnosis" in dom and GOOD_CATEGORY in dom  # the page rendered, with its finding
    assert pages["requests"] == []
    body = next(attrs for tag, attrs in tags_of(dom) if tag == "body")
    assert not any(k.startswith("data-pwned") for k in body)
    tags = tags_of(dom)
    assert {t for t, _ in tags} <= REPORT_TAGS
    assert all(not k.startswith("on") for _, attrs in tags for k in attrs)
    hrefs = [a.get("href") or "" for t, a in tags if t == "a"]
    assert all(h.startswith(("#finding-", "https://")) for h in hrefs), hrefs
    assert all(not (a.get("src") or a.get("data")) for _, a in tags)
    # The payloads are there, as text a reader can see.
    for payload in payloads(pages["base"])[:3]:
        assert html.escape(payload, quote=False) in dom


def test_report_escapes_what_the_bundle_names(pages):
    text = pages["text"]
    assert str(escape(HOSTILE_HOST)) in text  # the host name from the klog header, a Node name
    assert "&lt;img src=x onerror=document.body.dataset.pwned=&#39;name&#39;&gt;.txt" in text  # a file name
    assert "&lt;script&gt;document.body.dataset.pwned=&#39;path&#39;&lt;/script&gt;.log" in text  # a refused path


def test_screenshot_shows_a_rendered_page(pages):
    data = pages["screenshot"].read_bytes()
    width, height, distinct = png_facts(data)
    assert (width, height) == WINDOW
    assert len(data) > 20_000 and distinct > 30  # text and colours, not a blank page
