"""A tar stream read member by member (tarfile in stream mode), each member handed to the walker."""

from __future__ import annotations

import tarfile
from typing import TYPE_CHECKING, BinaryIO

from diagnose.bundle.archive.names import printable
from diagnose.bundle.archive.streams import ARCHIVE_ERRORS, buffered, describe_error

if TYPE_CHECKING:
    from diagnose.bundle.archive.walk import Walker

_MAX_EXTENDED_HEADER = 1024 * 1024  # a pax or GNU long-name header is a few hundred bytes


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


def walk_tar(w: Walker, stream: BinaryIO, parts, display, depth) -> None:
    count = 0
    tar = None
    try:
        # Read in scan-chunk units: with the default 10 KiB tarfile's stream layer costs a tenth of a scan.
        tar = tarfile.open(fileobj=buffered(stream), mode="r|", tarinfo=_GuardedTarInfo, bufsize=256 * 1024)
        # next() rather than iteration: the member list is cleared as we go, so a huge
        # archive does not pile up TarInfo objects (stream mode never needs them again).
        while not w.exhausted and (member := tar.next()) is not None:
            tar.members.clear()
            count += 1
            where = f"{display}!{printable(member.name)}"
            if not w.count_member(where):
                return
            name = w.member_path(member.name, where)
            if name is None or member.isdir():
                continue
            if member.issym() or member.islnk():
                w.problem(where, "is a link inside the archive; not followed")
                continue
            if not member.isfile():
                kind = "a device" if member.ischr() or member.isblk() else (
                    "a FIFO" if member.isfifo() else "not a regular file")
                w.problem(where, f"is {kind} entry in the archive; ignored")
                continue
            fobj = tar.extractfile(member)
            if fobj is None:
                continue
            w.walk_stream(fobj, (*parts, *name.parts), f"{display}!{name}", member.size, depth + 1)
    except _HugeHeader as e:
        w.unreadable(display, f"{e}; reading it stopped after {count} member(s)")
        return
    except ARCHIVE_ERRORS as e:
        state = f"after {count} member(s)" if count else "from the start"
        w.unreadable(display, f"is truncated or corrupt {state} ({describe_error(e)}); what came before was used")
        return
    end = getattr(tar, "antrea_end", None)
    if end is None or isinstance(end, tarfile.EOFHeaderError) or w.exhausted:
        return
    if isinstance(end, tarfile.EmptyHeaderError):
        w.unreadable(display, f"ends without the end-of-archive marker after {count} member(s) "
                              "(truncated?); what came before was used")
    elif isinstance(end, tarfile.TruncatedHeaderError):
        w.unreadable(display, f"is truncated after {count} member(s); what came before was used")
    else:
        w.unreadable(display, f"has a corrupt member header after {count} member(s) ({describe_error(end)}); "
                              "the rest of it was skipped")

