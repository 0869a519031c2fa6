"""Zip archives: from the central directory when there is random access, else member by member
from the local headers (a truncated zip, or one nested too big to hold in memory)."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from typing import TYPE_CHECKING, BinaryIO

from diagnose.bundle.archive.names import MemberNames, printable, safe_member_name
from diagnose.bundle.archive.streams import (
    ARCHIVE_ERRORS,
    BLOCK,
    Counted,
    Guarded,
    Prefixed,
    Pushback,
    RawInflate,
    Readable,
    Slice,
    buffered,
    describe_error,
    read_at_least,
)

if TYPE_CHECKING:
    from diagnose.bundle.archive.walk import Walker


def walk_zip(w: Walker, f: BinaryIO, parts: tuple[str, ...], display: str, depth: int) -> None:
    """A zip with random access: its central directory lists the members."""
    entries = _zip_entry_count(f)
    room = w.limits.max_members - w.members_seen
    if entries is not None and entries > room:
        # zipfile would load the whole directory first; read the members allowed one by one
        # instead (the member count limit notes where it stopped).
        f.seek(0)
        walk_zip_stream(w, f, parts, display, depth)
        return
    counted = Counted(f)
    try:
        f.seek(0)
        zf = zipfile.ZipFile(counted)
    except Exception:  # whatever zipfile raises on a hostile directory: read the local headers instead
        f.seek(0)
        count, end = walk_zip_stream(w, f, parts, display, depth)
        w.unreadable(display, f"has no readable zip directory (truncated or damaged); {_zip_end(count, end)}")
        return
    with zf:
        infos = zf.infolist()
        overlapping = _overlapping(infos)
        if overlapping:
            w.problem(
                display,
                f"has {len(overlapping):,} member(s) whose data overlaps another member's (a zip "
                "bomb trick: the same bytes inflated again and again); they were skipped",
            )
        last = {name: i for i, info in enumerate(infos) if (name := safe_member_name(info.filename)) is not None}
        for i, info in enumerate(infos):
            if w.exhausted:
                return
            where = f"{display}!{printable(info.filename)}"
            if not w.count_member(where):
                return
            name = w.member_path(info.filename, where)
            if name is None or info.is_dir():
                continue
            if last[name] != i:
                w.duplicate(f"{display}!{name}", read_before=False)
                continue
            if i in overlapping:
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                w.problem(where, "is a link inside the archive; not followed")
                continue
            if not _member_ok(w, where, info.flag_bits, info.compress_type, info.compress_size, info.file_size):
                continue
            try:
                member = zf.open(info)
            except Exception as e:  # zipfile's refusals and failures alike: this member only
                w.unreadable(where, f"cannot be read from the zip archive: {describe_error(e)}")
                continue
            with member:
                w.walk_stream(
                    Guarded(member, w, where, source=counted),
                    (*parts, *name.parts),
                    f"{display}!{name}",
                    info.file_size,
                    depth + 1,
                )


def _overlapping(infos: list[zipfile.ZipInfo]) -> set[int]:
    """Members whose local header starts inside the data of a member before it in the file:
    a directory can point many entries at the same deflate stream (a few hundred KB that
    inflate to gigabytes), which no archiver writes. The span taken is the least a member
    occupies (header without name and extra field, and its packed data)."""
    overlapping: set[int] = set()
    reach = 0
    for offset, i, packed in sorted((info.header_offset, i, info.compress_size) for i, info in enumerate(infos)):
        if offset < reach:
            overlapping.add(i)
        else:
            reach = offset + 30 + packed
    return overlapping


def _member_ok(w: Walker, where: str, flags: int, method: int, packed: int, size: int) -> bool:
    if flags & 0x1:
        w.problem(where, "is encrypted; skipped")
        return False
    if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        w.problem(where, f"uses zip compression method {method}, which is not supported; skipped")
        return False
    lim = w.limits
    # zipfile never inflates a member past its declared size, so an honest bomb is refused
    # before a byte is inflated, and a lying one is cut at its declared size.
    if size > lim.ratio_grace_bytes and size > lim.max_ratio * max(packed, 1):
        w.stop(
            where,
            f"declares {size:,} bytes packed into {packed:,} (more than max_ratio "
            f"{lim.max_ratio}), like a decompression bomb; skipped",
        )
        return False
    return True


def walk_nested_zip(w: Walker, stream: Readable, parts: tuple[str, ...], display: str, depth: int) -> None:
    # zip needs random access: a zip inside another archive is read into memory while the
    # memory for nested zips lasts, and member by member (local headers) beyond that.
    room = max(0, w.limits.max_nested_zip_bytes - w.zip_memory)
    data = read_at_least(stream, room + 1)
    if len(data) <= room:
        w.zip_memory += len(data)
        try:
            walk_zip(w, io.BytesIO(data), parts, display, depth)
        finally:
            w.zip_memory -= len(data)
        return
    count, end = walk_zip_stream(w, Prefixed(data, stream), parts, display, depth)
    del data
    if end != "end":
        w.unreadable(display, _zip_end(count, end))


def walk_zip_stream(w: Walker, stream: Readable, parts: tuple[str, ...], display: str, depth: int) -> tuple[int, str]:
    """Read a zip from its local headers, in order, without its directory: a truncated or
    damaged zip, or one too big to hold in memory. Returns (members, how it ended)."""
    src = Pushback(buffered(stream))
    count = 0
    handed_on = MemberNames()
    while not w.exhausted:
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
        where = f"{display}!{printable(name_text)}"
        if not w.count_member(where):
            return count, "limit"
        count += 1
        described = not flags & 0x8  # sizes in the header, not in a descriptor after the data
        if not described and method != zipfile.ZIP_DEFLATED:
            return count, "unsized"  # a stored member of unknown length cannot be skipped
        body: Slice | Pushback = Slice(src, packed) if described else src
        name = w.member_path(name_text, where)
        readable = False
        if name is not None and not name_text.endswith("/"):
            if method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                readable = _member_ok(w, where, flags, method, packed if described else 0, size if described else 0)
            elif flags & 0x1:
                w.problem(where, "is encrypted; skipped")
            else:
                w.problem(
                    where,
                    f"uses zip compression method {method}, which cannot be read without the zip directory; skipped",
                )
        try:
            if readable or not described:  # an undescribed member ends where its deflate data ends
                if method == zipfile.ZIP_DEFLATED:
                    counted = Counted(body)
                    guard = Guarded(RawInflate(counted, None if described else src), w, where, source=counted)
                else:
                    guard = Guarded(body, w, where)
                data = guard
                if readable:
                    assert name is not None
                    path = f"{display}!{name}"
                    if path in handed_on:
                        w.duplicate(path, read_before=True)
                    handed_on.add(path)
                    w.walk_stream(data, (*parts, *name.parts), path, size or None, depth + 1)
                while not guard.stopped and data.read(BLOCK):  # the rest, to reach the next header
                    pass
                if guard.stopped and not described:
                    return count, "limit"
            if described:
                while body.read(BLOCK):
                    pass
        except ARCHIVE_ERRORS as e:
            w.unreadable(where, f"cannot be read from the zip archive: {describe_error(e)}")
            return count, "corrupt"
        if not described:  # the data descriptor: optional signature, crc, sizes
            desc = src.read(4)
            if desc == b"PK\x07\x08":
                src.read(12)
            else:
                src.read(8)
    return count, "limit"


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
