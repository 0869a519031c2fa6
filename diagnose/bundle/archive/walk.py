"""The walk over a source: directories, files, and the stream of each file opened by its magic.

`Walker` hands every regular file reached to a callback as a stream, in order; what could not be
read becomes one `ReadProblem` sentence. It also keeps the source's meters (bytes, members) and
the notes, which the streams (`streams.Guarded`) and the tar and zip readers report to.
"""

from __future__ import annotations

import bz2
import errno
import lzma
import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from diagnose.bundle.archive.names import printable, safe_member_name
from diagnose.bundle.archive.sniff import claimed_format, file_type, format_of, what_it_is
from diagnose.bundle.archive.streams import (
    ARCHIVE_ERRORS,
    Counted,
    Decompressing,
    Decompressor,
    Guarded,
    Readable,
    describe_error,
    gzip_inflater,
    sniffable,
)
from diagnose.bundle.archive.tar_members import walk_tar
from diagnose.bundle.archive.zip_members import walk_nested_zip, walk_zip
from diagnose.bundle.limits import Limits, current, format_size
from diagnose.bundle.model import ReadProblem

OnFile = Callable[[tuple[str, ...], str, Readable, "int | None"], None]


class Walker:
    """`on_replaced(path)`, when given, is called when an archive member handed on earlier is
    replaced by a later member of the same name (as `tar x` would leave it): what was read from
    `path`, and from archives inside it, no longer belongs to the source."""

    def __init__(
        self,
        on_file: OnFile,
        problems: list[ReadProblem],
        limits: Limits | None = None,
        on_replaced: Callable[[str], None] | None = None,
    ):
        self.on_file = on_file
        self.on_replaced = on_replaced
        self.problems = problems
        self.limits = limits or current()
        self.members_seen = 0
        self.total = 0  # bytes read from files and produced by every layer, for max_total_bytes
        self.disk = 0  # bytes of the files opened on disk: the packed side of the source-wide ratio
        self.exhausted = False  # max_total_bytes or max_members reached: nothing more is read
        self.inflation_stopped = False  # max_source_ratio reached: nothing more is inflated
        self._stopped: set[str] = set()  # paths a limit stopped: their read errors are not news
        self._unlisted = 0  # notes over max_notes
        self.zip_memory = 0  # bytes of nested zips held in memory right now
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

    def produced(self, n: int, where: str, inflated: bool) -> None:
        """`n` more bytes came out of a layer of the source (a file read, a decompressor, a zip
        or sparse tar member), metered against max_total_bytes. Inflated bytes are also held
        against the source-wide ratio, which stops many small bombs that each stay under the
        per-stream ratio grace: past it nothing more is inflated, plain files are still read."""
        self.total += n
        lim = self.limits
        if self.total > lim.max_total_bytes:
            self.exhaust(
                where,
                f"takes the source past {format_size(lim.max_total_bytes)} of data after "
                "decompression (max_total_bytes)",
            )
        elif (
            inflated
            and not self.inflation_stopped
            and self.total > lim.ratio_grace_bytes
            and self.total > lim.max_source_ratio * max(self.disk, 1)
        ):
            self.inflation_stopped = True
            self.stop(
                where,
                f"takes the data read from the source past {lim.max_source_ratio} times its size on "
                "disk (max_source_ratio), like a decompression bomb; from here on nothing compressed "
                "was inflated (plain files were still read)",
            )

    def exhaust(self, where: str, why: str) -> None:
        if not self.exhausted:
            self.exhausted = True
            self.problem(where, f"{why}; reading stopped here and the rest of the source was not read")
        self._stopped.add(where)

    def _covered(self, where: str) -> bool:
        parts = where.split("!")
        return any("!".join(parts[:i]) in self._stopped for i in range(1, len(parts) + 1))

    def unreadable(self, where: str, reason: str) -> None:
        """`where` could not be read to its end: one note; what breaks inside it because of that
        is not news."""
        if not self._covered(where) and not self.exhausted:
            self.problem(where, reason)
        self._stopped.add(where)

    def broken(self, where: str, e: BaseException) -> None:
        if "memory usage limit" in str(e).lower() or isinstance(e, MemoryError):
            self.unreadable(
                where,
                f"needs more than {format_size(self.limits.xz_memory_bytes)} of memory to "
                "decompress (xz_memory_bytes); it was not read",
            )
        else:
            self.unreadable(where, f"is truncated or corrupt ({describe_error(e)}); what came before was used")

    def duplicate(self, path: str, read_before: bool) -> None:
        """A member of an archive has the name of another: the last copy is the one used, as
        extracting the archive would leave it. `read_before`: the earlier copy was already
        handed on (a tar stream), and is dropped now through `on_replaced`."""
        self.problem(
            path,
            "appears more than once in the archive; the last copy is the one used, as extracting "
            "the archive would leave it",
        )
        if read_before and self.on_replaced is not None:
            self.on_replaced(path)

    def count_member(self, where: str) -> bool:
        self.members_seen += 1
        if self.members_seen > self.limits.max_members:
            if not self.exhausted:
                self.exhausted = True
                self.problem(
                    where,
                    f"is beyond the first {self.limits.max_members:,} files of the source "
                    "(max_members); it and the rest were not read",
                )
            return False
        return True

    # -- entry points -----------------------------------------------------------------------

    def walk(self, path: Path) -> None:
        if path.is_dir():
            self._walk_dir(path)
        else:
            self._walk_file(path, (printable(path.name),), printable(path.name), follow=True)
        if self._unlisted:
            self.problems.append(
                ReadProblem("(source)", f"{self._unlisted:,} more read problems were not listed (max_notes)")
            )

    def _walk_dir(self, root: Path) -> None:
        real_root = root.resolve()
        top = len(root.parts)
        for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: self._dir_error(e, root)):
            here = Path(dirpath)
            dirnames.sort()
            keep = []
            for d in dirnames:
                full = here / d
                display = printable(full.relative_to(root).as_posix())
                if os.path.islink(full):  # never descend through a link: it may leave the bundle or loop
                    self.problem(display, "is a symbolic link to a directory; not followed")
                elif len(full.parts) - top > self.limits.max_path_depth:
                    self.problem(
                        display,
                        f"is more than {self.limits.max_path_depth} directories deep (max_path_depth); not read",
                    )
                else:
                    keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                if self.exhausted:
                    return
                full = here / name
                rel = full.relative_to(root)
                display = printable(rel.as_posix())
                if not self.count_member(display):
                    return
                target = self._inside(full, real_root, display)
                if target is not None:
                    self._walk_file(target, (printable(root.name), *map(printable, rel.parts)), display, follow=False)
            if self.exhausted:
                return

    def _inside(self, full: Path, real_root: Path, display: str) -> Path | None:
        """The path to open for a directory entry, or None (with a note) when it must not be read."""
        try:
            st = full.lstat()
            if not stat.S_ISLNK(st.st_mode):
                if stat.S_ISREG(st.st_mode):
                    return full
                self.problem(display, f"is {file_type(st.st_mode)}; ignored (only regular files are read)")
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
        self.problem(printable(where), f"cannot be listed: {err.strerror or err}")

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
                    self.problem(display, f"is {file_type(st.st_mode)}; ignored (only regular files are read)")
                    return
                if hasattr(os, "set_blocking"):
                    os.set_blocking(fd, True)
                head = f.read(8)
                f.seek(0)
            except OSError as e:
                self.problem(display, f"cannot be read: {e.strerror or e}")
                return
            self.disk += st.st_size
            if format_of(head) == "zip":
                self._check_name(display, parts[-1], head)
                walk_zip(self, f, parts, display, depth=0)
            else:
                self.walk_stream(Guarded(f, self, display), parts, display, st.st_size, depth=0)

    # -- streams --------------------------------------------------------------------------------

    def walk_stream(self, stream: Readable, parts: tuple[str, ...], display: str, size: int | None, depth: int) -> None:
        """Open `stream` as whatever its magic says: compressed, tar, zip, or a plain file."""
        try:
            head, stream = sniffable(stream)
        except ARCHIVE_ERRORS as e:
            self.broken(display, e)
            return
        if not head and self._covered(display):
            return  # a compressed stream that broke before its first byte: already noted
        fmt = format_of(head)
        self._check_name(display, parts[-1], head)
        if fmt is not None and depth >= self.limits.max_nesting:
            self.problem(
                display, f"is nested more than {self.limits.max_nesting} archives deep (max_nesting); not opened"
            )
            return
        if fmt == "gzip":
            self._walk_compressed(stream, gzip_inflater, parts, display, depth)
        elif fmt == "bzip2":
            self._walk_compressed(stream, bz2.BZ2Decompressor, parts, display, depth)
        elif fmt == "xz":
            memlimit = self.limits.xz_memory_bytes
            self._walk_compressed(stream, lambda: lzma.LZMADecompressor(memlimit=memlimit), parts, display, depth)
        elif fmt == "tar":
            walk_tar(self, stream, parts, display, depth)
        elif fmt == "zip":
            walk_nested_zip(self, stream, parts, display, depth)
        else:
            self._emit(parts, display, stream, size)

    def _check_name(self, display: str, name: str, head: bytes) -> None:
        """A name that promises an archive the content is not (an HTML error page saved as
        .tar.gz is the classic) is worth a sentence: the user may have the wrong file."""
        claimed = claimed_format(name)
        actual = format_of(head)
        if display in self._misnamed or not claimed or not head or actual == claimed:
            return
        if claimed == "tar" and actual is None and not head.strip(b"\x00"):
            return  # an empty tar archive is all zeros and has no magic to recognise
        self._misnamed.add(display)  # the layer inside a misnamed .gz has the same name: once is enough
        self.problem(display, f"is named like {claimed} data but is {what_it_is(head)}; it was read by its content")

    def _walk_compressed(
        self, stream: Readable, make: Callable[[], Decompressor], parts: tuple[str, ...], display: str, depth: int
    ) -> None:
        source = Counted(stream)
        inflater = Decompressing(source, make, lambda e: self.broken(display, e))
        inflated = Guarded(inflater, self, display, source=source)
        # A single compressed file (a rotated log) keeps its name without the suffix, so the
        # layout and the classifier see `antrea-agent.log`, and `x.tgz` becomes `x.tar`.
        name = parts[-1]
        lower = name.lower()
        for suffix, repl in (
            (".tgz", ".tar"),
            (".txz", ".tar"),
            (".tbz2", ".tar"),
            (".gz", ""),
            (".bz2", ""),
            (".xz", ""),
        ):
            if lower.endswith(suffix):
                name = name[: -len(suffix)] + repl
                break
        self.walk_stream(inflated, (*parts[:-1], name), display, None, depth + 1)

    def member_path(self, raw: str, where: str) -> PurePosixPath | None:
        """The member's path, or None (with a note) when it must not be used."""
        name = safe_member_name(raw)
        if name is None:
            if raw.strip("/.\\") or raw.startswith(("/", "\\")):  # "./" itself is harmless
                self.problem(where, "has an unsafe path (absolute, with '..' or a drive letter); skipped")
            return None
        if len(name.parts) > self.limits.max_path_depth:
            self.problem(where, f"is more than {self.limits.max_path_depth} directories deep (max_path_depth); skipped")
            return None
        return name

    def _emit(self, parts: tuple[str, ...], display: str, stream: Readable, size: int | None) -> None:
        capped = Guarded(stream, self, display, cap=self.limits.max_member_bytes, total=False)
        try:
            self.on_file(tuple(parts), display, capped, size)
        except ARCHIVE_ERRORS as e:  # pragma: no cover - Guarded turns read errors into an end
            self.broken(display, e)
