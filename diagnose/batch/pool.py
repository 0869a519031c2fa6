"""The local process pool of `batch --jobs N`.

N long-lived worker processes, each loading the rule pack once (`worker.prepare`, before it says
it is ready) and then scanning one bundle at a time; never one process per bundle (that costs
~90 ms each, measured in benchmarks/batch.py). It is built on `multiprocessing` processes and pipes rather
than `multiprocessing.Pool` because a batch must survive its worst bundle: `Pool` loses a task
whose worker dies and cannot stop one task that hangs. Here the parent knows which bundle each
worker holds and since when, so a worker that crashes (segfault, out of memory, `os._exit`) or
outlives the per-bundle time limit is killed and replaced, and that bundle alone is recorded as
failed with the reason.

Ctrl-C: workers ignore SIGINT, the parent stops dispatching, terminates the workers and
re-raises; every result delivered before that has already been handed to `on_result`. If the
parent dies without a word (kill -9, out of memory), each worker ends within moments through
its lifeline (`_die_with_parent`), and the forkserver and resource tracker follow the last one.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from diagnose.batch import warm, worker

_START_TIMEOUT = 120.0  # seconds a new worker may take to import and load the rules
_MAX_EARLY_DEATHS = 3  # workers in a row that die before they are ready: give up


class PoolError(Exception):
    """The pool cannot scan anything (the rules do not load in a worker, workers die at start)."""


def _worker_main(conn, lifeline, settings: worker.Settings, read_ahead: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent(lifeline)
    if not read_ahead:  # diagnose.bundle.prefetch: no core to spare for a read-ahead thread
        os.environ["ANTREA_DIAGNOSE_THREADS"] = "0"
    try:
        worker.prepare(settings)
    except worker.SetupError as e:
        conn.send(("setup-error", str(e)))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(("result", worker.scan(job, settings)))


def _die_with_parent(lifeline) -> None:
    """End this worker when the batch process ends, however it ends (kill -9 included): a
    worker busy on a hostile bundle must not outlive it, nor keep the forkserver and the
    resource tracker alive (they exit when the last worker does).

    `lifeline` is the read end of a pipe whose only write end the parent holds: it reads as
    closed when the parent is gone. The kernel then sends SIGIO (O_ASYNC), whose default action
    ends the process even while a C call holds the GIL; a thread waiting on the pipe does the
    same where O_ASYNC is missing. PR_SET_PDEATHSIG would not do: a worker's parent is the
    forkserver, not the batch."""
    try:
        import fcntl

        fd = lifeline.fileno()
        signal.signal(signal.SIGIO, signal.SIG_DFL)
        fcntl.fcntl(fd, fcntl.F_SETOWN, os.getpid())
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)
    except (ImportError, AttributeError, OSError):  # pragma: no cover - Windows, or no O_ASYNC
        pass

    def watch() -> None:
        try:
            lifeline.recv_bytes()
        except (EOFError, OSError):
            pass
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="antrea-diagnose-lifeline").start()


@dataclass
class _Slot:
    """A worker process of the pool, its connection and the job it runs."""

    process: Any
    conn: Any
    spawned: float
    ready: bool = False
    job: worker.Job | None = None
    started: float = 0.0
    lifeline: Any = None  # the write end of the worker's lifeline: closed, the worker ends

    def close(self) -> None:
        self.conn.close()
        self.lifeline.close()


def context():
    """forkserver where available: workers start from a clean, preloaded server (fork of the
    parent would copy its threads: the progress bar's, Dask's), and a replacement after a crash
    starts in milliseconds; spawn elsewhere (Windows)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # diagnose.batch.warm also loads the rules and compiles matchers and templates in the
        # server (see LocalPool._spawn). No pandas: nothing on the scanning path uses it.
        ctx.set_forkserver_preload(
            ["diagnose.diagnosis.engine", "diagnose.report", "diagnose.batch.worker", "diagnose.batch.warm"]
        )
        return ctx
    return multiprocessing.get_context("spawn")


class LocalPool:
    def __init__(self, settings: worker.Settings, jobs: int, time_limit: float | None):
        self.settings = settings
        self.size = max(1, jobs)
        self.time_limit = time_limit
        self._ctx = context()
        # Workers already keep every core busy: a read-ahead thread per worker would only add
        # hand-offs between threads (a third slower on bundles of a few MB).
        self._read_ahead = self.size < _cores()

    def prestart(self) -> None:
        """Start the forkserver now: it loads the rules and templates while the parent hashes
        and plans, and the first worker then waits only for what is left of that."""
        if self._ctx.get_start_method() != "forkserver":
            return
        from multiprocessing import forkserver

        with _warm_settings(self.settings):
            forkserver.ensure_running()

    def run(self, jobs: list[worker.Job], on_result: Callable[[dict[str, Any]], None]) -> None:
        pending = deque(jobs)
        slots: list[_Slot] = []
        early_deaths = 0
        try:
            slots = [self._spawn() for _ in range(min(self.size, len(pending)))]
            while pending or any(s.job for s in slots):
                now = time.monotonic()
                for s in list(slots):
                    if s.job is not None and self.time_limit and now - s.started > self.time_limit:
                        job = s.job
                        self._kill(s)
                        slots.remove(s)
                        on_result(_failed(job, worker.time_limit_reason(self.time_limit), self.time_limit))
                    elif not s.ready and now - s.spawned > _START_TIMEOUT:
                        raise PoolError(f"a worker process did not start within {_START_TIMEOUT:g} s.")
                ready = wait([s.conn for s in slots] + [s.process.sentinel for s in slots], self._next_wait(slots))
                for s in list(slots):
                    if s.conn in ready and self._receive(s, on_result):
                        early_deaths = 0 if s.ready else early_deaths
                    elif s.process.sentinel in ready or s.conn in ready:
                        slots.remove(s)
                        early_deaths = self._died(s, on_result, early_deaths)
                for s in slots:
                    if s.ready and s.job is None and pending:
                        self._dispatch(s, pending)
                # Replace workers that were killed or died, while bundles wait for one.
                idle = sum(1 for s in slots if s.job is None)
                for _ in range(min(self.size - len(slots), len(pending) - idle)):
                    slots.append(self._spawn())
        finally:
            self._shutdown(slots)

    def _spawn(self) -> _Slot:
        parent, child = self._ctx.Pipe()
        # Its own lifeline: the parent keeps the only write end (a shared one would share the
        # O_ASYNC owner too, and only the last worker to claim it would get the signal).
        lifeline, lifeline_out = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, lifeline, self.settings, self._read_ahead),
            daemon=True,
            name="antrea-diagnose-worker",
        )
        with _warm_settings(self.settings):
            process.start()
        child.close()
        lifeline.close()
        return _Slot(process, parent, time.monotonic(), lifeline=lifeline_out)

    def _dispatch(self, s: _Slot, pending: deque[worker.Job]) -> None:
        job = pending.popleft()
        try:
            s.conn.send(job)
        except OSError:  # it died since its last message: the job waits for another worker
            pending.appendleft(job)
            return
        s.job, s.started = job, time.monotonic()

    def _receive(self, s: _Slot, on_result) -> bool:
        """Handle one message; False when the pipe broke (the worker is gone)."""
        try:
            kind, payload = s.conn.recv()
        except (EOFError, OSError):
            return False
        if kind == "setup-error":
            raise PoolError(payload)
        if kind == "ready":
            s.ready = True
        elif kind == "result":
            s.job = None
            on_result(payload)
        return True

    def _died(self, s: _Slot, on_result, early_deaths: int) -> int:
        s.process.join(1)
        code = s.process.exitcode
        s.close()
        if s.job is not None:
            on_result(_failed(s.job, _death_reason(code), time.monotonic() - s.started))
            return 0
        if not s.ready:
            early_deaths += 1
            if early_deaths >= _MAX_EARLY_DEATHS:
                raise PoolError(
                    f"worker processes exit before they are ready (exit code {code}); "
                    "run one bundle with `antrea-diagnose scan` to see why."
                )
        return early_deaths

    def _next_wait(self, slots: list[_Slot]) -> float:
        """Sleep until the next deadline, at most 1 s (also the granularity of start checks)."""
        if not self.time_limit:
            return 1.0
        now = time.monotonic()
        left = [s.started + self.time_limit - now for s in slots if s.job is not None]
        return max(0.01, min([1.0, *left]))

    def _kill(self, s: _Slot) -> None:
        s.process.kill()
        s.process.join(5)
        s.close()

    def _shutdown(self, slots: list[_Slot]) -> None:
        for s in slots:
            try:
                if s.job is None and s.ready:
                    s.conn.send(None)  # idle: let it exit on its own
                else:
                    s.process.terminate()  # busy on a bundle nobody will wait for
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 5
        for s in slots:
            s.process.join(max(0.0, deadline - time.monotonic()))
            if s.process.is_alive():
                s.process.kill()
                s.process.join(1)
            s.close()


@contextmanager
def _warm_settings(settings: worker.Settings) -> Iterator[None]:
    """A forkserver started in this block preloads diagnose.batch.warm, which reads the settings."""
    os.environ[warm.SETTINGS_VARIABLE] = warm.encode(settings)
    try:
        yield
    finally:
        os.environ.pop(warm.SETTINGS_VARIABLE, None)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _failed(job: worker.Job, reason: str, seconds: float) -> dict[str, Any]:
    return {
        "location": job.location,
        "content_hash": job.content_hash,
        "status": worker.FAILED,
        "error": reason,
        "notes": [],
        "report": None,
        "renders": {},
        "summary": None,
        "seconds": round(seconds, 3),
    }


def _death_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker process scanning it was killed by {name} (a crash in the reader or a rule)."
    return f"the worker process scanning it exited unexpectedly (exit code {code})."
