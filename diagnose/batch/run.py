"""`antrea-diagnose batch`: discover, hash, skip what is known, scan the rest, record, summarise.

One batch at a time writes an output folder (`lock`). Order of writes, so that an interrupted
batch is never inconsistent: a bundle's report folder name is chosen, its report files written
(atomically) and its store row committed in one transaction; the summary is rebuilt from the
store at the end, also after Ctrl-C (it only reads what was committed).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diagnose.batch import hashing, outputs, worker
from diagnose.batch import store as st
from diagnose.batch.discover import BundleRef, discover
from diagnose.batch.lock import OutLock
from diagnose.batch.progress import Progress
from diagnose.batch.remote import RemoteError
from diagnose.errors import InputError, UsageError

STAGING_DIR = ".staging"  # bundles behind URLs are copied here for the scan, then deleted


@dataclass
class Options:
    """What `antrea-diagnose batch` was asked to do (its options)."""

    sources: list[str]
    out: Path
    jobs: int | None = None  # default: the number of cores
    scheduler: str | None = None  # Dask scheduler address
    reports: tuple[str, ...] = ()  # besides report.json: "html", "md"
    rescan: bool = False
    retry_failed: bool = False
    time_limit: float | None = 600.0
    rule_dirs: tuple[Path, ...] = ()
    template_dirs: tuple[Path, ...] = ()
    limits: Any = None  # diagnose.bundle.limits.Limits (--limit), None for the defaults
    progress: bool = True
    say: Callable[[str], None] = print


@dataclass
class Outcome:
    """The counts and files of a batch run, for its closing summary."""

    scanned: int = 0  # scanned in this run
    failed: int = 0  # failed in this run
    skipped: int = 0  # already in the store with the same content and rule pack
    duplicates: int = 0  # same content as another bundle path
    interrupted: bool = False
    locations: list[str] = field(default_factory=list)  # every bundle of this batch's inputs
    summary_files: list[Path] = field(default_factory=list)


@dataclass
class _Planned:
    """A bundle to scan, with its size and stat key."""

    ref: BundleRef
    size: int | None
    stat_key: str | None


def prepare_out(out: Path) -> Path:
    """Create the output folder and prove it is writable, before anything is scanned."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"--out {out} cannot be written: {e.strerror or e}.") from None
    return out.resolve()


def run_batch(o: Options) -> Outcome:
    from diagnose.rules import rulepack

    if o.out.exists() and not o.out.is_dir():
        raise UsageError(f"--out {o.out} is a file, not a folder.")
    version = hashing.rulepack_version(rulepack.rule_dirs(o.rule_dirs))  # the workers load the rules
    # Bundles are found before the output folder is created: creating it first inside a bundle
    # folder would change that bundle (and what it looks like to discovery).
    found = discover(o.sources, exclude=[o.out])
    for note in found.notes:
        o.say(note)
    _refuse_writing_into_a_bundle(o.out, found.refs)
    if not found.refs:
        raise InputError("No bundle to scan: none of the paths given exists or holds a bundle.")
    out = prepare_out(o.out)
    settings = worker.Settings(
        rule_dirs=tuple(str(Path(d).resolve()) for d in o.rule_dirs),
        rulepack=version,
        formats=tuple(o.reports),
        template_dirs=tuple(str(Path(d).resolve()) for d in o.template_dirs),
        staging_dir=None if o.scheduler else str(out / STAGING_DIR),
        time_limit=o.time_limit,
        limits=o.limits,
    )
    outcome = Outcome(locations=[r.location for r in found.refs])
    warming = _warm_summary()
    with OutLock(out):
        try:
            store = st.Store(out / st.FILE_NAME)
        except st.StoreError as e:
            raise UsageError(str(e)) from None
        runner = _runner(o, settings)
        try:
            jobs, planned = _plan(found.refs, store, version, o, out, runner, outcome)
            _scan(jobs, planned, store, version, o, out, runner, outcome)
        finally:
            runner.close()
            store.close()
        warming.join()
        files, notes = _summary(out, o)
    outcome.summary_files = files
    for note in notes:
        o.say(note)
    return outcome


def _refuse_writing_into_a_bundle(out: Path, refs: list[BundleRef]) -> None:
    out = Path(os.path.realpath(out))
    for ref in refs:
        if not ref.is_url and out.is_relative_to(ref.location) and Path(ref.location).is_dir():
            raise UsageError(f"--out {out} is inside the bundle {ref.location}: writing there would change it.")


class _LocalRunner:
    def __init__(self, settings: worker.Settings, jobs: int, time_limit: float | None):
        from diagnose.batch.pool import LocalPool

        self.jobs = jobs
        self.pool = LocalPool(settings, jobs, time_limit)

    def hash(self, locations: list[str]) -> dict[str, tuple[str, Any, Any]]:
        # hashlib releases the GIL on large blocks: threads read and hash bundles in parallel.
        with ThreadPoolExecutor(max_workers=self.jobs) as ex:
            return dict(zip(locations, ex.map(_hash_one, locations), strict=True))

    def prestart(self) -> None:
        self.pool.prestart()

    def run(self, jobs, on_result) -> None:
        from diagnose.batch.pool import PoolError

        try:
            self.pool.run(jobs, on_result)
        except PoolError as e:
            raise UsageError(str(e)) from None

    def close(self) -> None:
        pass


def _hash_one(location: str) -> tuple[str, Any, Any]:
    try:
        digest, size = hashing.content_hash(location)
        return ("ok", digest, size)
    except (OSError, RemoteError) as e:
        reason = str(e) if isinstance(e, RemoteError) else f"cannot be read: {e.strerror or e}."
        return ("error", reason, None)


def _runner(o: Options, settings: worker.Settings):
    if o.scheduler:
        from diagnose.batch.dask_runner import DaskError, DaskRunner

        try:
            return DaskRunner(o.scheduler, settings)
        except DaskError as e:
            raise UsageError(str(e)) from None
    return _LocalRunner(settings, o.jobs or os.cpu_count() or 1, o.time_limit)


def _plan(
    refs: list[BundleRef], store: st.Store, version: str, o: Options, out: Path, runner, outcome: Outcome
) -> tuple[list[worker.Job], dict[str, _Planned]]:
    """Hash every bundle (reusing the stored hash when its files did not change) and decide:
    skip (known), record as a duplicate of another path, or scan."""
    hashes: dict[str, tuple[str, Any, Any]] = {}
    stat_keys = {r.location: hashing.stat_key(r.location) for r in refs}
    for r in refs:
        row = store.known(r.location)
        if (
            not o.rescan
            and row is not None
            and row["content_hash"]
            and stat_keys[r.location]
            and row["stat_key"] == stat_keys[r.location]
        ):
            hashes[r.location] = ("ok", row["content_hash"], row["size"])
    todo = [r.location for r in refs if r.location not in hashes]
    if todo:
        runner.prestart()  # likely something new to scan: warm the workers while hashing
        hashes.update(runner.hash(todo))
    jobs: list[worker.Job] = []
    planned: dict[str, _Planned] = {}
    first_of: dict[str, str] = {}  # content hash -> the path scanned for it in this run
    for r in refs:
        state, digest, size = hashes[r.location]
        p = planned[r.location] = _Planned(r, size, stat_keys[r.location])
        if state != "ok":  # unreadable: a failed row (no hash, so it is tried again next time)
            _record(
                store,
                out,
                p,
                version,
                {"location": r.location, "content_hash": None, "status": st.FAILED, "error": digest},
            )
            outcome.failed += 1
            continue
        same = None if o.rescan else store.by_hash(digest, version)
        if same is not None and o.retry_failed and same["status"] == st.FAILED:
            same = None
        if same is not None and same["path"] == r.location:
            outcome.skipped += 1
            continue
        original = same["path"] if same is not None else first_of.get(digest)
        if original is not None:
            row = store.known(r.location)
            if row is None or row["status"] != st.DUPLICATE or row["content_hash"] != digest:
                store.record_duplicate(  # its reports are the original's now: its own folder goes
                    path=r.location,
                    file_name=r.file_name,
                    content_hash=digest,
                    size=size,
                    stat_key=p.stat_key,
                    rulepack=version,
                    same_as=original,
                    write_reports=lambda name: outputs.write_reports(out, name, {"report": None}),
                )
            outcome.duplicates += 1
            continue
        first_of[digest] = r.location
        jobs.append(worker.Job(r.location, digest))
    return jobs, planned


def _scan(
    jobs: list[worker.Job],
    planned: dict[str, _Planned],
    store: st.Store,
    version: str,
    o: Options,
    out: Path,
    runner,
    outcome: Outcome,
) -> None:
    if not jobs:
        return
    with Progress(len(jobs), enabled=o.progress) as progress:

        def on_result(result: dict[str, Any]) -> None:
            p = planned[result["location"]]
            _record(store, out, p, version, result)
            failed = result["status"] != st.SCANNED
            outcome.failed += failed
            outcome.scanned += not failed
            progress.advance(failed)

        try:
            runner.run(jobs, on_result)
        except KeyboardInterrupt:
            outcome.interrupted = True


def _record(store: st.Store, out: Path, p: _Planned, version: str, result: dict[str, Any]) -> None:
    """The bundle's reports and its row, together: the folder name is chosen, the reports written
    (atomically) and the row committed in one transaction."""
    try:
        store.record(
            path=p.ref.location,
            file_name=p.ref.file_name,
            result=result,
            size=p.size,
            stat_key=p.stat_key,
            rulepack=version,
            write_reports=lambda name: outputs.write_reports(out, name, result),
        )
    except OSError as e:
        raise UsageError(f"cannot write the reports of {p.ref.location} under {out}: {e.strerror or e}.") from None
    except Exception as e:  # sqlite3.Error: disk full, locked too long
        raise UsageError(f"cannot write {store.path}: {e}.") from None


def _warm_summary() -> threading.Thread:
    """Prepare the summary (imports, templates) in a thread while the workers start: the parent
    only waits for them then, and the summary at the end is not a second serial start-up."""

    def warm() -> None:
        from diagnose.batch import summary

        try:
            summary.warm_up()
        except Exception:  # the summary itself reports what is wrong, in one sentence
            pass

    thread = threading.Thread(target=warm, daemon=True, name="antrea-diagnose-summary-warm-up")
    thread.start()
    return thread


def _summary(out: Path, o: Options) -> tuple[list[Path], list[str]]:
    from diagnose.batch import summary

    try:
        return summary.write_all(out)
    except (OSError, st.StoreError) as e:
        raise UsageError(f"the summary could not be written to {out}: {e}.") from None


def worst_severities(out: Path, locations: list[str]) -> list[str]:
    store = st.Store(out / st.FILE_NAME)
    try:
        return store.worst_severities(locations)
    finally:
        store.close()


def readable_count(out: Path, locations: list[str]) -> int:
    """How many of this batch's bundles have a scanned report (now or in an earlier run)."""
    store = st.Store(out / st.FILE_NAME)
    try:
        rows = store.rows(locations)
        by_path = {r["path"]: r for r in rows}
        scanned_paths = {r["path"] for r in rows if r["status"] == st.SCANNED}
        count = 0
        for loc in locations:
            row = by_path.get(loc)
            if row is None:
                continue
            if row["status"] == st.SCANNED:
                count += 1
            elif row["status"] == st.DUPLICATE:
                same = store.by_hash(row["content_hash"], row["rulepack"])
                count += bool(same is not None and (same["status"] == st.SCANNED or same["path"] in scanned_paths))
        return count
    finally:
        store.close()
