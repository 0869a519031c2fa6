"""The stream layers between a file and its consumer: decompressors, slices, prefixes, counters
and the metered `Guarded` stream that enforces the limits.

The layers are pass-through readers: `read(n)` hands on the bytes object it got (no copy per
layer). A buffered reader is put only in front of consumers that read in small pieces (tarfile
reads 10 KiB at a time, the zip header reader a few bytes).
"""

from __future__ import annotations

import io
import lzma
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from typing import BinaryIO, Protocol, cast

from diagnose.bundle.limits import Limits, format_size


class Readable(Protocol):
    """What the walk needs of a stream, and all its layers give: `read(n)`, b"" at the end. An
    open file, a zip or tar member, and every `Reader` below are one."""

    def read(self, n: int = -1, /) -> bytes: ...


class Budget(Protocol):
    """What a metered stream reports to and asks of the walk (`walk.Walker` is one): the limits,
    whether the source's budget is spent, and where a stream stopped or broke."""

    limits: Limits
    exhausted: bool
    inflation_stopped: bool

    def produced(self, n: int, where: str, inflated: bool) -> None: ...
    def stop(self, where: str, reason: str) -> None: ...
    def broken(self, where: str, e: BaseException) -> None: ...


class Decompressor(Protocol):
    """An incremental decompressor: bz2's, lzma's, isal's and `_ZlibGzip` have this interface."""

    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    @property
    def needs_input(self) -> bool: ...
    def decompress(self, data: bytes, max_length: int, /) -> bytes: ...


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


try:  # isal inflates 2-4x faster than zlib (measured: benchmarks/README.md)
    from isal.igzip_lib import DECOMP_GZIP, IgzipDecompressor, IsalError
    from isal.isal_zlib import error as IsalZlibError

    def gzip_inflater() -> Decompressor:
        return IgzipDecompressor(flag=DECOMP_GZIP)

    # isal's stubs declare its exception classes as instances (`IsalError: Exception`).
    INFLATE_ERRORS: tuple[type[Exception], ...] = (IsalError, IsalZlibError)  # type: ignore[assignment]
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    gzip_inflater = _ZlibGzip
    INFLATE_ERRORS = ()


ARCHIVE_ERRORS: tuple[type[Exception], ...] = (
    tarfile.TarError,
    zipfile.BadZipFile,
    EOFError,
    OSError,
    zlib.error,
    lzma.LZMAError,
    ValueError,
    *INFLATE_ERRORS,
)
# zipfile also raises these on headers it cannot handle (a "version needed" from the future,
# encryption, an unknown method, sizes that do not fit).
ZIP_ERRORS: tuple[type[Exception], ...] = (
    *ARCHIVE_ERRORS,
    NotImplementedError,
    RuntimeError,
    struct.error,
    OverflowError,
)
# A decompressor also runs out of memory (xz's limit aside, a crafted stream can ask much).
_DECOMPRESS_ERRORS: tuple[type[Exception], ...] = (*ARCHIVE_ERRORS, MemoryError)
BLOCK = 256 * 1024


class Reader:
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
        limit = BLOCK if n is None or n < 0 else n
        parts: list[bytes] = []
        got = 0
        while n is None or n < 0 or got < n:
            try:
                block = self._read(limit - got if n is not None and n >= 0 else limit)
            except ARCHIVE_ERRORS as e:
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
    """A `Reader` as a raw stream, to put an `io.BufferedReader` on it."""

    def __init__(self, inner: Readable):
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # b: the writable buffer io.BufferedReader passes
        data = self._inner.read(len(b))
        b[: len(data)] = data
        return len(data)


def buffered(stream: Readable) -> BinaryIO:
    return io.BufferedReader(_Raw(stream), buffer_size=BLOCK)


class Prefixed(Reader):
    """A stream that first returns bytes already read (to sniff the format), then the rest."""

    def __init__(self, prefix: bytes, rest: Readable):
        self._prefix = prefix
        self._rest = rest

    def _read(self, n: int) -> bytes:
        if self._prefix:
            out, self._prefix = self._prefix[:n], self._prefix[n:]
            return out
        return self._rest.read(n)


def sniffable(stream: Readable, n: int = 512) -> tuple[bytes, Readable]:
    """Read the first `n` bytes and return them with a stream that still yields everything."""
    head = read_at_least(stream, n)
    return head, Prefixed(head, stream)


def read_at_least(stream: Readable, n: int) -> bytes:
    """Up to n bytes. A stream that breaks after some bytes gives what it had: the next read
    raises the same error again, where the caller reports it."""
    parts: list[bytes] = []
    got = 0
    while got < n:
        try:
            block = stream.read(n - got)
        except ARCHIVE_ERRORS:
            if not parts:
                raise
            break
        if not block:
            break
        parts.append(block)
        got += len(block)
    return b"".join(parts)


class Counted(Reader):
    """Counts the bytes read through it: the compressed side of a ratio."""

    def __init__(self, inner: Readable):
        self._inner = inner
        self.count = 0

    def _read(self, n: int) -> bytes:
        data = self._inner.read(n)
        self.count += len(data)
        return data

    # zipfile needs random access to the file it reads; pass it through when there is one
    # (only walk_zip gives a Counted to zipfile, over an open file).
    def seekable(self) -> bool:
        return cast(BinaryIO, self._inner).seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return cast(BinaryIO, self._inner).seek(offset, whence)

    def tell(self) -> int:
        return cast(BinaryIO, self._inner).tell()


class Guarded(Reader):
    """A stream metered against the limits. When one is reached it notes it once and then
    ends, as if the data were complete: the consumer keeps what it read and moves on. A read
    error ends it the same way (with its note), so nothing above it loses buffered bytes.

    `source` counts the packed bytes behind an inflating stream (a decompressor, a deflated zip
    member, a sparse tar member): its ratio is checked, and the source-wide ratio stops it."""

    def __init__(
        self,
        inner: Readable,
        walker: Budget,
        where: str,
        *,
        cap: int | None = None,
        source: Counted | None = None,
        total: bool = True,
    ):
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
        if self._source is not None and w.inflation_stopped:  # the source ratio was passed: inflate nothing more
            self.stopped = True
            return b""
        want = n if self._cap is None else min(n, self._cap - self.count + 1)
        try:
            data = self._inner.read(want)
        except Exception as e:  # whatever a library below raises (RecursionError too) ends this stream only
            self.stopped = True
            w.broken(self._where, e)
            return b""
        if self._cap is not None and self.count + len(data) > self._cap:
            data = data[: self._cap - self.count]
            self._stop(f"is larger than {format_size(self._cap)} (max_member_bytes); only its start was read")
        self.count += len(data)
        if self._total:
            w.produced(len(data), self._where, inflated=self._source is not None)
        if self._source is not None and self.count > lim.ratio_grace_bytes:
            packed = max(1, self._source.count - self._source_start)
            if self.count > lim.max_ratio * packed:
                self._stop(
                    f"inflates to more than {lim.max_ratio} times its compressed size (max_ratio), "
                    f"like a decompression bomb; reading it stopped after {format_size(self.count)}"
                )
        return data

    def _stop(self, reason: str) -> None:
        if not self.stopped:
            self.stopped = True
            self._walker.stop(self._where, reason)


class Decompressing(Reader):
    """gzip/bz2/xz data (possibly several concatenated streams) decompressed in bounded steps.

    Rather than GzipFile/BZ2File/LZMAFile: those drop the output decoded just before a
    truncation (a cut download still has most of its log), and LZMAFile has no memory limit.
    A break (truncation, corruption, the xz memory limit) is reported through `on_error` and
    ends the stream: everything decoded before it has been returned already.
    """

    def __init__(self, raw: Readable, make: Callable[[], Decompressor], on_error: Callable[[BaseException], None]):
        self._raw = raw
        self._make = make
        self._on_error = on_error
        self._dec: Decompressor | None = None
        self._done = False

    def _read(self, n: int) -> bytes:
        try:
            while not self._done:
                out = self._step(n)
                if out:
                    return out
        except _DECOMPRESS_ERRORS as e:
            self._done = True
            self._on_error(e)
        return b""

    def _step(self, size: int) -> bytes:
        dec = self._dec
        if dec is None:
            dec = self._dec = self._make()
        elif dec.eof:
            rest = dec.unused_data or self._raw.read(BLOCK)
            if not rest.strip(b"\x00"):  # the end, or the zero padding some tools add
                self._done = True
                return b""
            dec = self._dec = self._make()
            try:
                return dec.decompress(rest, size)
            except _DECOMPRESS_ERRORS:
                self._done = True  # trailing garbage after a complete stream: ignored, as gzip does
                return b""
        data = self._raw.read(BLOCK) if dec.needs_input else b""
        if dec.needs_input and not data:
            raise EOFError("the compressed data ends early")
        return dec.decompress(data, size)


class Pushback(Reader):
    """A stream into which unread bytes can be put back (a zip read member by member)."""

    def __init__(self, inner: Readable):
        self._inner = inner
        self._back = b""

    def unread(self, data: bytes) -> None:
        self._back = data + self._back

    def _read(self, n: int) -> bytes:
        if self._back:
            out, self._back = self._back[:n], self._back[n:]
            return out
        return self._inner.read(n)


class Slice(Reader):
    """The next `size` bytes of a stream."""

    def __init__(self, inner: Readable, size: int):
        self._inner = inner
        self.left = size

    def _read(self, n: int) -> bytes:
        data = self._inner.read(min(n, self.left)) if self.left else b""
        self.left -= len(data)
        return data


class RawInflate(Reader):
    """A raw deflate stream (a zip member) that ends where the deflate data ends, putting the
    bytes after it back into the pushback stream (a data descriptor, the next member)."""

    def __init__(self, src: Reader, pushback: Pushback | None):
        self._src = src
        self._pushback = pushback
        self._dec = zlib.decompressobj(-15)

    def _read(self, n: int) -> bytes:
        while not self._dec.eof:
            data = self._dec.unconsumed_tail or self._src.read(BLOCK)
            if not data:
                raise EOFError("the compressed data ends early")
            out = self._dec.decompress(data, n)
            if self._dec.eof and self._pushback is not None and self._dec.unused_data:
                self._pushback.unread(self._dec.unused_data)
            if out:
                return out
        return b""


def describe_error(e: BaseException) -> str:
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
