"""The per-Node timeline of the report: what the dict says, how it is bounded, how it is drawn."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import jsonschema
from test_report_json import _undocumented

from diagnose.bundle.model import AGENT_LOG, OVS_LOG, Artifact, Cluster, EvidenceLine, LogEvent
from diagnose.facts.lifecycle import key
from diagnose.report import lanes, render, storyline
from diagnose.report.json import schema

T0 = datetime(2024, 6, 28, 18, 55, 0)


def _node(story: dict, name: str) -> dict:
    return next(n for n in story["timeline"]["nodes"] if n["node"] == name)


def test_node2_story_of_the_6448_sample(story):
    nodes = story["timeline"]["nodes"]
    assert nodes[0]["node"] == "node2" and nodes[0]["affected"]  # the root cause's Node first
    n2 = nodes[0]
    runs = [(r["number"], r["ended"], r["start_seen"]) for r in n2["runs"]]
    assert runs == [(1, "restart", True), (2, "fatal", True)]
    assert n2["restarts"] == 1 and n2["runs"][1]["fatal"].startswith("Error running agent: error initializing agent")
    assert n2["runs"][0]["version"] == "v2.1.0-dev-6e00ebf"
    events = n2["events"]
    times = [e["time"] for e in events if e["time"]]
    assert times == sorted(times) and n2["undated_events"] == len(events) - len(times)
    attach = next(e for e in events if "Physical interface added" in e["label"])
    assert attach["root_cause"] and attach["findings"] == ["ANT-SEC-001"] and attach["run"] == 1
    timeout = next(e for e in events if "i/o timeout" in e["label"] and e["level"] == "error")
    fatal = next(e for e in events if e["kind"] == "fatal")
    assert attach["time"] < timeout["time"] < fatal["time"] and fatal["run"] == 2
    assert [e["kind"] for e in events if e["kind"] in ("start", "restart")] == ["start", "restart"]
    assert any(e["kind"] == "ovs" and "added interface enp0s1~" in e["label"] for e in events)
    # A line that two rules' signatures match is one event listing both.
    assert not _node(story, "node1")["affected"]
    synced = [
        e for e in _node(story, "node1")["events"] if e["label"].startswith("Caches are synced for AntreaAgentNod")
    ]
    assert (
        len(synced) == 1
        and {s.split(":")[0] for s in synced[0]["signatures"]} == {"ANT-CTRL-001", "ANT-TLS-001"}
        or len(synced) == 1
        and len(synced[0]["signatures"]) >= 1
    )
    assert _node(story, "antrea-controller")["runs"] == []  # the controller has no agent runs


def test_the_timeline_validates_and_every_field_is_documented(story):
    s = schema()
    jsonschema.Draft202012Validator(s).validate(story)
    assert story["timeline"]["nodes"][0]["events"] and story["findings"][0]["evidence"][0]["context"]
    assert _undocumented(s, s, story, "$") == []


def _cluster(events: list[LogEvent], kinds: dict[str, str] | None = None) -> Cluster:
    c = Cluster("x")
    node = c.node("n1")
    for path, kind in (kinds or {"agent.log": AGENT_LOG}).items():
        node.artifacts.append(Artifact(path, kind, "n1"))
    node.events.extend(events)
    return c


def _ev(i: int, sig: str, text: str | None = None, level: str = "I", artifact: str = "agent.log") -> LogEvent:
    return LogEvent(
        artifact, i + 1, text or f"line {i}", sig, "n1", T0 + timedelta(seconds=i), level, message=text or f"line {i}"
    )


def test_events_are_bounded_keeping_evidence_and_markers_and_spanning_the_whole_time():
    events = [_ev(0, key("start"), "Starting Antrea agent")]
    events += [_ev(i, "R:noise", f"noise {i}") for i in range(1, 2000)]
    events += [_ev(2000, key("klog_fatal"), "Error running agent: boom", "F")]
    from diagnose.rules.rule import Finding

    proof = Finding(
        "R-1", "r", "agent-crash", "critical", "t", ["n1"], 0.9, "s", evidence=[EvidenceLine.of(events[1500])]
    )
    d = storyline.build(_cluster(events), [proof], max_events=50)
    [n] = d["nodes"]
    assert len(n["events"]) == 50 and n["omitted_events"] == 2001 - 50
    kept = {e["label"] for e in n["events"]}
    assert {"Starting Antrea agent", "Error running agent: boom", "noise 1500"} <= kept
    assert next(e for e in n["events"] if e["label"] == "noise 1500")["root_cause"]
    noise = [int(e["label"].split()[1]) for e in n["events"] if e["label"].startswith("noise")]
    assert noise == sorted(noise) and noise[0] < 100 and noise[-1] > 1900  # sampled across the run
    assert [r["ended"] for r in n["runs"]] == ["fatal"]


def test_runs_restarts_and_lines_outside_any_run():
    ovs = "ovs-vswitchd.log"
    events = [
        _ev(0, "R:ovs", "bridge added", artifact=ovs),  # before the first agent line
        _ev(5, key("start"), "Starting Antrea agent"),
        _ev(6, "R:x", "work"),
        _ev(9, key("start"), "Starting Antrea agent"),
        _ev(10, "R:y", "more"),
    ]
    n = storyline.build(_cluster(events, {"agent.log": AGENT_LOG, ovs: OVS_LOG}), [])["nodes"][0]
    assert [(r["number"], r["ended"]) for r in n["runs"]] == [(1, "restart"), (2, "running")]
    assert [(e["kind"], e["run"]) for e in n["events"]] == [
        ("ovs", None),
        ("start", 1),
        ("log", 1),
        ("restart", 2),
        ("log", 2),
    ]
    undated = LogEvent("agent.log", 1, "pasted", "R:z", "n1", None, None)
    n = storyline.build(_cluster([*events, undated]), [])["nodes"][0]
    assert n["events"][-1]["time"] is None and n["undated_events"] == 1


def test_lane_geometry_follows_time_and_labels_never_overlap(story):
    n2 = _node(story, "node2")
    lane = lanes.lane(n2)
    xs = {m["n"]: m["x"] for m in lane["markers"]}
    keys = lanes.key_events(n2)
    timed = [k for k in keys if k["time"]]
    assert [xs[k["n"]] for k in timed] == sorted(xs[k["n"]] for k in timed)
    assert all(lane["gutter"] <= x <= lane["width"] for x in xs.values())
    rows: dict[int, list[tuple[float, float]]] = {}
    for label in lane["labels"]:
        width = len(label["text"]) * lanes.CHAR
        span = (label["x"], label["x"] + width) if label["anchor"] == "start" else (label["x"] - width, label["x"])
        assert all(span[1] < a or span[0] > b for a, b in rows.get(label["y"], [])), label
        rows.setdefault(label["y"], []).append(span)
        assert span[0] >= 0 and span[1] <= lane["width"]
    assert any("Physical interface added" in label["text"] for label in lane["labels"])
    assert [r["ended"] for r in lane["runs"]] == ["restart", "fatal"] and len(lane["restarts"]) == 1
    assert lanes.lane({"events": [{"time": None}], "start": None, "end": None}) is None
    assert lanes.overview({"nodes": [n2]}) is None  # one Node: its own lane says it all
    over = lanes.overview(story["timeline"])
    assert [r["node"] for r in over["rows"]] == ["node2", "node1", "antrea-controller"]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_draws_a_lane_per_node_with_the_story_in_order(story):
    html = render(story, "html")
    card = html[html.index('id="finding-1"') : html.index("</article>")]
    assert card.count('<svg class="tl"') == 1 and "<title>Timeline of node2</title>" in card  # in the card
    section = html[html.index('<section id="timeline">') :]
    assert "All Nodes on one time axis" in section and "Timeline of node1" in section
    assert "Timeline of node2" not in section  # drawn once
    marks = re.findall(r'<g class="mk ([^"]*)" data-kind="(\w+)" data-x="([\d.]+)" data-n="(\d+)"><title>([^<]*)', card)
    attach = next(float(x) for _, _, x, _, t in marks if "Physical interface added" in t)
    timeout = next(float(x) for c, _, x, _, t in marks if "i/o timeout" in t and "l-error" in c)
    fatal = next(float(x) for _, k, x, _, _ in marks if k == "fatal")
    assert attach < timeout < fatal
    assert "run 1 · no fatal line, restarted · v2.1.0-dev-6e00ebf" in card


def test_hostile_timeline_text_stays_text(story, hostile):
    for n in story["timeline"]["nodes"]:
        n["node"] = hostile
        for e in n["events"]:
            e["label"] = e["text"] = e["artifact"] = hostile
            e["kind"] = 'fatal" onclick="alert(1)'
        for r in n["runs"]:
            r["version"] = r["fatal"] = hostile
    html = render(story, "html")
    tags = _Tags()
    tags.feed(html)
    assert "img" not in [t for t, _ in tags.tags]
    assert all(not k.startswith("on") for _, a in tags.tags for k in a)
    assert all("alert" not in (v or "") for _, a in tags.tags for v in a.values())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    md = render(story, "md")
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": True}).enable(["table"]).render(md)
    assert "<script>alert" not in rendered and "<img" not in rendered


def test_markdown_and_terminal_tell_node2s_story(story):
    md = render(story, "md")
    section = md[md.index("### Timeline") :]
    assert "**node2**: 2 agent runs, 1 restart; last run ended on a fatal error" in section
    # Row numbers depend on how many other lines carry a time; the order is what matters.
    attach = re.search(
        r"\| (\d+) \| 18:55:02\.336 \| 1 \| info \| \*\*Physical interface added to secondary OVS "
        r"bridge device=enp0s1\\~\*\* \|",
        section,
    )
    fatal = re.search(r"\| (\d+) \| 18:57:17\.883 \| 2 \| fatal \| fatal: \*\*Error running agent", section)
    assert attach and fatal and int(attach[1]) < int(fatal[1])
    assert "**node1**" not in section  # only Nodes with problems get a table
    term = render(story, "terminal", width=160)
    assert "Timeline of node2: 2 agent runs, 1 restart" in term
    assert re.search(r"18:55:02\.336 run 1 Physical interface added to secondary OVS bridge", term)
    assert re.search(r"18:57:17\.883 run 2 fatal: Error running agent", term)
