"""A rule that raises is loud: its own section in every format, exit 4 under --strict-rules.

Outside tests a broken rule must not cost the rest of the diagnosis, but it must never pass for
"no problem found" either: the report names the rule, the exception and where it was raised.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
HEALTHY = next((ROOT / "sample_bundles" / "healthy").glob("support-bundles_*"))

BROKEN = '''"""A rule that raises on every source."""

from diagnose.api import Rule, Signature

RULE = Rule(id="ANT-BRK-001", slug="always-raises", title="A rule with a bug", category="agent-crash",
            severity="error", signatures=(Signature("never", r"never-logged-zzz", "never-logged-zzz"),),
            message="unused", remediation=(), references=())


def check(ev):
    settings = {}
    return settings["mtu"]
'''


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "always_raises.py").write_text(BROKEN)
    return folder


def scan(pack: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ANTREA_DIAGNOSE_RULE_ERRORS"}  # as users run it
    return subprocess.run(
        [sys.executable, "-m", "diagnose", "scan", str(HEALTHY), "--rules", str(pack), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )


def test_the_json_report_names_the_rule_the_error_and_the_line(pack):
    result = scan(pack, "-f", "json")
    assert result.returncode == 0, result.stderr
    failures = json.loads(result.stdout)["rule_failures"]
    assert failures == [
        {
            "rule_id": "ANT-BRK-001",
            "title": "A rule with a bug",
            "error": "KeyError: 'mtu'",
            "where": "always_raises.py:12",
        }
    ]
    assert "Rule ANT-BRK-001 failed" in result.stderr


@pytest.mark.parametrize("fmt", ["md", "html", "terminal"])
def test_every_format_says_what_is_missing(pack, fmt):
    out = scan(pack, "-f", fmt).stdout
    assert "ANT-BRK-001" in out and "failed on this source" in out
    assert "by the rules that ran" in out  # never a bare "No problems found"


def test_strict_rules_exits_4(pack):
    assert scan(pack, "-q", "--strict-rules").returncode == 4


def test_in_tests_a_raising_rule_raises(pack):
    from diagnose.diagnosis.engine import diagnose
    from diagnose.rules import rulepack

    rules = rulepack.load([pack])
    with pytest.raises(KeyError):
        diagnose(HEALTHY, [r for r in rules if r.id == "ANT-BRK-001"])


def test_rules_lint_fails_a_raising_rule(pack):
    result = subprocess.run(
        [sys.executable, "-m", "diagnose", "rules", "lint", str(pack)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 1 and "check() fails on a bundle with no evidence: KeyError" in result.stdout
