import io

from diagnose.parse.klog import is_header_or_log_start
from diagnose.scan.scanner import CHUNK, MAX_LINE, Scanner
from diagnose.scan.signature import Signature

SIGS = [
    ("r:fatal", Signature("fatal", r"\] (?P<msg>Error running agent: .*)$", "Error running agent", follow=5)),
    ("r:timeout", Signature("timeout", r"dial tcp (?P<ep>[\d.:]+): i/o timeout", "i/o timeout")),
]


def scan(data: bytes, kind="agent-log"):
    hits = []
    stats = Scanner(SIGS).scan(io.BytesIO(data), kind, hits.append, is_header_or_log_start)
    return hits, stats


def test_hits_carry_line_numbers_groups_and_the_goroutine_dump():
    lines = [b"I0628 18:57:17.000000       1 a.go:1] normal"] * 3 + [
        b"F0628 18:57:17.883444       1 main.go:53] Error running agent: boom",
        b"goroutine 1 [running]:",
        b"main.main()",
        b"I0628 18:57:18.000000       1 a.go:1] dial tcp 10.43.0.1:443: i/o timeout",
    ]
    hits, stats = scan(b"\n".join(lines) + b"\n")
    assert [(h.key, h.line_no) for h in hits] == [("r:fatal", 4), ("r:timeout", 7)]
    assert hits[0].groups["msg"] == "Error running agent: boom"
    assert hits[0].following == ["goroutine 1 [running]:", "main.main()"]
    assert hits[1].groups["ep"] == "10.43.0.1:443"
    assert stats.lines == 7


def test_line_numbers_stay_right_across_chunks_and_crlf():
    filler = b"x" * 100 + b"\r\n"
    n = (3 * CHUNK) // len(filler)
    data = filler * n + b"dial tcp 1.2.3.4:443: i/o timeout\r\n" + filler
    hits, _ = scan(data)
    assert [h.line_no for h in hits] == [n + 1]
    assert hits[0].text.endswith("i/o timeout")


def test_kind_filter_and_no_trailing_newline():
    hits, _ = scan(b"dial tcp 1.2.3.4:443: i/o timeout", kind="ovs-log")
    assert hits == []
    hits, _ = scan(b"dial tcp 1.2.3.4:443: i/o timeout")
    assert len(hits) == 1


def test_a_huge_line_is_cut_and_the_next_line_still_found():
    data = b"A" * (5 * MAX_LINE) + b" i/o timeout\n" + b"dial tcp 1.2.3.4:443: i/o timeout\n"
    hits, stats = scan(data)
    assert stats.cut_lines == 1
    assert [h.line_no for h in hits] == [2]


def test_a_hit_with_continuation_lines_on_a_line_longer_than_max_line():
    # A line that ends inside the chunk read is not cut, however long: the regex decides it on its
    # head, and the hit keeps its continuation lines (this raised TypeError: kept() said None).
    line = b"F0628 18:57:17.883444       1 main.go:53] Error running agent: " + b"x" * (2 * MAX_LINE)
    hits, stats = scan(line + b"\ngoroutine 1 [running]:\nmain.main()\n")
    assert [(h.key, h.line_no) for h in hits] == [("r:fatal", 1)]
    assert hits[0].groups["msg"].startswith("Error running agent: xxx")
    assert hits[0].following == ["goroutine 1 [running]:", "main.main()"]
    assert stats.lines == 3


def test_lines_the_time_budget_leaves_unchecked_are_counted_not_dropped(monkeypatch):
    from diagnose.scan import scanner as scan_module

    monkeypatch.setattr(scan_module, "BUDGET_BASE_S", 0.0)
    monkeypatch.setattr(scan_module, "BUDGET_PER_BYTE_S", 0.0)
    # A lookbehind: Hyperscan cannot take it, so every candidate line needs the regex.
    sigs = [("r:slow", Signature("slow", r"(?<=node )(?P<name>\w+) failed", " failed"))]
    data = b"".join(b"node n%d failed\n" % i for i in range(1, 201))
    hits, stats = [], None
    stats = Scanner(sigs).scan(io.BytesIO(data), "agent-log", hits.append, is_header_or_log_start)
    assert stats.unchecked == 200 - len(hits) > 0  # every line is either a hit or counted unchecked
    assert stats.first_unchecked == len(hits) + 1 and stats.unchecked_keys == {"r:slow"}


def test_a_hit_keeps_its_fields_context_and_line_number_when_read_later():
    """Hits stay raw bytes until read; reading gives what a regex on the line would."""
    from diagnose.bundle.reader import HitBuffer

    log = HitBuffer().log()
    lines = [b"I0628 18:57:17.000000       1 a.go:1] line %d" % i for i in range(1, 6)]
    lines[2] = b"I0628 18:57:18.000000       1 a.go:1] dial tcp 10.43.0.1:443: i/o timeout"
    Scanner(SIGS).scan(io.BytesIO(b"\n".join(lines) + b"\n"), "agent-log", log, is_header_or_log_start)
    [hit] = list(log)
    assert (hit.key, hit.line_no, hit.groups) == ("r:timeout", 3, {"ep": "10.43.0.1:443"})
    assert hit.before == [lines[0].decode(), lines[1].decode()] and hit.after == [lines[3].decode(), lines[4].decode()]
    assert log.counts == {"r:timeout": 1}


def test_a_log_of_many_chunks_gets_every_line_number_right(rules):
    """Lines are counted chunk by chunk (a chunk ends at its last newline, the rest is carried):
    every hit keeps the line number it has in the whole log, whatever chunk it is in, and its
    context lines are its neighbours (fewer at a chunk's edge)."""
    import random

    from diagnose.diagnosis import engine

    rng = random.Random(3)
    lines = [b"I0628 18:57:%02d.000000       1 a.go:1] normal line %d" % (i % 60, i) for i in range(30000)]
    bad = sorted(rng.sample(range(30000), 600))
    for i in bad:
        lines[i] = (
            b"W0628 18:57:17.000000       1 r.go:9] failed to list *v1.Node: dial tcp 10.0.0.%d:443: "
            b"i/o timeout" % (i % 250)
        )
    data = b"\n".join(lines)  # no final newline: the last line comes with the carry
    assert len(data) > 4 * CHUNK
    hits = []
    stats = engine.scanner_for(rules).scan(io.BytesIO(data), "agent-log", hits.append, is_header_or_log_start)
    listed = [h for h in hits if h.key == "ANT-API-001:list_failed"]
    assert stats.lines == 30000
    assert [h.line_no for h in listed] == [i + 1 for i in bad]
    for h in listed:
        i = h.line_no - 1
        assert h.text == lines[i].decode()
        before, after = [x.decode() for x in lines[max(0, i - 2) : i]], [x.decode() for x in lines[i + 1 : i + 3]]
        assert h.before == before[len(before) - len(h.before) :] and h.after == after[: len(h.after)]
    assert sum(len(h.before) + len(h.after) for h in listed) > 0.9 * 4 * len(listed)
