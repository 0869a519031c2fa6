"""Walk a source (directory, archive, nested archives, single file) without extracting it.

Every regular file reached is handed to a callback as a stream, in order; archives inside
archives are opened in place (tar streams over gzip streams), so nothing touches the disk.
Formats are recognised by their magic bytes, not by their names. The source is untrusted:

- a path that leaves the bundle (`../`, absolute, a drive letter) is refused, a link is never
  followed out of the bundle root, devices, FIFOs and sockets are never opened;
- every stream is metered (`_Guarded`): bytes per file, bytes for the whole source, and the
  inflate ratio of each compressed stream (diagnose.bundle.limits); reaching a limit ends that
  stream as if it were complete, with one note, and the walk goes on with the next file;
- what cannot be read becomes one `ReadProblem` sentence, and whatever came before the break
  has already been handed on.
"""

from __future__ import annotations

import bz2
import errno
import io
import lzma
import os
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from diagnose.bundle.limits import Limits, current, format_size
from diagnose.model import ReadProblem


class _ZlibGzip:
    """zlib's gzip inflater with the interface of bz2's decompressor (and of isal's)."""

    def __init__(self) -> None:
        self._d = zlib.decompressobj(31)

    @property
    def eof(self) -> bool:
        return self._d.eof

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data

    @property
    def needs_input(self) -> bool:
        return not self._d.unconsumed_tail

    def decompress(self, data: bytes, max_length: int) -> bytes:
        return self._d.decompress(self._d.unconsumed_tail + data, max_length)


try:  # isal inflates 2-4x faster than zlib (performance-notes §2a)
    from isal.igzip_lib import DECOMP_GZIP, IgzipDecompressor, IsalError
    from isal.isal_zlib import error as IsalZlibError

    def _gzip_inflater() -> object:
        return IgzipDecompressor(flag=DECOMP_GZIP)

    _INFLATE_ERRORS: tuple[type[BaseException], ...] = (IsalError, IsalZlibError)
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    _gzip_inflater = _ZlibGzip
    _INFLATE_ERRORS = ()

OnFile = Callable[[tuple[str, ...], str, BinaryIO, "int | None"], None]

_ARCHIVE_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, zlib.error, lzma.LZMAError,
                   ValueError, *_INFLATE_ERRORS)
# zipfile also raises these on headers it cannot handle (a "version needed" from the future,
# encryption, an unknown method, sizes that do not fit).
_ZIP_ERRORS = (*_ARCHIVE_ERRORS, NotImplementedError, RuntimeError, struct.error, OverflowError)
_BLOCK = 256 * 1024
_MAX_EXTENDED_HEADER = 1024 * 1024  # a pax or GNU long-name header is a few hundred bytes
_MAX_NAME_CHARS = 1024  # longer member names are cut for display (they come from the archive)


# -- streams ------------------------------------------------------------------------------------
#
# The layers between a file and its consumer are pass-through readers: `read(n)` hands on the
# bytes object it got (no copy per layer). A buffered reader is put only in front of consumers
# that read in small pieces (tarfile reads 10 KiB at a time, the zip header reader a few bytes).


class _Reader:
    """A readable binary stream made of `_read(n)` (at most n bytes, b"" at the end).

    `read(n)` returns n bytes unless the stream ends first, as a buffered file does. When the
    layer below breaks after some bytes, those bytes are returned first and the error is raised
    by the next call: what came before a break is never dropped.
    """

    _pending: BaseException | None = None

    def _read(self, n: int) -> bytes:
        raise NotImplementedError

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        if self._pending is not None:
            e, self._pending = self._pending, None
            raise e
        limit = _BLOCK if n is None or n < 0 else n
        parts: list[bytes] = []
        got = 0
        while n is None or n < 0 or got < n:
            try:
                block = self._read(limit - got if n is not None and n >= 0 else limit)
            except _ARCHIVE_ERRORS as e:
                if not parts:
                    raise
                self._pending = e
                break
            if not block:
                break
            parts.append(block)
            got += len(block)
        return parts[0] if len(parts) == 1 else b"".join(parts)


class _Raw(io.RawIOBase):
    """A `_Reader` as a raw stream, to put an `io.BufferedReader` on it."""

    def __init__(self, inner: _Reader | BinaryIO):
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        data = self._inner.read(len(b))
        b[: len(data)] = data
        return len(data)


def _buffered(stream: _Reader | BinaryIO) -> BinaryIO:
    return io.BufferedReader(_Raw(stream), buffer_size=_BLOCK)  # type: ignore[return-value]


class _Prefixed(_Reader):
    """A stream that first returns bytes already read (to sniff the format), then the rest."""

    def __init__(self, prefix: bytes, rest: _Reader | BinaryIO):
        self._prefix = prefix
        self._rest = rest

    def _read(self, n: int) -> bytes:
        if self._prefix:
            out, self._prefix = self._prefix[:n], self._prefix[n:]
            return out
        return self._rest.read(n)


def sniffable(stream: _Reader | BinaryIO, n: int = 512) -> tuple[bytes, BinaryIO]:
    """Read the first `n` bytes and return them with a stream that still yields everything."""
    head = _read_at_least(stream, n)
    return head, _Prefixed(head, stream)  # type: ignore[return-value]


def _read_at_least(stream: _Reader | BinaryIO, n: int) -> bytes:
    """Up to n bytes. A stream that breaks after some bytes gives what it had: the next read
    raises the same error again, where the caller reports it."""
    parts, got = [], 0
    while got < n:
        try:
            block = stream.read(n - got)
        except _ARCHIVE_ERRORS:
            if not parts:
                raise
            break
        if not block:
            break
        parts.append(block)
        got += len(block)
    return b"".join(parts)


class _Counted(_Reader):
    """Counts the bytes read through it: the compressed side of a ratio."""

    def __init__(self, inner: _Reader | BinaryIO):
        self._inner = inner
        self.count = 0

    def _read(self, n: int) -> bytes:
        data = self._inner.read(n)
        self.count += len(data)
        return data

    # zipfile needs random access to the file it reads; pass it through when there is one.
    def seekable(self) -> bool:
        return self._inner.seekable()  # type: ignore[union-attr]

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)  # type: ignore[union-attr]

    def tell(self) -> int:
        return self._inner.tell()  # type: ignore[union-attr]


class _Guarded(_Reader):
    """A stream metered against the limits. When one is reached it notes it once and then
    ends, as if the data were complete: the consumer keeps what it read and moves on. A read
    error ends it the same way (with its note), so nothing above it loses buffered bytes."""

    def __init__(self, inner: _Reader | BinaryIO, walker: Walker, where: str, *, cap: int | None = None,
                 source: _Counted | None = None, total: bool = True):
        self._inner = inner
        self._walker = walker
        self._where = where
        self._cap = cap
        self._source = source
        self._source_start = source.count if source is not None else 0
        self._total = total
        self.count = 0
        self.stopped = False

    def _read(self, n: int) -> bytes:
        w, lim = self._walker, self._walker.limits
        if self.stopped or (self._total and w.exhausted):
            return b""
        want = n if self._cap is None else min(n, self._cap - self.count + 1)
        try:
            data = self._inner.read(want)
        except _ZIP_ERRORS as e:
            self.stopped = True
            w.broken(self._where, e)
            return b""
        if self._cap is not None and self.count + len(data) > self._cap:
            data = data[: self._cap - self.count]
            self._stop(f"is larger than {format_size(self._cap)} (max_member_bytes); only its start was read")
        self.count += len(data)
        if self._total:
            w.total += len(data)
            if w.total > lim.max_total_bytes:
                w.exhaust(self._where)
        if self._source is not None and self.count > lim.ratio_grace_bytes:
            packed = max(1, self._source.count - self._source_start)
            if self.count > lim.max_ratio * packed:
                self._stop(f"inflates to more than {lim.max_ratio} times its compressed size (max_ratio), "
                           f"like a decompression bomb; reading it stopped after {format_size(self.count)}")
        return data

    def _stop(self, reason: str) -> None:
        if not self.stopped:
            self.stopped = True
            self._walker.stop(self._where, reason)


class _Decompressing(_Reader):
    """gzip/bz2/xz data (possibly several concatenated streams) decompressed in bounded steps.

    Rather than GzipFile/BZ2File/LZMAFile: those drop the output decoded just before a
    truncation (a cut download still has most of its log), and LZMAFile has no memory limit.
    A break (truncation, corruption, the xz memory limit) is reported through `on_error` and
    ends the stream: everything decoded before it has been returned already.
    """

    def __init__(self, raw: _Reader | BinaryIO, make: Callable[[], object],
                 on_error: Callable[[BaseException], None]):
        self._raw = raw
        self._make = make
        self._on_error = on_error
        self._dec: object | None = None
        self._done = False

    def _read(self, n: int) -> bytes:
        try:
            while not self._done:
                out = self._step(n)
                if out:
                    return out
        except (*_ARCHIVE_ERRORS, MemoryError) as e:
            self._done = True
            self._on_error(e)
        return b""

    def _step(self, size: int) -> bytes:
        dec = self._dec
        if dec is None:
            dec = self._dec = self._make()
        elif dec.eof:  # type: ignore[attr-defined]
            rest = dec.unused_data or self._raw.read(_BLOCK)  # type: ignore[attr-defined]
            if not rest.strip(b"\x00"):  # the end, or the zero padding some tools add
                self._done = True
                return b""
            dec = self._dec = self._make()
            try:
                return dec.decompress(rest, size)  # type: ignore[attr-defined]
            except (*_ARCHIVE_ERRORS, MemoryError):
                self._done = True  # trailing garbage after a complete stream: ignored, as gzip does
                return b""
        data = self._raw.read(_BLOCK) if dec.needs_input else b""  # type: ignore[attr-defined]
        if dec.needs_input and not data:  # type: ignore[attr-defined]
            raise EOFError("the compressed data ends early")
        return dec.decompress(data, size)  # type: ignore[attr-defined]


class _Pushback(_Reader):
    """A stream into which unread bytes can be put back (a zip read member by member)."""

    def __init__(self, inner: _Reader | BinaryIO):
        self._inner = inner
        self._back = b""

    def unread(self, data: bytes) -> None:
        self._back = data + self._back

    def _read(self, n: int) -> bytes:
        if self._back:
            out, self._back = self._back[:n], self._back[n:]
            return out
        return self._inner.read(n)


class _Slice(_Reader):
    """The next `size` bytes of a stream."""

    def __init__(self, inner: _Reader | BinaryIO, size: int):
        self._inner = inner
        self.left = size

    def _read(self, n: int) -> bytes:
        data = self._inner.read(min(n, self.left)) if self.left else b""
        self.left -= len(data)
        return data


class _RawInflate(_Reader):
    """A raw deflate stream (a zip member) that ends where the deflate data ends, putting the
    bytes after it back into the pushback stream (a data descriptor, the next member)."""

    def __init__(self, src: _Reader, pushback: _Pushback | None):
        self._src = src
        self._pushback = pushback
        self._dec = zlib.decompressobj(-15)

    def _read(self, n: int) -> bytes:
        while not self._dec.eof:
            data = self._dec.unconsumed_tail or self._src.read(_BLOCK)
            if not data:
                raise EOFError("the compressed data ends early")
            out = self._dec.decompress(data, n)
            if self._dec.eof and self._pushback is not None and self._dec.unused_data:
                self._pushback.unread(self._dec.unused_data)
            if out:
                return out
        return b""


# -- tar ------------------------------------------------------------------------------------------


class _HugeHeader(tarfile.TarError):
    pass


class _GuardedTarInfo(tarfile.TarInfo):
    """Refuses extended headers (pax, GNU long names) that tarfile would read whole into
    memory, and remembers why the member list ended (a clean end, or truncation/corruption
    that tarfile itself passes over in silence after the first member)."""

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        try:
            return super().fromtarfile(tarfile_)
        except tarfile.HeaderError as e:
            tarfile_.antrea_end = e  # type: ignore[attr-defined]
            raise

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                         tarfile.GNUTYPE_LONGLINK) and self.size > _MAX_EXTENDED_HEADER:
            raise _HugeHeader(f"has an extended header of {self.size:,} bytes (real ones have a few hundred)")
        return super()._proc_member(tarfile_)  # type: ignore[misc]


def _is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


def _format_of(head: bytes) -> str | None:
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if _is_tar(head):
        return "tar"
    return None


_SUFFIX_FORMATS = ((".tar.gz", "gzip"), (".tgz", "gzip"), (".gz", "gzip"), (".bz2", "bzip2"), (".tbz2", "bzip2"),
                   (".xz", "xz"), (".txz", "xz"), (".zip", "zip"), (".tar", "tar"))


def _claimed_format(name: str) -> str | None:
    lower = name.lower()
    return next((fmt for suffix, fmt in _SUFFIX_FORMATS if lower.endswith(suffix)), None)


def _what_it_is(head: bytes) -> str:
    fmt = _format_of(head)
    if fmt:
        return f"{fmt} data"
    if not head:
        return "empty"
    text = head[:200].decode("utf-8", errors="replace")
    if "\ufffd" in text or "\x00" in text:
        return "binary data"
    first = " ".join(text.split())[:40]
    return f"text starting with {first!r}"


def _file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


class Walker:
    def __init__(self, on_file: OnFile, problems: list[ReadProblem], limits: Limits | None = None):
        self.on_file = on_file
        self.problems = problems
        self.limits = limits or current()
        self.members_seen = 0
        self.total = 0  # bytes read from files and produced by decompressors, for max_total_bytes
        self.exhausted = False  # max_total_bytes or max_members reached: nothing more is read
        self._stopped: set[str] = set()  # paths a limit stopped: their read errors are not news
        self._unlisted = 0  # notes over max_notes
        self._zip_memory = 0  # bytes of nested zips held in memory right now
        self._misnamed: set[str] = set()

    # -- notes ----------------------------------------------------------------------------------

    def problem(self, where: str, reason: str) -> None:
        if len(self.problems) >= self.limits.max_notes:
            self._unlisted += 1
            return
        self.problems.append(ReadProblem(where, reason))

    def stop(self, where: str, reason: str) -> None:
        """A limit stopped reading `where`: say so once; what it broke further out is not news."""
        if not self._covered(where):
            self.problem(where, reason)
        self._stopped.add(where)

    def exhaust(self, where: str) -> None:
        if not self.exhausted:
            self.exhausted = True
            self.problem(where, f"takes the source past {format_size(self.limits.max_total_bytes)} "
                                "of data after decompression (max_total_bytes); reading stopped here and "
                                "the rest of the source was not read")
        self._stopped.add(where)

    def _covered(self, where: str) -> bool:
        parts = where.split("!")
        return any("!".join(parts[:i]) in self._stopped for i in range(1, len(parts) + 1))

    def _broken(self, where: str, reason: str) -> None:
        """`where` could not be read to its end: one note; what breaks inside it because of that
        is not news."""
        if not self._covered(where) and not self.exhausted:
            self.problem(where, reason)
        self._stopped.add(where)

    def broken(self, where: str, e: BaseException) -> None:
        if "memory usage limit" in str(e).lower() or isinstance(e, MemoryError):
            self._broken(where, f"needs more than {format_size(self.limits.xz_memory_bytes)} of memory to "
                                "decompress (xz_memory_bytes); it was not read")
        else:
            self._broken(where, f"is truncated or corrupt ({_reason(e)}); what came before was used")

    def _count_member(self, where: str) -> bool:
        self.members_seen += 1
        if self.members_seen > self.limits.max_members:
            if not self.exhausted:
                self.exhausted = True
                self.problem(where, f"is beyond the first {self.limits.max_members:,} files of the source "
                                    "(max_members); it and the rest were not read")
            return False
        return True

    # -- entry points -----------------------------------------------------------------------

    def walk(self, path: Path) -> None:
        if path.is_dir():
            self._walk_dir(path)
        else:
            self._walk_file(path, (_printable(path.name),), _printable(path.name), follow=True)
        if self._unlisted:
            self.problems.append(ReadProblem("(source)", f"{self._unlisted:,} more read problems were not listed "
                                                         "(max_notes)"))

    def _walk_dir(self, root: Path) -> None:
        real_root = root.resolve()
        top = len(root.parts)
        for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: self._dir_error(e, root)):
            here = Path(dirpath)
            dirnames.sort()
            keep = []
            for d in dirnames:
                full = here / d
                display = _printable(full.relative_to(root).as_posix())
                if os.path.islink(full):  # never descend through a link: it may leave the bundle or loop
                    self.problem(display, "is a symbolic link to a directory; not followed")
                elif len(full.parts) - top > self.limits.max_path_depth:
                    self.problem(display, f"is more than {self.limits.max_path_depth} directories deep "
                                          "(max_path_depth); not read")
                else:
                    keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                if self.exhausted:
                    return
                full = here / name
                rel = full.relative_to(root)
                display = _printable(rel.as_posix())
                if not self._count_member(display):
                    return
                target = self._inside(full, real_root, display)
                if target is not None:
                    self._walk_file(target, (_printable(root.name), *map(_printable, rel.parts)), display,
                                    follow=False)
            if self.exhausted:
                return

    def _inside(self, full: Path, real_root: Path, display: str) -> Path | None:
        """The path to open for a directory entry, or None (with a note) when it must not be read."""
        try:
            st = full.lstat()
            if not stat.S_ISLNK(st.st_mode):
                if stat.S_ISREG(st.st_mode):
                    return full
                self.problem(display, f"is {_file_type(st.st_mode)}; ignored (only regular files are read)")
                return None
            target = full.resolve(strict=True)
        except RuntimeError:  # Python < 3.13 reports a symlink loop this way
            self.problem(display, "is a symbolic link loop; not followed")
            return None
        except FileNotFoundError:
            self.problem(display, "is a symbolic link to nothing (dangling); skipped")
            return None
        except OSError as e:
            if e.errno == errno.ELOOP:
                self.problem(display, "is a symbolic link loop; not followed")
            else:
                self.problem(display, f"cannot be read: {e.strerror or e}")
            return None
        if not target.is_relative_to(real_root):
            self.problem(display, "is a symbolic link to a path outside the bundle; not followed")
            return None
        return target

    def _dir_error(self, err: OSError, root: Path) -> None:
        where = str(err.filename or "?")
        try:
            where = Path(where).relative_to(root).as_posix()
        except ValueError:
            pass
        self.problem(_printable(where), f"cannot be listed: {err.strerror or err}")

    def _walk_file(self, path: Path, parts: tuple[str, ...], display: str, follow: bool) -> None:
        # O_NONBLOCK: opening a FIFO must not hang; O_NOFOLLOW: a link swapped in after the checks
        # is not followed (the source named on the command line may be a link: the user chose it).
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        if not follow:
            flags |= getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags)
        except OSError as e:
            self.problem(display, f"cannot be opened: {e.strerror or e}")
            return
        with open(fd, "rb", closefd=True) as f:
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    self.problem(display, f"is {_file_type(st.st_mode)}; ignored (only regular files are read)")
                    return
                if hasattr(os, "set_blocking"):
                    os.set_blocking(fd, True)
                head = f.read(8)
                f.seek(0)
            except OSError as e:
                self.problem(display, f"cannot be read: {e.strerror or e}")
                return
            if _format_of(head) == "zip":
                self._check_name(display, parts[-1], head)
                self._walk_zip(f, parts, display, depth=0)
            else:
                self.walk_stream(_Guarded(f, self, display), parts, display, st.st_size, depth=0)

    # -- streams --------------------------------------------------------------------------------

    def walk_stream(self, stream: BinaryIO, parts: tuple[str, ...], display: str, size: int | None,
                    depth: int) -> None:
        """Open `stream` as whatever its magic says: compressed, tar, zip, or a plain file."""
        try:
            head, stream = sniffable(stream)
        except _ARCHIVE_ERRORS as e:
            self.broken(display, e)
            return
        if not head and self._covered(display):
            return  # a compressed stream that broke before its first byte: already noted
        fmt = _format_of(head)
        self._check_name(display, parts[-1], head)
        if fmt is not None and depth >= self.limits.max_nesting:
            self.problem(display, f"is nested more than {self.limits.max_nesting} archives deep (max_nesting); "
                                  "not opened")
            return
        if fmt == "gzip":
            self._walk_compressed(stream, _gzip_inflater, parts, display, depth)
        elif fmt == "bzip2":
            self._walk_compressed(stream, bz2.BZ2Decompressor, parts, display, depth)
        elif fmt == "xz":
            memlimit = self.limits.xz_memory_bytes
            self._walk_compressed(stream, lambda: lzma.LZMADecompressor(memlimit=memlimit), parts, display, depth)
        elif fmt == "tar":
            self._walk_tar(stream, parts, display, depth)
        elif fmt == "zip":
            self._walk_nested_zip(stream, parts, display, depth)
        else:
            self._emit(parts, display, stream, size)

    def _check_name(self, display: str, name: str, head: bytes) -> None:
        """A name that promises an archive the content is not (an HTML error page saved as
        .tar.gz is the classic) is worth a sentence: the user may have the wrong file."""
        claimed = _claimed_format(name)
        actual = _format_of(head)
        if display in self._misnamed or not claimed or not head or actual == claimed:
            return
        if claimed == "tar" and actual is None and not head.strip(b"\x00"):
            return  # an empty tar archive is all zeros and has no magic to recognise
        self._misnamed.add(display)  # the layer inside a misnamed .gz has the same name: once is enough
        self.problem(display, f"is named like {claimed} data but is {_what_it_is(head)}; it was read by its content")

    def _walk_compressed(self, stream: BinaryIO, make: Callable[[], object], parts, display, depth) -> None:
        source = _Counted(stream)
        inflater = _Decompressing(source, make, lambda e: self.broken(display, e))
        inflated = _Guarded(inflater, self, display, source=source)
        # A single compressed file (a rotated log) keeps its name without the suffix, so the
        # layout and the classifier see `antrea-agent.log`, and `x.tgz` becomes `x.tar`.
        name = parts[-1]
        lower = name.lower()
        for suffix, repl in ((".tgz", ".tar"), (".txz", ".tar"), (".tbz2", ".tar"), (".gz", ""), (".bz2", ""),
                             (".xz", "")):
            if lower.endswith(suffix):
                name = name[: -len(suffix)] + repl
                break
        self.walk_stream(inflated, (*parts[:-1], name), display, None, depth + 1)

    def _walk_tar(self, stream: BinaryIO, parts, display, depth) -> None:
        count = 0
        tar = None
        try:
            # Read in scan-chunk units: with the default 10 KiB tarfile's stream layer costs a tenth of a scan.
            tar = tarfile.open(fileobj=_buffered(stream), mode="r|", tarinfo=_GuardedTarInfo, bufsize=256 * 1024)
            # next() rather than iteration: the member list is cleared as we go, so a huge
            # archive does not pile up TarInfo objects (stream mode never needs them again).
            while not self.exhausted and (member := tar.next()) is not None:
                tar.members.clear()
                count += 1
                where = f"{display}!{_printable(member.name)}"
                if not self._count_member(where):
                    return
                name = self._member_path(member.name, where)
                if name is None or member.isdir():
                    continue
                if member.issym() or member.islnk():
                    self.problem(where, "is a link inside the archive; not followed")
                    continue
                if not member.isfile():
                    kind = "a device" if member.ischr() or member.isblk() else (
                        "a FIFO" if member.isfifo() else "not a regular file")
                    self.problem(where, f"is {kind} entry in the archive; ignored")
                    continue
                fobj = tar.extractfile(member)
                if fobj is None:
                    continue
                self.walk_stream(fobj, (*parts, *name.parts), f"{display}!{name}", member.size, depth + 1)
        except _HugeHeader as e:
            self._broken(display, f"{e}; reading it stopped after {count} member(s)")
            return
        except _ARCHIVE_ERRORS as e:
            state = f"after {count} member(s)" if count else "from the start"
            self._broken(display, f"is truncated or corrupt {state} ({_reason(e)}); what came before was used")
            return
        end = getattr(tar, "antrea_end", None)
        if end is None or isinstance(end, tarfile.EOFHeaderError) or self.exhausted:
            return
        if isinstance(end, tarfile.EmptyHeaderError):
            self._broken(display, f"ends without the end-of-archive marker after {count} member(s) "
                                  "(truncated?); what came before was used")
        elif isinstance(end, tarfile.TruncatedHeaderError):
            self._broken(display, f"is truncated after {count} member(s); what came before was used")
        else:
            self._broken(display, f"has a corrupt member header after {count} member(s) ({_reason(end)}); "
                                  "the rest of it was skipped")

    def _member_path(self, raw: str, where: str) -> PurePosixPath | None:
        """The member's path, or None (with a note) when it must not be used."""
        name = _safe_member_name(raw)
        if name is None:
            if raw.strip("/.\\") or raw.startswith(("/", "\\")):  # "./" itself is harmless
                self.problem(where, "has an unsafe path (absolute, with '..' or a drive letter); skipped")
            return None
        if len(name.parts) > self.limits.max_path_depth:
            self.problem(where, f"is more than {self.limits.max_path_depth} directories deep (max_path_depth); "
                                "skipped")
            return None
        return name

    # -- zip --------------------------------------------------------------------------------------

    def _walk_zip(self, f: BinaryIO, parts, display, depth) -> None:
        """A zip with random access: its central directory lists the members."""
        entries = _zip_entry_count(f)
        room = self.limits.max_members - self.members_seen
        if entries is not None and entries > room:
            # zipfile would load the whole directory first; read the members allowed one by one
            # instead (the member count limit notes where it stopped).
            f.seek(0)
            self._walk_zip_stream(f, parts, display, depth)
            return
        counted = _Counted(f)
        try:
            f.seek(0)
            zf = zipfile.ZipFile(counted)
        except _ZIP_ERRORS:
            f.seek(0)
            count, end = self._walk_zip_stream(f, parts, display, depth)
            self._broken(display, f"has no readable zip directory (truncated or damaged); {_zip_end(count, end)}")
            return
        with zf:
            for info in zf.infolist():
                if self.exhausted:
                    return
                where = f"{display}!{_printable(info.filename)}"
                if not self._count_member(where):
                    return
                name = self._member_path(info.filename, where)
                if name is None or info.is_dir():
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    self.problem(where, "is a link inside the archive; not followed")
                    continue
                if not self._zip_member_ok(where, info.flag_bits, info.compress_type, info.compress_size,
                                           info.file_size):
                    continue
                try:
                    with zf.open(info) as member:
                        self.walk_stream(_Guarded(member, self, where, source=counted), (*parts, *name.parts),
                                         f"{display}!{name}", info.file_size, depth + 1)
                except _ZIP_ERRORS as e:
                    self._broken(where, f"cannot be read from the zip archive: {_reason(e)}")

    def _zip_member_ok(self, where: str, flags: int, method: int, packed: int, size: int) -> bool:
        if flags & 0x1:
            self.problem(where, "is encrypted; skipped")
            return False
        if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
            self.problem(where, f"uses zip compression method {method}, which is not supported; skipped")
            return False
        lim = self.limits
        # zipfile never inflates a member past its declared size, so an honest bomb is refused
        # before a byte is inflated, and a lying one is cut at its declared size.
        if size > lim.ratio_grace_bytes and size > lim.max_ratio * max(packed, 1):
            self.stop(where, f"declares {size:,} bytes packed into {packed:,} (more than max_ratio "
                             f"{lim.max_ratio}), like a decompression bomb; skipped")
            return False
        return True

    def _walk_nested_zip(self, stream: BinaryIO, parts, display, depth) -> None:
        # zip needs random access: a zip inside another archive is read into memory while the
        # memory for nested zips lasts, and member by member (local headers) beyond that.
        room = max(0, self.limits.max_nested_zip_bytes - self._zip_memory)
        data = _read_at_least(stream, room + 1)
        if len(data) <= room:
            self._zip_memory += len(data)
            try:
                self._walk_zip(io.BytesIO(data), parts, display, depth)
            finally:
                self._zip_memory -= len(data)
            return
        count, end = self._walk_zip_stream(_Prefixed(data, stream), parts, display, depth)
        del data
        if end != "end":
            self._broken(display, _zip_end(count, end))

    def _walk_zip_stream(self, stream: BinaryIO, parts, display, depth) -> tuple[int, str]:
        """Read a zip from its local headers, in order, without its directory: a truncated or
        damaged zip, or one too big to hold in memory. Returns (members, how it ended)."""
        src = _Pushback(_buffered(stream))
        count = 0
        while not self.exhausted:
            sig = src.read(4)
            if sig in (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06"):
                return count, "end"
            if not sig:
                return count, "truncated"
            if sig != b"PK\x03\x04":
                return count, "corrupt"
            fixed = src.read(26)
            if len(fixed) < 26:
                return count, "truncated"
            _, flags, method, _, _, _, packed, size, name_len, extra_len = struct.unpack("<HHHHHIIIHH", fixed)
            raw_name = src.read(name_len)
            extra = src.read(extra_len)
            packed, size = _zip64_sizes(extra, packed, size)
            name_text = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
            where = f"{display}!{_printable(name_text)}"
            if not self._count_member(where):
                return count, "limit"
            count += 1
            described = not flags & 0x8  # sizes in the header, not in a descriptor after the data
            if not described and method != zipfile.ZIP_DEFLATED:
                return count, "unsized"  # a stored member of unknown length cannot be skipped
            body: _Slice | _Pushback = _Slice(src, packed) if described else src
            name = self._member_path(name_text, where)
            readable = False
            if name is not None and not name_text.endswith("/"):
                if method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    readable = self._zip_member_ok(where, flags, method, packed if described else 0,
                                                   size if described else 0)
                elif flags & 0x1:
                    self.problem(where, "is encrypted; skipped")
                else:
                    self.problem(where, f"uses zip compression method {method}, which cannot be read without "
                                        "the zip directory; skipped")
            try:
                if readable or not described:  # an undescribed member ends where its deflate data ends
                    if method == zipfile.ZIP_DEFLATED:
                        counted = _Counted(body)
                        guard = _Guarded(_RawInflate(counted, None if described else src), self, where,
                                         source=counted)
                    else:
                        guard = _Guarded(body, self, where)
                    data = guard
                    if readable:
                        assert name is not None
                        self.walk_stream(data, (*parts, *name.parts), f"{display}!{name}", size or None,
                                         depth + 1)
                    while not guard.stopped and data.read(_BLOCK):  # the rest, to reach the next header
                        pass
                    if guard.stopped and not described:
                        return count, "limit"
                if described:
                    while body.read(_BLOCK):
                        pass
            except _ARCHIVE_ERRORS as e:
                self._broken(where, f"cannot be read from the zip archive: {_reason(e)}")
                return count, "corrupt"
            if not described:  # the data descriptor: optional signature, crc, sizes
                desc = src.read(4)
                if desc == b"PK\x07\x08":
                    src.read(12)
                else:
                    src.read(8)
        return count, "limit"

    def _emit(self, parts, display, stream, size) -> None:
        capped = _Guarded(stream, self, display, cap=self.limits.max_member_bytes, total=False)
        try:
            self.on_file(tuple(parts), display, capped, size)
        except _ARCHIVE_ERRORS as e:  # pragma: no cover - _Guarded turns read errors into an end
            self.broken(display, e)


def _zip_end(count: int, end: str) -> str:
    if end == "end":
        return f"its {count} member(s) were read in order from their own headers"
    if end == "truncated":
        return f"it is truncated; the {count} member(s) before the break were read"
    if end == "unsized":
        return f"the {count} member(s) before one of unknown size were read"
    return f"the {count} member(s) before the damage were read"


def _zip64_sizes(extra: bytes, packed: int, size: int) -> tuple[int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == 0x0001:
            values = extra[pos + 4 : pos + 4 + length]
            fields = [struct.unpack_from("<Q", values, i)[0] for i in range(0, len(values) - 7, 8)]
            if size == 0xFFFFFFFF and fields:
                size = fields.pop(0)
            if packed == 0xFFFFFFFF and fields:
                packed = fields.pop(0)
            break
        pos += 4 + length
    return packed, size


def _zip_entry_count(f: BinaryIO) -> int | None:
    """How many members the zip's end record declares (read before zipfile loads them all)."""
    try:
        end = f.seek(0, 2)
        f.seek(max(0, end - 65_557))
        tail = f.read()
    except OSError:
        return None
    at = tail.rfind(b"PK\x05\x06")
    if at == -1 or len(tail) < at + 22:
        return None
    entries = struct.unpack_from("<H", tail, at + 10)[0]
    if entries == 0xFFFF and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        offset = struct.unpack_from("<Q", tail, at - 12)[0]
        try:
            f.seek(offset)
            record = f.read(56)
        except (OSError, ValueError, OverflowError):
            return None
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            entries = struct.unpack_from("<Q", record, 32)[0]
    return entries


# Control characters and bidi overrides in a name would act on the terminal the error message
# is printed to (escape sequences) or disguise it; they are shown as \xNN / \uNNNN instead.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _printable(name: str) -> str:
    """A name from the bundle as text that can be shown and written: undecodable bytes (kept
    by Python as surrogates) replaced, control characters made visible, very long names cut."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)
    return text if len(text) <= _MAX_NAME_CHARS else text[:_MAX_NAME_CHARS] + "…"


def _safe_member_name(name: str) -> PurePosixPath | None:
    p = PurePosixPath(_printable(name).replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
        return None
    parts = [x for x in p.parts if x not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


def _reason(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    lower = text.lower()
    if isinstance(e, EOFError) or "end-of-stream" in lower or "ended before" in lower or "ends early" in lower:
        return "the compressed data ends early"
    if "unexpected end of data" in lower:
        return "the archive ends early"
    if "crc" in lower:
        return "a checksum does not match: the data is damaged"
    if "memory usage limit" in lower:
        return "it needs more memory to decompress than xz_memory_bytes allows"
    if "not a gzipped file" in lower:
        return "not valid gzip data"
    if "invalid data stream" in lower or "corrupt input data" in lower or "input format not supported" in lower:
        return "the compressed data is corrupt"
    return text.splitlines()[0][:200]
