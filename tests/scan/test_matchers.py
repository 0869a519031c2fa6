"""The Hyperscan engine and the stdlib fallback must name the same hits; the compiled-database
cache must never be turned against the scan."""

import io
import os
import random
import subprocess
import sys
import textwrap

import pytest
from support import cache_file

from diagnose.diagnosis import engine as pipeline
from diagnose.parse.klog import is_header_or_log_start
from diagnose.scan import matchers
from diagnose.scan.matchers import HyperscanMatcher, Pattern, candidate_lines, prefilter
from diagnose.scan.scanner import MAX_LINE, Scanner
from diagnose.scan.signature import Signature

hyperscan = pytest.importorskip("hyperscan")


@pytest.mark.parametrize(
    "source, expected",
    [
        (r"K8s API did not become available: (?P<err>.*)", b"K8s API did not become available: "),
        (r"failed to list \*?v1[a-z0-9]*\.(?P<type>\w+): (?P<err>.*)$", b"failed to list \\*?v1[a-z0-9]*\\.(?:\\w+): "),
        # Negated classes and \s stay inside the line: a match never spans two lines.
        (
            r'"Renaming interface" oldName="?(?P<old>[^"\s]+)"? newName="?(?P<new>[^"\s]+)',
            b'"Renaming interface" oldName="?(?:[^"\\s\\n]+)"? newName="?(?:[^"\\s\\n])',
        ),
        (r"avc:\s{1,4}denied", b"avc:[\\t\\x0b\\x0c\\r\\x20]{1,4}denied"),
        # Each branch of a final group is trimmed: one event per line, not one per character.
        (
            r"x509: (?P<what>certificate signed by unknown authority|[a-z][^\"\\]{0,160})",
            b"x509: (?:certificate signed by unknown authority|[a-z])",
        ),
        (r"range set: [\d.]{2,45}", b"range set: [\\d.]{2}"),
        (r"foo$", b"foo$"),  # a `$` that decides stays
        (r"q (?P<e>.+)$", b"q ."),
        (r"a\*", b"a\\*"),
    ],
)
def test_expressions_keep_the_lines_they_match_and_trim_what_only_extends_a_match(source, expected):
    assert prefilter(source)[0] == expected


def corpus() -> bytes:
    rng = random.Random(7)
    lines = []
    samples = [
        'I0628 18:55:02.910334       1 net_linux.go:279] "Renaming interface" oldName="enp0s1" newName="enp0s1~"',
        "W0628 18:55:33.301000       1 reflector.go:547] k8s.io/client-go/informers/factory.go:159: failed to list "
        '*v1.Node: Get "https://10.43.0.1:443/api/v1/nodes": dial tcp 10.43.0.1:443: i/o timeout',
        "F0628 18:57:17.883444       1 main.go:53] Error running agent: error initializing agent: Spec.PodCIDR is "
        "empty for Node node2",
        "goroutine 1 [running]:",
        'I0628 18:55:03.120998       1 init_linux.go:145] "Physical interface added to secondary OVS bridge" '
        'device="enp0s1~"',
        "I0628 18:55:03.300123       1 agent.go:649] Cleaned up flow-restore-wait config",
        'E0628 18:55:04.000001       1 reflector.go:158] "Unhandled Error" err="failed to list *v1beta2.AddressGroup: '
        'tls: failed to verify certificate: x509: certificate signed by unknown authority"',
    ]
    for i in range(20000):
        lines.append(
            rng.choice(samples)
            if rng.random() < 0.05
            else f"I0628 18:55:{i % 60:02d}.000000       1 "
            f'server.go:{i}] "Cmd ADD request" container="{i:08x}" podName="web-{i}"'
        )
    return ("\n".join(lines) + "\n").encode()


# Text on which a byte-level match and the regex on the decoded line could disagree: non-ASCII
# (classes count characters, not bytes), CRLF (the regex never sees the CR), a line longer than
# the regex is shown, a negated class that could run into the next line.
TRICKY = (
    "\n".join(
        [
            'I0628 18:55:02.910334       1 net_linux.go:279] "Renaming interface" oldName="é" newName="ü~"',
            'I0628 18:55:02.910334       1 net_linux.go:279] "Renaming interface" oldName="eth0" newName="eth0~"\r',
            "x509: \r",
            "x" * (MAX_LINE + 10) + " x509: certificate has expired or is not yet valid",
            'W0628 18:55:33.301000       1 reflector.go:547] failed to list *v1.Node: "x',
            'y"',
            "Error when installing ClusterIP flows for Service \xff\xfe",
            "no IP addresses available in range set: 10.0.0.1-10.0.0.9",
        ]
    )
    + "\n"
)


def hits(engine: str, data: bytes, rules) -> list[tuple]:
    scanner = pipeline.scanner_for(rules)
    scanner.engine = engine
    out = []
    scanner.scan(io.BytesIO(data), "agent-log", out.append, is_header_or_log_start)
    return [(h.key, h.line_no, h.text, tuple(sorted(h.groups.items())), tuple(h.following)) for h in out]


@pytest.mark.parametrize("data", [corpus(), TRICKY.encode("utf-8", "surrogateescape")], ids=["corpus", "tricky"])
def test_engines_agree_on_every_hit(rules, monkeypatch, data):
    monkeypatch.setenv("ANTREA_DIAGNOSE_NO_CACHE", "1")
    monkeypatch.delenv("ANTREA_DIAGNOSE_ENGINE", raising=False)
    fast = hits("hyperscan", data, rules)
    slow = hits("stdlib", data, rules)
    assert fast and fast == slow


def test_a_pattern_hyperscan_rejects_falls_back_to_its_literal(monkeypatch):
    monkeypatch.setenv("ANTREA_DIAGNOSE_NO_CACHE", "1")
    monkeypatch.delenv("ANTREA_DIAGNOSE_ENGINE", raising=False)
    sig = Signature("lookbehind", r"(?<=node )(?P<name>\w+) failed", " failed")
    scanner = Scanner([("r:x", sig)], engine="hyperscan")
    out = []
    scanner.scan(io.BytesIO(b"x\nnode abc failed\n"), "agent-log", out.append, is_header_or_log_start)
    assert [(h.line_no, h.groups["name"]) for h in out] == [(2, "abc")]
    assert scanner._matcher("agent-log").rejected == [0]


# -- the compiled-database cache ------------------------------------------------------------------

PATTERNS = [Pattern(r"dial tcp (?P<ep>[\d.:]+): i/o timeout", b"i/o timeout")]
DATA = b"x\ndial tcp 10.0.0.1:443: i/o timeout\ny\n"


@pytest.fixture
def cache(private_cache, monkeypatch):
    """A signed cache of this test's own; the Hyperscan engine whatever CI forces."""
    monkeypatch.delenv("ANTREA_DIAGNOSE_ENGINE", raising=False)
    return private_cache


def test_the_compiled_database_is_cached_and_loaded_without_compiling(cache, monkeypatch):
    HyperscanMatcher(PATTERNS, cache)
    assert (
        oct(cache.stat().st_mode & 0o777) == "0o700" and oct(cache_file(cache, "hs").stat().st_mode & 0o777) == "0o600"
    )
    monkeypatch.setattr(matchers, "_compile", lambda *a: pytest.fail("compiled although a cached database exists"))
    assert candidate_lines(HyperscanMatcher(PATTERNS, cache), DATA) == {2: (36, [0])}


def test_a_database_of_another_pattern_set_under_the_expected_name_is_not_used(cache, tmp_path, monkeypatch):
    # The attacker's cache: a valid database that never matches, written under another key.
    HyperscanMatcher(PATTERNS, cache)
    expected = cache_file(cache, "hs")
    elsewhere = tmp_path / "attacker"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "attacker-config"))
    HyperscanMatcher([Pattern(r"never matches anything", b"never")], elsewhere)
    forged = cache_file(elsewhere, "hs").read_bytes()
    # Same file name, same pattern-set hash in the header: only the MAC can tell.
    expected_key = expected.read_bytes().split(b"\n")[1]
    forged_key = forged.split(b"\n")[1]
    poisoned = forged.replace(forged_key, expected_key, 1)
    expected.write_bytes(poisoned)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    scanner = Scanner(
        [("r:timeout", Signature("timeout", PATTERNS[0].regex_source, "i/o timeout"))], engine="hyperscan"
    )
    monkeypatch.setattr("diagnose.scan.scanner.default_cache_dir", lambda: cache)
    found = []
    scanner.scan(io.BytesIO(DATA), "agent-log", found.append, is_header_or_log_start)
    assert [(h.key, h.line_no, h.groups) for h in found] == [("r:timeout", 2, {"ep": "10.0.0.1:443"})]
    assert cache_file(cache, "hs").read_bytes() != poisoned  # replaced by a database of the right set


def test_a_corrupted_database_file_is_never_handed_to_hyperscan(cache, tmp_path):
    HyperscanMatcher(PATTERNS, cache)
    path = cache_file(cache, "hs")
    blob = bytearray(path.read_bytes())
    for i in range(len(blob) // 2, len(blob), 7):  # mangle the serialized database
        blob[i] ^= 0x5A
    path.write_bytes(bytes(blob))
    # In a child: hyperscan.loadb of mangled bytes can crash the process.
    code = textwrap.dedent(f"""
        from pathlib import Path
        from diagnose.scan.matchers import HyperscanMatcher, Pattern, candidate_lines
        m = HyperscanMatcher([Pattern({PATTERNS[0].regex_source!r}, b"i/o timeout")], Path({str(cache)!r}))
        print(sorted(candidate_lines(m, {DATA!r})))
    """)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("ANTREA_DIAGNOSE_NO_CACHE", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[2]"


def test_a_cache_restored_from_another_machine_is_recompiled(cache, tmp_path, monkeypatch):
    """A shared CI cache brings database files, not the key they were signed with."""
    HyperscanMatcher(PATTERNS, cache)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "fresh-runner"))
    compiled = []
    real = matchers._compile
    monkeypatch.setattr(matchers, "_compile", lambda *a: compiled.append(1) or real(*a))
    assert candidate_lines(HyperscanMatcher(PATTERNS, cache), DATA) == {2: (36, [0])}
    assert compiled


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_directory_others_can_write_is_not_used(cache):
    cache.mkdir(parents=True)
    os.chmod(cache, 0o777)
    assert candidate_lines(HyperscanMatcher(PATTERNS, cache), DATA) == {2: (36, [0])}
    assert list(cache.iterdir()) == []  # compiled in memory, nothing written there
