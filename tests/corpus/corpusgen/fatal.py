"""The fatal-line recall corpus: each entry of data/fatal_messages.json (the most common fatal or
error message of a taxonomy category, resolved from Antrea's source at a release) pasted alone,
once as the log line a user copies (a klog line with its header; for a message that is not a klog
line, the container output it appears in) and once as the bare message."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from corpusgen.facts import fatal_entries
from corpusgen.samplegen import klog_line

PASTED_AT = datetime(2025, 3, 1, 12, 0, 0)


def pastes(entry: dict) -> list[str]:
    """The klog line (or the container output a non-klog message sits in) and the bare message;
    one paste when both are the same text."""
    first = "container-output" if entry["origin"] == "container" else "klog-line"
    if paste_text(entry, first) == paste_text(entry, "bare-message"):
        return ["bare-message"]
    return [first, "bare-message"]


def case_ids() -> list[str]:
    return [f"{e['category']}/{e['release']}/{e['id']}/{p}" for e in fatal_entries() for p in pastes(e)]


def entry_for(case_id: str) -> dict:
    category, release, ident, _paste = case_id.split("/")
    return next(e for e in fatal_entries() if (e["category"], e["release"], e["id"]) == (category, release, ident))


def paste_text(entry: dict, paste: str) -> str:
    if paste == "bare-message":
        return entry["message"].split("\n", 1)[0] + "\n" if entry["origin"] == "container" else entry["message"] + "\n"
    if paste == "container-output":
        return container_output(entry)
    return klog_line(entry["level"], PASTED_AT, f"{entry['file']}:{entry['line']}", entry["message"]) + "\n"


def container_output(entry: dict) -> str:
    """What the container printed around the message (`kubectl logs` of it)."""
    if entry["category"] == "kernel-module":
        return (
            "modprobe: FATAL: Module openvswitch not found in directory /lib/modules/6.6.12-linuxkit\n"
            + entry["message"]
            + "\n"
        )
    return entry["message"] + "\n"


def write(case_id: str, root: Path) -> Path:
    """The paste as a single file (what `scan FILE` gets when a user pastes one line)."""
    entry = entry_for(case_id)
    paste = case_id.rsplit("/", 1)[1]
    dest = root / case_id.replace("/", "_")
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "pasted.txt"
    path.write_text(paste_text(entry, paste))
    return path


def verdict(report: dict, category: str) -> str:
    """ "" when the first finding is `error`/`critical` in `category`, else what came first instead."""
    findings = report["findings"]
    if not findings:
        return "no finding"
    first = findings[0]
    if first["category"] == category and first["severity"] in ("error", "critical"):
        return ""
    others = [f"{f['rule_id']}/{f['category']}/{f['severity']}" for f in findings[:3]]
    return "first: " + "; ".join(others)
