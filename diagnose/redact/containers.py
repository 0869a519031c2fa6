"""Where the redacted copy is written: a directory, a tar (plain, gz, bz2, xz) or a zip, nested
inside each other as the original was.

Every member arrives as a finished file (its size is known, as tar headers need); nested
archives are built in temporary files and added to their parent when they are complete, so
memory stays bounded whatever the bundle's size. Timestamps and owners are fixed (mtime 0,
root-less, gzip without a name or time): the same input and key give the same bytes.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import shutil
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Protocol


class Stream(Protocol):
    """The file objects the writers write into and copy from: an open file, a temporary file
    (spooled or not), or a compressor over one of them (gzip, isal, bz2, lzma), which are not
    all `typing.BinaryIO` but all have these."""

    def read(self, size: int = -1, /) -> bytes: ...
    def write(self, data: bytes, /) -> int: ...
    def tell(self) -> int: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


# Output kinds by the suffix of `-o`: (archive format, compression layers outermost first).
_SUFFIXES = (
    (".tar.gz", "tar", ("gzip",)),
    (".tgz", "tar", ("gzip",)),
    (".tar.bz2", "tar", ("bzip2",)),
    (".tbz2", "tar", ("bzip2",)),
    (".tar.xz", "tar", ("xz",)),
    (".txz", "tar", ("xz",)),
    (".tar", "tar", ()),
    (".zip", "zip", ()),
)
_SINGLE = ((".gz", ("gzip",)), (".bz2", ("bzip2",)), (".xz", ("xz",)))


def archive_kind(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """("tar"|"zip", compression) when `path` names an archive, else None (a directory or file)."""
    lower = path.name.lower()
    return next(((fmt, comp) for suffix, fmt, comp in _SUFFIXES if lower.endswith(suffix)), None)


def single_compression(path: Path) -> tuple[str, ...]:
    lower = path.name.lower()
    return next((comp for suffix, comp in _SINGLE if lower.endswith(suffix)), ())


def compressor(fmt: str, raw: Stream) -> Stream:
    """A writable stream that compresses into `raw` (closing it does not close `raw`)."""
    if fmt == "gzip":
        # isal's level 2 compresses logs ~10x faster than zlib's 6 for ~5 % more bytes; zlib
        # (level 6, gzip's own default) when the wheel is missing
        try:
            from isal.igzip import IGzipFile
        except ImportError:
            return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        return IGzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=2)
    if fmt == "bzip2":
        return bz2.BZ2File(raw, "wb")
    if fmt == "xz":
        # typeshed asks IO[bytes] (a gzip file is not one); LZMAFile only writes, flushes and closes it
        return lzma.LZMAFile(raw, "wb")  # type: ignore[arg-type]
    raise ValueError(f"unknown compression {fmt!r}")


class Layers:
    """Compression layers stacked on a raw stream; `close()` flushes them, innermost first."""

    def __init__(self, raw: Stream, compression: tuple[str, ...] | list[str]):
        self.streams: list[Stream] = []
        out = raw
        for fmt in compression:
            out = compressor(fmt, out)
            self.streams.append(out)
        self.top = out

    def close(self) -> None:
        for s in reversed(self.streams):
            s.close()


class Sink:
    """A container the redacted files are added to.

    Two members can get one name once redacted (two Node names that differ only in case, a zip
    that holds a name twice, a file where another member needs a directory): the second is
    renamed `<name>~2` (the part that clashes), never written over the first or refused."""

    def __init__(self) -> None:
        self._files: set[str] = set()
        self._dirs: set[str] = set()
        self.renamed: list[tuple[str, str]] = []  # (name, the name it got)

    def add(self, name: str, data: Stream, size: int) -> None:
        raise NotImplementedError

    def place(self, name: str) -> str:
        """A name for the member `name` that no member added before has (file or directory)."""
        wanted = name.split("/")
        parts = list(wanted)
        n = 1
        while (i := self._clash(parts)) is not None:
            n += 1
            parts[i] = f"{wanted[i]}~{n}"
        placed = "/".join(parts)
        self._files.add(placed)
        self._dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
        if placed != name:
            self.renamed.append((name, placed))
        return placed

    def _clash(self, parts: list[str]) -> int | None:
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in self._files:
                return i - 1
        full = "/".join(parts)
        return len(parts) - 1 if full in self._files or full in self._dirs else None

    def close(self) -> None:
        pass


class TarSink(Sink):
    def __init__(self, raw: Stream, compression: tuple[str, ...] | list[str] = ()):
        super().__init__()
        self._layers = Layers(raw, compression)
        # members are copied in 1 MiB pieces, as the other sinks do (tarfile's 16 KiB makes
        # the compression below a fifth slower)
        self._tar = tarfile.TarFile(fileobj=self._layers.top, mode="w", format=tarfile.PAX_FORMAT, copybufsize=1 << 20)

    def add(self, name: str, data: Stream, size: int) -> None:
        info = tarfile.TarInfo(self.place(name))
        info.size, info.mtime, info.mode = size, 0, 0o644
        info.uname = info.gname = ""
        self._tar.addfile(info, data)

    def close(self) -> None:
        self._tar.close()
        self._layers.close()


class ZipSink(Sink):
    def __init__(self, raw: Stream, compression: tuple[str, ...] | list[str] = ()):
        super().__init__()
        self._layers = Layers(raw, compression)
        self._zip = zipfile.ZipFile(self._layers.top, "w", zipfile.ZIP_DEFLATED)

    def add(self, name: str, data: Stream, size: int) -> None:
        info = zipfile.ZipInfo(self.place(name), date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with self._zip.open(info, "w", force_zip64=size > 0x7FFFFFFF) as out:
            shutil.copyfileobj(data, out, 1 << 20)

    def close(self) -> None:
        self._zip.close()
        self._layers.close()


class DirSink(Sink):
    def __init__(self, root: Path):
        super().__init__()
        self._root = root

    def add(self, name: str, data: Stream, size: int) -> None:
        rel = PurePosixPath(self.place(name))
        if rel.is_absolute() or ".." in rel.parts:  # names come from the walker, already safe; twice sure
            raise ValueError(f"unsafe member name {name!r}")
        target = self._root.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(data, out, 1 << 20)


class FileSink(Sink):
    """The output is one file (the input was one plain file): its content, nothing else."""

    def __init__(self, raw: Stream):
        super().__init__()
        self._raw = raw

    def add(self, name: str, data: Stream, size: int) -> None:
        shutil.copyfileobj(data, self._raw, 1 << 20)


def archive_sink(fmt: str, raw: Stream, compression: tuple[str, ...] | list[str]) -> Sink:
    return TarSink(raw, compression) if fmt == "tar" else ZipSink(raw, compression)
