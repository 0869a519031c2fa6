"""Write a redacted copy of a bundle in the layout it came in.

Two passes with the bundle walker (`diagnose.bundle.archive.Walker`, so the copy holds exactly
what a scan reads, with the same limits on untrusted input): the first collects the names to
hide (`harvest`), the second streams every file through the scrubber into the output, rebuilding
nested archives as they were: `agent_<node>.tar.gz` becomes `agent_<pseudonym>.tar.gz` with
redacted member names and contents, rotated `.gz` logs are gzipped again. Binary files (heap
profiles) cannot be checked for names and addresses: their content is replaced by a note.

The output is written next to its final path and renamed into place when complete, so an
interrupted run leaves nothing half-written; a directory output must not exist yet. Two members
whose names are the same once redacted are both kept (`containers.Sink.place`). The writers
only need a binary file object or a directory to write into, so they can sit on any safe way of
opening the `-o` target.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from diagnose.bundle.archive import Readable, Walker, _format_of, sniffable
from diagnose.bundle.limits import current
from diagnose.bundle.model import ReadProblem
from diagnose.redact import containers
from diagnose.redact.harvest import Harvester
from diagnose.redact.scrub import Scrubber, scrub_stream
from diagnose.redact.vocab import Vocabulary

BINARY_NOTE = (
    b"REDACTED-BINARY: antrea-diagnose redact removed this file's binary content: names and addresses "
    b"in it cannot be found and replaced.\n"
)
_SNIFF = 8192
_SPOOL = 8 << 20  # members up to this size are built in memory, larger ones in a temporary file
_ARCHIVES = ("tar", "zip")


@dataclass
class Outcome:
    """What a redacted copy holds: files written, binary files replaced and what could not be read."""

    files: int = 0
    binary: list[str] = field(default_factory=list)  # display paths whose content was replaced
    problems: list[ReadProblem] = field(default_factory=list)  # what the walker could not read (not copied)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # members whose redacted names clashed


# -- pass 1: names ----------------------------------------------------------------------------------


def harvest(source: Path, vocabulary: Vocabulary | None = None) -> tuple[Vocabulary, list[ReadProblem]]:
    """The names and Service IPs of every file of `source` (names of files included)."""
    h = Harvester(vocabulary)
    problems: list[ReadProblem] = []

    def on_file(parts: tuple[str, ...], display: str, stream: Readable, size: int | None) -> None:
        h.path(parts)
        head = stream.read(_SNIFF)
        if b"\x00" in head:
            return
        if parts[-1] == "failed_nodes":
            h.failed_nodes(head.decode("utf-8", "replace"))
        if parts[-1] == "clusterinfo" or head.lstrip().startswith((b"#nodes", b"#pods", b"#configs")):
            cap = current().max_small_artifact_bytes
            h.clusterinfo((head + stream.read(cap)).decode("utf-8", "replace"))
            return
        pending, first = [head], [True]

        def read(n: int) -> bytes:
            return pending.pop() + stream.read(n) if pending else stream.read(n)

        def harvest_block(block: bytes) -> bytes:
            h.text(block, head=first[0])  # blocks are cut as the copy's are: a secret is seen whole
            first[0] = False
            return b""

        scrub_stream(read, lambda _: None, harvest_block)

    Walker(on_file, problems, current()).walk(source)
    return h.vocabulary, problems


# -- pass 2: the copy ---------------------------------------------------------------------------


@dataclass
class _Frame:
    """A file or archive member being copied, with the layers it is read through."""

    display: str
    first: tuple[str, ...]  # path parts as the walker first saw the file (original names)
    last: tuple[str, ...]  # parts at its innermost layer: its members are relative to these
    formats: list[str | None]
    layers: int = 1
    sink: containers.Sink | None = None
    spool: containers.Stream | None = None


class _TrackingWalker(Walker):
    """The walker, telling the rewriter where each file and archive layer begins and ends."""

    def __init__(self, rewriter: _Rewriter, problems: list[ReadProblem]):
        super().__init__(rewriter.on_file, problems, current())
        self._rw = rewriter

    def walk_stream(self, stream: Readable, parts: tuple[str, ...], display: str, size: int | None, depth: int) -> None:
        try:
            head, stream = sniffable(stream)
        except Exception:  # the walker reads it again and reports the error in its own words
            super().walk_stream(stream, parts, display, size, depth)
            return
        fmt = _format_of(head)
        if fmt is not None and depth >= self.limits.max_nesting:
            fmt = None  # the walker refuses to open it: nothing inside will be copied
        self._rw.enter(parts, display, fmt)
        try:
            super().walk_stream(stream, parts, display, size, depth)
        finally:
            self._rw.leave(fmt)


class _Rewriter:
    def __init__(self, source: Path, output: Path, work: Path, scrubber: Scrubber):
        self.source = source
        self.output = output
        self.work = work  # the temporary file or directory renamed to `output` at the end
        self.scrubber = scrubber
        self.outcome = Outcome()
        self.root_is_dir = source.is_dir()
        # A file source is the bottom frame of the walk, except a zip (the walker reads its
        # directory without a stream layer): its members sit at the root like a directory's.
        self.root_is_file = not self.root_is_dir and not _is_zip(source)
        self.archive = containers.archive_kind(output)
        self._stack: list[_Frame] = []
        self._root_sink: containers.Sink | None = None
        self._root_raw: io.BufferedWriter | None = None

    # -- the output root ------------------------------------------------------------------------

    def root_sink(self, single_file: bool) -> containers.Sink:
        if self._root_sink is None:
            if self.archive is not None:
                self._root_raw = open(self.work, "wb")  # noqa: SIM115 - closed in finish()
                self._root_sink = containers.archive_sink(self.archive[0], self._root_raw, self.archive[1])
            elif single_file:
                self._root_raw = open(self.work, "wb")  # noqa: SIM115
                self._root_sink = containers.FileSink(self._root_raw)
            else:
                self.work.mkdir()
                self._root_sink = containers.DirSink(self.work)
        return self._root_sink

    def finish(self) -> None:
        if self._root_sink is None:  # nothing could be read: an empty copy of the right kind
            self.root_sink(single_file=False)
        assert self._root_sink is not None
        self._root_sink.close()
        if self._root_raw is not None:
            self._root_raw.flush()
            os.fsync(self._root_raw.fileno())
            self._root_raw.close()

    # -- walker hooks -------------------------------------------------------------------------------

    def enter(self, parts: tuple[str, ...], display: str, fmt: str | None) -> None:
        top = self._stack[-1] if self._stack else None
        if top is not None and top.display == display:  # the next layer of the same file (gzip -> tar)
            top.formats.append(fmt)
            top.last = parts
            top.layers += 1
        else:
            top = _Frame(display, parts, parts, [fmt])
            self._stack.append(top)
        if fmt in _ARCHIVES:
            if self._is_root(top):
                top.sink = self.root_sink(single_file=False)
            else:
                top.spool = tempfile.TemporaryFile(dir=self.work.parent)  # noqa: SIM115 - closed in leave()
                top.sink = containers.archive_sink(fmt, top.spool, [f for f in top.formats[:-1] if f])

    def leave(self, fmt: str | None) -> None:
        frame = self._stack[-1]
        if fmt in _ARCHIVES and frame.spool is not None and frame.sink is not None:
            frame.sink.close()
            size = frame.spool.tell()
            frame.spool.seek(0)
            sink, name = self._place(frame)
            self._add(sink, name, frame.spool, size)
            frame.spool.close()
            frame.spool = frame.sink = None
        frame.layers -= 1
        if frame.layers == 0:
            self._stack.pop()

    def on_file(self, parts: tuple[str, ...], display: str, stream: Readable, size: int | None) -> None:
        frame = (
            self._stack[-1]
            if self._stack and self._stack[-1].display == display
            else _Frame(display, parts, parts, [None])
        )
        single = self._is_root(frame)
        sink, name = self._place(frame)
        compression = [f for f in frame.formats[:-1] if f]
        if single and self.archive is None:
            compression = list(containers.single_compression(self.output))
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL, dir=str(self.work.parent)) as spool:
            layers = containers.Layers(spool, compression)
            self._redact_into(stream, layers.top, display)
            layers.close()
            length = spool.tell()
            spool.seek(0)
            self._add(sink, name, spool, length)
        self.outcome.files += 1

    # -- helpers ------------------------------------------------------------------------------

    def _add(self, sink: containers.Sink, name: str, data: containers.Stream, size: int) -> None:
        before = len(sink.renamed)
        sink.add(name, data, size)
        self.outcome.renamed.extend(sink.renamed[before:])

    def _is_root(self, frame: _Frame) -> bool:
        return self.root_is_file and bool(self._stack) and frame is self._stack[0]

    def _place(self, frame: _Frame) -> tuple[containers.Sink, str]:
        """The container a file goes into and its (redacted) name there."""
        if self._is_root(frame):  # the input is one file: it is the output's only member
            return self.root_sink(single_file=True), self.scrubber.path_part(frame.first[-1])
        parent = next((f for f in reversed(self._stack) if f is not frame and f.sink is not None), None)
        if parent is not None and not self._is_root(parent):
            rel = frame.first[len(parent.last) :]
        else:
            rel = frame.first[1:]
            if self.root_is_dir and self.archive is not None:
                rel = frame.first  # a directory packed into an archive keeps its name as the top folder
        sink = parent.sink if parent is not None else self.root_sink(single_file=False)
        assert sink is not None
        return sink, "/".join(self.scrubber.path_part(p) for p in rel)

    def _redact_into(self, stream: Readable, out: containers.Stream, display: str) -> None:
        head = stream.read(_SNIFF)
        if b"\x00" in head:
            self.outcome.binary.append(display)
            out.write(BINARY_NOTE)
            while stream.read(1 << 20):  # the rest is not needed, but the archive must be read past it
                pass
            return
        pending = [head]

        def read(n: int) -> bytes:
            return pending.pop() + stream.read(n) if pending else stream.read(n)

        scrub_stream(read, out.write, self.scrubber.scrub)


def rewrite(source: Path, output: Path, scrubber: Scrubber) -> Outcome:
    """Write the redacted copy of `source` to `output` (atomically); the map is not written here."""
    parent = Path(os.path.abspath(output)).parent  # the directory named: a rename never crosses file systems
    # A fresh name next to the output: the rewriter makes it a file or a directory once it
    # knows what the source is, and it is renamed to `output` when complete.
    work = parent / f".{output.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    rw = _Rewriter(source, output, work, scrubber)
    walker = _TrackingWalker(rw, rw.outcome.problems)
    try:
        walker.walk(source)
        rw.finish()
        if work.is_dir():
            os.rename(work, output)  # a directory: `output` must not exist (checked by the caller)
        else:
            os.replace(work, output)
    except BaseException:
        if work.is_dir():
            shutil.rmtree(work, ignore_errors=True)
        else:
            work.unlink(missing_ok=True)
        raise
    return rw.outcome


def _is_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return _format_of(f.read(8)) == "zip"
    except OSError:
        return False
