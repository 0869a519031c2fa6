"""Pasted kubectl output: `get pods` tables (with or without header, namespace, wide columns) and
`describe pod`; never raises on garbage and claims no other format."""

from pathlib import Path

import pytest

from diagnose.parse import kubectl

DATA = Path(__file__).parent / "data"
RULES = Path(__file__).parents[1] / "rules" / "fixtures"


def test_wide_table_with_namespace_and_restart_age():
    text = (RULES / "duplicate_pod_ip" / "fires-kubectl-wide-two-nodes" / "kubectl-get-pods-wide.txt").read_text()
    rows = kubectl.parse_pods_table(text)
    assert kubectl.detect(text) == "kubectl-pods"
    agent = next(r for r in rows if r.name == "antrea-agent-q9s8d")
    assert (agent.namespace, agent.status, agent.restarts, agent.ip, agent.node) == (
        "kube-system",
        "Running",
        1,
        "172.18.0.4",
        "worker-2",
    )
    assert len(rows) == 6


def test_headerless_row_without_wide_columns():
    row = "antrea-agent-qdknj                     1/2     CrashLoopBackOff   32         2d14h\n"
    rows = kubectl.parse_pods_table(row)
    assert [(r.name, r.namespace, r.status, r.restarts, r.ip, r.node) for r in rows] == [
        ("antrea-agent-qdknj", None, "CrashLoopBackOff", 32, None, None)
    ]


def test_describe_pod_states_and_events():
    text = (RULES / "agent_crash" / "fires-describe-oomkilled" / "describe-antrea-agent.txt").read_text()
    [pod] = kubectl.parse_describe(text)
    assert (pod.name, pod.namespace, pod.node) == ("antrea-agent-9zk2w", "kube-system", "big-node-3")
    agent = pod.containers[0]
    assert (agent.name, agent.last_reason, agent.last_exit_code, agent.restarts) == (
        "antrea-agent",
        "OOMKilled",
        137,
        6,
    )
    assert pod.events[0].reason == "BackOff" and pod.events[0].age == "12m (x3 over 3d)"
    assert kubectl.detect(text) == "kubectl-describe-pod"


@pytest.mark.parametrize("path", sorted(p for p in DATA.rglob("*") if p.is_file()), ids=lambda p: p.name)
def test_no_other_format_is_taken_for_kubectl_output(path):
    assert kubectl.detect(path.read_text(errors="replace")) is None


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "\x00\xff" * 100,
        "NAME READY\n" * 3,
        "Name:\n" * 50,
        "a 1/1 Running 99999999999999999999 1d\n",
        "Events:\n  Type\n" + "x" * 100000,
    ],
    ids=lambda g: f"{len(g)}-chars",
)
def test_garbage_never_raises(garbage):
    kubectl.parse_pods_table(garbage)
    kubectl.parse_describe(garbage)
    kubectl.detect(garbage)
