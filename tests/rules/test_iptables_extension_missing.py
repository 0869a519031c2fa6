from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "iptables_extension_missing"


def ext(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-IPT-003"]


def test_iptables_restore_cannot_load_notrack_2635(run):
    [finding] = ext(run(OWN / "fires-2635-notrack-target-missing"))
    assert finding["nodes"] == ["edge-3"] and finding["status"] == "confirmed"
    assert "target NOTRACK" in finding["summary"] and "xt_CT" in finding["summary"]
    assert any("modprobe xt_CT" in c for c in finding["remediation"]["commands"])


def test_no_chain_target_match_for_an_extension_target_2635(run):
    [finding] = ext(run(OWN / "fires-2635-no-chain-target-match-for-notrack"))
    assert finding["status"] == "confirmed" and "NOTRACK" in finding["summary"]


def test_a_missing_chain_is_not_a_missing_extension(run):
    assert ext(run(OWN / "quiet-missing-chain-is-not-an-extension")) == []


def test_a_missing_table_is_the_backend_lookalike_3243(run):
    report = run(FIX / "iptables_legacy_tables_unavailable" / "fires-3243-el8-ip_tables-module-missing")
    assert ext(report) == []
