from datetime import datetime

from diagnose.parse import klog

REAL_FATAL_HEAD = """Log file created at: 2024/06/28 18:57:17
Running on machine: node2
Binary: Built with gc go1.21.11 for linux/arm64
Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg
"""


def test_structured_line_with_escaped_err():
    line = (
        'E0803 11:57:06.000640       1 agent.go:926] "Spec.PodCIDR is empty for Node. Please make sure ..." '
        'err="failed to get Node with name kind-worker from K8s: '
        'Get \\"https://1.1.1.1/api/v1/nodes/kind-worker\\": '
        'dial tcp 1.1.1.1:443: i/o timeout" nodeName="kind-worker"'
    )
    parsed = klog.parse_line(line, 2023)
    assert parsed.level == "E"
    assert parsed.time == datetime(2023, 8, 3, 11, 57, 6, 640)
    assert parsed.source == "agent.go:926"
    assert parsed.message == "Spec.PodCIDR is empty for Node. Please make sure ..."
    assert parsed.kv["nodeName"] == "kind-worker"
    assert 'Get "https://1.1.1.1/api/v1/nodes/kind-worker": dial tcp' in parsed.kv["err"]


def test_printf_line_and_prefixes():
    base = "I0615 08:59:26.439794       1 client.go:89] No kubeconfig file was specified. Falling back"
    for line in (base, "antrea-agent " + base, "2024-06-15T08:59:26.439801234Z " + base):
        parsed = klog.parse_line(line, 2024)
        assert parsed is not None, line
        assert parsed.message.startswith("No kubeconfig file")
        assert parsed.kv == {}
        assert parsed.time.year == 2024


def test_year_from_header_and_rollover():
    info = klog.file_info("antrea-agent.FATAL", REAL_FATAL_HEAD)
    assert info.host == "node2"
    assert info.created == datetime(2024, 6, 28, 18, 57, 17)
    dec = klog.file_info("x", "Log file created at: 2023/12/31 23:59:00\n").created
    assert klog.parse_line("I0101 00:00:01.000000       1 a.go:1] x", None, dec).time.year == 2024


def test_file_name_gives_host_severity_and_date():
    info = klog.file_info("antrea-agent.node2.root.log.WARNING.20240628-185717.1", "")
    assert (info.host, info.severity, info.created) == ("node2", "WARNING", datetime(2024, 6, 28, 18, 57, 17))


def test_feb29_in_a_non_leap_year_gives_no_time_instead_of_crashing():
    assert klog.parse_line("I0229 00:00:01.000000       1 a.go:1] x", 2023).time is None


def test_garbage_is_not_klog():
    for line in ("", "hello", "I0615 broken", "\x00\xff", "2024-06-28T18:55:01.123Z|00042|bridge|INFO|x"):
        assert klog.parse_line(line, 2024) is None


def test_unterminated_quote_keeps_the_message():
    text, kv = klog.split_structured('"never closed k=v')
    assert text == '"never closed k=v' and kv == {}


def test_compact_times_read_as_strptime_would():
    """Klog file names and support-bundle names carry YYYYMMDDhhmmss: read without strptime
    (its import costs memory in every scan), with the same results, offsets and bad dates too."""
    from datetime import datetime

    from diagnose.bundle.layout import bundle_time

    assert klog.compact_time("20240628185717") == datetime(2024, 6, 28, 18, 57, 17)
    assert klog.compact_time("20240230000000") is None and klog.compact_time("2024") is None
    for ts in (
        "20240628T185800Z",
        "20240628T185800+0200",
        "20240628T185800-0530",
        "20240628T185800+2400",
        "20240628T185800+0060",
        "20241328T185800Z",
        "20240628T245800Z",
    ):
        try:
            expected = datetime.strptime(ts.replace("Z", "+0000"), "%Y%m%dT%H%M%S%z")
        except ValueError:
            expected = None
        got = bundle_time(("support-bundles_" + ts,))
        assert got == expected and (got is None or got.utcoffset() == expected.utcoffset()), ts
