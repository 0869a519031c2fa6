"""`batch` on the local process pool: results, skips, failures that never stop the batch."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from batch_corpus import CORRUPT, build_corpus, klog_folder, tar_folder

from diagnose.batch import run
from diagnose.batch.store import FILE_NAME


def batch(sources, out: Path, **kw) -> run.Outcome:
    notes: list[str] = []
    kw.setdefault("jobs", 2)
    outcome = run.run_batch(
        run.Options(sources=[str(s) for s in sources], out=out, progress=False, say=notes.append, **kw)
    )
    outcome.notes = notes
    return outcome


def rows(out: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(out / FILE_NAME) as db:
        return db.execute(sql).fetchall()


def test_batch_scans_every_bundle_records_the_corrupt_one_and_matches_scan(corpus, tmp_path, run):
    out = tmp_path / "results"
    outcome = batch([corpus], out, reports=("html", "md"))
    assert (outcome.scanned, outcome.failed, outcome.skipped) == (5, 1, 0)
    status = dict(rows(out, "SELECT name, status FROM bundles"))
    assert status.pop("corrupt") == "failed"
    assert set(status.values()) == {"scanned"}
    (error,) = rows(out, "SELECT error FROM bundles WHERE name = 'corrupt'")[0]
    assert "corrupt" in error and CORRUPT in error

    # Each bundle's report is the one `scan` gives, and the store has one row per finding.
    for name in ("ticket-6448", "ticket-5353", "support-bundles_20240628T185800Z"):
        report = json.loads((out / "bundles" / name / "report.json").read_text())
        source = corpus / (name + ".tar.gz" if name == "ticket-5353" else name)
        expected = run(source)
        assert [(f["rule_id"], f["nodes"], f["status"]) for f in report["findings"]] == [
            (f["rule_id"], f["nodes"], f["status"]) for f in expected["findings"]
        ]
        assert (out / "bundles" / name / "report.html").read_text().startswith("<!DOCTYPE html>")
        assert (out / "bundles" / name / "report.md").is_file()
        stored = rows(
            out,
            f"SELECT f.rule_id FROM findings f JOIN bundles b ON b.id = f.bundle_id "
            f"WHERE b.name = '{name}' AND f.explained_by IS NULL ORDER BY f.rank",
        )
        assert [r[0] for r in stored] == [f["rule_id"] for f in expected["findings"]]
    assert not (out / "bundles" / "corrupt").exists()
    ((versions, nodes),) = rows(out, "SELECT antrea_versions, node_count FROM bundles WHERE name = 'ticket-6448'")
    assert versions and nodes >= 1

    # The fleet files: the CSV and the parquet hold the same rows as the findings table.
    total = rows(out, "SELECT COUNT(*) FROM findings")[0][0]
    assert total > 0
    csv = pd.read_csv(out / "findings.csv")
    assert len(csv) == total and set(csv["bundle"]) >= {"ticket-6448", "ticket-5353"}
    assert pd.read_parquet(out / "findings.parquet")["rule_id"].tolist() == csv["rule_id"].tolist()
    html = (out / "summary.html").read_text()
    assert "<svg" in html and "corrupt.tar.gz" in html and "ANT-SEC-001" in html
    assert "## Bundles that could not be scanned" in (out / "summary.md").read_text()
    written = {p.relative_to(out).parts[0] for p in out.rglob("*")}
    assert written <= {
        ".lock",
        "bundles",
        FILE_NAME,
        f"{FILE_NAME}-wal",
        f"{FILE_NAME}-shm",
        "summary.html",
        "summary.md",
        "findings.csv",
        "findings.parquet",
        "bundles.csv",
    }


def test_a_second_run_scans_nothing_new_rescan_forces_and_a_changed_bundle_is_rescanned(corpus, tmp_path):
    out = tmp_path / "results"
    batch([corpus], out)
    again = batch([corpus], out)
    assert (again.scanned, again.failed, again.skipped) == (0, 0, 6)
    first_times = dict(rows(out, "SELECT name, scanned_at FROM bundles"))

    (corpus / "ticket-healthy" / "extra.log").write_text("E0628 18:50:00.000000       1 x.go:1] new\n")
    changed = batch([corpus], out)
    assert (changed.scanned, changed.skipped) == (1, 5)

    forced = batch([corpus], out, rescan=True)
    assert (forced.scanned, forced.failed, forced.skipped) == (5, 1, 0)
    assert len(rows(out, "SELECT * FROM bundles")) == 6
    assert first_times.keys() == dict(rows(out, "SELECT name, scanned_at FROM bundles")).keys()


def test_a_copy_under_another_path_is_a_duplicate_and_same_file_names_get_their_own_folders(corpus, tmp_path):
    out = tmp_path / "results"
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(corpus / "ticket-5353.tar.gz", other / "ticket-5353.tar.gz")  # same name, same content
    tar_folder(corpus / "ticket-api", tmp_path / "ticket-api.tar.gz")
    shutil.copy(tmp_path / "ticket-api.tar.gz", other / "ticket-6448.tar.gz")  # other content, clashing name
    outcome = batch(
        [
            corpus / "ticket-5353.tar.gz",
            other / "ticket-5353.tar.gz",
            other / "ticket-6448.tar.gz",
            corpus / "ticket-6448",
        ],
        out,
    )
    assert (outcome.scanned, outcome.duplicates) == (3, 1)
    names = dict(rows(out, "SELECT path, name FROM bundles"))
    assert len(set(names.values())) == 4
    dup = rows(out, "SELECT status, error FROM bundles WHERE path = '%s'" % (other / "ticket-5353.tar.gz"))[0]
    assert dup == ("duplicate", f"same content as {corpus / 'ticket-5353.tar.gz'}")
    assert (out / "bundles" / names[str(other / "ticket-6448.tar.gz")] / "report.json").is_file()
    assert (out / "bundles" / "ticket-6448" / "report.json").is_file()


def test_a_hanging_and_a_crashing_bundle_fail_with_reasons_and_the_batch_goes_on(tmp_path, trap_rules):
    corpus = tmp_path / "bundles"
    corpus.mkdir()
    hangs = klog_folder(corpus, "ticket-hangs", "hang-node")
    crashes = klog_folder(corpus, "ticket-crashes", "crash-node")
    fine = [klog_folder(corpus, f"ticket-fine-{i}", f"node{i}") for i in range(3)]
    out = tmp_path / "results"
    outcome = batch([hangs, crashes, *fine], out, rule_dirs=(trap_rules,), time_limit=1.5)
    assert (outcome.scanned, outcome.failed) == (3, 2)  # the ones after the hang and the crash too
    errors = dict(rows(out, "SELECT name, error FROM bundles WHERE status = 'failed'"))
    assert errors["ticket-hangs"] == "took longer than the per-bundle time limit of 1.5 s (--timeout)."
    assert "killed by SIGKILL" in errors["ticket-crashes"]
    # Failed bundles are not retried on the next run (a nightly batch must not hang on them every
    # night) unless asked.
    again = batch([crashes], out, rule_dirs=(trap_rules,), retry_failed=True)
    assert (again.skipped, again.failed) == (0, 1)


def test_unreadable_paths_and_bad_output_folders_are_clear_errors(corpus, tmp_path):
    from diagnose.errors import InputError, UsageError

    with pytest.raises(InputError, match="No bundle to scan"):
        batch([tmp_path / "nothing-here"], tmp_path / "results")
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep me")
    with pytest.raises(UsageError, match="is a file"):
        batch([corpus], a_file)
    assert a_file.read_text() == "keep me"
    inside = corpus / "ticket-6448" / "results"
    with pytest.raises(UsageError, match="inside the bundle"):
        batch([corpus / "ticket-6448"], inside)
    out = tmp_path / "out"
    out.mkdir()
    (out / FILE_NAME).write_bytes(b"not sqlite" * 10)
    with pytest.raises(UsageError, match="not a results store"):
        batch([corpus], out)
    assert (out / FILE_NAME).read_bytes() == b"not sqlite" * 10


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused(corpus, tmp_path):
    from diagnose.errors import UsageError

    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(UsageError, match="cannot be written"):
            batch([corpus], out)
    finally:
        out.chmod(0o755)


def test_file_urls_and_list_files_reach_the_same_bundles(tmp_path):
    corpus = build_corpus(tmp_path / "b")
    listing = tmp_path / "bundles.txt"
    listing.write_text(f"# tickets\nfile://{corpus / 'ticket-5353.tar.gz'}\n\nb/ticket-api\n")
    outcome = batch([listing], tmp_path / "results", jobs=1)
    assert outcome.scanned == 2
    assert sorted(r[0] for r in rows(tmp_path / "results", "SELECT name FROM bundles")) == ["ticket-5353", "ticket-api"]


def test_one_unreadable_file_is_a_note_in_the_report_not_a_failed_bundle(corpus, tmp_path, monkeypatch):
    from diagnose.batch import hashing

    bundle = corpus / "support-bundles_20240628T185800Z"
    (bundle / "secret.txt").write_text("not for us\n")
    (bundle / "locked").mkdir()
    real_open, real_scandir = open, os.scandir

    def refusing_open(path, *args, **kwargs):  # what a file of mode 000 does to a user that is not root
        if str(path).endswith("secret.txt"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    def refusing_scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(hashing, "open", refusing_open, raising=False)
    monkeypatch.setattr(hashing, "os", SimpleNamespace(**{**vars(os), "scandir": refusing_scandir}))
    outcome = batch([bundle], tmp_path / "results", jobs=1)
    assert (outcome.scanned, outcome.failed) == (1, 0)  # before: failed, "cannot be read: Permission denied."
    monkeypatch.undo()
    (bundle / "secret.txt").write_text("changed\n")
    assert batch([bundle], tmp_path / "results", jobs=1).scanned == 1  # the hash still covers what it could read


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files of mode 000")
def test_a_file_of_mode_000_is_named_in_the_report(corpus, tmp_path):
    bundle = corpus / "ticket-api"
    secret = bundle / "secret.log"
    secret.write_text("not for us\n")
    secret.chmod(0)
    try:
        out = tmp_path / "results"
        assert batch([bundle], out, jobs=1).scanned == 1
        report = json.loads((out / "bundles" / "ticket-api" / "report.json").read_text())
        assert any(u["path"].endswith("secret.log") for u in report["source"]["unreadable"])
    finally:
        secret.chmod(0o644)
