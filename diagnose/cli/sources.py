"""What the user named on the command line, as the one path the bundle reader takes.

- One path: itself.
- `-`: standard input (`kubectl logs ... | antrea-diagnose scan -`), saved to a private temp
  folder first; an archive piped in is recognised by its content like any other.
- Several paths: read together as one paste. They are presented to the reader as one folder of
  loose files: hard links to them (a copy where a link cannot be made: another file system, a file
  of another user) in a private temp folder (mode 0700). A folder among them is mirrored the same
  way, its regular files only. The temp folder is removed when the command ends, Ctrl-C and
  SIGTERM included; nothing is written anywhere else.

The report names what the user gave (`agent.log + route.txt`, `(standard input)`), not the temp
folder.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from diagnose.errors import InputError, UsageError

STDIN = "-"
STDIN_LABEL = "(standard input)"
STDIN_NAME = "stdin"  # the file name standard input gets (artifact paths show it)
_CHUNK = 1 << 20


@dataclass
class Source:
    """What a command reads: the path handed to the reader and the user's inputs it came from."""

    path: Path  # what the reader reads
    label: str  # what the report calls it
    inputs: list[Path] = field(default_factory=list)  # the user's paths: never written over or into
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) not read, for the report
    stdin_bytes: int = 0

    @property
    def size(self) -> int | None:
        """Bytes on disk to read (for the progress bar); None when unknown."""
        return _size(self.path)


@contextmanager
def opened(
    paths: tuple[str, ...] | list[str], stdin: BinaryIO | None = None, max_stdin_bytes: int | None = None
) -> Iterator[Source]:
    """The source for `paths`; the private temp folder (if any) is removed on exit."""
    paths = [str(p) for p in paths]
    if not paths:
        raise UsageError("Give a source to read: a bundle, a folder, files, or - for standard input.")
    if paths.count(STDIN) > 1:
        raise UsageError("Standard input (-) can be read only once.")
    for p in paths:
        if p != STDIN and not os.path.lexists(p):
            raise InputError(f"{p} does not exist.")
    if len(paths) == 1 and paths[0] != STDIN:
        yield Source(Path(paths[0]), paths[0], [Path(paths[0])])
        return
    tmp = Path(tempfile.mkdtemp(prefix="antrea-diagnose-"))  # mode 0700: private
    try:
        source = Source(tmp, _label(paths), [Path(p) for p in paths if p != STDIN])
        if len(paths) == 1:  # standard input alone: read as a single file (or an archive)
            source.path = tmp / STDIN_NAME
            source.stdin_bytes = _save_stdin(source.path, stdin, max_stdin_bytes, source)
        else:
            _gather(paths, tmp / "sources", stdin, max_stdin_bytes, source)
            source.path = tmp / "sources"
        yield source
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _label(paths: list[str]) -> str:
    names = [STDIN_LABEL if p == STDIN else p for p in paths]
    if len(names) <= 4:
        return " + ".join(names)
    return f"{' + '.join(names[:3])} and {len(names) - 3} more"


def _gather(paths: list[str], root: Path, stdin: BinaryIO | None, cap: int | None, source: Source) -> None:
    root.mkdir()
    seen: set[str] = set()
    for p, rel in zip(paths, _names(paths), strict=True):
        real = os.path.realpath(p) if p != STDIN else STDIN
        if real in seen:
            source.notes.append((p, "is named twice; read once"))
            continue
        seen.add(real)
        dst = root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if p == STDIN:
            source.stdin_bytes = _save_stdin(dst, stdin, cap, source)
        elif Path(p).is_dir():
            _mirror_dir(Path(p), dst, source, p)
        else:
            _place(Path(p), dst, source, p)


def _names(paths: list[str]) -> list[str]:
    """Each source's path in the temp folder: its own name, or `<parent>/<name>` for names that
    occur twice (so `node1/agent.log` and `node2/agent.log` keep the Node in their path)."""
    base = [STDIN_NAME if p == STDIN else (Path(p).resolve().name or "source") for p in paths]
    out: list[str] = []
    for p, name in zip(paths, base, strict=True):
        parent = Path(p).resolve().parent.name if p != STDIN else ""
        candidate = f"{parent}/{name}" if base.count(name) > 1 and parent else name
        unique, n = candidate, 2
        while unique in out:
            unique = f"{candidate}.{n}"
            n += 1
        out.append(unique)
    return out


def _place(src: Path, dst: Path, source: Source, shown: str) -> None:
    try:
        st = src.stat()
    except OSError as e:
        source.notes.append((shown, f"cannot be read: {e.strerror or e}"))
        return
    if not stat.S_ISREG(st.st_mode):
        source.notes.append((shown, "is not a regular file; ignored (only files and folders are read)"))
        return
    try:
        os.link(src, dst, follow_symlinks=True)  # no copy when the temp folder shares the file system
        return
    except OSError:
        pass
    try:
        shutil.copyfile(src, dst)
    except OSError as e:
        dst.unlink(missing_ok=True)
        source.notes.append((shown, f"cannot be read: {e.strerror or e}"))


def _mirror_dir(src: Path, dst: Path, source: Source, shown: str) -> None:
    """A folder's regular files (not through links: the reader would not follow them either)."""
    for dirpath, dirnames, filenames in os.walk(src):
        here = Path(dirpath)
        rel = here.relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        kept = []
        for d in sorted(dirnames):
            if os.path.islink(here / d):
                source.notes.append(
                    (f"{shown.rstrip('/')}/{(rel / d).as_posix()}", "is a symbolic link to a directory; not followed")
                )
            else:
                kept.append(d)
        dirnames[:] = kept
        for f in sorted(filenames):
            full = here / f
            display = f"{shown.rstrip('/')}/{(rel / f).as_posix()}"
            if os.path.islink(full):
                source.notes.append((display, "is a symbolic link; not followed"))
                continue
            _place(full, dst / rel / f, source, display)


def _save_stdin(dst: Path, stdin: BinaryIO | None, cap: int | None, source: Source) -> int:
    stream = stdin if stdin is not None else sys.stdin.buffer
    if stdin is None and sys.stdin.isatty():
        raise UsageError(
            "Standard input is a terminal: pipe the logs in (kubectl logs ... | antrea-diagnose scan -) "
            "or name the files."
        )
    total = 0
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "wb") as out:
        while True:
            block = stream.read(_CHUNK)
            if not block:
                break
            if cap is not None and total + len(block) > cap:
                out.write(block[: cap - total])
                total = cap
                source.notes.append(
                    (STDIN_LABEL, f"is longer than {cap:,} bytes (max_total_bytes); only its start was read")
                )
                break
            out.write(block)
            total += len(block)
    return total


def _size(path: Path) -> int | None:
    try:
        if path.is_file():
            return path.stat().st_size
        total = 0
        for count, (dirpath, _, filenames) in enumerate(os.walk(path)):
            if count > 10_000:
                return None
            for f in filenames:
                try:
                    st = os.lstat(os.path.join(dirpath, f))
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    total += st.st_size
        return total
    except OSError:
        return None
