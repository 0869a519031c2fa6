"""Every file the tool writes goes through here: reports, timelines, fleet summaries, translated
reports, redaction maps and keys, batch outputs.

What a destination is decides how it is written:

- `-`, `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N` (also through a symbolic link): the open
  file descriptor itself is written (reopening `/dev/stdout` would start a `>>` file over);
- an existing character device or FIFO (`/dev/null`, `/dev/full`, a terminal, `mkfifo`): streamed
  into, never replaced, so `-o /dev/null` keeps the device; a failed write (ENOSPC on `/dev/full`)
  is an error sentence, not a silent success;
- a new or existing regular file: written to a temp file in the same directory as the path given
  (a symbolic link's own directory, not its target's, so the rename never crosses file systems),
  fsynced, then renamed over it, so an interrupted run never leaves half a file. A symbolic link
  given as the destination is replaced by the file; what it pointed to is left alone;
- anything else (a directory, a block device, a socket): refused with one sentence.

Nothing is written inside an input (`inputs`): not over an input file (hard and symbolic links
included), not into an input directory. Reports get the permissions the umask gives a new file
(an existing file keeps its own); private files (the redaction map and key) are always 0600.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from diagnose.errors import UsageError

STDOUT = "-"
PRIVATE_MODE = 0o600
_MAX_LINK_HOPS = 40
# Paths that name an already open file descriptor of this process.
_FD_ALIAS = re.compile(
    r"^/(?:dev/(?P<std>stdout|stderr)|dev/fd/(?P<fd>\d+)|proc/(?:self|thread-self|(?P<pid>\d+))"
    r"(?:/task/\d+)?/fd/(?P<pfd>\d+))$"
)


class OutputError(UsageError):
    """A destination that cannot be written (exit 2, like any other bad option value)."""


@dataclass(frozen=True)
class Destination:
    """Where `path` really goes: `kind` is "fd" (an open descriptor), "stream" (a device or FIFO
    written in place) or "file" (a regular file, new or replaced atomically)."""

    path: str
    kind: str
    fd: int | None = None

    @property
    def is_file(self) -> bool:
        return self.kind == "file"


def destination(path: Path | str) -> Destination:
    """Classify `path` (see the module docstring); OutputError when it cannot be written."""
    text = str(path)
    if text == STDOUT:
        return Destination(text, "fd", 1)
    fd = _fd_alias(text)
    if fd is not None:
        return Destination(text, "fd", fd)
    try:
        st = os.stat(text)
    except FileNotFoundError:
        return Destination(text, "file")
    except NotADirectoryError:
        raise OutputError(f"Cannot write to {text}: a part of that path is not a directory.") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise OutputError(f"Cannot write to {text}: it is a symbolic link loop.") from None
        raise OutputError(f"Cannot write to {text}: {e.strerror or e}.") from None
    if stat.S_ISREG(st.st_mode):
        return Destination(text, "file")
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return Destination(text, "stream")
    raise OutputError(f"Refusing to write to {text}: it is {_file_type(st.st_mode)}, not a file.")


def is_regular_file(path: Path | str | None) -> bool:
    """True when `path` is (or will be) a regular file: only then may private files go beside it."""
    if path is None:
        return False
    try:
        return destination(path).is_file
    except OutputError:
        return False


def check(path: Path | str, inputs: Iterable[Path] = (), what: str = "the report") -> Destination:
    """Refuse a destination before the work starts: one that cannot be written, over an input,
    or inside an input directory. Returns where it goes."""
    dest = destination(path)
    if dest.kind == "fd":
        return dest
    target = Path(os.path.abspath(path))
    for source in inputs:
        if str(source) == STDOUT:
            continue
        if _is_same_or_inside(target, source, dest):
            place = "over the input" if os.path.lexists(target) else "inside the input directory"
            raise OutputError(f"Refusing to write {what} {place} ({path}).")
    if dest.kind == "file" and not target.parent.is_dir():
        raise OutputError(f"The directory of {path} does not exist.")
    return dest


def write_text(
    path: Path | str, text: str, *, inputs: Iterable[Path] = (), private: bool = False, what: str = "the report"
) -> Destination:
    """Write `text` (UTF-8) to `path`; see `write_bytes`."""
    return write_bytes(path, encode(text), inputs=inputs, private=private, what=what)


def write_bytes(
    path: Path | str, data: bytes, *, inputs: Iterable[Path] = (), private: bool = False, what: str = "the report"
) -> Destination:
    """Write `data` to `path` as its kind of destination asks; `private` files are mode 0600."""
    dest = check(path, inputs, what)
    if dest.kind == "fd":
        _write_fd(dest, data, what)
    elif dest.kind == "stream":
        _stream(dest, data, what)
    else:
        _replace(Path(dest.path), data, private, what)
    return dest


def create_private(path: Path, text: str, what: str = "the key file") -> None:
    """Create `path` with `text`, mode 0600 from the first byte; never over an existing path
    (O_EXCL: not even through a dangling symbolic link)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), PRIVATE_MODE)
    except FileExistsError:
        raise OutputError(f"Cannot create {what} {path}: something else is already there.") from None
    except OSError as e:
        raise OutputError(f"Cannot create {what} {path}: {e.strerror or e}.") from None
    try:
        _write_all(fd, encode(text))
        os.fsync(fd)
    except OSError as e:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise OutputError(f"Cannot write {what} {path}: {e.strerror or e}.") from None
    os.close(fd)


def write_stdout(text: str | bytes) -> None:
    """Standard output, flushed now so that a write error is reported here (not lost at exit)."""
    _write_fd(Destination(STDOUT, "fd", 1), text if isinstance(text, bytes) else encode(text), "the output")


# -- kinds of destination -----------------------------------------------------------------------


def _fd_alias(text: str) -> int | None:
    """The descriptor a path names (`/dev/stdout`, `/proc/self/fd/3`...), following symbolic
    links one hop at a time (a link to /dev/stdout is the same); None for any other path."""
    current = os.path.abspath(text)
    for _ in range(_MAX_LINK_HOPS):
        m = _FD_ALIAS.match(current)
        if m and (m["pid"] is None or int(m["pid"]) == os.getpid()):
            if m["std"]:
                return 1 if m["std"] == "stdout" else 2
            return int(m["fd"] or m["pfd"])
        try:
            link = os.readlink(current)
        except OSError:
            return None
        current = os.path.normpath(os.path.join(os.path.dirname(current), link))
    return None


def _write_fd(dest: Destination, data: bytes, what: str) -> None:
    assert dest.fd is not None
    where = "standard output" if dest.path == STDOUT else dest.path
    try:
        if dest.fd == 1:
            sys.stdout.flush()  # what click or rich printed before comes first
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        elif dest.fd == 2:
            sys.stderr.flush()
            sys.stderr.buffer.write(data)
            sys.stderr.buffer.flush()
        else:
            _write_all(dest.fd, data)
    except BrokenPipeError:
        raise  # the reader went away (`| head`): main() ends quietly
    except OSError as e:
        raise OutputError(f"Cannot write {what} to {where}: {e.strerror or e}.") from None


def _stream(dest: Destination, data: bytes, what: str) -> None:
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(dest.path, flags)  # no O_CREAT, no O_TRUNC: a device is written, not replaced
    except OSError as e:
        raise OutputError(f"Cannot write {what} to {dest.path}: {e.strerror or e}.") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode):  # swapped for a regular file since it was checked: write it safely
            os.close(fd)
            fd = -1
            _replace(Path(dest.path), data, False, what)
            return
        _write_all(fd, data)
    except OSError as e:
        raise OutputError(f"Cannot write {what} to {dest.path}: {e.strerror or e}.") from None
    finally:
        if fd >= 0:
            os.close(fd)


def _replace(path: Path, data: bytes, private: bool, what: str) -> None:
    """Temp file beside `path` (in the directory the user named), fsync, rename over it."""
    directory = Path(os.path.abspath(path)).parent
    mode = PRIVATE_MODE if private else _mode_for(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)  # 0600 until done
    except OSError as e:
        raise OutputError(f"Cannot write {what} next to {path}: {e.strerror or e}.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if mode != PRIVATE_MODE:
                os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())  # the rename must not land before the data (power loss)
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise OutputError(f"Cannot write {what} to {path}: {e.strerror or e}.") from None
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _mode_for(path: Path) -> int:
    """An existing regular file keeps its permissions; a new one gets what the umask allows."""
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode) & 0o777
    except OSError:
        pass
    return 0o666 & ~current_umask()


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the kernel shows it (Linux 4.7+)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:  # elsewhere: set and restore (the only portable way to read it)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


# -- helpers --------------------------------------------------------------------------------------


def encode(text: str) -> bytes:
    """UTF-8, with the exact bytes back for text read with surrogateescape."""
    try:
        # surrogateescape gives back the exact bytes of a file read with it (unredact)
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _same_file(a: Path, b: Path) -> bool:
    """The same file, through a hard or a symbolic link too."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _is_same_or_inside(target: Path, source: Path, dest: Destination) -> bool:
    if _same_file(target, source):
        return True
    try:
        src = source.resolve()
    except (OSError, RuntimeError):
        return False
    if not src.is_dir():
        return False
    if dest.kind != "file":
        return False  # a device or FIFO is never part of a bundle folder that could be shared
    # The new file lands in the (resolved) directory named, whatever the name is.
    try:
        where = target.parent.resolve() / target.name
    except (OSError, RuntimeError):
        return False
    return where == src or where.is_relative_to(src) or _points_inside(target, src)


def _points_inside(target: Path, src: Path) -> bool:
    """An existing destination (a symbolic link) whose target is inside the input directory."""
    try:
        return target.exists() and target.resolve().is_relative_to(src)
    except (OSError, RuntimeError):
        return False


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
