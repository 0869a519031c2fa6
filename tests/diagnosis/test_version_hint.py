"""With no version in the bundle, the Antrea messages its agent logged bound the release.

The tunnel ofport bug (ANT-TUN-001) exists in v1.8 to v1.15. Its real case names no version, so
the finding is inconclusive; a message only v1.8-v1.15 have, logged with its own `file.go:line`
header, settles it; a message only v2.0+ has rules the bug out; a generic line of a shell
script ("Starting OVS") says nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).parents[2]
CASE = ROOT / "tests" / "fixtures" / "real-cases" / "tunnel-ofport-mismatch-after-reinstall"

# pkg/agent/agent_linux.go, v1.8.0 to v1.15.0 only.
V1_LINE = 'E0406 00:04:00.000000       1 agent_linux.go:310] "Delete OVS port failed" err="no such port"\n'
# pkg/agent/agent.go since v2.0.0 (not in any earlier release).
V2_LINE = (
    'E0406 00:04:00.000000       1 agent.go:339] "Interface type is not set, you may be trying to upgrade '
    'from an Antrea version which is too old" interfaceName="p1"\n'
)


def tunnel_findings(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["rule_id"] == "ANT-TUN-001"]


def case_with(tmp_path: Path, line: str = "") -> Path:
    dst = tmp_path / "case"
    shutil.copytree(CASE, dst)
    (dst / "case.yaml").unlink()
    log = dst / "antrea-agent.log"
    log.write_text(log.read_text() + line)
    return dst


def test_without_a_hint_the_version_bound_finding_is_inconclusive(run, tmp_path):
    [finding] = tunnel_findings(run(case_with(tmp_path)))
    assert finding["status"] == "inconclusive"


def test_messages_only_affected_releases_have_confirm_it(run, tmp_path):
    [finding] = tunnel_findings(run(case_with(tmp_path, V1_LINE)))
    assert finding["status"] == "confirmed"


def test_messages_of_a_release_after_the_fix_rule_it_out(run, tmp_path):
    assert not tunnel_findings(run(case_with(tmp_path, V2_LINE)))


def test_a_script_line_matching_a_generic_format_says_nothing(run, tmp_path):
    # "Starting OVS" (the start_ovs shell script) matches the Go format "Starting %s" of v2.2+.
    case = case_with(tmp_path)
    (case / "antrea-ovs.log").write_text("[2024-04-06T00:03:50Z INFO antrea-ovs]: Starting OVS\n")
    [finding] = tunnel_findings(run(case))
    assert finding["status"] == "inconclusive"
