"""The Hyperscan engine and the stdlib fallback must name the same hits."""

import io
import random

import pytest

from diagnose import engine as pipeline
from diagnose import rulepack
from diagnose.matchers import prefilter
from diagnose.parse.klog import is_header_or_log_start
from diagnose.rule import Signature
from diagnose.scan import Scanner

hyperscan = pytest.importorskip("hyperscan")


@pytest.mark.parametrize("source, expected", [
    (r"K8s API did not become available: (?P<err>.*)", b"K8s API did not become available: "),
    (r"failed to list \*?v1[a-z0-9]*\.(?P<type>\w+): (?P<err>.*)$", b"failed to list \\*?v1[a-z0-9]*\\.(?:\\w+): "),
    (r'"Renaming interface" oldName="?(?P<old>[^"\s]+)"? newName="?(?P<new>[^"\s]+)',
     b'"Renaming interface" oldName="?(?:[^"\\s]+)"? newName="?(?:[^"\\s])'),
    (r"a\*", b"a\\*"),
])
def test_prefilter_trims_only_what_extends_a_match(source, expected):
    assert prefilter(source)[0] == expected


def corpus() -> bytes:
    rng = random.Random(7)
    sigs = rulepack.load(rulepack.rule_dirs())
    lines = []
    samples = [
        'I0628 18:55:02.910334       1 net_linux.go:279] "Renaming interface" oldName="enp0s1" newName="enp0s1~"',
        'W0628 18:55:33.301000       1 reflector.go:547] k8s.io/client-go/informers/factory.go:159: failed to list '
        '*v1.Node: Get "https://10.43.0.1:443/api/v1/nodes": dial tcp 10.43.0.1:443: i/o timeout',
        'F0628 18:57:17.883444       1 main.go:53] Error running agent: error initializing agent: Spec.PodCIDR is '
        'empty for Node node2',
        "goroutine 1 [running]:",
        'I0628 18:55:03.120998       1 init_linux.go:145] "Physical interface added to secondary OVS bridge" '
        'device="enp0s1~"',
        "I0628 18:55:03.300123       1 agent.go:649] Cleaned up flow-restore-wait config",
    ]
    for i in range(20000):
        lines.append(rng.choice(samples) if rng.random() < 0.05 else f"I0628 18:55:{i % 60:02d}.000000       1 "
                     f"server.go:{i}] \"Cmd ADD request\" container=\"{i:08x}\" podName=\"web-{i}\"")
    del sigs
    return ("\n".join(lines) + "\n").encode()


def hits(engine: str, data: bytes, rules) -> list[tuple]:
    scanner = pipeline.scanner_for(rules)
    scanner.engine = engine
    out = []
    scanner.scan(io.BytesIO(data), "agent-log", out.append, is_header_or_log_start)
    return [(h.key, h.line_no, h.text, tuple(sorted(h.groups.items())), tuple(h.following)) for h in out]


def test_engines_agree_on_every_hit(rules, monkeypatch):
    monkeypatch.setenv("ANTREA_DIAGNOSE_NO_CACHE", "1")
    monkeypatch.delenv("ANTREA_DIAGNOSE_ENGINE", raising=False)
    data = corpus()
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


def test_compiled_database_is_cached(tmp_path, monkeypatch):
    from diagnose.matchers import HyperscanMatcher, Pattern

    monkeypatch.delenv("ANTREA_DIAGNOSE_NO_CACHE", raising=False)
    pats = [Pattern("abc", b"abc")]
    HyperscanMatcher(pats, tmp_path)
    assert len(list(tmp_path.glob("hs-*.db"))) == 1
    again = HyperscanMatcher(pats, tmp_path)
    assert again.candidates(b"xx\nabc\n") == {3: (6, [0])}
