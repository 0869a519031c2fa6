"""Error and warning lines no rule explains: templated, counted once, bounded, in every format."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest

from diagnose.diagnosis import unexplained
from diagnose.diagnosis.engine import diagnose
from diagnose.parse.klog import is_header_or_log_start
from diagnose.report import render
from diagnose.report.json import schema
from diagnose.rules.rule import Rule, Step
from diagnose.scan.scanner import Hit, Scanner
from diagnose.scan.signature import Signature

HEADER = (
    "Log file created at: 2024/06/28 18:57:17\nRunning on machine: {node}\n"
    "Binary: Built with gc go1.21.11 for linux/amd64\n"
    "Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg\n"
)

# A one-signature pack, so these tests do not depend on what the built-in rules match.
KNOWN = Rule(
    id="ANT-TST-001",
    slug="known",
    title="Known",
    category="agent-crash",
    severity="error",
    message="known",
    remediation=(Step("x", "true"),),
    references=("antrea-io/antrea#1",),
    signatures=(
        Signature("known", r"failed to list \*v1\.(?P<kind>\w+)", "failed to list "),
        Signature("fatal", r"Error running agent: (?P<err>.*)", "Error running agent", follow=5),
    ),
    check=lambda ev: [],
)


def klog(level: str, second: int, msg: str) -> str:
    return f"{level}0628 18:57:{second:02d}.000000       1 pod.go:12] {msg}"


def report(tmp_path, files: dict[str, str]) -> dict:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return diagnose(tmp_path, [KNOWN]).to_dict()


def by_template(d: dict) -> dict[str, dict]:
    return {u["template"]: u for u in d["unexplained"]}


def test_unknown_error_lines_are_templated_and_counted(tmp_path):
    lines = [
        klog("I", 1, '"Starting Antrea agent" version="v2.1.0"'),
        klog("E", 2, '"Failed to sync Pod" err="dial tcp 10.96.0.1:443: i/o timeout" pod="default/web-7c9f8-x2k4z"'),
        klog("E", 3, '"Failed to sync Pod" err="dial tcp 10.96.0.7:6443: i/o timeout" pod="kube-system/dns-ab1cd"'),
        klog("W", 4, "Pool ippool-1 has 250 of 254 IPs in use after 5s"),
        klog("E", 5, '"Failed to sync Pod" err="dial tcp 10.96.0.9:443: i/o timeout" pod="default/api-0"'),
        klog("W", 6, "Pool ippool-2 has 251 of 254 IPs in use after 1m30s"),
        klog("I", 7, "Pool ippool-2 is fine"),
    ]
    d = report(tmp_path, {"antrea-agent.log": HEADER.format(node="node2") + "\n".join(lines) + "\n"})
    found = by_template(d)
    sync = found['"Failed to sync Pod" err="dial tcp <ip>:<num>: i/o timeout" pod="<name>"']
    pool = found["Pool ippool-<num> has <num> of <num> IPs in use after <duration>"]
    assert (sync["count"], sync["level"], sync["nodes"]) == (3, "error", ["node2"])
    assert (pool["count"], pool["level"]) == (2, "warning")
    assert len(found) == 2, "info lines are not errors"
    assert d["unexplained"][0] is sync or d["unexplained"][0] == sync, "most frequent first"
    assert sync["example"] == {
        "artifact": "antrea-agent.log",
        "line": 6,
        "time": "2024-06-28T18:57:02.000000",
        "text": lines[1],
    }
    assert sync["overflow"] is False


def test_lines_a_rule_signature_matches_are_not_unexplained(tmp_path):
    lines = [
        klog("W", 1, 'k8s.io/client-go/informers/factory.go:159: failed to list *v1.Node: Get "https://10.96.0.1:443"'),
        klog("E", 2, "something nobody knows about happened 3 times"),
    ]
    d = report(tmp_path, {"antrea-agent.log": HEADER.format(node="node2") + "\n".join(lines) + "\n"})
    assert [u["template"] for u in d["unexplained"]] == ["something nobody knows about happened <num> times"]


def test_a_line_in_every_klog_severity_file_counts_once(tmp_path):
    error = klog("E", 2, "disk quota 17 exceeded")
    warning = klog("W", 3, "slow disk 12ms")
    run1 = "antrea-agent.node2.root.log.{sev}.20240628-185717.1"
    run2 = "antrea-agent.node2.root.log.{sev}.20240628-190000.1"
    files = {
        f"logs/agent/{run1.format(sev='INFO')}": HEADER.format(node="node2") + f"{error}\n{warning}\n",
        f"logs/agent/{run1.format(sev='WARNING')}": HEADER.format(node="node2") + f"{error}\n{warning}\n",
        f"logs/agent/{run1.format(sev='ERROR')}": HEADER.format(node="node2") + f"{error}\n",
        # The next run logs the error again: its own files add up with the first run's.
        f"logs/agent/{run2.format(sev='INFO')}": HEADER.format(node="node2") + f"{error}\n",
        f"logs/agent/{run2.format(sev='ERROR')}": HEADER.format(node="node2") + f"{error}\n",
        # Another Node's copy is not the same stream.
        "node3/antrea-agent.log": HEADER.format(node="node3") + f"{error}\n",
    }
    found = by_template(report(tmp_path, files))
    assert found["disk quota <num> exceeded"]["count"] == 3
    assert found["disk quota <num> exceeded"]["nodes"] == ["node2", "node3"]
    assert found["slow disk <duration>"]["count"] == 1


def test_ovs_err_and_warn_lines_are_templated_with_their_module(tmp_path):
    log = (
        "\n".join(
            [
                "2024-06-28T18:57:20.120Z|00051|dpif_netlink(handler3)|WARN|system@ovs-system: lost packet on port channel 3",
                "2024-06-28T18:57:21.120Z|00052|dpif_netlink(handler4)|WARN|system@ovs-system: lost packet on port channel 7",
                "2024-06-28T18:57:22.120Z|00053|bridge|ERR|could not open network device web-1-7d2c91 (No such device)",
                "2024-06-28T18:57:23.120Z|00054|bridge|INFO|bridge br-int: added interface antrea-gw0 on port 2",
            ]
        )
        + "\n"
    )
    found = by_template(report(tmp_path, {"node2/ovs-vswitchd.log": log}))
    assert found["dpif_netlink: system@ovs-system: lost packet on port channel <num>"]["count"] == 2
    err = found["bridge: could not open network device <iface> (No such device)"]
    assert err["level"] == "error" and err["example"]["time"] == "2024-06-28T18:57:22.120000"
    assert len(found) == 2


def test_node_names_are_masked_even_when_named_by_another_node(tmp_path):
    files = {
        "antrea-agent.worker-1.log": HEADER.format(node="worker-1") + klog("E", 2, "route to worker-10 failed") + "\n",
        "antrea-agent.worker-10.log": HEADER.format(node="worker-10") + klog("E", 2, "route to worker-1 failed") + "\n",
    }
    found = by_template(report(tmp_path, files))
    assert list(found) == ["route to <node> failed"]
    assert found["route to <node> failed"]["count"] == 2


def test_templates_mask_what_varies_and_keep_the_message():
    t = unexplained.template_of
    assert (
        t('"Failed to add" uuid="123e4567-e89b-12d3-a456-426614174000" mac=0a:58:0a:f4:01:05')
        == '"Failed to add" uuid="<name>" mac=<mac>'
    )
    assert (
        t("container 3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e gone at 18:57:17.5")
        == "container <hex> gone at <time>"
    )
    assert (
        t("route fd00:10:244::/64 via [2001:db8::1]:443 on v2.1.0-dev-6e00ebf")
        == "route <ip> via [<ip>]:<num> on <version>"
    )
    assert t("Received bundle error msg: [4 4 0 120 0 0 0 51]") == "Received bundle error msg: [<nums>]"
    assert t("Get https://10.0.0.1:6443/api?x=1: EOF") == "Get <url>: EOF"
    assert t("x" * 5000).endswith("…") and len(t("x" * 5000)) <= unexplained.MAX_MESSAGE + 1


def test_templates_and_memory_are_bounded():
    miner = unexplained.Miner(max_templates=50)
    from diagnose.bundle.model import Artifact, Cluster

    cluster = Cluster("x")
    artifact = Artifact("a.log", "agent-log", "node1")
    cluster.node("node1").artifacts.append(artifact)
    log = miner.log(artifact, None)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    for i in range(10_000):
        msg = f"{words[i % 10]} {words[i // 10 % 10]} {words[i // 100 % 10]} {words[i // 1000 % 10]} broke"
        miner.add(log, "E", msg, i + 1, klog("E", 1, msg))
    out = miner.results(cluster)
    assert len(miner._templates) == 50 and len(out) == 51
    assert sum(u["count"] for u in out) == 10_000
    assert out[-1]["overflow"] is True and out[-1]["count"] == 10_000 - 50
    assert "more than 50 distinct templates" in out[-1]["template"]


def mined(data: str, engine: str, monkeypatch) -> tuple[list[Hit], list[unexplained.Template]]:
    """Scan `data` as an agent log with the KNOWN pack; the hits and the templates mined."""
    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    monkeypatch.setenv("ANTREA_DIAGNOSE_NO_CACHE", "1")
    from diagnose.bundle.model import Artifact

    sigs = [(KNOWN.key(s.name), s) for s in KNOWN.signatures]
    scanner = Scanner(sigs, engine=engine, catch_all=unexplained.SIGNATURES)
    miner = unexplained.Miner()
    hits: list[Hit] = []
    scanner.scan(
        io.BytesIO(data.encode()),
        "agent-log",
        hits.append,
        is_header_or_log_start,
        miner.callback(Artifact("a.log", "agent-log", "node1"), None),
    )
    return hits, sorted(miner.templates(), key=lambda t: t.first.line)


@pytest.mark.parametrize("engine", ["stdlib", "hyperscan"])
def test_every_error_warning_and_fatal_line_is_mined_with_the_signatures_that_matched_it(engine, monkeypatch):
    from diagnose.scan.scanner import CHUNK

    fatal = "F0628 18:57:17.883444       1 main.go:53] Error running agent: boom"
    filler = klog("I", 1, "x" * 100)
    # The follow-signature line ends a chunk, so its hit waits for the next chunk's lines.
    head = (filler + "\n") * ((CHUNK - len(fatal) - 1) // (len(filler) + 1))
    lines = [
        klog("W", 2, "failed to list *v1.Pod: timeout"),
        klog("E", 3, "new thing 7"),
        klog("W", 4, "failed to list *v1.Node: timeout"),
        klog("I", 5, "failed to list *v1.Pod: info only"),
        "2024-06-28T18:57:22.120Z|00053|bridge|ERR|not a klog line",
    ]
    pad = klog("I", 1, "y" * (CHUNK - len(head) - len(fatal) - 2 - len(klog("I", 1, ""))))
    data = head + pad + "\n" + fatal + "\ngoroutine 1 [running]:\n" + "\n".join(lines) + "\n"
    hits, templates = mined(data, engine, monkeypatch)
    n = head.count("\n") + 2  # the fatal line's number
    assert [(h.key, h.line_no) for h in hits] == [
        ("ANT-TST-001:fatal", n),
        ("ANT-TST-001:known", n + 2),
        ("ANT-TST-001:known", n + 4),
        ("ANT-TST-001:known", n + 5),
    ]
    assert hits[0].following == ["goroutine 1 [running]:"]
    found = {(t.level, t.text): t for t in templates}
    assert list(found) == [
        ("error", "Error running agent: boom"),
        ("warning", "failed to list *v1.Pod: timeout"),
        ("error", "new thing <num>"),
        ("warning", "failed to list *v1.Node: timeout"),
    ]
    assert found[("error", "Error running agent: boom")].signatures == {"ANT-TST-001:fatal"}
    assert found[("warning", "failed to list *v1.Pod: timeout")].signatures == {"ANT-TST-001:known"}
    assert found[("error", "new thing <num>")].signatures == set()
    pod = found[("warning", "failed to list *v1.Pod: timeout")]
    assert (pod.first.line, pod.last.line) == (n + 2, n + 2) and pod.first.text == lines[0]


def test_a_template_keeps_its_first_and_last_line_and_counts_per_log(monkeypatch):
    lines = [klog("E", s, f"disk {s} full") for s in range(1, 8)]
    data = "\n".join(klog("I", 0, "ok") + "\n" + line for line in lines) + "\n"
    _, [t] = mined(data, "stdlib", monkeypatch)
    assert (t.text, t.level, sum(t.counts.values())) == ("disk <num> full", "error", 7)
    assert (t.first.line, t.first.text) == (2, lines[0])
    assert (t.last.line, t.last.text) == (14, lines[-1])


def test_only_templates_a_finding_explains_are_left_out(tmp_path):
    from diagnose.bundle.model import Artifact, Cluster

    miner, cluster = unexplained.Miner(), Cluster("x")
    artifact = Artifact("a.log", "agent-log", "node1")
    cluster.node("node1").artifacts.append(artifact)
    log = miner.log(artifact, None)
    miner.add(log, "W", "failed to list *v1.Pod: timeout", 1, "x", also=["ANT-TST-001:known"])
    miner.add(log, "E", "Error running agent: boom", 2, "y", also=["core:fatal"])
    miner.add(log, "E", "something new", 3, "z")
    assert [u["template"] for u in miner.results(cluster)] == ["something new"]
    assert sorted(u["template"] for u in miner.results(cluster, explained={"ANT-TST-001:known"})) == [
        "Error running agent: boom",
        "something new",
    ]


def test_lines_differing_in_a_digit_no_mask_covers_stay_apart():
    """Templates are cached by message shape (digits zeroed) only when every digit was masked."""
    from diagnose.bundle.model import Artifact, Cluster

    miner, cluster = unexplained.Miner(), Cluster("x")
    artifact = Artifact("a.log", "agent-log", "node1")
    cluster.node("node1").artifacts.append(artifact)
    log = miner.log(artifact, None)
    for n, msg in enumerate(
        ["eth0 is down", "eth1 is down", "port 5 busy", "port 7 busy", "node1 is gone", "node2 is gone"], 1
    ):
        miner.add(log, "E", msg, n, msg)
    assert {u["template"]: u["count"] for u in miner.results(cluster)} == {
        "eth0 is down": 1,
        "eth1 is down": 1,
        "port <num> busy": 2,
        "<node> is gone": 1,
        "node2 is gone": 1,
    }


def test_templates_that_keep_digits_group_messages_whose_other_digits_vary(monkeypatch):
    """`*v1.Pod` keeps its digit, the resourceVersion does not: one template per API version,
    however many resource versions (each message is not templated again: it fills the holes)."""
    from diagnose.bundle.model import Artifact, Cluster

    miner, cluster = unexplained.Miner(), Cluster("x")
    templated = []
    text_of = miner._text
    monkeypatch.setattr(miner, "_text", lambda log, raw: templated.append(raw) or text_of(log, raw))
    artifact = Artifact("a.log", "agent-log", "node1")
    cluster.node("node1").artifacts.append(artifact)
    log = miner.log(artifact, None)
    msg = 'failed to list *v{v}.Pod: Get "https://10.96.0.{ip}:443/api/v1/pods?resourceVersion={rv}": EOF'
    for n in range(300):
        miner.add(log, "W", msg.format(v=1 + n % 2, ip=n % 9, rv=1000 + n), n + 1, "x")
    miner.add(log, "W", "node1 has 3 pods", 301, "x")
    miner.add(log, "W", "node7 has 4 pods", 302, "x")
    assert {u["template"]: u["count"] for u in miner.results(cluster)} == {
        'failed to list *v1.Pod: Get "<name>": EOF': 150,
        'failed to list *v2.Pod: Get "<name>": EOF': 150,
        "<node> has <num> pods": 1,
        "node7 has <num> pods": 1,
    }
    assert len(templated) < 20


def test_a_flood_of_unique_ids_neither_grows_the_cache_nor_makes_it_template_again(monkeypatch):
    from diagnose.bundle.model import Artifact, Cluster

    miner, cluster = unexplained.Miner(), Cluster("x")
    artifact = Artifact("a.log", "agent-log", "node1")
    cluster.node("node1").artifacts.append(artifact)
    templated = []
    text_of = miner._text
    monkeypatch.setattr(miner, "_text", lambda log, raw: templated.append(raw) or text_of(log, raw))
    log = miner.log(artifact, None)
    msg = '"Failed to request IP addresses for container" err="range 10.0.{n}.0/24 is full" container="{cid}"'
    for n in range(3 * unexplained._CACHE_SIZE):
        miner.add(log, "E", msg.format(n=n % 7, cid=f"{n * 2654435761 % 2**64:016x}"), n + 1, "x")
    [entry] = miner.results(cluster)
    assert entry["count"] == 3 * unexplained._CACHE_SIZE
    assert entry["template"] == (
        '"Failed to request IP addresses for container" err="range <ip> is full" container="<name>"'
    )
    assert len(templated) == 1  # the ids come and go from the cache, the template learned stays
    assert all(len(c.by_level["error"]) <= unexplained._CACHE_SIZE for c in miner._caches.values())


# -- the report formats -------------------------------------------------------------------------

HOSTILE = "``` @everyone <script>alert(1)</script> [x](javascript:alert(1)) #123 [bold]x[/bold] |"


@pytest.fixture
def d(tmp_path) -> dict:
    lines = [klog("E", s, f"failed {s} {HOSTILE}") for s in range(3)] + [klog("W", 9, "disk slow 5ms")]
    return report(tmp_path, {"antrea-agent.log": HEADER.format(node="node2") + "\n".join(lines) + "\n"})


def test_json_report_with_unexplained_validates(d):
    jsonschema.Draft202012Validator(schema()).validate(json.loads(render(d, "json")))
    assert d["unexplained"][0]["count"] == 3


def test_schema_rejects_a_broken_unexplained_entry(d):
    d["unexplained"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema()).validate(d)


def test_markdown_lists_templates_in_code_and_examples_in_a_fence(d):
    md = render(d, "md")
    section = md[md.index("### Unexplained errors") : md.index("### Nodes")]
    assert "4 error or warning lines that no rule explains, grouped into 2 templates" in section
    # The template is a code span longer than any backtick run in it (nothing inside renders or
    # pings), with the table's | escaped; the examples are in a fence that outlasts the ``` too.
    assert "| 3 | error | ````failed <num> ``` @everyone <script>alert(<num>)</script>" in section
    assert "[bold]x[/bold] \\|```` | node2 |" in section
    assert "\n````text\nantrea-agent.log:5  2024-06-28T18:57:00.000000\nE0628 " in section
    prose = [ln for ln in section.splitlines() if not ln.startswith(("|", "E0", "W0", "antrea-agent.log", "````"))]
    assert not any("@everyone" in ln or "<script>" in ln for ln in prose)


def test_markdown_shows_at_most_25_templates_and_counts_the_rest(d):
    d["unexplained"] = [dict(d["unexplained"][1], template=f"t{i}", count=100 - i) for i in range(40)]
    md = render(d, "md")
    assert "| 75 | warning | `t25`" not in md and "`t24`" in md
    assert "15 more templates in the HTML and JSON reports" in md


def test_html_escapes_templates_and_examples(d):
    html = render(d, "html")
    section = html[html.index('<section id="unexplained">') :]
    section = section[: section.index("</section>")]
    assert "<script>" not in section and "&lt;script&gt;" in section
    assert "failed &lt;num&gt;" in section


def test_terminal_lists_the_most_frequent_templates(d):
    text = render(d, "terminal", width=200)
    assert "Unexplained errors (4 lines no rule explains, 2 templates):" in text
    assert "failed <num>" in text and "[bold]x[/bold]" in text  # printed as text, not rich markup
    d["unexplained"] = [dict(d["unexplained"][1], template=f"t{i}") for i in range(14)]
    assert "… 4 more templates in the HTML or JSON report" in render(d, "terminal", width=200)


def test_a_flood_of_long_templates_still_fits_a_github_comment(d):
    from diagnose.report.markdown import MAX_CHARS

    long = {"artifact": "a.log", "line": 1, "time": None, "text": "E" + "x" * 999}
    d["unexplained"] = [
        {
            "template": f"{i} " + "y" * 600,
            "count": 2000 - i,
            "level": "error",
            "nodes": ["node2"],
            "example": long,
            "overflow": False,
        }
        for i in range(2000)
    ]
    md = render(d, "md")
    assert len(md) < MAX_CHARS
    assert "### Unexplained errors" in md and "1,975 more templates" in md
