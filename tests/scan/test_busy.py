"""A busy signature (a line of normal activity, logged on every call): the scanner keeps the first
and the last line of each chunk that it matches, with their right line numbers and context, and
builds nothing for the lines between."""

import random

import pytest
from support import ENGINES, scan_hits

from diagnose.scan.scanner import CHUNK
from diagnose.scan.signature import Signature

SIGS = [
    ("r:ok", Signature("ok", r"CmdAdd for container (?:\S+ )?succeeded", "CmdAdd for container", busy=True)),
    ("r:failed", Signature("failed", r"Failed for (?P<what>\w+)", "Failed for")),
]


def line(i: int, rng: random.Random) -> bytes:
    head = b"I0628 18:57:%02d.%06d       1 " % (i % 60, i)
    roll = rng.random()
    if roll < 0.2:
        return head + b'server.go:531] "CmdAdd for container succeeded" container="%064x"' % i
    if roll < 0.25:  # the literal without the regex: a candidate the regex turns down
        return head + b'server.go:469] "CmdAdd for container failed" container="%064x"' % i
    if roll < 0.26:
        return head + b"server.go:525] Failed for setup %d" % i
    return head + b"other.go:12] normal activity, nothing to see in line %d" % i


def scan(data: bytes, engine: str) -> list:
    return scan_hits(SIGS, data, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_each_chunk_keeps_its_first_and_last_busy_line_and_every_other_hit(engine):
    rng = random.Random(7)
    lines = [line(i, rng) for i in range(40_000)]
    data = b"\n".join(lines) + b"\n"
    assert len(data) > 8 * CHUNK
    hits = scan(data, engine)
    busy = [h for h in hits if h.key == "r:ok"]
    for h in busy:  # the right line, number and context
        i = h.line_no - 1
        assert h.text == lines[i].decode()
        before = [x.decode() for x in lines[max(0, i - 2) : i]]
        after = [x.decode() for x in lines[i + 1 : i + 3]]
        assert list(h.before) == before[len(before) - len(h.before) :] and list(h.after) == after[: len(h.after)]
    ok = [i + 1 for i, x in enumerate(lines) if b"succeeded" in x]
    # Chunk by chunk (the stream is read CHUNK bytes at a time, each chunk ending at its last
    # newline): the first and the last success line of each.
    chunks, start, read = [], 0, 0
    while start < len(data):
        read = min(read + CHUNK, len(data))
        cut = data.rfind(b"\n", 0, read)
        chunks.append((data.count(b"\n", 0, start), data.count(b"\n", 0, cut + 1)))
        start = cut + 1
    expected = []
    for first_line, end_line in chunks:
        inside = [n for n in ok if first_line < n <= end_line]
        expected += sorted({inside[0], inside[-1]}) if inside else []
    assert [h.line_no for h in busy] == expected
    assert len(busy) < len(ok) / 20  # nothing built for the lines between
    failed = [i + 1 for i, x in enumerate(lines) if b"Failed for" in x]
    assert [h.line_no for h in hits if h.key == "r:failed"] == failed


@pytest.mark.parametrize("engine", ENGINES)
def test_candidates_the_regex_turns_down_are_passed_over(engine):
    failed = b'I0628 18:57:17.000000       1 server.go:469] "CmdAdd for container failed" container="ab"\n'
    ok = b'I0628 18:57:18.000000       1 server.go:531] "CmdAdd for container succeeded" container="ab"\n'
    other = b"I0628 18:57:19.000000       1 other.go:12] normal activity\n"
    assert [h.key for h in scan(failed * 20 + other, engine)] == []
    hits = scan(failed * 20 + ok + failed * 20 + ok + failed * 20, engine)
    assert [(h.key, h.line_no) for h in hits] == [("r:ok", 21), ("r:ok", 42)]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_single_busy_line_is_kept_once(engine):
    data = b'I0628 18:57:17.000000       1 server.go:531] "CmdAdd for container succeeded" container="ab"\n'
    hits = scan(b"x\n" * 3 + data + b"y\n" * 3, engine)
    assert [(h.key, h.line_no, list(h.before), list(h.after)) for h in hits] == [("r:ok", 4, ["x", "x"], ["y", "y"])]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_log_whose_only_hits_are_busy_builds_no_newline_table(engine, monkeypatch):
    """Numbering two lines a chunk by counting from the nearer end is what makes a quiet log of
    busy lines cheap: the chunk's table of newlines (~100 us) is never built."""
    from diagnose.scan import scanner

    def no_table(self):
        raise AssertionError("the newline table was built")

    monkeypatch.setattr(scanner._Lines, "ext", property(no_table))
    ok = b'I0628 18:57:18.000000       1 server.go:531] "CmdAdd for container succeeded" container="ab"\n'
    other = b"I0628 18:57:19.000000       1 other.go:12] normal activity\n"
    data = (other * 3 + ok) * (3 * CHUNK // (4 * len(ok)))
    hits = scan(data, engine)
    assert len(hits) >= 6 and all(h.key == "r:ok" and h.line_no % 4 == 0 for h in hits)


@pytest.mark.parametrize("engine", ENGINES)
def test_crlf_and_non_ascii_text_give_the_same_busy_lines(engine):
    """Text the matchers' events do not decide (CRs, non-ASCII) is checked by the regex: the
    same lines come out, their text without the CR."""
    rng = random.Random(11)
    lines = [line(i, rng) for i in range(1500)]  # one chunk: which lines are busy hits depends on the chunks
    assert len(b"\r\n".join(lines)) < CHUNK
    plain = scan(b"\n".join(lines) + b"\n", engine)
    crlf = scan(b"\r\n".join(lines) + b"\r\n", engine)
    accented = scan(b"\n".join(x.replace(b"nothing", "nöthing".encode()) for x in lines) + b"\n", engine)
    assert [(h.key, h.line_no, h.text) for h in crlf] == [(h.key, h.line_no, h.text) for h in plain]
    assert [(h.key, h.line_no) for h in accented] == [(h.key, h.line_no) for h in plain]
