"""The fleet view: counts from the store, plots, unexplained templates, escaping, exports."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import pandas as pd
import pytest
from batch_corpus import FOLDERS
from support import ROOT

from diagnose.batch import extract, summary
from diagnose.batch import store as st
from diagnose.batch.fleet import Fleet


def finding(rule_id, category, severity, rank=0, explained_by=None, title="t", symptoms=()):
    return {
        "rank": rank,
        "rule_id": rule_id,
        "slug": rule_id.lower(),
        "category": category,
        "severity": severity,
        "confidence": 0.9,
        "status": "confirmed",
        "title": title,
        "nodes": ["node2"],
        "symptoms": list(symptoms),
        "explained_by": explained_by,
    }


def record(s, name, versions, collected, findings, unexplained=(), status=st.SCANNED, error=None):
    s.record(
        path=f"/tickets/{name}.tar.gz",
        file_name=f"{name}.tar.gz",
        size=10,
        stat_key=None,
        rulepack="r1",
        result={
            "location": f"/tickets/{name}.tar.gz",
            "content_hash": f"hash-{name}",
            "status": status,
            "error": error,
            "seconds": 0.2,
            "summary": None
            if status != st.SCANNED
            else {
                "antrea_versions": versions,
                "node_count": 3,
                "shape": "antctl-directory",
                "collected_at": collected,
                "problems": 0,
                "worst_severity": findings[0]["severity"] if findings else None,
                "findings": findings,
                "unexplained": list(unexplained),
            },
        },
    )


def unexplained(template, count, level="error"):
    return {
        "template": template,
        "count": count,
        "level": level,
        "nodes": ["node1"],
        "example": f"E0628 {template}",
        "overflow": False,
    }


@pytest.fixture
def results(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    s = st.Store(out / st.FILE_NAME)
    record(
        s,
        "ticket-a",
        ["v2.1.0"],
        "2024-06-28T18:58:00",
        [
            finding(
                "ANT-SEC-001",
                "secondary-network-uplink",
                "critical",
                title="Bridge took the NIC @team #12",
                symptoms=["podcidr-not-allocated"],
            ),
            finding("ANT-PCD-001", "podcidr-not-allocated", "critical", explained_by="ANT-SEC-001"),
        ],
        [unexplained("Failed to sync <name>", 5), unexplained("noise", 1, "warning")],
    )
    record(
        s,
        "ticket-b",
        ["v2.1.0", "v2.2.0"],
        "2024-07-03T10:00:00",
        [
            finding("ANT-IPAM-001", "ipam", "error"),
            finding("ANT-SEC-001", "secondary-network-uplink", "critical", rank=1),
        ],
        [unexplained("Failed to sync <name>", 2)],
    )
    record(
        s, "ticket-c", [], None, [], status=st.FAILED, error="Nothing in it could be read: <script>alert(1)</script>"
    )
    s.record_duplicate(
        path="/copies/ticket-a.tar.gz",
        file_name="ticket-a-copy.tar.gz",
        content_hash="hash-ticket-a",
        size=10,
        stat_key=None,
        rulepack="r1",
        same_as="/tickets/ticket-a.tar.gz",
    )
    s.close()
    return out


def test_fleet_counts_root_causes_once_per_bundle_and_version(results):
    fleet = Fleet.load(results / st.FILE_NAME)
    t = fleet.totals()
    assert (t["bundles"], t["scanned"], t["failed"], t["duplicates"], t["root_causes"]) == (4, 2, 1, 1, 3)
    assert fleet.by_category() == [("secondary-network-uplink", {"critical": 2}), ("ipam", {"error": 1})]
    assert fleet.by_version() == [("v2.1.0", {"critical": 2, "error": 1}), ("v2.2.0", {"critical": 1, "error": 1})]
    assert fleet.by_severity() == [("critical", {"critical": 2}), ("error", {"error": 1}), ("warning", {"warning": 0})]
    rows, period, undated = fleet.over_time()
    assert (period, undated) == ("day", 0)
    assert rows[0] == ("2024-06-28", {"critical": 1}) and rows[-1] == ("2024-07-03", {"critical": 1, "error": 1})
    top = fleet.top_rules()
    assert (top[0]["rule_id"], top[0]["bundles"], top[0]["share"]) == ("ANT-SEC-001", 2, 1.0)
    (first, second) = fleet.top_unexplained()
    assert (first["template"], first["bundles"], first["lines"]) == ("Failed to sync <name>", 2, 7)
    assert second["template"] == "noise"


def test_summary_files_are_self_contained_escaped_and_exported(results):
    files, notes = summary.write_all(results)
    assert notes == []
    assert {f.name for f in files} == {"summary.html", "summary.md", "findings.csv", "bundles.csv", "findings.parquet"}
    html = (results / "summary.html").read_text()
    assert html.count("<svg") == 4
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing fetched from the network
    assert "Failed to sync &lt;name&gt;" in html
    assert 'href="bundles/' not in html  # no report was written for these bundles, so no dead link
    md = (results / "summary.md").read_text()
    assert "@team" not in md and "#12" not in md  # nobody mentioned, no issue linked from bundle text
    assert "| `Failed to sync <name>` | error | 2 | 7 |" in md
    csv = pd.read_csv(results / "findings.csv")
    assert len(csv) == 4 and csv["is_root_cause"].sum() == 3
    assert csv.loc[csv["rule_id"] == "ANT-PCD-001", "explained_by"].item() == "ANT-SEC-001"
    assert pd.read_parquet(results / "findings.parquet").shape == csv.shape


def test_info_findings_are_not_counted_as_root_causes(tmp_path):
    """An `info` finding is an expected state that looks like a fault: a bundle whose top finding
    is one is not "with a root cause" (before: "30 with a root cause", the top one info)."""
    s = st.Store(tmp_path / st.FILE_NAME)
    record(
        s,
        "ticket-benign",
        ["v2.1.0"],
        None,
        [finding("ANT-BEN-001", "benign", "info", title="Expected state that looks like a fault")],
    )
    record(
        s,
        "ticket-warn",
        ["v2.1.0"],
        None,
        [finding("ANT-MTU-001", "mtu", "warning"), finding("ANT-BEN-001", "benign", "info", rank=1)],
    )
    s.close()
    fleet = Fleet.load(tmp_path / st.FILE_NAME)
    t = fleet.totals()
    assert (t["with_findings"], t["clean"], t["root_causes"]) == (1, 1, 1)
    assert [r["rule_id"] for r in fleet.top_rules()] == ["ANT-MTU-001"]
    assert fleet.by_category() == [("mtu", {"warning": 1})]
    rows = {b["name"]: b for b in fleet.bundle_rows()}
    assert (rows["ticket-benign"]["top"], rows["ticket-benign"]["findings"]) == (None, 0)
    summary.write_all(tmp_path)
    assert "1 with a root cause (warning or worse), 1 with no fault found" in (tmp_path / "summary.md").read_text()
    assert sorted(pd.read_csv(tmp_path / "findings.csv")["severity"]) == ["info", "info", "warning"]


def test_without_pyarrow_the_csv_is_written_and_one_sentence_says_how_to_get_parquet(results):
    (results / "findings.parquet").write_bytes(b"from an earlier run")
    # A process where pyarrow cannot be imported (pandas too must find it missing from the start).
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from diagnose.batch import summary\n"
        f"files, notes = summary.write_all(__import__('pathlib').Path({str(results)!r}))\n"
        "print('\\n'.join(notes)); print(sorted(f.name for f in files))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    note, files = done.stdout.splitlines()
    assert note == (
        "findings.parquet was not written: pyarrow is not installed (pip install "
        "'antrea-diagnose[parquet]'); findings.csv has the same rows."
    )
    assert files == "['bundles.csv', 'findings.csv', 'summary.html', 'summary.md']"
    assert not (results / "findings.parquet").exists()  # the stale one would disagree with the CSV


@pytest.mark.skipif(not hasattr(os, "umask"), reason="POSIX permissions")
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_summary_files_and_reports_follow_the_umask(results, umask, mode):
    from diagnose.batch import outputs

    old = os.umask(umask)
    try:
        files, _ = summary.write_all(results)
        outputs.write_reports(results, "ticket-a", {"report": "{}", "renders": {"md": "# r"}})
    finally:
        os.umask(old)
    reports = list((results / "bundles" / "ticket-a").iterdir())
    assert {stat.S_IMODE(p.stat().st_mode) for p in [*files, *reports]} == {mode}  # before: 0600 whatever the umask


def test_an_empty_store_renders_without_plots(tmp_path):
    st.Store(tmp_path / st.FILE_NAME).close()
    text = summary.render(tmp_path, "html")
    assert "nothing to plot" in text and "No rule found a root cause" in text


def test_reports_without_unexplained_key_still_summarize(run):
    report = run(FOLDERS["ticket-6448"])
    report.pop("unexplained", None)
    rows = extract.summarize(report)
    assert rows["unexplained"] == []
    roots = [r for r in rows["findings"] if r["explained_by"] is None]
    assert [r["rule_id"] for r in roots] == [f["rule_id"] for f in report["findings"]]
    assert len(rows["findings"]) == len(roots) + sum(len(f["symptoms"]) for f in report["findings"])
    assert rows["antrea_versions"] and rows["node_count"] >= 1
    assert extract.summarize({"source": None, "findings": "garbage", "unexplained": [3, {"x": 1}]})["findings"] == []
