"""`batch --scheduler ADDRESS`: the same worker function on a Dask distributed cluster.

The client (this process) discovers the bundles and keeps the store; the workers hash and scan
them, so bundle paths must be readable by the workers (a shared filesystem, or URLs with the
matching fsspec backend installed on the workers) and the workers need the same antrea-diagnose
and `--rules` folders (a worker with another rule pack refuses to scan, see worker.prepare).
Each worker process loads the rules once, on its first task. Results come back here and go into
the same store as the local pool's.

Dask runs tasks in threads that cannot be killed, so the per-bundle time limit is enforced in
the task (worker.scan_with_time_limit); a worker that dies while scanning is retried by Dask on
another worker and, after Dask's allowed failures, reported failed here with Dask's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from diagnose.batch import worker


class DaskError(Exception):
    """The cluster cannot be used; one sentence for the user."""


def _hash_task(location: str) -> tuple[str, Any, Any]:
    from diagnose.batch.hashing import content_hash
    from diagnose.batch.remote import RemoteError

    try:
        digest, size = content_hash(location)
        return ("ok", digest, size)
    except (OSError, RemoteError) as e:
        return ("error", str(e), None)


def _probe(address: str) -> None:
    """Fail in a second, not after Dask's connect timeout, when nothing listens at a tcp:// address."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp" or not parts.hostname or not parts.port:
        return
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    except OSError as e:
        raise DaskError(f"cannot connect to the Dask scheduler at {address}: {e.strerror or e}.") from None


class DaskRunner:
    def __init__(self, address: str, settings: worker.Settings):
        try:
            from distributed import Client
        except ImportError:
            raise DaskError("--scheduler needs dask.distributed: pip install 'antrea-diagnose[batch-dask]'.") from None
        _probe(address)
        try:
            self.client = Client(address, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise DaskError(f"cannot connect to the Dask scheduler at {address}: {e}") from None
        self.settings = settings

    def close(self) -> None:
        self.client.close()

    def prestart(self) -> None:
        """Nothing to start: the cluster's workers run already."""

    def hash(self, locations: list[str]) -> dict[str, tuple[str, Any, Any]]:
        """location -> ("ok", sha256, size) or ("error", reason, None), computed on the workers."""
        if not locations:
            return {}
        futures = self.client.map(_hash_task, locations, pure=False)
        try:
            out = {}
            for loc, fut in zip(locations, futures, strict=True):
                try:
                    out[loc] = fut.result()
                except Exception as e:  # a worker lost while hashing: that bundle only
                    out[loc] = ("error", f"could not be hashed on the cluster: {type(e).__name__}: {e}", None)
            return out
        except BaseException:
            self.client.cancel(futures)
            raise

    def run(self, jobs: list[worker.Job], on_result: Callable[[dict[str, Any]], None]) -> None:
        from distributed import as_completed

        if not jobs:
            return
        futures = self.client.map(worker.scan_with_time_limit, jobs, settings=self.settings, pure=False)
        job_of = {f.key: j for f, j in zip(futures, jobs, strict=True)}
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                try:
                    result = fut.result()
                except Exception as e:  # KilledWorker (it crashed its workers), cancelled, ...
                    job = job_of[fut.key]
                    result = {
                        "location": job.location,
                        "content_hash": job.content_hash,
                        "status": worker.FAILED,
                        "error": f"the Dask task failed: {type(e).__name__}: {e}",
                        "notes": [],
                        "report": None,
                        "renders": {},
                        "summary": None,
                        "seconds": None,
                    }
                on_result(result)
                fut.release()
        except BaseException:
            self.client.cancel(futures)
            raise
