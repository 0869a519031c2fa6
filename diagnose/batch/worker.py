"""Scan one bundle inside a long-lived worker process (the local pool's, or a Dask worker's).

The rule pack is loaded once per process (`prepare`, called by the pool's initializer, or
lazily by the first Dask task on a worker) and checked against the client's rule-pack version,
so every bundle of a batch is judged by the same rules. `scan` never raises: whatever goes
wrong becomes a `failed` result with one sentence of reason. The result is a compact dict (a
few finding rows and the report text), never the hit lists.
"""

from __future__ import annotations

import queue
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCANNED = "scanned"
FAILED = "failed"


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs besides the bundle; picklable, and the same for a whole batch."""

    rule_dirs: tuple[str, ...] = ()  # `--rules` folders (the built-in pack always comes first)
    rulepack: str = ""  # the client's rule-pack version; a worker with another one refuses to scan
    formats: tuple[str, ...] = ()  # report formats besides JSON: "html", "md"
    template_dirs: tuple[str, ...] = ()
    staging_dir: str | None = None  # where bundles behind URLs are copied for the scan
    time_limit: float | None = None  # seconds per bundle, enforced in-process on Dask only
    limits: Any = None  # diagnose.bundle.limits.Limits from --limit, or None for the defaults


@dataclass(frozen=True)
class Job:
    """One bundle for a worker to scan: where it is and its content hash."""

    location: str
    content_hash: str


class SetupError(Exception):
    """The worker cannot scan anything (rules fail to load, another rule pack)."""


class _Pack:
    def __init__(self, settings: Settings):
        from diagnose.batch.hashing import rulepack_version
        from diagnose.errors import DiagnoseError
        from diagnose.rules import rulepack

        dirs = rulepack.rule_dirs([Path(d) for d in settings.rule_dirs])
        try:
            self.rules = rulepack.load(dirs)
            version = rulepack_version(dirs)
        except DiagnoseError as e:
            raise SetupError(str(e)) from None
        if settings.rulepack and version != settings.rulepack:
            raise SetupError(
                f"this worker's rule pack ({version}) is not the client's ({settings.rulepack}): "
                "install the same antrea-diagnose and --rules folders on every worker."
            )
        # Scanners hold the compiled signature databases and Hyperscan scratch space, which one
        # thread at a time may use: Dask runs several tasks per process, each takes its own.
        self._scanners: queue.SimpleQueue = queue.SimpleQueue()

    def diagnose(self, path: Path):
        from diagnose.diagnosis import engine

        try:
            scanner = self._scanners.get_nowait()
        except queue.Empty:
            scanner = engine.scanner_for(self.rules)
        try:
            return engine.diagnose(path, self.rules, scanner=scanner)
        finally:
            self.give_back(scanner)

    def give_back(self, scanner) -> None:
        self._scanners.put(scanner)


_lock = threading.Lock()
_packs: dict[Settings, _Pack] = {}


def prepare(settings: Settings) -> _Pack:
    """Load the rule pack for `settings` once per process; raises SetupError."""
    with _lock:
        pack = _packs.get(settings)
        if pack is None:
            pack = _packs[settings] = _Pack(settings)
        return pack


def warm(settings: Settings) -> None:
    """Do once what every first scan of a process would: load the rule pack, build its matchers
    for every log kind, compile the report templates. Run in the pool's forkserver before it
    forks the workers, so each worker starts warm (and a replacement after a crash too)."""
    import io

    from diagnose.bundle.model import LOG_KINDS
    from diagnose.diagnosis import engine
    from diagnose.report import html, markdown
    from diagnose.report.templating import environment

    pack = prepare(settings)
    scanner = engine.scanner_for(pack.rules)
    for kind in sorted(LOG_KINDS):
        scanner.scan(io.BytesIO(b""), kind, lambda hit: None, lambda line: False)
    pack.give_back(scanner)
    env = environment([Path(d) for d in settings.template_dirs])
    for fmt in settings.formats:
        env.get_template({"html": html.TEMPLATE, "md": markdown.TEMPLATE}[fmt])


def scan(job: Job, settings: Settings) -> dict[str, Any]:
    """Diagnose one bundle; the result dict is what the store records and the outputs write."""
    started = time.perf_counter()
    result: dict[str, Any] = {
        "location": job.location,
        "content_hash": job.content_hash,
        "status": FAILED,
        "error": None,
        "notes": [],
        "report": None,
        "renders": {},
        "summary": None,
    }
    cleanup: Path | None = None
    try:
        pack = prepare(settings)
        path, cleanup = _local_path(job.location, settings.staging_dir)
        report = _diagnose(pack, path, settings).to_dict()
        if cleanup is not None:  # the report names the bundle as the user gave it, not the copy
            report["source"]["path"] = job.location
        _fill(result, report, settings)
    except MemoryError:
        result["error"] = "ran out of memory while scanning this bundle."
    except Exception as e:  # one bundle's failure is a row, never a stopped batch
        result["error"] = _reason(e)
    finally:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
        result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _diagnose(pack: _Pack, path: Path, settings: Settings):
    if settings.limits is None:
        return pack.diagnose(path)
    from diagnose.bundle import limits

    with limits.applied(settings.limits):
        return pack.diagnose(path)


def _local_path(location: str, staging_dir: str | None) -> tuple[Path, Path | None]:
    from diagnose.batch import remote

    if remote.is_url(location):
        local = remote.local_path_of(location)
        if local is None:
            return remote.stage(location, staging_dir)
        return Path(local), None
    return Path(location), None


def _fill(result: dict[str, Any], report: dict[str, Any], settings: Settings) -> None:
    from diagnose import report as renderers
    from diagnose.batch.extract import summarize

    result["summary"] = summarize(report)
    result["report"] = renderers.render(report, "json")
    for fmt in settings.formats:
        try:
            result["renders"][fmt] = renderers.render(report, fmt, [Path(d) for d in settings.template_dirs])
        except Exception as e:  # a template error costs that report, not the scan
            result["notes"].append(f"the {fmt} report could not be rendered: {type(e).__name__}: {e}")
    result["status"] = SCANNED


def _reason(e: BaseException) -> str:
    from diagnose.batch.remote import RemoteError
    from diagnose.errors import DiagnoseError

    if isinstance(e, (DiagnoseError, RemoteError, SetupError)):
        return str(e)
    if isinstance(e, OSError):
        return f"cannot be read: {e.strerror or e}."
    return f"internal error while scanning ({type(e).__name__}: {e}); rerun `antrea-diagnose scan` on it to debug."


def scan_with_time_limit(job: Job, settings: Settings) -> dict[str, Any]:
    """`scan` for Dask tasks, which run in threads that cannot be killed: the scan runs in a
    helper thread and a bundle that outlives the limit is reported failed (the helper thread
    finishes in the background; restart the Dask worker to reclaim it sooner)."""
    if not settings.time_limit:
        return scan(job, settings)
    box: list[dict[str, Any]] = []
    helper = threading.Thread(
        target=lambda: box.append(scan(job, settings)),
        daemon=True,
        name=f"antrea-diagnose-scan-{job.content_hash[:12]}",
    )
    helper.start()
    helper.join(settings.time_limit)
    if box:
        return box[0]
    return {
        "location": job.location,
        "content_hash": job.content_hash,
        "status": FAILED,
        "error": time_limit_reason(settings.time_limit),
        "notes": [],
        "report": None,
        "renders": {},
        "summary": None,
        "seconds": settings.time_limit,
    }


def time_limit_reason(limit: float) -> str:
    return f"took longer than the per-bundle time limit of {limit:g} s (--timeout)."
