#!/usr/bin/env python3
"""Run both corpora (tests/corpus/) and write what the tool gets wrong today into the known-failure
lists the tests turn into strict xfails:

    python tools/record_corpus_failures.py            # rewrite both lists, print a summary
    python tools/record_corpus_failures.py --check    # only print the summary

healthy: a case fails when any finding is at `warning` or above; the line says which
(`rule/severity/nodes`, first three). fatal: a case fails unless the first finding is `error` or
`critical` in the entry's category; the line says what came first instead.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "corpus"))
sys.path.insert(0, str(ROOT))

from corpusgen import cases, fatal  # noqa: E402

from diagnose.diagnosis.engine import diagnose  # noqa: E402
from diagnose.errors import InputError  # noqa: E402
from diagnose.rules import rulepack  # noqa: E402

SEVERE = {"critical", "error", "warning"}


def healthy_verdicts(rules: list, root: Path) -> dict[str, str]:
    out = {}
    for case_id in cases.healthy_case_ids():
        report = diagnose(cases.write_healthy(case_id, root), rules).to_dict()
        bad = []
        for f in report["findings"]:
            for g in [f, *f.get("explains", [])]:
                if g["severity"] in SEVERE:
                    bad.append(f"{g['rule_id']}/{g['severity']}/{','.join(g['nodes'])}")
        problems = [p["reason"] if isinstance(p, dict) else str(p) for p in report["source"]["unreadable"]]
        if bad or problems:
            more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
            out[case_id] = "; ".join(bad[:3]) + more + ("; unreadable: " + problems[0] if problems else "")
    return out


def fatal_verdicts(rules: list, root: Path) -> dict[str, str]:
    out = {}
    for case_id in fatal.case_ids():
        entry = fatal.entry_for(case_id)
        try:
            report = diagnose(fatal.write(case_id, root), rules).to_dict()
        except InputError as e:
            out[case_id] = "input rejected: " + re.sub(r"Nothing in \S+", "nothing in the paste", str(e))
            continue
        verdict = fatal.verdict(report, entry["category"])
        if verdict:
            out[case_id] = verdict
    return out


def write_list(path: Path, header: str, verdicts: dict[str, str]) -> None:
    lines = [f"# {line}" for line in header.strip().splitlines()]
    lines += [f"{case}\t{reason}" for case, reason in sorted(verdicts.items())]
    path.write_text("\n".join(lines) + "\n")


def summary(name: str, verdicts: dict[str, str], total: list[str]) -> None:
    print(f"{name}: {len(verdicts)} of {len(total)} cases fail today")
    by_class: dict[str, Counter] = defaultdict(Counter)
    for case, reason in verdicts.items():
        by_class[case.split("/")[0]][reason.split(";")[0].split("/")[0]] += 1
    cls_total = Counter(c.split("/")[0] for c in total)
    for cls in sorted(cls_total):
        fails = sum(by_class[cls].values())
        rules = ", ".join(f"{r} x{n}" for r, n in by_class[cls].most_common())
        print(f"  {cls:34} {fails:3}/{cls_total[cls]:<3} {rules}")


HEALTHY_HEADER = """Healthy/recovered corpus cases the tool gets wrong today (tests/corpus/test_healthy_corpus.py).
case id<TAB>findings at warning or above (rule/severity/nodes). Regenerate with
python tools/record_corpus_failures.py; a fix makes its cases XPASS (strict) until removed here."""
FATAL_HEADER = """Fatal-line recall cases the tool gets wrong today (tests/corpus/test_fatal_recall.py).
case id<TAB>what it ranks first instead (rule/category/severity, or "no finding").
Regenerate with python tools/record_corpus_failures.py."""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="print the summary, do not rewrite the lists")
    args = ap.parse_args(argv)
    rules = rulepack.load(rulepack.rule_dirs())
    data = cases.facts.DATA
    with tempfile.TemporaryDirectory() as tmp:
        healthy = healthy_verdicts(rules, Path(tmp) / "healthy")
        fatals = fatal_verdicts(rules, Path(tmp) / "fatal")
    summary("healthy", healthy, cases.healthy_case_ids())
    summary("fatal", fatals, fatal.case_ids())
    if not args.check:
        write_list(data / "known_failures_healthy.tsv", HEALTHY_HEADER, healthy)
        write_list(data / "known_failures_fatal.tsv", FATAL_HEADER, fatals)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
