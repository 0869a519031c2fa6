"""Diagnosis fixtures built from the dataclasses, the way the engine builds them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support import SAMPLES

from diagnose.bundle.model import Artifact, Cluster, EvidenceLine, ReadProblem
from diagnose.diagnosis.ranking import Diagnosis, NodeSummary, rank
from diagnose.rules.rule import INCONCLUSIVE, Finding, Missing, Rule, Step

GENERATED = datetime(2024, 6, 28, 19, 0, 0, tzinfo=timezone.utc)
AGENT_LOG = "agent_node2.tar.gz!logs/agent/antrea-agent.node2.root.log.INFO.20240628-185717.1"

# A log line that tries everything: close a code block, ping, inject HTML, link, embed an image.
HOSTILE = (
    "``` ```` @everyone <script>alert(1)</script> [x](javascript:alert(1)) "
    "![i](http://x/y.png) <img src=http://x/z.png> #123 [bold]not markup[/bold] :smile:"
)

UPLINK = Rule(
    id="ANT-SNU-001",
    slug="secondary-network-uplink-takeover",
    title="SecondaryNetwork bridge took the Node's primary NIC",
    category="secondary-network-uplink",
    severity="critical",
    message="On {{ node }} the SecondaryNetwork OVS bridge {{ bridge }} took {{ nic }}, the NIC that carries "
    "the Node IP, while flow-restore-wait was set: the Node lost its network.",
    remediation=(
        Step(
            "Remove {{ nic }} from the secondary bridge on {{ node }}",
            "kubectl -n kube-system exec ds/antrea-agent -c antrea-ovs -- ovs-vsctl del-port {{ bridge }} {{ nic }}",
        ),
        Step("Upgrade Antrea to v2.1.0 or later, which refuses to move the primary NIC"),
    ),
    references=("antrea-io/antrea#6448", "https://antrea.io/docs/main/docs/secondary-network/"),
    explains=("apiserver-unreachable", "podcidr-not-allocated"),
)
APISERVER = Rule(
    id="ANT-API-001",
    slug="apiserver-unreachable",
    title="antrea-agent cannot reach kube-apiserver",
    category="apiserver-unreachable",
    severity="error",
    message="The agent on {{ node }} timed out talking to the API server.",
    remediation=(Step("Check the route to the API server from {{ node }}", "ip route get {{ ip }}"),),
    references=(),
)
PODCIDR = Rule(
    id="ANT-PCD-001",
    slug="podcidr-not-allocated",
    title="Node has no PodCIDR",
    category="podcidr-not-allocated",
    severity="error",
    message="Node {{ node }} has no PodCIDR.",
    remediation=(Step("Check NodeIPAM in kube-controller-manager", "kubectl get node {{ node }} -o yaml"),),
    references=(),
)
MTU = Rule(
    id="ANT-MTU-001",
    slug="mtu-too-large",
    title="Pod MTU too large for the tunnel",
    category="mtu",
    severity="warning",
    message="The Pod MTU {{ mtu }} leaves no room for the {{ tunnel }} header.",
    remediation=(Step("Lower the MTU in antrea-agent.conf", "kubectl -n kube-system edit cm antrea-config"),),
    references=("antrea-io/antrea#1234",),
)


def line(text: str, n: int = 1, node: str = "node2", artifact: str = AGENT_LOG) -> EvidenceLine:
    return EvidenceLine(artifact, n, f"2024-06-28T18:57:{n % 60:02d}.883444", text, node)


def uplink_finding(evidence: list[EvidenceLine] | None = None, **values: str) -> Finding:
    vals = {"bridge": "br-secondary", "nic": "eth0"} | values
    return UPLINK.finding(
        nodes=["node2"],
        confidence=0.95,
        values=vals,
        evidence=evidence
        if evidence is not None
        else [
            line('I0628 18:57:10.100000       1 agent.go:107] "Starting Antrea agent" version="v2.1.0-dev-6e00ebf"', 3),
            line(
                "F0628 18:57:17.883444       1 main.go:53] Error running agent: error initializing agent: "
                "Spec.PodCIDR is empty for Node node2",
                9,
            ),
        ],
        ruled_out=["podcidr-not-allocated: the preceding error is an API-server timeout, not a missing PodCIDR"],
    )


def make_diagnosis(
    findings: list[Finding],
    *,
    nodes: list[NodeSummary] | None = None,
    problems: list[ReadProblem] | None = None,
    ignored: list[str] | None = None,
    source: str = "support-bundles_20240628T185900Z",
) -> Diagnosis:
    cluster = Cluster(
        source=source,
        shape="antctl-directory",
        collected_at=datetime(2024, 6, 28, 18, 59, 0),
        problems=problems or [],
        ignored=ignored or [],
    )
    cluster.cluster_artifacts.append(Artifact("clusterinfo", "clusterinfo", None, 2048))
    cluster.node("node2").artifacts.append(Artifact(AGENT_LOG, "agent-log", "node2", 1_000_000, truncated=True))
    if nodes is None:
        nodes = [
            NodeSummary("node1", "agent", "v2.1.0-dev-6e00ebf", 14, 0),
            NodeSummary(
                "node2",
                "agent",
                "v2.1.0-dev-6e00ebf",
                3,
                12,
                failed_reason="agent API unreachable",
                fallback_bundle=True,
            ),
        ]
    return Diagnosis(cluster=cluster, findings=rank(findings), nodes=nodes, rules_run=42, generated_at=GENERATED)


# The factories as fixtures, so test modules never import conftest (its name is not unique).
@pytest.fixture(name="make_diagnosis")
def make_diagnosis_fixture():
    return make_diagnosis


@pytest.fixture(name="uplink_finding")
def uplink_finding_fixture():
    return uplink_finding


@pytest.fixture(name="evidence_line")
def evidence_line_fixture():
    return line


@pytest.fixture(name="hostile")
def hostile_fixture() -> str:
    return HOSTILE


@pytest.fixture(name="hostile_everywhere")
def hostile_everywhere_fixture():
    return hostile_everywhere


@pytest.fixture
def diagnosis() -> Diagnosis:
    """A root cause explaining two symptoms, an inconclusive warning, a failed Node, read problems."""
    api = APISERVER.finding(
        nodes=["node2"],
        confidence=0.8,
        values={"ip": "10.96.0.1"},
        evidence=[line("E0628 dial tcp 10.96.0.1:443: i/o timeout", 8)],
    )
    pod = PODCIDR.finding(nodes=["node2"], confidence=0.6, evidence=[line("Spec.PodCIDR is empty", 9)])
    mtu = MTU.finding(
        nodes=["node1"],
        confidence=0.5,
        values={"mtu": 1500, "tunnel": "Geneve"},
        status=INCONCLUSIVE,
        missing=[Missing("The uplink MTU of {{ node }}", "kubectl debug node/{{ node }} -- ip link show")],
    )
    return make_diagnosis(
        [api, pod, uplink_finding(), mtu],
        problems=[ReadProblem("agent_node3.tar.gz", "not a gzip file (truncated download?)")],
        ignored=["notes.txt", "screenshot.png"],
    )


@pytest.fixture
def d(diagnosis: Diagnosis) -> dict:
    return diagnosis.to_dict()


@pytest.fixture
def healthy() -> dict:
    return make_diagnosis([]).to_dict()


def hostile_everywhere(d: dict, text: str = HOSTILE) -> dict:
    """Every string that can come from the bundle replaced by hostile text (keeps the shape)."""
    src = d["source"]
    src["path"] = text
    for n in src["nodes"]:
        n["name"] = n["role"] = n["antrea_version"] = text
        if n["failed_reason"]:
            n["failed_reason"] = text
    for a in src["artifacts"]:
        a["path"] = a["kind"] = text
    src["unreadable"] = [{"path": text, "reason": text}]
    src["unrecognised"] = [text]

    def finding(f: dict) -> None:
        f["title"] = f["summary"] = text
        f["nodes"] = [text]
        f["ruled_out"] = [text]
        f["references"] = [text]
        for e in f["evidence"]:
            e["artifact"] = e["text"] = e["node"] = e["time"] = text
        for m in f["missing_evidence"]:
            m["what"] = m["command"] = text
        f["remediation"]["detail"] = [{"text": text, "command": text}]
        f["remediation"]["steps"] = [text]
        f["remediation"]["commands"] = [text]
        for s in f["symptoms"]:
            finding(s)

    for f in d["findings"]:
        finding(f)
    return d


@pytest.fixture(scope="session")
def sample_6448(rules):
    """The diagnosis of the antrea-io/antrea#6448 sample bundle (node2's story), built once."""
    from diagnose.diagnosis.engine import diagnose

    return diagnose(SAMPLES / "6448-secondary-network-primary-nic", rules)


@pytest.fixture
def story(sample_6448) -> dict:
    """A fresh report dict of the #6448 sample (tests may change it)."""
    return sample_6448.to_dict()
