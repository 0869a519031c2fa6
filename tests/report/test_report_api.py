import html
import re
import subprocess
import sys

import pytest
from markdown_it import MarkdownIt

from diagnose.report import FORMATS, render


def test_formats():
    assert FORMATS == ("terminal", "md", "html", "json")


def test_unknown_format_is_a_clear_error(d):
    with pytest.raises(ValueError, match="unknown report format 'pdf': choose one of terminal, md, html, json"):
        render(d, "pdf")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_shows_the_same_facts(d, fmt):
    out = render(d, fmt, width=300)
    if fmt == "md":  # as GitHub shows it
        out = MarkdownIt("commonmark", {"html": True}).enable("table").render(out).replace("\u200d", "")
    if fmt in ("md", "html"):
        out = html.unescape(re.sub(r"<[^>]+>", "", out))
    for fact in (
        "ANT-SNU-001",
        "ANT-MTU-001",
        "ANT-API-001",
        "ANT-PCD-001",  # root causes and symptoms
        "node1",
        "node2",
        "ovs-vsctl del-port br-secondary eth0",  # a remediation command
        "kubectl debug node/node1 -- ip link show",  # a missing-evidence command
        "agent_node3.tar.gz",  # could not read
        "agent API unreachable",  # failed Node
        "antrea-io/antrea#6448",
    ):
        assert fact in out, (fmt, fact)


@pytest.mark.parametrize("fmt", FORMATS)
def test_renderers_do_not_change_the_dict(d, fmt):
    import copy

    before = copy.deepcopy(d)
    render(d, fmt)
    assert d == before


def test_importing_the_package_does_not_load_jinja_or_rich():
    code = "import sys, diagnose.report; print(sorted(m for m in ('jinja2', 'rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
