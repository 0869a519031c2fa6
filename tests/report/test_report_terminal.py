import io

from rich.console import Console

from diagnose.report import print_terminal, render
from diagnose.report.terminal import MAX_EVIDENCE, render_terminal


def test_terminal_report_shows_the_root_cause(d):
    out = render_terminal(d, width=100)
    for s in (
        "Antrea diagnosis",
        "Most likely root cause: SecondaryNetwork bridge took the Node's primary NIC on node2",
        "support-bundles_20240628T185900Z (antctl-directory)",
        "node2: failed, fallback bundle (logs only): agent API unreachable",
        "1.  CRITICAL  SecondaryNetwork bridge took the Node's primary NIC",
        "Most likely root cause",
        "confidence 95% · confirmed · Nodes: node2",
        "Spec.PodCIDR is empty for Node node2",
        "$ kubectl -n kube-system exec ds/antrea-agent -c antrea-ovs -- ovs-vsctl del-port",
        "Explains (2 symptoms)",
        "ERROR  antrea-agent cannot reach kube-apiserver · node2 · ANT-API-001",
        "2.  WARNING  Pod MTU too large for the tunnel",
        "Missing evidence (needed to confirm this)",
        "$ kubectl debug node/node1 -- ip link show",
        "Could not read (1):",
        "agent_node3.tar.gz: not a gzip file (truncated download?)",
        "Not recognised (2): notes.txt, screenshot.png",
    ):
        assert s in out, s
    assert out.rstrip().endswith("2 root causes (1 critical, 1 warning) explaining 2 symptoms")
    assert "\x1b[" not in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_rich_markup_in_a_log_line_is_printed_as_it_is(make_diagnosis, uplink_finding, evidence_line, hostile):
    d = make_diagnosis(
        [uplink_finding([evidence_line("[bold]x[/bold] [link=http://x]y[/link] :smile: [/]", 1)])],
        source="[red]bundle[/red]",
    ).to_dict()
    d["findings"][0]["summary"] = hostile
    out = render_terminal(d, width=200)
    assert "[bold]x[/bold] [link=http://x]y[/link] :smile: [/]" in out
    assert "[red]bundle[/red]" in out
    assert "[bold]not markup[/bold]" in out


def test_control_characters_cannot_reach_the_terminal(make_diagnosis, uplink_finding, evidence_line):
    d = make_diagnosis([uplink_finding([evidence_line("a\x1b]0;pwned\x07b\x1b[2Jc\rd", 1)])]).to_dict()
    for out in (render_terminal(d), render_terminal(d, color=True)):
        assert "\x1b]" not in out and "\x1b[2J" not in out and "\x07" not in out and "\r" not in out
        assert "a\\x1b]0;pwned\\x07b\\x1b[2Jc\\x0dd" in out


def test_color_only_when_asked(d):
    assert "\x1b[" in render(d, "terminal", color=True)
    assert "\x1b[" not in render(d, "terminal")


def test_long_evidence_is_capped(make_diagnosis, uplink_finding, evidence_line):
    lines = [evidence_line(f"line number {i}", i) for i in range(1, 31)]
    out = render_terminal(make_diagnosis([uplink_finding(lines)]).to_dict())
    assert f"line number {MAX_EVIDENCE}" in out
    assert f"line number {MAX_EVIDENCE + 1}\n" not in out
    assert f"… {30 - MAX_EVIDENCE} more" in out


def test_healthy_says_no_problems(healthy):
    out = render_terminal(healthy)
    assert out.rstrip().endswith("No problems found")


def test_info_only_findings_are_not_problems(make_diagnosis, uplink_finding):
    f = uplink_finding()
    f.severity = "info"
    out = render_terminal(make_diagnosis([f]).to_dict())
    assert "No problems found (1 informational note)" in out
    assert "INFO" in out
    assert "Most likely root cause\n" not in out


def test_print_terminal_writes_to_the_given_console(d):
    buf = io.StringIO()
    print_terminal(d, Console(file=buf, width=120, force_terminal=False, color_system=None))
    assert "SecondaryNetwork bridge took the Node's primary NIC" in buf.getvalue()


def test_the_verdict_of_the_report_leads_with_its_reason(d):
    d["verdict"] = "not-enough-evidence"
    d["verdict_reason"] = "No agent log of a Node was read; only the controller bundle arrived."
    out = render_terminal(d, width=100)
    assert "Not enough evidence: Most likely root cause" in out
    assert "No agent log of a Node was read; only the controller bundle arrived." in out
    short = render_terminal(d, width=80, quiet=True)
    assert short.startswith("Not enough evidence: ") and "only the controller bundle arrived" in short
    d["verdict"] = "fault"  # the sentence says it already: no label
    assert render_terminal(d, width=100).splitlines()[1].startswith("│ Most likely root cause: SecondaryNetwork")


def test_no_fault_before_no_problems_found_is_not_repeated(healthy):
    healthy["verdict"], healthy["verdict_reason"] = "no-fault", "Every agent run started and restored its flows."
    out = render_terminal(healthy, width=80)
    assert "No fault: " not in out and "│ No problems found" in out
    assert "Every agent run started and restored its flows." in out


def test_a_report_without_findings_warns_like_the_other_formats(healthy):
    for out in (render_terminal(healthy, width=80), render_terminal(healthy, width=80, quiet=True)):
        assert "A bundle that misses the failing Node's logs can look healthy" in " ".join(out.split())


def test_quiet_is_the_verdict_and_the_table_of_root_causes(d):
    d["verdict"] = "fault"
    out = render_terminal(d, width=80, quiet=True)
    lines = out.splitlines()
    assert lines[0].startswith("Most likely root cause: SecondaryNetwork bridge took the Node's primary NIC")
    assert any(line.startswith("1  critical  ANT-SNU-001  SecondaryNetwork bridge took") for line in lines)
    assert any(line.startswith("2  warning   ANT-MTU-001  Pod MTU too large") for line in lines)
    assert "Evidence" not in out and "Remediation" not in out and "Could not read" not in out


def test_a_failed_nodes_reason_is_said_below_the_table_not_in_a_cell(d):
    out = render_terminal(d, width=80)
    row = next(line for line in out.splitlines() if line.startswith("│ node2 "))
    assert row.rstrip(" │").endswith("failed, fallback")
    assert "│ node2: failed, fallback bundle (logs only): agent API unreachable" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_one_antrea_version_is_said_once_several_get_a_column(make_diagnosis, uplink_finding):
    from diagnose.diagnosis.ranking import NodeSummary

    same = render_terminal(make_diagnosis([uplink_finding()]).to_dict(), width=80)
    assert "│ Node" in same and "Antrea  " not in same.split("│ Node", 1)[1].splitlines()[0]
    mixed = make_diagnosis(
        [uplink_finding()],
        nodes=[NodeSummary("node1", "agent", "v2.0.0", 3, 1), NodeSummary("node2", "agent", "v2.1.0", 3, 1)],
    ).to_dict()
    header = next(line for line in render_terminal(mixed, width=80).splitlines() if line.startswith("│ Node"))
    assert "Antrea" in header
