"""Read a stream in a second thread so that inflating the next block overlaps scanning this one.

isal's inflate releases the GIL, so on a machine with a second core the reader thread inflates
(outer archive, then a rotated `.gz` member) while the main thread matches signatures. The
queue is short: memory stays a few blocks, whatever the stream's size.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from diagnose.bundle.archive import Readable

BLOCK = 256 * 1024
DEPTH = 4  # blocks read ahead

_END = object()


def enabled() -> bool:
    """Only with a second core this process may run on (a pinned process gains nothing)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return cores > 1 and os.environ.get("ANTREA_DIAGNOSE_THREADS", "1") != "0"


class Prefetched:
    """A read-only stream whose blocks come from `upstream` read by a background thread.

    Errors of the upstream (a truncated gzip, a limit) are raised by `read()` in the caller's
    thread, after the blocks that came before them. `close()` stops the thread and waits for it,
    so the upstream (e.g. a tar member) is never read by two threads at once.
    """

    def __init__(self, upstream: Readable):
        self._upstream = upstream
        self._queue: queue.Queue = queue.Queue(maxsize=DEPTH)
        self._stop = threading.Event()
        self._pending = b""
        self._done = False
        self._thread = threading.Thread(target=self._run, name="prefetch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                block = self._upstream.read(BLOCK)
                if not block:
                    break
                self._put(block)
        except BaseException as e:  # re-raised in the reading thread
            self._put(e)
        self._put(_END)

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = [self._pending]
            while (block := self._next()) is not None:
                parts.append(block)
            self._pending = b""
            return b"".join(parts)
        if not self._pending:
            block = self._next()
            if block is None:
                return b""
            self._pending = block
        data, self._pending = self._pending[:n], self._pending[n:]
        return data

    def _next(self) -> bytes | None:
        if self._done:
            return None
        item = self._queue.get()
        if item is _END:
            self._done = True
            return None
        if isinstance(item, BaseException):
            self._done = True
            raise item
        return item

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:  # unblock a producer waiting on a full queue
                self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(timeout=0.05)

    def __enter__(self) -> Prefetched:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
