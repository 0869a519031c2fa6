from pathlib import Path

from support import all_findings

from diagnose.bundle import classify

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "selinux_denies_antrea"


def sel(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-SEL-001"]


def test_avc_denial_of_install_cni_is_confirmed(run):
    report = run(OWN / "fires-install-cni-avc-denied")
    [finding] = sel(report)
    assert finding["nodes"] == ["rhel9-w1"] and finding["status"] == "confirmed"
    assert "install {write} on net.d (dir, system_u:object_r:etc_t:s0)" in finding["summary"]
    assert "sshd" not in finding["summary"]  # a denial unrelated to Antrea is not counted
    kinds = {a["path"]: a["kind"] for a in report["source"]["artifacts"]}
    assert kinds["audit.log"] == "host-log"


def test_permission_denied_without_audit_log_names_the_audit_log(run):
    [finding] = sel(run(OWN / "fires-permission-denied-without-audit-log"))
    # A root container refused on a hostPath is a security module's denial: observed, with the
    # audit log as what names the module.
    assert finding["status"] == "confirmed" and finding["confidence"] < 0.9
    assert any("ausearch -m avc" in m["command"] for m in finding["missing_evidence"])


def test_permissive_and_unrelated_denials_are_quiet(run):
    assert sel(run(OWN / "quiet-permissive-and-unrelated-denials")) == []


def test_host_logs_are_recognised_by_content():
    audit = 'type=AVC msg=audit(1718009622.114:8411): avc:  denied  { write } for  pid=1 comm="x"\n'
    dmesg = "[ 1234.567890] audit: type=1400 audit(1718009622.114:8411): avc:  denied  { write }\n"
    journal = "Jun 10 08:53:42 rhel9-w1 kernel: audit: type=1400 audit(1718009622.114:8411): avc:  denied\n"
    assert {classify.by_content(t) for t in (audit, dmesg, journal)} == {"host-log"}
