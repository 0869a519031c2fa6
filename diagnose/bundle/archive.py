"""Walk a source (directory, archive, nested archives, single file) without extracting it.

Every regular file reached is handed to a callback as a stream, in order; archives inside
archives are opened in place (tar streams over gzip streams), so nothing touches the disk.
Formats are recognised by their magic bytes, not by their names. What cannot be read becomes
one `ReadProblem` sentence and the walk goes on with the next file.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from diagnose.bundle.limits import LIMITS
from diagnose.model import ReadProblem

try:  # isal inflates 2-4x faster than zlib (performance-notes §2a); same API as gzip
    from isal.igzip import IGzipFile as _GzipFile
    from isal.igzip_lib import IsalError
    from isal.isal_zlib import error as IsalZlibError
    _INFLATE_ERRORS: tuple[type[BaseException], ...] = (IsalError, IsalZlibError)
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    from gzip import GzipFile as _GzipFile
    _INFLATE_ERRORS = ()

OnFile = Callable[[tuple[str, ...], str, BinaryIO, "int | None"], None]

_ARCHIVE_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, zlib.error, lzma.LZMAError,
                   ValueError, *_INFLATE_ERRORS)


class _Prefixed:
    """A stream that first returns bytes already read (to sniff the format), then the rest.

    Deliberately not an io.BufferedReader stack: every layer of Python-level buffering costs a
    copy per chunk on the scan's hot path, and all consumers (tarfile, gzip, the scanner) only
    call read().
    """

    def __init__(self, prefix: bytes, rest: BinaryIO):
        self._prefix = prefix
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self._prefix:
            if n is None or n < 0:
                data, self._prefix = self._prefix + self._rest.read(), b""
                return data
            data, self._prefix = self._prefix[:n], self._prefix[n:]
            return data
        return self._rest.read(n)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        pass


def sniffable(stream: BinaryIO, n: int = 512) -> tuple[bytes, BinaryIO]:
    """Read the first `n` bytes and return them with a stream that still yields everything."""
    head = _read_at_least(stream, n)
    return head, _Prefixed(head, stream)  # type: ignore[return-value]


def _gunzip(stream: BinaryIO) -> BinaryIO:
    """Inflate in a second thread when there is a second core (isal releases the GIL): the
    scan then runs while the next block is inflated. ANTREA_DIAGNOSE_THREADS=0 turns it off."""
    if _THREADED_INFLATE:
        try:
            from isal import igzip_threaded

            return igzip_threaded.open(stream, "rb", threads=1, block_size=256 * 1024)  # type: ignore[return-value]
        except ImportError:
            pass
    return _GzipFile(fileobj=stream)  # type: ignore[return-value]


_THREADED_INFLATE = (os.cpu_count() or 1) > 1 and os.environ.get("ANTREA_DIAGNOSE_THREADS", "1") != "0"


def _read_at_least(stream: BinaryIO, n: int) -> bytes:
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


def _is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


class Walker:
    def __init__(self, on_file: OnFile, problems: list[ReadProblem]):
        self.on_file = on_file
        self.problems = problems
        self.members_seen = 0

    def problem(self, where: str, reason: str) -> None:
        self.problems.append(ReadProblem(where, reason))

    # -- entry points -----------------------------------------------------------------------

    def walk(self, path: Path) -> None:
        if path.is_dir():
            self._walk_dir(path)
        else:
            self._walk_file(path, (path.name,), path.name)

    def _walk_dir(self, root: Path) -> None:
        real_root = root.resolve()
        for dirpath, dirnames, filenames in os.walk(root, onerror=self._dir_error):
            dirnames.sort()
            # Never descend through a symlink: it could lead out of the bundle or loop.
            dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
            for name in sorted(filenames):
                full = Path(dirpath, name)
                rel = full.relative_to(root)
                display = rel.as_posix()
                try:
                    st = full.lstat()
                    if stat.S_ISLNK(st.st_mode):
                        target = full.resolve()
                        if not target.is_relative_to(real_root):
                            self.problem(display, "is a symbolic link pointing outside the bundle; not followed")
                            continue
                        st = target.stat()
                    if not stat.S_ISREG(st.st_mode):
                        self.problem(display, "is not a regular file (device, FIFO or socket); ignored")
                        continue
                except OSError as e:
                    self.problem(display, f"cannot be read: {e.strerror or e}")
                    continue
                self._walk_file(full, (root.name, *rel.parts), display)

    def _dir_error(self, err: OSError) -> None:
        self.problem(str(err.filename or "?"), f"cannot be listed: {err.strerror or err}")

    def _walk_file(self, path: Path, parts: tuple[str, ...], display: str) -> None:
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as e:
            self.problem(display, f"cannot be opened: {e.strerror or e}")
            return
        with f:
            head = f.read(8)
            f.seek(0)
            if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
                self._walk_zip(f, parts, display)
            else:
                self.walk_stream(f, parts, display, os.fstat(f.fileno()).st_size, depth=0)

    # -- streams --------------------------------------------------------------------------------

    def walk_stream(self, stream: BinaryIO, parts: tuple[str, ...], display: str, size: int | None,
                    depth: int) -> None:
        """Open `stream` as whatever its magic says: compressed, tar, zip, or a plain file."""
        try:
            head, stream = sniffable(stream)
        except _ARCHIVE_ERRORS as e:
            self.problem(display, f"cannot be read: {_reason(e)}")
            return
        if depth > LIMITS.max_nesting:
            self.problem(display, f"is nested more than {LIMITS.max_nesting} archives deep; not opened")
            return
        if head[:2] == b"\x1f\x8b":
            self._walk_compressed(_gunzip(stream), parts, display, depth, strip=(".gz", ".tgz"))
        elif head[:3] == b"BZh":
            self._walk_compressed(bz2.BZ2File(stream), parts, display, depth, strip=(".bz2",))
        elif head[:6] == b"\xfd7zXZ\x00":
            self._walk_compressed(lzma.LZMAFile(stream), parts, display, depth, strip=(".xz",))
        elif _is_tar(head):
            self._walk_tar(stream, parts, display, depth)
        elif head.startswith(b"PK\x03\x04"):
            self._walk_nested_zip(stream, parts, display, depth)
        else:
            self._emit(parts, display, stream, size)

    def _walk_compressed(self, inner: BinaryIO, parts, display, depth, strip) -> None:
        try:
            head, stream = sniffable(inner)
        except _ARCHIVE_ERRORS as e:
            self.problem(display, f"is truncated or corrupt ({_reason(e)}); nothing could be read from it")
            return
        if _is_tar(head):
            self._walk_tar(stream, parts, display, depth)
            return
        # A single compressed file (rotated log): classify it by its name without the suffix.
        name = parts[-1]
        for suffix in strip:
            if name.endswith(suffix):
                name = name[: -len(suffix)] + (".tar" if suffix == ".tgz" else "")
                break
        self._emit((*parts[:-1], name), display, stream, None)

    def _walk_tar(self, stream: BinaryIO, parts, display, depth) -> None:
        count = 0
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    count += 1
                    self.members_seen += 1
                    if self.members_seen > LIMITS.max_members:
                        self.problem(display, f"has more than {LIMITS.max_members} members; the rest is skipped")
                        return
                    name = _safe_member_name(member.name)
                    where = f"{display}!{member.name}"
                    if name is None:
                        self.problem(where, "has an unsafe path (absolute or with '..'); skipped")
                        continue
                    if member.isdir():
                        continue
                    if member.issym() or member.islnk():
                        self.problem(where, "is a link inside the archive; not followed")
                        continue
                    if not member.isfile():
                        self.problem(where, "is not a regular file (device or FIFO); ignored")
                        continue
                    fobj = tar.extractfile(member)
                    if fobj is None:
                        continue
                    self.walk_stream(fobj, (*parts, *name.parts), f"{display}!{name}", member.size, depth + 1)
        except _ARCHIVE_ERRORS as e:
            state = f"after {count} member(s)" if count else "from the start"
            self.problem(display, f"is truncated or corrupt {state} ({_reason(e)}); what came before was used")

    def _walk_zip(self, f: BinaryIO, parts, display) -> None:
        try:
            zf = zipfile.ZipFile(f)
        except _ARCHIVE_ERRORS as e:
            self.problem(display, f"is not a readable zip archive: {_reason(e)}")
            return
        with zf:
            for info in zf.infolist():
                self.members_seen += 1
                name = _safe_member_name(info.filename)
                where = f"{display}!{info.filename}"
                if name is None:
                    self.problem(where, "has an unsafe path (absolute or with '..'); skipped")
                    continue
                if info.is_dir():
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    self.problem(where, "is a link inside the archive; not followed")
                    continue
                try:
                    with zf.open(info) as member:
                        self.walk_stream(member, (*parts, *name.parts), f"{display}!{name}", info.file_size, 1)
                except _ARCHIVE_ERRORS as e:
                    self.problem(where, f"cannot be read from the zip archive: {_reason(e)}")

    def _walk_nested_zip(self, stream: BinaryIO, parts, display, depth) -> None:
        # zip needs random access: a zip inside another archive is read into memory, bounded.
        data = stream.read(LIMITS.max_nested_zip_bytes + 1)
        if len(data) > LIMITS.max_nested_zip_bytes:
            self.problem(display, "is a zip archive nested in another archive and too large to open in memory")
            return
        self._walk_zip(io.BytesIO(data), parts, display)

    def _emit(self, parts, display, stream, size) -> None:
        try:
            self.on_file(tuple(parts), display, stream, size)
        except _ARCHIVE_ERRORS as e:
            self.problem(display, f"is truncated or corrupt ({_reason(e)}); what came before was used")


def _safe_member_name(name: str) -> PurePosixPath | None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
        return None
    parts = [x for x in p.parts if x not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


def _reason(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    if isinstance(e, EOFError) or "end-of-stream" in text:
        return "the compressed data ends early"
    return text.splitlines()[0][:200]
