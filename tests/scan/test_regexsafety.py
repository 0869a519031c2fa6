"""Signatures are checked for catastrophic backtracking when a scanner loads them."""

from __future__ import annotations

import pytest

from diagnose.facts import lifecycle
from diagnose.rules import rulepack
from diagnose.scan import regexsafety
from diagnose.scan.scanner import Scanner


def test_every_builtin_signature_passes_the_load_time_check():
    rules = rulepack.load(rulepack.rule_dirs())
    patterns = [s.pattern for s in lifecycle.SIGNATURES] + [s.pattern for r in rules for s in r.signatures]
    assert regexsafety.unsafe_patterns(patterns) == {}


@pytest.mark.parametrize(
    "pattern, why",
    [
        (r"(?P<err>(?:\w+\s?)+)\.", "nests unbounded repeats"),
        (r"(a|aa)+$", "stalls"),
        # The shape: each "iptables" of a long run scans the rest of the line.
        (r"(?P<cmd>ip6?tables[\w-]*): Resource temporarily unavailable", "grows faster than the line"),
        (r"(?:^|\s)F\d{4} [\d:.]+\s+\d+ [^\]]+\] (?P<fatal>Error running agent: .*)$", "grows faster than the line"),
    ],
)
def test_slow_patterns_are_found(pattern, why):
    assert why in (regexsafety.check(pattern) or "")


@pytest.mark.parametrize(
    "pattern",
    [
        r"dial tcp (?P<ep>[\d.:]+): i/o timeout",
        r"error connecting OVSDB: (?P<err>.*)",
        r"(?P<cmd>ip6?tables[\w-]{0,40}): Resource temporarily unavailable",
    ],
)
def test_linear_patterns_pass(pattern):
    assert regexsafety.check(pattern) is None


def test_an_unsafe_signature_is_searched_with_a_timeout_and_verdicts_are_kept(private_cache, monkeypatch):
    from diagnose.scan.signature import Signature

    monkeypatch.setattr(regexsafety, "_verdicts", {})
    evil = Signature("evil", r"(?P<cmd>ip6?tables[\w-]*) is locked", "tables")
    scanner = Scanner([("r:evil", evil)])
    assert scanner.unsafe.keys() == {evil.pattern}
    # Another process finds the verdict in the (signed) cache instead of timing the pattern again.
    monkeypatch.setattr(regexsafety, "_verdicts", {})
    monkeypatch.setattr(regexsafety, "check", lambda *a: pytest.fail("timed again"))
    assert Scanner([("r:evil", evil)]).unsafe.keys() == {evil.pattern}
