"""A tar stream read member by member (tarfile in stream mode), each member handed to the walker.

Headers are read within bounds (`tar_headers`). Whatever tarfile raises, a RecursionError or
an IndexError included, ends this archive with one note: the rest of the source is still read.
A sparse member is metered like a decompressed stream, since its holes are produced, not read.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from diagnose.bundle.archive.names import MemberNames, printable
from diagnose.bundle.archive.streams import ARCHIVE_ERRORS, Counted, Guarded, Readable, buffered, describe_error
from diagnose.bundle.archive.tar_headers import (
    BoundedTarInfo,
    EmptyHeaderError,
    EOFHeaderError,
    HeaderLimit,
    TruncatedHeaderError,
)

if TYPE_CHECKING:
    from diagnose.bundle.archive.walk import Walker

_T = TypeVar("_T")
_TAR_ERRORS: tuple[type[Exception], ...] = (tarfile.TarError, *ARCHIVE_ERRORS)


class _LibraryError(tarfile.TarError):
    """Anything else tarfile raised while reading headers (a bug it has with hostile input)."""


def _contained(call: Callable[[], _T]) -> _T:
    try:
        return call()
    except _TAR_ERRORS:
        raise
    except Exception as e:  # RecursionError, IndexError, ...: this archive's problem, not the scan's
        raise _LibraryError(f"tarfile failed on it: {type(e).__name__}") from None


def walk_tar(w: Walker, stream: Readable, parts: tuple[str, ...], display: str, depth: int) -> None:
    count = 0
    tar = None
    handed_on = MemberNames()
    source = Counted(stream)  # what the tar layer consumed: the packed side of a sparse member's ratio
    try:
        # Read in scan-chunk units: with the default 10 KiB tarfile's stream layer costs a tenth of a scan.
        tar = _contained(
            lambda: tarfile.open(fileobj=buffered(source), mode="r|", tarinfo=BoundedTarInfo, bufsize=256 * 1024)
        )
        # next() rather than iteration: the member list is cleared as we go, so a huge
        # archive does not pile up TarInfo objects (stream mode never needs them again).
        while not w.exhausted and (member := _contained(tar.next)) is not None:
            tar.members.clear()  # type: ignore[attr-defined]  # typeshed leaves out TarFile.members
            count += 1
            where = f"{display}!{printable(member.name)}"
            if not w.count_member(where):
                return
            name = w.member_path(member.name, where)
            if name is None or member.isdir():
                continue
            path = f"{display}!{name}"
            if path in handed_on:
                w.duplicate(path, read_before=True)
            if member.issym() or member.islnk():
                w.problem(where, "is a link inside the archive; not followed")
                continue
            if not member.isfile():
                kind = (
                    "a device"
                    if member.ischr() or member.isblk()
                    else ("a FIFO" if member.isfifo() else "not a regular file")
                )
                w.problem(where, f"is {kind} entry in the archive; ignored")
                continue
            fobj = _contained(partial(tar.extractfile, member))
            if fobj is None:
                continue
            data: Readable = Guarded(fobj, w, path, source=source) if member.issparse() else fobj
            handed_on.add(path)
            w.walk_stream(data, (*parts, *name.parts), path, member.size, depth + 1)
    except HeaderLimit as e:
        w.unreadable(display, f"{e}; reading it stopped after {count} member(s)")
        return
    except ARCHIVE_ERRORS as e:
        state = f"after {count} member(s)" if count else "from the start"
        w.unreadable(display, f"is truncated or corrupt {state} ({describe_error(e)}); what came before was used")
        return
    end = getattr(tar, "antrea_end", None)
    if end is None or isinstance(end, EOFHeaderError) or w.exhausted:
        return
    if isinstance(end, EmptyHeaderError):
        w.unreadable(
            display,
            f"ends without the end-of-archive marker after {count} member(s) (truncated?); what came before was used",
        )
    elif isinstance(end, TruncatedHeaderError):
        w.unreadable(display, f"is truncated after {count} member(s); what came before was used")
    else:
        w.unreadable(
            display,
            f"has a corrupt member header after {count} member(s) ({describe_error(end)}); the rest of it was skipped",
        )
