"""`batch --scheduler`: a Dask LocalCluster on loopback gives the local pool's results."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from diagnose.batch import run
from diagnose.batch.store import FILE_NAME

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    # Threads in this process (processes=False): starts in a fraction of a second, and memory://
    # URLs written by the test are visible to the workers.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None, host="127.0.0.1", protocol="tcp"
    ) as c:
        yield c


def batch(sources, out: Path, **kw) -> run.Outcome:
    return run.run_batch(
        run.Options(sources=[str(s) for s in sources], out=out, progress=False, say=lambda _: None, **kw)
    )


def stored(out: Path) -> tuple[list[tuple], list[tuple]]:
    with sqlite3.connect(out / FILE_NAME) as db:
        bundles = db.execute(
            "SELECT path, name, content_hash, status, error, antrea_versions, node_count, "
            "worst_severity, finding_count, rulepack FROM bundles ORDER BY path"
        ).fetchall()
        findings = db.execute(
            "SELECT b.path, f.rank, f.rule_id, f.category, f.severity, f.confidence, f.status, "
            "f.nodes, f.symptoms, f.explained_by FROM findings f "
            "JOIN bundles b ON b.id = f.bundle_id ORDER BY b.path, f.id"
        ).fetchall()
    return bundles, findings


def test_dask_cluster_results_equal_the_local_pool(corpus, tmp_path, cluster):
    local = batch([corpus], tmp_path / "local", jobs=2)
    dask = batch([corpus], tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert (dask.scanned, dask.failed) == (local.scanned, local.failed) == (5, 1)
    assert stored(tmp_path / "dask") == stored(tmp_path / "local")
    assert (tmp_path / "dask" / "summary.html").is_file()
    assert batch([corpus], tmp_path / "dask", scheduler=cluster.scheduler_address).skipped == 6


def test_dask_scans_bundles_behind_urls(corpus, tmp_path, cluster):
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    fs.pipe("/batch-dask/ticket-5353.tar.gz", (corpus / "ticket-5353.tar.gz").read_bytes())
    try:
        outcome = batch(["memory://batch-dask/"], tmp_path / "results", scheduler=cluster.scheduler_address)
    finally:
        fs.rm("/batch-dask", recursive=True)
    assert outcome.scanned == 1
    local = batch([corpus / "ticket-5353.tar.gz"], tmp_path / "local", jobs=1)
    assert local.scanned == 1
    ((url_row,),) = [stored(tmp_path / "results")[0]]
    ((path_row,),) = [stored(tmp_path / "local")[0]]
    assert url_row[0] == "memory:///batch-dask/ticket-5353.tar.gz"
    assert url_row[2:] == path_row[2:]  # same content hash, status, versions, findings
    assert stored(tmp_path / "results")[1][0][1:] == stored(tmp_path / "local")[1][0][1:]


def test_an_unreachable_scheduler_is_a_usage_error(corpus, tmp_path):
    from diagnose.errors import UsageError

    with pytest.raises(UsageError, match="cannot connect to the Dask scheduler"):
        batch([corpus], tmp_path / "r", scheduler="tcp://127.0.0.1:1")
