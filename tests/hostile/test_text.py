"""Text that is not what a log should be: broken encodings, NUL bytes, CRLF, endless lines,
time going backwards, Feb 29, no header, lines crafted against the signature regexes, and a
log in which every line matches. Parsed as far as it makes sense, in bounded memory."""

from __future__ import annotations

import gzip
import subprocess
import sys
import textwrap

import pytest
from hostile_corpus import GOOD_CATEGORY, GOOD_LOG, MiB, write

from diagnose.parse import klog

HEADER_END = GOOD_LOG.index(b"I0120")  # the klog header is the first four lines


def finding(report, category=GOOD_CATEGORY):
    return next(f for f in report["findings"] if f["category"] == category)


def test_crlf_nul_and_invalid_utf8_are_read_like_the_clean_log(scan, tmp_path):
    clean = scan(write(tmp_path / "clean.log", GOOD_LOG.replace(b"worker-7", b"worker-8")))
    mangled = GOOD_LOG.replace(b"\n", b"\r\n").replace(b"Failed to watch", b"Failed\x00to\xff\xfe watch", 1)
    report = scan(write(tmp_path / "antrea-agent.log", mangled))
    f = finding(report)
    assert f["nodes"] == ["worker-7"]
    assert [e["time"] for e in f["evidence"]] == [e["time"] for e in finding(clean)["evidence"]]
    assert all("\r" not in e["text"] for e in f["evidence"])
    assert any("Failed\x00to\ufffd\ufffd watch" in e["text"] for e in f["evidence"])  # shown, not dropped


def test_a_line_of_hundreds_of_mb_is_cut_not_loaded(cli, tmp_path):
    # 512 MiB without a newline (1 MiB of gzip): reading it as one line would not fit in the
    # 1 GiB the CLI gets here; the scanner keeps its head and skips to the next line.
    b = tmp_path / "bundle"
    b.mkdir()
    one_mib = gzip.compress(b"A" * MiB, mtime=0)
    with open(b / "antrea-agent.worker-7.log.gz", "wb") as f:
        f.write(gzip.compress(GOOD_LOG[:HEADER_END] + b"E0120 10:00:00.000000       1 x.go:1] ", mtime=0))
        for _ in range(512):
            f.write(one_mib)
        f.write(gzip.compress(b"\n" + GOOD_LOG[HEADER_END:], mtime=0))
    result = cli("scan", b, "-f", "json", "--limit", "max_ratio=1000000", "--limit", "max_source_ratio=1000000")
    assert result.returncode == 0, result.stderr
    report = result.report
    assert GOOD_CATEGORY in [f["category"] for f in report["findings"]]  # the lines after it were scanned
    [artifact] = report["source"]["artifacts"]
    assert artifact["size"] > 512 * MiB


def test_time_going_backwards_and_feb_29(scan, tmp_path):
    body = GOOD_LOG[HEADER_END:].splitlines(keepends=True)
    shuffled = b"".join(reversed(body))  # rotated files concatenated the wrong way round
    leap = b"E0229 23:59:59.999999       1 x.go:1] Feb 29 happens\n"
    for year in (b"2023", b"2024"):  # 2023 has no Feb 29
        text = GOOD_LOG[:HEADER_END].replace(b"2025", year) + shuffled + leap
        report = scan(write(tmp_path / f"antrea-agent.{year.decode()}.log", text))
        assert GOOD_CATEGORY in [f["category"] for f in report["findings"]]
    assert klog.parse_line(leap.decode(), 2023).time is None  # no such day: no time, no crash
    assert klog.parse_line(leap.decode(), 2024).time.isoformat() == "2024-02-29T23:59:59.999999"


def test_logs_without_a_header_are_still_logs(scan, tmp_path):
    lines = GOOD_LOG[HEADER_END:]
    # `kubectl logs --timestamps`: the prefix gives the year the klog header would have given.
    stamped = b"".join(b"2025-01-20T%s.000000000Z " % ln[6:14] + ln for ln in lines.splitlines(keepends=True))
    report = scan(write(tmp_path / "kubectl-logs.worker-7.txt", stamped))
    assert finding(report)["evidence"][0]["time"] == "2025-01-20T10:20:00.000000"
    # Bare lines pasted into a ticket: no year anywhere, so no times, but still read as a log.
    report = scan(write(tmp_path / "pasted.worker-7.txt", lines))
    assert report["source"]["artifacts"][0]["kind"] == "agent-log"
    assert sum(n["log_lines_matched"] for n in report["source"]["nodes"]) > 0


def test_a_crafted_line_cannot_stall_a_signature_regex():
    # (a|aa)+$ backtracks exponentially on "aaa…!": without the scanner's regex timeout this
    # child would run for ages and the subprocess timeout would fail the test.
    code = textwrap.dedent("""
        import io
        from diagnose.parse.klog import is_header_or_log_start
        from diagnose.scan.signature import Signature
        from diagnose.scan.scanner import Scanner
        sigs = [("r:evil", Signature("evil", r"(a|aa)+$", "aaaa")),
                ("r:ok", Signature("ok", r"i/o (?P<w>timeout)", "i/o timeout"))]
        evil = b"I0120 10:00:00.000000       1 x.go:1] " + b"a" * 60 + b"!\\n"
        hits = []
        Scanner(sigs).scan(io.BytesIO(evil * 3 + b"dial tcp 1.2.3.4:443: i/o timeout\\n"), "agent-log",
                           hits.append, is_header_or_log_start)
        print([(h.key, h.line_no) for h in hits])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[('r:ok', 4)]"  # the crafted lines gave up, the next line matched


@pytest.mark.parametrize("engine", ["hyperscan", "stdlib"])
def test_a_line_crafted_against_a_slow_signature_is_reported_never_dropped(engine):
    # The hardening issue's shape: a run of "iptables" before a real message makes a backtracking
    # regex take time quadratic in the line (50 ms a line, 13 s for 10 MB). The signature fails
    # the load-time check, so it is searched with a timeout; a line not checked is counted.
    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    code = textwrap.dedent(f"""
        import io
        from diagnose.parse.klog import is_header_or_log_start
        from diagnose.scan.signature import Signature
        from diagnose.scan.scanner import Scanner
        sig = Signature("init", r"(?P<bin>ip6?tables[\\w-]*) v[\\d.]+: can't initialize (?P<fam>ip6?tables) table",
                        "can't initialize ip")
        junk = (b"E0120 10:00:00.000000       1 x.go:1] " + b"iptables" * 7900
                + b" so iptables v1.8.7: can't initialize ")
        real = b"E0120 10:00:01.000000       1 x.go:1] iptables v1.8.7: can't initialize iptables table"
        hits = []
        scanner = Scanner([("r:init", sig)], engine={engine!r})
        stats = scanner.scan(io.BytesIO((junk + b"iptables table\\n") * 30 + real + b"\\n"), "agent-log",
                             hits.append, is_header_or_log_start)
        print(sorted(scanner.unsafe) == [sig.pattern], len(hits), stats.unchecked, stats.first_unchecked,
              hits[-1].line_no, hits[-1].groups)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    unsafe, n_hits, unchecked, first, last_line, last_groups = out.stdout.split(" ", 5)
    assert unsafe == "True" and last_line == "31" and "'fam': 'iptables'" in last_groups  # the real line
    # Every crafted line is a hit (Hyperscan decides it without the regex) or counted unchecked.
    assert int(n_hits) + int(unchecked) == 31
    assert (int(unchecked), first) == ((0, "None") if engine == "hyperscan" else (30, "1"))


def test_every_line_matching_is_bounded_in_memory(scan, tmp_path):
    line = (
        b'E0120 10:%02d:%02d.000000       1 reflector.go:158] "Unhandled Error" err="failed to list *v1.Node: '
        b'Get \\"https://10.96.0.1:443/api/v1/nodes\\": dial tcp 10.96.0.1:443: connect: no route to host" '
        + b"x" * 2000
        + b"\n"
    )
    flood = b"".join(line % (i // 60 % 60, i % 60) for i in range(3000))
    b = tmp_path / "bundle"
    b.mkdir()
    write(b / "antrea-agent.worker-7.log", GOOD_LOG)
    write(b / "antrea-agent.worker-8.log", GOOD_LOG.replace(b"worker-7", b"worker-8")[:HEADER_END] + flood)
    report = scan(b, max_hit_bytes=256 * 1024)
    notes = [u["reason"] for u in report["source"]["unreadable"]]
    assert any(
        n.endswith("matching lines that were not kept: the source's matching lines passed 256KiB (max_hit_bytes)")
        for n in notes
    ), notes
    assert GOOD_CATEGORY in [f["category"] for f in report["findings"]]


def test_non_log_content_kept_in_memory_is_bounded(scan, tmp_path):
    b = tmp_path / "bundle"
    b.mkdir()
    write(b / "antrea-agent.log", GOOD_LOG)
    route = b"default via 192.168.64.1 dev enp0s1 proto dhcp src 192.168.64.27 metric 100\n" * 200
    for i in range(5):
        write(b / f"ip-route.node{i}.txt", route)
    report = scan(b, max_kept_bytes=40_000, max_small_artifact_bytes=10_000)
    notes = sorted(f"{u['path']} {u['reason']}" for u in report["source"]["unreadable"])
    assert (
        notes[0] == "ip-route.node0.txt is larger than 10,000 bytes (max_small_artifact_bytes); only its start was read"
    )
    assert "ip-route.node4.txt was not kept: the source's non-log files passed 40,000 bytes (max_kept_bytes)" in notes
    assert GOOD_CATEGORY in [f["category"] for f in report["findings"]]
