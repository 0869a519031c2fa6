"""Tests for diagnose.parse.vlog (OVS log lines)."""

from datetime import datetime, timezone
from pathlib import Path

from diagnose.parse.vlog import VlogLine, parse_vlog, parse_vlog_line, sniff

DATA = Path(__file__).parent / "data"


def test_reference_line() -> None:
    v = parse_vlog_line(
        "2021-08-01T12:58:47.506Z|00004|reconnect|INFO|unix:/var/run/openvswitch/db.sock: connecting..."
    )
    assert v == VlogLine(
        time=datetime(2021, 8, 1, 12, 58, 47, 506000, tzinfo=timezone.utc),
        seq=4,
        module="reconnect",
        level="INFO",
        message="unix:/var/run/openvswitch/db.sock: connecting...",
    )
    assert v.time.tzinfo is not None


def test_levels_thread_and_console_format() -> None:
    v = parse_vlog_line("2024-06-28T18:57:20.120Z|00051|dpif_netlink(handler3)|WARN|system@ovs-system: lost packet")
    assert v is not None and v.module == "dpif_netlink" and v.thread == "handler3" and v.level == "WARN"
    for level in ("EMER", "ERR", "WARN", "INFO", "DBG"):
        assert parse_vlog_line(f"2024-01-01T00:00:00.000Z|00001|x|{level}|m").level == level
    # Console (stderr) format: no milliseconds.
    c = parse_vlog_line("2026-11-26T14:38:36Z|00001|vlog|INFO|opened log file /tmp/ovs/ovs-vswitchd.log")
    assert c is not None and c.time == datetime(2026, 11, 26, 14, 38, 36, tzinfo=timezone.utc)
    # The message keeps '|' characters.
    assert parse_vlog_line("2024-01-01T00:00:00.000Z|00001|x|INFO|a|b|c").message == "a|b|c"


def test_real_ovs_vswitchd_log() -> None:
    text = (DATA / "ovs-vswitchd.log").read_text()
    lines = parse_vlog(text)
    assert len(lines) == len(text.splitlines())
    added = [v for v in lines if v.module == "bridge" and "added interface" in v.message]
    assert any(v.message == "bridge br-int: added interface enp0s1~ on port 4" for v in added)
    assert {v.level for v in lines} == {"INFO", "WARN", "ERR"}
    assert lines[0].seq == 1 and lines[0].module == "vlog"


def test_multiline_message_is_joined() -> None:
    out = parse_vlog("junk first\n2024-01-01T00:00:00.000Z|00001|x|ERR|first\n  continued\n")
    assert len(out) == 1 and out[0].message == "first\n  continued"


def test_garbage_and_empty() -> None:
    for bad in (
        "",
        "hello",
        "2024-13-01T00:00:00.000Z|00001|x|INFO|bad month",
        "2024-01-01T00:00:00.000Z|00001|x|NOTICE|bad level",
        "2024-01-01 00:00:00.000Z|00001|x|INFO|no T",
        'I0615 08:59:26.439778       1 agent.go:107] "Starting Antrea agent" version="v2.1.0"',
    ):
        assert parse_vlog_line(bad) is None, bad
    assert parse_vlog("") == []
    assert parse_vlog_line("2024-01-01T00:00:00.000Z|00001|x|INFO|" + "a" * 200_000) is not None


def test_sniff() -> None:
    assert sniff((DATA / "ovs-vswitchd.log").read_text()[:4096])
    assert sniff((DATA / "ovsdb-server.log").read_text()[:4096])
    assert not sniff("")
    assert not sniff((DATA / "antrea-ovs.870.log").read_text())
