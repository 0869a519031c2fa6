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
explains it). Fatal lines and panics have their own finding. Pasted alone (an excerpt of a few
error lines), the group is reported at ``error``: the user quoted it as the problem; in a whole log
it is a ``warning`` with low confidence, since a repeating error is not always a fault.

Remediation
-----------
Read the message at its source line (the link names the release) and look at the component it
names; collect that component's full log and state.

References
----------
antrea-io/antrea docs/troubleshooting.md; the message catalogue (diagnose/facts/messages.json.gz).
"""

from __future__ import annotations

from datetime import datetime

from diagnose import unexplained
from diagnose.facts import errorchain, lifecycle
from diagnose.facts import outcome as outcomes
from diagnose.model import LOG_KINDS
from diagnose.rule import Rule, Step

RULE = Rule(
    id="ANT-ERR-001",
    slug="persistent-errors",
    title="An Antrea component keeps logging an error no rule explains",
    category="agent-crash",
    severity="warning",
    fallback=True,
    judge_outcome=False,  # judged here, per message: one Node's errors are of many kinds
    references=("https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",),
    message="""
        {{ component }} on {{ where }} keeps logging {{ "an error" if count == 1 else ("at least " if capped else "")
        ~ count ~ " errors" }}
        {%- if kinds > 1 %} of {{ kinds }} kinds{% endif %} that no specific rule explains{% if lasted %}
        ({{ lasted }}){% endif %}: "{{ sample }}"{% if kinds > 1 %} (the most frequent){% endif %}.
        {% if area %}It points at {{ area }}{% if source %} ({{ source }}){% endif %}.{% endif %}
        {% if excerpt %}It is what the paste shows: the cause is in that area.{% else %}A repeating error is not
        always a fault: check that area first.{% endif %}
    """,
    remediation=(
        Step("Read the message at its source (the finding links the line) and the component's full log.",
             "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent | grep -F "
             "'{{ needle }}' | tail -20"),
        Step("{% if url %}Source of the message: {{ url }}{% else %}Search Antrea's issues for the message: "
             "https://github.com/antrea-io/antrea/issues?q={{ needle | urlencode }}{% endif %}"),
    ),
)

EXCERPT_LINES = 50  # a pasted file this short, mostly errors, is a quote of the problem


def check(ev):
    for node in ev.view.nodes.values():
        groups: dict[str, list] = {}
        for run in node.runs_of("agent") + node.runs_of("controller") + node.runs_of("container"):
            for e in run.events:
                if e.signature in lifecycle.ERRORS and not _fatal(e):
                    groups.setdefault(_template(e), []).append(e)
        # What lasted, by the area its message names: one finding per area and Node.
        by_area: dict[str, list] = {}
        for events in groups.values():
            result = node.outcome(events)
            if result is not None and result.current:
                chain = errorchain.decode(_message(events[-1]))
                by_area.setdefault(chain.category or "agent-crash", []).append((events, result, chain))
        for category, items in by_area.items():
            items.sort(key=lambda item: (len(item[0]), item[0][-1].time or datetime.min), reverse=True)
            events, result, chain = items[0]
            excerpt = _excerpt(node, [e for evs, _, _ in items for e in evs])
            count = sum(len(evs) for evs, _, _ in items)
            kept = sum(1 for e in node.data.events if e.signature in lifecycle.ERRORS)
            capped = sum(node.data.hit_counts[k] for k in lifecycle.ERRORS) > kept
            yield RULE.finding(
                nodes=[node.name],
                category=category,
                severity="error" if excerpt else "warning",
                confidence=0.5 if excerpt else 0.3,
                values={"component": _component(node.process_of(events[-1]), chain), "count": count,
                        "kinds": len(items), "capped": capped, "sample": _message(events[-1])[:300], "area": chain.area,
                        "source": chain.source, "url": chain.url, "excerpt": excerpt,
                        "needle": _needle(_template(events[-1])), "lasted": _lasted(result)},
                evidence=[evs[-1] for evs, _, _ in items[1:4]] + (events[:2] + events[-1:] if len(events) > 3
                                                                   else events),
            )


def _fatal(e) -> bool:
    text = _message(e)
    return text.startswith(("Error running agent", "Error running controller", "Failed to complete:",
                            "Failed to validate:")) or e.level == "F"


def _message(e) -> str:
    return e.groups.get("msg") or e.message or e.text


def _template(e) -> str:
    from diagnose.facts import messages

    text = _message(e)
    found = messages.lookup(text[:2000])
    return found.format if found is not None else unexplained.template_of(text)


def _excerpt(node, events) -> bool:
    """The errors come from short pasted files (not files of a bundle) that hold little else."""
    sizes = {a.path: int(a.meta.get("lines", "0") or 0) for a in node.data.artifacts
             if a.kind in LOG_KINDS and not a.meta.get("bundled") and not a.meta.get("whole_file")}
    files = {e.artifact for e in events}
    return all(0 < sizes.get(f, EXCERPT_LINES + 1) <= EXCERPT_LINES for f in files)


def _component(process: str, chain) -> str:
    own = {"controller": "antrea-controller", "container": "A container of the antrea-agent Pod"}
    return own.get(process, "antrea-agent")


def _needle(template: str) -> str:
    """A fixed piece of the message to grep for."""
    pieces = [p for p in template.replace("%v", "\0").replace("%s", "\0").replace("%d", "\0").replace(
        "%q", "\0").replace("%w", "\0").split("\0") if len(p.strip()) > 8]
    return max(pieces, key=len).strip().strip('"')[:80] if pieces else template[:40]


def _lasted(result: outcomes.Outcome) -> str:
    lasted = result.lasted
    if lasted is None or result.count < 2:
        return ""
    return f"{result.count} times over {outcomes.duration_text(lasted)}"
