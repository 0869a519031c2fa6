"""Every shape a pasted log arrives in is read as the same klog lines (diagnose.parse.lines).

Each sample is the agent's real fatal for an unreachable API server (cmd/antrea-agent/main.go
"Error running agent", pkg/agent/agent.go "failed to get Node with name %s from K8s") wrapped the
way a tool or a copy wraps it; the diagnosis must be the same: the API finding on the Node the
wrapping names (or on the Node of these files), with the line's own time.
"""

from __future__ import annotations

import json

import pytest

from diagnose.bundle.model import UNATTRIBUTED

FATAL = (
    "F0301 12:00:05.000000       1 main.go:53] Error running agent: error initializing agent: failed to get "
    'Node with name node1 from K8s: Get "https://10.96.0.1:443/api/v1/nodes/node1": dial tcp 10.96.0.1:443: '
    "i/o timeout"
)
START = 'I0301 12:00:00.000000       1 agent.go:107] "Starting Antrea agent" version="v2.0.0"'


def shapes():
    yield "klog", f"{START}\n{FATAL}\n"
    yield "kubectl-timestamps", f"2024-03-01T12:00:00.000000001Z {START}\n2024-03-01T12:00:05.000000001Z {FATAL}\n"
    yield "cri", (f"2024-03-01T12:00:00.000000001Z stderr F {START}\n2024-03-01T12:00:05.000000001Z stderr F {FATAL}\n")
    yield (
        "cri-partial",
        (
            f"2024-03-01T12:00:00.000000001Z stderr F {START}\n"
            f"2024-03-01T12:00:05.000000001Z stderr P {FATAL[:90]}\n"
            f"2024-03-01T12:00:05.000000002Z stderr F {FATAL[90:]}\n"
        ),
    )
    yield (
        "docker-json",
        "".join(
            json.dumps({"log": line + "\n", "stream": "stderr", "time": f"2024-03-01T12:00:0{i}.000000001Z"}) + "\n"
            for i, line in enumerate((START, FATAL))
        ),
    )
    yield (
        "kubectl-prefix",
        (f"[pod/antrea-agent-x7k2p/antrea-agent] {START}\n[pod/antrea-agent-x7k2p/antrea-agent] {FATAL}\n"),
    )
    yield (
        "journald",
        (f"Mar 01 12:00:00 node1 antrea-agent[812]: {START}\nMar 01 12:00:05 node1 antrea-agent[812]: {FATAL}\n"),
    )
    yield (
        "ansi-stern",
        (
            f"\x1b[32mantrea-agent-x7k2p\x1b[0m \x1b[34mantrea-agent\x1b[0m {START}\n"
            f"\x1b[32mantrea-agent-x7k2p\x1b[0m \x1b[34mantrea-agent\x1b[0m {FATAL}\n"
        ),
    )
    yield "bare-message", FATAL.split("] ", 1)[1] + "\n"


@pytest.mark.parametrize("name,text", list(shapes()), ids=[n for n, _ in shapes()])
def test_every_shape_gives_the_api_finding(name, text, run, tmp_path):
    (tmp_path / "paste").mkdir()
    (tmp_path / "paste" / "agent-output.txt").write_text(text)
    report = run(tmp_path / "paste")
    kinds = {a["kind"] for a in report["source"]["artifacts"]}
    assert kinds == {"agent-log"}, kinds
    first = report["findings"][0]
    assert first["category"] == "apiserver-unreachable"
    assert first["severity"] == "critical"
    assert first["nodes"] == ["node1"]  # the Node its own fatal names
    if name != "bare-message":
        fatal = next(e for e in first["evidence"] if "Error running agent" in e["text"])
        assert fatal["time"].startswith("2024-03-01T12:00:05") or fatal["time"].endswith("03-01T12:00:05.000000")
        assert fatal["line"] == (3 if name == "cri-partial" else 2) - (1 if name == "cri-partial" else 0)


def test_utf16_powershell_paste_is_read(run, tmp_path):
    (tmp_path / "p").mkdir()
    text = f"{START}\r\n{FATAL}\r\n"
    (tmp_path / "p" / "agent.log").write_bytes(text.encode("utf-16"))  # BOM + little endian
    report = run(tmp_path / "p")
    assert report["findings"][0]["category"] == "apiserver-unreachable"
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "agent.log").write_bytes(text.encode("utf-16-le"))  # no BOM
    assert run(tmp_path / "q")["findings"][0]["category"] == "apiserver-unreachable"


def test_powershell_error_wrapped_at_the_console_width_is_one_line(tmp_path):
    from diagnose.parse import lines

    text = (
        "New-HNSNetwork : HNS failed with error : The parameter is\n"
        "incorrect.\n"
        "At C:\\k\\antrea\\Start.ps1:12 char:1\n"
        "+ New-HNSNetwork -Type L2Bridge\n"
    )
    shape = lines.detect(text.encode())
    assert shape.name == "powershell"
    out = lines.normalise(text.encode(), shape).decode().split("\n")
    assert out[0] == "New-HNSNetwork : HNS failed with error : The parameter is incorrect."
    assert out[1] == ""  # the line count is kept: evidence line numbers still point into the paste
    assert out[2].startswith("At C:")


def test_journald_lines_of_other_programs_are_left_for_the_host_log_parser():
    from diagnose.parse import lines

    audit = b"Mar 01 12:00:00 node1 kernel: audit: type=1400 audit(1709294400.123:456): avc:  denied  { read }\n"
    shape = lines.detect(audit * 3)
    assert not shape.rewrites and shape.hosts == ["node1"]


def test_cut_cri_partial_line_at_a_block_border_leaves_no_marker():
    from diagnose.parse import lines

    chunk = b"2024-03-01T12:00:05.000000001Z stderr P E0301 12:00:05.000000 1 a.go:1] first half\n"
    out = lines.normalise(chunk, lines.Shape("cri"))
    assert b"\x00" not in out and out.endswith(b"first half\n")


def test_unattributed_single_node_paste_is_still_diagnosed(run, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "log.txt").write_text(
        "E0301 12:00:00.000000       1 route_linux.go:120] Failed to initialize iptables: error creating chain "
        "ANTREA-PREROUTING: exit status 3: iptables v1.8.7 (legacy): can't initialize iptables table `raw': "
        "Table does not exist (do you need to insmod?)\n"
    )
    report = run(tmp_path / "p")
    assert report["findings"], "a paste that names no Node is still one Node's evidence"
    assert report["findings"][0]["nodes"] in ([UNATTRIBUTED], [])


def test_6448_agent_log_pasted_as_kubectl_logs_with_ip_outputs_is_the_secondary_network(run, tmp_path):
    """The mission case as a user pastes it: `kubectl logs` of node2's agent (both runs, no klog
    header, no year), and `ip route`/`ip addr` typed at node2's prompt, in files named anyhow."""
    from pathlib import Path

    sample = Path(__file__).parents[2] / "sample_bundles" / "6448-secondary-network-primary-nic"
    runs = sorted((sample / "node2-var-log-antrea").glob("antrea-agent.node2.root.log.INFO.*"))
    lines = [
        ln
        for f in runs
        for ln in f.read_text().splitlines(keepends=True)
        if not ln.startswith(("Log file created at:", "Running on machine:", "Binary:", "Log line format:"))
    ]
    paste = tmp_path / "ticket"
    paste.mkdir()
    (paste / "agent.txt").write_text("".join(lines))
    real = Path(__file__).parents[1] / "fixtures" / "real-cases" / "6448-secondary-network-primary-nic"
    (paste / "routes.txt").write_text((real / "ip-route.node2.txt").read_text())
    (paste / "addresses.txt").write_text((real / "ip-addr.node2.partial.txt").read_text())
    (paste / "values.yaml").write_text((real / "helm-values.yaml").read_text())
    report = run(paste)
    first = report["findings"][0]
    assert first["category"] == "secondary-network-uplink" and first["nodes"] == ["node2"]
    assert "apiserver-unreachable" not in [f["category"] for f in report["findings"]]


def test_go_stack_trace_without_its_panic_line_is_a_crash(run, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "stack.txt").write_text(
        "goroutine 143 [running]:\n"
        "antrea.io/antrea/pkg/agent/controller/egress.(*EgressController).syncEgress(0xc000a1c000, {0xc0, 0x10})\n"
        "\tantrea.io/antrea/pkg/agent/controller/egress/egress_controller.go:812 +0x5b0\n"
        "antrea.io/antrea/pkg/agent/controller/egress.(*EgressController).processNextWorkItem(0xc000a1c000)\n"
        "\tantrea.io/antrea/pkg/agent/controller/egress/egress_controller.go:640 +0x1b5\n"
    )
    report = run(tmp_path / "p")
    first = report["findings"][0]
    assert first["rule_id"] == "ANT-CRASH-001" and first["severity"] in ("error", "critical")
    assert "EgressController" in first["summary"]
