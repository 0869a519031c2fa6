"""Evidence lines carry the lines around them, from the scan to every report format."""

from __future__ import annotations

import io

from diagnose.bundle.model import EvidenceLine, LogEvent
from diagnose.report import render, view
from diagnose.scan import scanner as scan
from diagnose.scan.scanner import CHUNK, CONTEXT_CHARS, CatchAll, Scanner
from diagnose.scan.signature import Signature


def _scan(data: bytes, *signatures: Signature, catch_all: tuple[CatchAll, ...] = ()) -> list[scan.Hit]:
    scanner = Scanner(
        [(f"T:{s.name}", s) for s in signatures], engine="stdlib", catch_all=[(f"U:{s.name}", s) for s in catch_all]
    )
    hits: list[scan.Hit] = []
    scanner.scan(io.BytesIO(data), "agent-log", hits.append, lambda line: True)
    return hits


BOOM = Signature("boom", r"BOOM (?P<n>\d+)", "BOOM")


def test_a_hit_gets_two_lines_before_and_after_with_their_text():
    data = b"".join(f"line {i}\n".encode() for i in range(1, 6)) + b"BOOM 6\n" + b"line 7\nline 8\nline 9\n"
    [hit] = _scan(data, BOOM)
    assert hit.line_no == 6
    assert hit.before == ["line 4", "line 5"] and hit.after == ["line 7", "line 8"]
    event = LogEvent("a.log", hit.line_no, hit.text, hit.key, before=hit.before, after=hit.after)
    ev = EvidenceLine.of(event)
    assert [(c.line, c.text) for c in ev.context] == [(4, "line 4"), (5, "line 5"), (7, "line 7"), (8, "line 8")]


def test_context_is_cut_where_the_file_ends_and_lines_are_cut_at_512_characters():
    data = b"BOOM 1\n" + b"x" * 2000 + "é".encode() * 600 + b"\r\nBOOM 3\n"
    first, last = _scan(data, BOOM)
    assert first.before == [] and len(first.after) == 2
    assert first.after[0] == "x" * CONTEXT_CHARS and first.after[1] == "BOOM 3"
    assert last.line_no == 3 and last.after == [] and last.before[-1] == "x" * CONTEXT_CHARS
    assert EvidenceLine.of(LogEvent("a", 1, "BOOM 1", "k", after=first.after)).context[0].line == 2


def test_a_hit_at_a_chunk_edge_gets_what_its_chunk_holds():
    # The hit is the first line of the second chunk: the lines before it are in the first one.
    line = b"filler filler filler\n"
    head = line * (CHUNK // len(line))
    data = head + b"BOOM 2\n" + b"after 1\nafter 2\n"
    [hit] = _scan(data, BOOM)
    assert hit.line_no == head.count(b"\n") + 1
    assert hit.after == ["after 1", "after 2"]
    assert len(hit.before) < 2  # not read back across the chunk border


def test_lines_matching_two_signatures_share_one_context_and_catch_all_lines_are_no_hits():
    data = b"a\nb\nBOOM 1 and BANG\nc\nd\nE0101 other error\nz\n"
    bang = Signature("bang", r"BANG", "BANG")
    anything = CatchAll("klog", r"^E\d{4} ", r"(?:\A|\n)E\d{4} ", ("agent-log",))
    hits = _scan(data, BOOM, bang, catch_all=(anything,))
    by_key = {h.key: h for h in hits}
    assert by_key["T:boom"].before == by_key["T:bang"].before == ["a", "b"]
    assert set(by_key) == {"T:boom", "T:bang"}  # catch-all lines become templates, never evidence


def test_the_sample_report_has_numbered_context_in_every_format(story):
    ev = next(e for e in story["findings"][0]["evidence"] if "Physical interface added" in e["text"])
    assert ev["line"] == 22
    assert [c["line"] for c in ev["context"]] == [20, 21, 23, 24]
    assert "Renaming interface" in ev["context"][0]["text"]
    md = render(story, "md")
    assert '> 22  I0628 18:55:02.336061       1 init_linux.go:145] "Physical interface added' in md
    assert '  20  I0628 18:55:02.081465       1 net_linux.go:279] "Renaming interface"' not in md  # merged:
    assert "> 20  I0628 18:55:02.081465" in md  # line 20 is evidence itself, shown once, marked
    html = render(story, "html")
    assert '<span class="hit"><span class="ln">22</span>I0628 18:55:02.336061' in html
    assert '<span class="ctx"><span class="ln">23</span>I0628 18:55:02.337962' in html
    term = render(story, "terminal", width=160)
    assert ">22 I0628 18:55:02.336061" in term and " 23 I0628 18:55:02.337962" in term


def test_excerpts_merge_neighbouring_evidence_and_keep_lines_without_context_alone():
    def e(line, ctx, artifact="a.log", text=None):
        return {
            "artifact": artifact,
            "line": line,
            "time": None,
            "node": "n",
            "text": text or f"hit {line}",
            "context": [{"line": n, "text": f"ctx {n}"} for n in ctx],
        }

    x = view.excerpts(
        [e(10, [8, 9, 11, 12]), e(12, [10, 11, 13, 14]), e(30, [28, 29]), e(31, [], "b.log"), e(13, [11, 12], "c.log")]
    )
    assert [len(b["evidence"]) for b in x] == [2, 1, 1, 1]
    rows = x[0]["rows"]
    assert [r["line"] for r in rows] == [8, 9, 10, 11, 12, 13, 14]
    assert [r["line"] for r in rows if r["hit"]] == [10, 12] and rows[4]["text"] == "hit 12"
    assert x[0]["location"] == "a.log:10, 12  (n)"
    assert x[2]["rows"] == [] and x[2]["text"] == "hit 31"  # no context: the line alone
    long = view.excerpts([e(5, [4], text="y" * 1000) | {"context": [{"line": 4, "text": "z" * 1000}]}])[0]["rows"]
    assert len(long[0]["text"]) == view.CONTEXT_SHOWN and len(long[1]["text"]) == 1000  # evidence is never cut


def test_hostile_context_lines_are_escaped(story, hostile):
    story["findings"][0]["evidence"][0]["context"] = [{"line": 1, "text": hostile}]
    html = render(story, "html")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = render(story, "md")
    assert "`````text\n" in md  # the fence outgrows the backticks of the context line too
