"""Error lines no specific rule explains, that went on until the end of the logs (the fallback for errors).

Symptom
-------
An Antrea component keeps logging the same error (``E...`` klog lines, or error messages pasted
without their header), and none of the specific findings accounts for it.

Why it happens
--------------
The rule catalogue will never know every failure. An error that repeats until the end of the
logs means some part of Antrea does not work; its message names the part: the message catalogue
generated from Antrea's source maps it to its package, component and root-cause category, so the
finding points where to look even when no rule knows the cause.

Evidence
--------
The error lines of each Node's latest runs grouped by their source message (the catalogue's
format, else the line with its variable parts masked). A group counts when it lasted: it did not
stop while the component kept logging, and no later run went well (the engine's judgement of
failures, the same as every rule's), and when no other finding cites its lines (then that finding
explains it). Fatal lines and panics (the ``E`` line of ``Observed a panic`` too) have their own
finding. Pasted alone (an excerpt of a few error lines), the group is reported at ``error``: the
user quoted it as the problem; in a whole log it is a ``warning`` with low confidence, since a
repeating error is not always a fault. An error that stopped is judged by the lines after it, not
by an absent success line: Antrea's retry loops log nothing when a retry succeeds, so silence
while the component keeps logging past its retry interval is recovery.

Remediation
-----------
Read the message at its source line (the link names the release) and look at the component it
names; collect that component's full log and state.

References
----------
antrea-io/antrea docs/troubleshooting.md; the message catalogue (diagnose/facts/messages.json.gz).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from diagnose.api import (
    AGENT_LOG,
    CONTROLLER_LOG,
    OTHER_CONTAINER_LOG,
    Finding,
    Inputs,
    Judgement,
    LogEvent,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Run,
    Step,
    duration_text,
    errorchain,
    lifecycle,
)


@dataclass
class Values:
    """A lasting error message of a Node, where it comes from and how often."""

    component: str  # who logs it: "antrea-agent", "antrea-controller", "A container of the antrea-agent Pod"
    count: int  # error lines of the Node's lasting groups in this area
    capped: bool  # the scan kept fewer error lines than it matched, so `count` is a floor
    kinds: int  # distinct messages among them
    sample: str  # the latest line of the most frequent message (first 300 characters)
    area: str  # what the message catalogue says it points at, e.g. "antrea-agent route client"; "" unknown
    source: str  # its Antrea source, "pkg/agent/route/route_linux.go:559 (pkg/agent/route)"; "" unknown
    url: str  # a link to that source line at the closest release; "" unknown
    needle: str  # a fixed piece of the message to grep for
    lasted: str  # "20 times over 19 min"; "" for a single line or undated lines


_SAID = """
    {{ component }} on {{ where }} keeps logging {{ "an error" if count == 1 else ("at least " if capped else "")
    ~ count ~ " errors" }}
    {%- if kinds > 1 %} of {{ kinds }} kinds{% endif %} that no specific rule explains{% if lasted %}
    ({{ lasted }}){% endif %}: "{{ sample }}"{% if kinds > 1 %} (the most frequent){% endif %}.
    {% if area %}It points at {{ area }}{% if source %} ({{ source }}){% endif %}.{% endif %}
"""

RULE = Rule(
    id="ANT-ERR-001",
    slug="persistent-errors",
    title="An Antrea component keeps logging an error no rule explains",
    category="agent-crash",
    severity="warning",
    fallback=True,
    judge_outcome=False,  # judged here, per message: one Node's errors are of many kinds
    inputs=Inputs(any_of=(AGENT_LOG, CONTROLLER_LOG, OTHER_CONTAINER_LOG)),
    references=("https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",),
    values=Values,
    outcomes=(
        # A short paste of error lines: the user quoted them as the problem.
        Outcome(
            "quoted",
            severity="error",
            message=_SAID
            + """
            It is what the paste shows{% if area %}: the cause is in that area{% endif %}.""",
        ),
        Outcome(
            "lasting",
            severity="warning",
            message=_SAID
            + """
            A repeating error is not always a fault{% if area %}: check that area first{% endif %}.""",
        ),
    ),
    remediation=(
        Step(
            "Read the message at its source (the finding links the line) and the component's full log.",
            "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent | grep -F "
            "'{{ needle }}' | tail -20",
        ),
        Step(
            "{% if url %}Source of the message: {{ url }}{% else %}Search Antrea's issues for the message: "
            "https://github.com/antrea-io/antrea/issues?q={{ needle | urlencode }}{% endif %}"
        ),
    ),
)

_FATAL_MESSAGES = ("Error running agent", "Error running controller", "Failed to complete:", "Failed to validate:")
_COMPONENT = {"controller": "antrea-controller", "container": "A container of the antrea-agent Pod"}


@dataclass
class _Lasting:
    """The error lines of one message that lasted, judged, with its error chain."""

    events: list[LogEvent]  # the error lines of one message, in run order
    judged: Judgement
    chain: errorchain.Chain


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.view.nodes.values():
        # What lasted, by the area its message names: one finding per area and Node.
        by_area: dict[str, list[_Lasting]] = {}
        for events in _errors_by_message(node).values():
            judged = node.outcome(events)
            if judged is not None and judged.current:
                chain = errorchain.decode(_message(events[-1]))
                by_area.setdefault(chain.category or "agent-crash", []).append(_Lasting(events, judged, chain))
        for category, items in by_area.items():
            yield _finding(node, category, items)


def _errors_by_message(node: NodeView) -> dict[str, list[LogEvent]]:
    """Error lines of every run, by the format of their message; not fatal lines nor panics,
    which have their own finding."""
    groups: dict[str, list[LogEvent]] = {}
    for run in node.runs_of("agent") + node.runs_of("controller") + node.runs_of("container"):
        crashed = _crash_lines(run)
        for e in run.events:
            if e.signature in lifecycle.ERRORS and not _fatal(e) and (e.artifact, e.line) not in crashed:
                groups.setdefault(errorchain.message_format(_message(e)), []).append(e)
    return groups


def _finding(node: NodeView, category: str, items: list[_Lasting]) -> Finding:
    items.sort(key=lambda item: (len(item.events), item.events[-1].time or datetime.min), reverse=True)
    top = items[0]
    quoted = node.quoted([e for item in items for e in item.events])
    evidence = [item.events[-1] for item in items[1:4]]
    evidence += top.events[:2] + top.events[-1:] if len(top.events) > 3 else top.events
    return RULE.finding(
        "quoted" if quoted else "lasting",
        nodes=[node.name],
        category=category,
        confidence=0.5 if quoted else 0.3,
        values=Values(
            component=_COMPONENT.get(node.process_of(top.events[-1]), "antrea-agent"),
            count=sum(len(item.events) for item in items),
            capped=_capped(node),
            kinds=len(items),
            sample=_message(top.events[-1])[:300],
            area=top.chain.area,
            source=top.chain.source,
            url=top.chain.url,
            needle=_needle(errorchain.message_format(_message(top.events[-1]))),
            lasted=_lasted(top.judged),
        ),
        evidence=evidence,
    )


def _capped(node: NodeView) -> bool:
    """The scanner keeps a bounded number of events per signature and counts all of its hits."""
    kept = sum(1 for e in node.data.events if e.signature in lifecycle.ERRORS)
    return sum(node.data.hit_counts[k] for k in lifecycle.ERRORS) > kept


def _crash_lines(run: Run) -> set[tuple[str, int]]:
    return {(e.artifact, e.line) for e in run.events if e.signature in lifecycle.PANICS}


def _fatal(e: LogEvent) -> bool:
    return e.level == "F" or _message(e).startswith(_FATAL_MESSAGES)


def _message(e: LogEvent) -> str:
    return e.groups.get("msg") or e.message or e.text


def _needle(template: str) -> str:
    """A fixed piece of the message to grep for."""
    pieces = [
        p
        for p in template.replace("%v", "\0")
        .replace("%s", "\0")
        .replace("%d", "\0")
        .replace("%q", "\0")
        .replace("%w", "\0")
        .split("\0")
        if len(p.strip()) > 8
    ]
    return max(pieces, key=len).strip().strip('"')[:80] if pieces else template[:40]


def _lasted(judged: Judgement) -> str:
    lasted = judged.lasted
    if lasted is None or judged.count < 2:
        return ""
    return f"{judged.count} times over {duration_text(lasted)}"
