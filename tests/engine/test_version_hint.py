"""With no version in the bundle, the Antrea messages its agent logged bound the release.

A message that only exists from v2.0 on, logged with its own `file.go:line` header, rules out a
failure fixed in v0.8; a generic line of a shell script ("Starting OVS") says nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).parents[2]
CASE = ROOT / "tests" / "fixtures" / "real-cases" / "ovsdb-server-stale-pidfile-crashloop"

# pkg/agent/agent.go since v2.0.0 (not in any earlier release).
V2_AGENT = ('E1207 10:00:00.000000       1 agent.go:339] "Interface type is not set, you may be trying to upgrade '
            'from an Antrea version which is too old" interfaceName="p1"\n')


def pidfile_rule(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["rule_id"] == "ANT-OVS-001"]


def copy_case(tmp_path: Path) -> Path:
    dst = tmp_path / "case"
    shutil.copytree(CASE, dst)
    (dst / "case.yaml").unlink()
    return dst


def test_the_case_alone_is_diagnosed(run, tmp_path):
    assert pidfile_rule(run(copy_case(tmp_path)))


def test_messages_of_a_release_after_the_fix_rule_it_out(run, tmp_path):
    case = copy_case(tmp_path)
    (case / "antrea-agent.log").write_text(V2_AGENT)
    assert not pidfile_rule(run(case))


def test_the_hint_needs_the_messages_own_file():
    from diagnose.facts import messages

    hit = messages.lookup("Interface type is not set, you may be trying to upgrade from an Antrea version "
                          "which is too old")
    assert hit is not None and hit.versions[0] == "v2.0.0"
    assert any(loc.file.endswith("/agent.go") for loc in hit.locations)


def test_a_script_line_matching_a_generic_format_says_nothing(run, tmp_path):
    # "Starting OVS" (start_ovs shell script) matches the Go format "Starting %s" of v2.2+.
    case = copy_case(tmp_path)
    log = case / "antrea-ovs.log"
    log.write_text(log.read_text() + "[2024-01-01T00:00:00Z INFO] Starting OVS\n")
    assert pidfile_rule(run(case))
