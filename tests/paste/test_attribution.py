"""Which Node a pasted file belongs to, from each source the paste may carry (diagnose.bundle.attribution)."""

from __future__ import annotations

import pytest

from diagnose.bundle.attribution import host_token

# A real agent error with no Node in it (pkg/agent/route/route_linux.go).
ERROR = (
    "E0301 12:00:00.000000       1 route_linux.go:120] Failed to initialize iptables: error creating chain "
    "ANTREA-PREROUTING: exit status 3: iptables v1.8.7 (legacy): can't initialize iptables table `raw': "
    "Table does not exist (do you need to insmod?)\n"
)
DESCRIBE = """Name:             antrea-agent-x7k2p
Namespace:        kube-system
Priority:         2000001000
Node:             worker-2/10.0.0.12
Status:           Running
Containers:
  antrea-agent:
    State:          Running
    Restart Count:  4
"""
PODS_WIDE = """\
NAME                                 READY   STATUS    RESTARTS   AGE   IP           NODE       NOMINATED NODE
antrea-agent-x7k2p                   2/2     Running   4          20h   10.0.0.12    worker-2   <none>
antrea-agent-b9q4z                   2/2     Running   0          20h   10.0.0.13    worker-3   <none>
antrea-controller-7999d9686-xzr27    1/1     Running   0          20h   10.0.0.11    master-1   <none>
"""


def nodes_of(report: dict, kind: str = "agent-log") -> set[str | None]:
    return {a["node"] for a in report["source"]["artifacts"] if a["kind"] == kind}


def test_describe_pod_next_to_an_unnamed_log(run, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "describe.txt").write_text(DESCRIBE)
    (tmp_path / "t" / "logs.txt").write_text(ERROR)
    assert nodes_of(run(tmp_path / "t")) == {"worker-2"}


def test_pod_name_mapped_through_get_pods_wide(run, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "pods.txt").write_text(PODS_WIDE)
    (tmp_path / "t" / "antrea-agent-b9q4z.log").write_text(ERROR)  # the file is named after the Pod
    (tmp_path / "t" / "prefixed.txt").write_text(f"[pod/antrea-agent-x7k2p/antrea-agent] {ERROR}")
    (tmp_path / "t" / "prompt.txt").write_text(
        f"$ kubectl -n kube-system logs antrea-agent-b9q4z -c antrea-agent\n{ERROR}"
    )
    report = run(tmp_path / "t")
    by_path = {a["path"].rsplit("/", 1)[-1]: a["node"] for a in report["source"]["artifacts"]}
    assert by_path["antrea-agent-b9q4z.log"] == "worker-3"
    assert by_path["prefixed.txt"] == "worker-2"
    assert by_path["prompt.txt"] == "worker-3"


def test_folder_named_after_the_node(run, tmp_path):
    for node in ("node2", "node3"):
        (tmp_path / "ticket" / f"{node}-logs").mkdir(parents=True)
        (tmp_path / "ticket" / f"{node}-logs" / "antrea-agent.log").write_text(ERROR)
    assert nodes_of(run(tmp_path / "ticket")) == {"node2", "node3"}
    # The folder handed to the tool names the ticket, unless it is labelled as a Node's logs.
    assert nodes_of(run(tmp_path / "ticket" / "node2-logs")) == {"node2"}


def test_journald_host_and_klog_header(run, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "journal.txt").write_text(f"Mar 01 12:00:00 worker-7 antrea-agent[812]: {ERROR}")
    (tmp_path / "t" / "klog.txt").write_text(
        "Log file created at: 2024/03/01 11:00:00\nRunning on machine: worker-8\n"
        "Binary: Built with gc go1.21.11 for linux/amd64\n" + ERROR
    )
    assert nodes_of(run(tmp_path / "t")) == {"worker-7", "worker-8"}


def test_own_node_named_by_the_agent(run, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "agent.txt").write_text(
        'E0301 12:00:00.000000       1 agent.go:926] "Spec.PodCIDR is empty for Node. Please make sure '
        '--allocate-node-cidrs is enabled" err="timed out waiting for the condition" nodeName="kind-worker"\n'
    )
    assert nodes_of(run(tmp_path / "t")) == {"kind-worker"}


@pytest.mark.parametrize(
    "part,host",
    [
        ("ip-route.node2.txt", "node2"),
        ("antrea-agent.FATAL.node2.partial.txt", "node2"),
        ("ip-addr.from-5868.txt", None),
        ("antrea-agent-1.log", None),
        ("antrea-agent-x7k2p.log", None),
        ("issue-6448.txt", None),
        ("20240628-185717.log", None),
        ("v2.1.0.log", None),
    ],
)
def test_host_tokens_of_file_names(part, host):
    assert host_token(part) == host


@pytest.mark.parametrize(
    "part,host",
    [
        ("node2-logs", "node2"),
        ("ip-10-0-2-235_logs", "ip-10-0-2-235"),
        ("logs-worker-1", "worker-1"),
        ("6448-secondary-network-primary-nic", None),
        ("ticket-1234", None),
    ],
)
def test_host_of_the_folder_given(part, host):
    assert host_token(part, labelled=True) == host
