"""Content hashes and the SQLite store: what "already scanned" means, and nothing lost on errors."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import pytest

from diagnose.batch import hashing
from diagnose.batch import store as st


def test_a_file_hash_is_the_sha256_of_its_bytes_and_moves_with_it(tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one read block
    a = tmp_path / "a.tar.gz"
    a.write_bytes(data)
    digest, size = hashing.content_hash(str(a))
    assert size == len(data)
    assert digest == hashlib.sha256(b"file\0" + data).hexdigest()
    moved = tmp_path / "elsewhere.tgz"
    a.rename(moved)
    assert hashing.content_hash(str(moved))[0] == digest


def test_a_folder_hash_covers_names_and_contents_and_never_opens_a_fifo(tmp_path):
    d = tmp_path / "bundle"
    (d / "logs").mkdir(parents=True)
    (d / "logs" / "agent.log").write_text("I0628 one\n")
    (d / "route").write_text("default via 10.0.0.1\n")
    if hasattr(os, "mkfifo"):
        os.mkfifo(d / "pipe")  # opening it would block the hash forever
    first = hashing.content_hash(str(d))[0]
    (d / "logs" / "agent.log").write_text("I0628 two\n")
    second = hashing.content_hash(str(d))[0]
    (d / "logs" / "agent.log").rename(d / "logs" / "agent.log.1")
    third = hashing.content_hash(str(d))[0]
    assert len({first, second, third}) == 3
    copy = tmp_path / "copy-of-bundle"
    d.rename(copy)
    assert hashing.content_hash(str(copy))[0] == third  # the folder's own name does not count


def test_stat_key_changes_when_a_file_changes(tmp_path):
    f = tmp_path / "b.tar.gz"
    f.write_bytes(b"one")
    before = hashing.stat_key(str(f))
    f.write_bytes(b"two!")
    assert hashing.stat_key(str(f)) != before


def _result(path: str, digest: str, findings: list[dict], status: str = st.SCANNED) -> dict:
    return {
        "location": path,
        "content_hash": digest,
        "status": status,
        "error": None,
        "seconds": 0.1,
        "summary": {
            "antrea_versions": ["v2.1.0"],
            "node_count": 2,
            "shape": "antctl-directory",
            "collected_at": None,
            "problems": 0,
            "worst_severity": "critical",
            "findings": findings,
            "unexplained": [],
        },
    }


FINDING = {
    "rank": 0,
    "rule_id": "ANT-SEC-001",
    "slug": "s",
    "category": "secondary-network-uplink",
    "severity": "critical",
    "confidence": 0.9,
    "status": "confirmed",
    "title": "t",
    "nodes": ["node2"],
    "symptoms": ["podcidr-not-allocated"],
    "explained_by": None,
}


def test_rescanning_a_path_replaces_its_row_and_findings(tmp_path):
    s = st.Store(tmp_path / st.FILE_NAME)
    s.record(
        path="/b/x",
        file_name="x",
        result=_result("/b/x", "h1", [FINDING, FINDING]),
        size=1,
        stat_key=None,
        rulepack="r1",
    )
    s.record(path="/b/x", file_name="x", result=_result("/b/x", "h2", [FINDING]), size=1, stat_key=None, rulepack="r2")
    assert s.by_hash("h1", "r1") is None
    assert s.by_hash("h2", "r2")["path"] == "/b/x"
    assert s.db.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 1
    s.close()


def test_a_write_that_fails_half_way_keeps_the_old_row(tmp_path):
    s = st.Store(tmp_path / st.FILE_NAME)
    s.record(path="/b/x", file_name="x", result=_result("/b/x", "h1", [FINDING]), size=1, stat_key=None, rulepack="r1")
    broken = dict(FINDING)
    del broken["rank"]  # the findings insert fails after the bundle row was replaced
    with pytest.raises(KeyError):
        s.record(
            path="/b/x", file_name="x", result=_result("/b/x", "h2", [broken]), size=1, stat_key=None, rulepack="r1"
        )
    assert s.known("/b/x")["content_hash"] == "h1"
    assert s.db.execute("SELECT rule_id FROM findings").fetchall()[0][0] == "ANT-SEC-001"
    s.close()


def test_report_folder_names_stay_unique_and_stable(tmp_path):
    s = st.Store(tmp_path / st.FILE_NAME)

    def record(path: str, file_name: str) -> str:
        return s.record(
            path=path, file_name=file_name, result=_result(path, "h", []), size=1, stat_key=None, rulepack="r"
        )

    first = record("/a/ticket.tar.gz", "ticket.tar.gz")
    assert first == "ticket"
    other = record("/b/ticket.tar.gz", "ticket.tar.gz")
    assert other.startswith("ticket-") and other != first
    assert record("/a/ticket.tar.gz", "ticket.tar.gz") == first
    assert record("/c/../we ird$.zip", "../we ird$.zip") == "we_ird"
    s.close()


def test_the_name_is_chosen_where_the_reports_are_written_and_the_row_committed(tmp_path):
    """Two stores on one file (two batches on one --out before the lock): each name is taken
    inside the transaction that writes its reports, so no row links another bundle's reports."""
    a, b = st.Store(tmp_path / st.FILE_NAME), st.Store(tmp_path / st.FILE_NAME)
    written: dict[str, str] = {}

    def writer(path):
        def write(name):
            assert name not in written, f"{name} was given to {written.get(name)} already"
            written[name] = path

        return write

    names = [
        store.record(
            path=path,
            file_name="ticket.tar.gz",
            result=_result(path, "h", []),
            size=1,
            stat_key=None,
            rulepack="r",
            write_reports=writer(path),
        )
        for store, path in ((a, "/a/ticket.tar.gz"), (b, "/b/ticket.tar.gz"), (a, "/c/ticket.tar.gz"))
    ]
    assert len(set(names)) == 3
    for name, path in written.items():
        assert a.db.execute("SELECT path FROM bundles WHERE name = ?", (name,)).fetchone()[0] == path
    a.close()
    b.close()


def test_a_file_that_is_not_a_results_store_is_refused_and_left_alone(tmp_path):
    junk = tmp_path / st.FILE_NAME
    junk.write_bytes(b"my notes, not a database" * 100)
    with pytest.raises(st.StoreError, match="not a results store"):
        st.Store(junk)
    assert junk.read_bytes() == b"my notes, not a database" * 100
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE mine (x)")
    with pytest.raises(st.StoreError, match="not a results store"):
        st.Store(other)
