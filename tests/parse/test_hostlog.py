"""Logs of the Node itself (audit.log, dmesg, journalctl) are recognised by their lines."""

from diagnose.bundle import classify


def test_host_logs_are_recognised_by_content():
    audit = 'type=AVC msg=audit(1718009622.114:8411): avc:  denied  { write } for  pid=1 comm="x"\n'
    dmesg = "[ 1234.567890] audit: type=1400 audit(1718009622.114:8411): avc:  denied  { write }\n"
    journal = "Jun 10 08:53:42 rhel9-w1 kernel: audit: type=1400 audit(1718009622.114:8411): avc:  denied\n"
    assert {classify.by_content(t) for t in (audit, dmesg, journal)} == {"host-log"}
