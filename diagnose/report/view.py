"""Presentation helpers shared by every renderer, so all formats word the same facts alike.

Everything here reads the `Diagnosis.to_dict()` dict and derives display text from it (a verdict
sentence, a Node's status, a reference link); nothing is recomputed from the bundle. No jinja2 or
rich import here: this module is loaded by every format.
"""

from __future__ import annotations

import re
from typing import Any

from diagnose.rules.rule import PROBLEM_SEVERITIES, SEVERITIES

PASTED_NODES = ("(unattributed)",)  # diagnose.bundle.model.UNATTRIBUTED: files that name no Node (no model import here)
SEVERITY_ICON = {"critical": "🔴", "error": "🟠", "warning": "🟡", "info": "🔵"}

# Characters that must not reach a terminal, an HTML page or a Markdown parser as they are:
# C0 controls except tab and newline, DEL, C1 controls, and the bidi overrides/isolates that can
# make a line read differently from what it contains ("Trojan Source").
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: Any) -> str:
    """Bundle text made safe to show: unsafe control characters become visible `\\xNN` escapes
    (a carriage return too: it would rewrite a terminal line or end a Markdown line)."""
    if value is None:
        return ""
    return _UNSAFE_CHARS.sub(_visible, str(value))


def oneline(value: Any) -> str:
    """`clean` text on one line: any run of whitespace, newlines included, becomes one space."""
    return " ".join(clean(value).split())


def nodes_text(nodes: list[str] | None, limit: int = 6) -> str:
    """`a, b, c and 4 more`; "cluster-wide" when a finding names no Node."""
    names = [oneline(n) for n in nodes or []]
    if not names:
        return "cluster-wide"
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"


def percent(confidence: Any) -> str:
    try:
        return f"{round(float(confidence) * 100)}%"
    except (TypeError, ValueError):
        return "?"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def problems(d: dict[str, Any]) -> list[dict[str, Any]]:
    """Root causes at warning or above (info findings are notes, not problems)."""
    return [f for f in d.get("findings", []) if f.get("severity") in PROBLEM_SEVERITIES]


def verdict(d: dict[str, Any]) -> str:
    """The one-sentence answer every format leads with."""
    findings = d.get("findings", [])
    found = problems(d)
    if not found and d.get("verdict") == "not-enough-evidence":
        return "Not enough evidence: no Node's logs or state were read, nothing could be judged"
    if not found:
        notes = len(findings)
        failed = len(d.get("rule_failures", []))
        asides = ([f"{plural(failed, 'rule')} failed"] if failed else []) + (
            [plural(notes, "informational note")] if notes else []
        )
        return (
            "No problems found"
            + (" by the rules that ran" if failed else "")
            + (f" ({', '.join(asides)})" if asides else "")
        )
    top = found[0]
    more = len(found) - 1
    named = [n for n in top.get("nodes") or [] if n not in PASTED_NODES]
    where = f"on {nodes_text(named)}" if named else "in the pasted files" if top.get("nodes") else "(cluster-wide)"
    sentence = (
        f"Most likely root cause: {oneline(top.get('title'))} {where} "
        f"({oneline(top.get('severity'))}, {oneline(top.get('status'))}, "
        f"confidence {percent(top.get('confidence'))})"
    )
    if more:
        sentence += f"; {plural(more, 'other root cause')}"
    return sentence


def rule_failures_note(d: dict[str, Any]) -> str | None:
    """The warning every format shows when a rule raised: what it checks is missing from the report."""
    failures = d.get("rule_failures", [])
    if not failures:
        return None
    listed = "; ".join(
        f"{oneline(r.get('rule_id'))} ({oneline(r.get('error'))} at {oneline(r.get('where'))})" for r in failures[:5]
    )
    more = f"; and {len(failures) - 5} more" if len(failures) > 5 else ""
    return (
        f"{plural(len(failures), 'rule')} failed on this source, so what "
        f"{'it checks is' if len(failures) == 1 else 'they check is'} missing from this report: {listed}{more}. "
        "This is a bug in the rule, not a problem of the bundle; please report it."
    )


def closing_line(d: dict[str, Any]) -> str:
    """The last line of the terminal report (and the Markdown/HTML footer summary)."""
    found = problems(d)
    if not found:
        return verdict(d)
    counts = count_by_severity(found)
    parts = [f"{counts[s]} {s}" for s in SEVERITIES if counts.get(s)]
    symptoms = sum(count_symptoms(f) for f in found)
    text = f"{plural(len(found), 'root cause')} ({', '.join(parts)})"
    if symptoms:
        text += f" explaining {plural(symptoms, 'symptom')}"
    return text


def count_by_severity(findings: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.get("severity", "")] = counts.get(f.get("severity", ""), 0) + 1
    return counts


def count_symptoms(finding: dict[str, Any]) -> int:
    return sum(1 + count_symptoms(s) for s in finding.get("symptoms", []))


def node_status(node: dict[str, Any]) -> str:
    """`ok`, `failed: <reason>`, `fallback bundle (logs only)` or both."""
    reason = node.get("failed_reason")
    fallback = node.get("fallback_bundle")
    if reason and fallback:
        return f"failed, fallback bundle (logs only): {oneline(reason)}"
    if reason:
        return f"failed: {oneline(reason)}"
    if fallback:
        return "fallback bundle (logs only)"
    return "ok"


def node_state(node: dict[str, Any]) -> str:
    """A class name for styling: ok, failed or fallback."""
    if node.get("failed_reason"):
        return "failed"
    if node.get("fallback_bundle"):
        return "fallback"
    return "ok"


def nodes_headline(d: dict[str, Any]) -> str:
    """`3 Nodes (1 failed, 1 fallback bundle); Antrea v2.1.0`."""
    # The controller bundle and unattributed pastes are listed as pseudo-Nodes: not counted.
    nodes = [n for n in d.get("source", {}).get("nodes", []) if n.get("role") not in ("controller", "unattributed")]
    failed = sum(1 for n in nodes if n.get("failed_reason"))
    fallback = sum(1 for n in nodes if n.get("fallback_bundle"))
    text = plural(len(nodes), "Node")
    extra = [f"{failed} failed"] if failed else []
    if fallback:
        extra.append(plural(fallback, "fallback bundle"))
    if extra:
        text += f" ({', '.join(extra)})"
    versions = sorted({oneline(n["antrea_version"]) for n in nodes if n.get("antrea_version")})
    if versions:
        text += f"; Antrea {', '.join(versions[:4])}" + (" and others" if len(versions) > 4 else "")
    return text


_GITHUB_REF = re.compile(r"([A-Za-z0-9][\w.-]{0,99})/([A-Za-z0-9][\w.-]{0,99})#(\d{1,9})")
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~!$&*+,;=:@%/?#()-]*)?")


def reference_url(ref: Any) -> str | None:
    """The link for a reference: `owner/repo#N` is a GitHub issue or PR (GitHub redirects
    /issues/N to the pull request), a plain http(s) URL is itself; anything else is not linked."""
    text = str(ref).strip()
    m = _GITHUB_REF.fullmatch(text)
    if m:
        return f"https://github.com/{m.group(1)}/{m.group(2)}/issues/{m.group(3)}"
    if _URL.fullmatch(text):
        return text
    return None


def evidence_location(line: dict[str, Any]) -> str:
    """`artifact:line  time  (node)`, the header printed above an evidence line."""
    loc = oneline(line.get("artifact"))
    if line.get("line") is not None:
        loc += f":{line['line']}"
    if line.get("time"):
        loc += f"  {oneline(line['time'])}"
    node = line.get("node")
    if node:
        loc += f"  ({oneline(node)})"
    return loc


def clock(value: Any, with_date: bool = False) -> str:
    """`18:55:02.336` from an ISO time (`2024-06-28 18:55:02.336` with the date); the text
    itself when it is not one; "" for none."""
    text = oneline(value)
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d{1,3})?\d*", text)
    if not m:
        return text
    return (f"{m[1]} " if with_date else "") + m[2] + (m[3] or "")


def inconclusive(d: dict[str, Any]) -> list[dict[str, Any]]:
    """Inconclusive findings with missing evidence, root causes and symptoms alike, in report order."""
    out: list[dict[str, Any]] = []

    def visit(f: dict[str, Any]) -> None:
        if f.get("status") == "inconclusive" and f.get("missing_evidence"):
            out.append(f)
        for s in f.get("symptoms", []):
            visit(s)

    for f in d.get("findings", []):
        visit(f)
    return out


def severity_counts(d: dict[str, Any]) -> dict[str, int]:
    """Findings per severity, root causes and the symptoms they explain, in severity order."""
    counts = dict.fromkeys(SEVERITIES, 0)

    def visit(f: dict[str, Any]) -> None:
        if f.get("severity") in counts:
            counts[f["severity"]] += 1
        for s in f.get("symptoms", []):
            visit(s)

    for f in d.get("findings", []):
        visit(f)
    return {s: n for s, n in counts.items() if n}


MAX_NODE_FILTERS = 40  # more Nodes than this: no Node filter (a radio per Node would not help)


def node_ids(d: dict[str, Any]) -> dict[str, int]:
    """A small integer per Node name, for HTML ids and classes (names are untrusted text and
    never become an attribute); empty when there are too few or too many Nodes to filter by."""
    names = list(dict.fromkeys(str(n.get("name")) for n in d.get("source", {}).get("nodes", [])))
    if not 2 <= len(names) <= MAX_NODE_FILTERS:
        return {}
    return {name: i for i, name in enumerate(names)}


def node_classes(nodes: Any, ids: dict[str, int]) -> str:
    """`byn n0 n3` for an element about these Nodes (the Node filter hides it when none of
    them is chosen); "" when it names no known Node (always shown)."""
    if isinstance(nodes, str):
        nodes = [nodes]
    found = sorted({ids[str(n)] for n in nodes or [] if str(n) in ids})
    return " ".join(["byn", *(f"n{i}" for i in found)]) if found else ""


CONTEXT_SHOWN = 240  # characters of a context line shown (the JSON keeps what the scan kept)


def excerpts(lines: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Evidence lines as excerpts of their files: each line with the lines around it, numbered,
    and consecutive evidence lines of one file whose excerpts touch merged into one (so a line
    is never shown twice). An excerpt is `{"location", "rows": [{"line", "text", "hit"}]}`;
    `rows` is empty for a line with no line number or context (show `text` alone)."""
    out: list[dict[str, Any]] = []
    for e in lines or []:
        ctx = [c for c in e.get("context") or [] if isinstance(c, dict) and isinstance(c.get("line"), int)]
        line = e.get("line")
        if not ctx or not isinstance(line, int):
            out.append(
                {"location": evidence_location(e), "text": clean(e.get("text")).rstrip(), "rows": [], "evidence": [e]}
            )
            continue
        rows = {c["line"]: (c["text"], False) for c in ctx}
        rows[line] = (e.get("text"), True)
        prev = out[-1] if out else None
        if (
            prev
            and prev["rows"]
            and prev["evidence"][-1].get("artifact") == e.get("artifact")
            and prev["evidence"][-1].get("node") == e.get("node")
            and prev["rows"][-1]["line"] + 1 >= min(rows)
        ):
            merged = {r["line"]: (r["text"], r["hit"]) for r in prev["rows"]}
            for n, (text, hit) in rows.items():
                merged[n] = (text, hit or merged.get(n, ("", False))[1])
            prev["evidence"].append(e)
            rows = merged
            block = prev
        else:
            block = {"evidence": [e]}
            out.append(block)
        block["rows"] = [
            {"line": n, "hit": hit, "text": clean(text).rstrip() if hit else _cut(clean(text).rstrip())}
            for n, (text, hit) in sorted(rows.items())
        ]
        block["location"] = _excerpt_location(block["evidence"])
        block["text"] = ""
    return out


def _cut(text: str) -> str:
    return text if len(text) <= CONTEXT_SHOWN else text[: CONTEXT_SHOWN - 1] + "…"


def _excerpt_location(evidence: list[dict[str, Any]]) -> str:
    """`artifact:19, 20, 22  18:55:02.068816 to 18:55:02.336061  (node2)`."""
    first, last = evidence[0], evidence[-1]
    loc = oneline(first.get("artifact")) + ":" + ", ".join(str(e.get("line")) for e in evidence)
    times = [oneline(e.get("time")) for e in (first, last) if e.get("time")]
    if times:
        loc += "  " + (times[0] if len(set(times)) == 1 else f"{times[0]} to {times[-1]}")
    if first.get("node"):
        loc += f"  ({oneline(first['node'])})"
    return loc


def human_size(size: Any) -> str:
    try:
        n = float(size)
    except (TypeError, ValueError):
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
