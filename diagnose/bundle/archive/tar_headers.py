"""Tar member headers read in bounded time and memory, whatever the archive claims.

Python's tarfile reads extended headers (pax, GNU long names, GNU sparse maps) whole into memory,
follows a chain of them by recursion, and before CPython 3.11.10 / 3.12.6 parses a pax header
with a regular expression that is quadratic in a run of digits (CVE-2024-6232: a 1 MiB header
of digits, 2 KB once gzipped, takes about 40 minutes). `BoundedTarInfo` replaces those steps:

- an extended header is at most `MAX_EXTENDED_HEADER` bytes (real ones hold a path, a link
  target and a few attributes: some hundred bytes), and so is a sparse map;
- pax records are read by their length prefixes in one pass (no regular expression);
- at most `MAX_HEADER_CHAIN` extended headers may precede one member (real archives have one
  or two: a pax header, or a GNU long name and long link), so a chain of thousands neither
  recurses thousands deep nor costs more than a few headers;
- global pax headers apply to every later member: all of them together are bounded too.

What breaks a bound raises `HeaderLimit` with the sentence for the note; the member walk
stops the archive there (what came before was used). The private tarfile methods overridden
here have had the same names and arguments from CPython 3.8 to 3.13.
"""

from __future__ import annotations

import tarfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from typing_extensions import Self

    # tarfile's undocumented names used here, which typeshed leaves out; at run time they are
    # tarfile's own (the same from CPython 3.8 to 3.13).
    class EmptyHeaderError(tarfile.HeaderError): ...

    class EOFHeaderError(tarfile.HeaderError): ...

    class InvalidHeaderError(tarfile.HeaderError): ...

    class SubsequentHeaderError(tarfile.HeaderError): ...

    class TruncatedHeaderError(tarfile.HeaderError): ...

    def nti(s: bytes) -> int: ...

    class _TarInfo(tarfile.TarInfo):
        # typeshed says bytes; tarfile stores the sparse map as (offset, size) pairs.
        sparse: list[tuple[int, int]] | None  # type: ignore[assignment]
        _sparse_structs: tuple[list[tuple[int, int]], bool, int]  # set by frombuf for a GNU sparse member

        def _block(self, count: int) -> int: ...
        def _proc_member(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo: ...
        def _decode_pax_field(
            self, value: bytes, encoding: str, fallback_encoding: str, fallback_errors: str
        ) -> str: ...
        def _apply_pax_info(self, pax_headers: Mapping[str, str], encoding: str, errors: str) -> None: ...
else:
    from tarfile import (
        EmptyHeaderError,
        EOFHeaderError,
        InvalidHeaderError,
        SubsequentHeaderError,
        TruncatedHeaderError,
        nti,
    )

    _TarInfo = tarfile.TarInfo

__all__ = [
    "MAX_EXTENDED_HEADER",
    "MAX_HEADER_CHAIN",
    "BoundedTarInfo",
    "EOFHeaderError",
    "EmptyHeaderError",
    "HeaderLimit",
    "InvalidHeaderError",
    "SubsequentHeaderError",
    "TruncatedHeaderError",
    "pax_records",
]

MAX_EXTENDED_HEADER = 64 * 1024
MAX_HEADER_CHAIN = 8
_MAX_DIGITS = 20  # a length or an offset in a header: 2**64 has 20 digits
_EXTENDED = frozenset(
    {tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK}
)


class HeaderLimit(tarfile.TarError):
    """A header beyond the bounds above; its text completes a note about the archive."""


class BoundedTarInfo(_TarInfo):
    """A TarInfo that reads headers within the bounds, and remembers on the TarFile why the
    member list ended (a clean end, or truncation/corruption that tarfile itself passes over in
    silence after the first member)."""

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(tarfile_)
        except tarfile.HeaderError as e:
            tarfile_.antrea_end = e  # type: ignore[attr-defined]
            raise

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _EXTENDED:
            chain = getattr(tarfile_, "antrea_chain", 0) + 1
            tarfile_.antrea_chain = chain  # type: ignore[attr-defined]
            if chain > MAX_HEADER_CHAIN:
                raise HeaderLimit(
                    f"has more than {MAX_HEADER_CHAIN} extended headers in a row before one member "
                    "(real archives have one or two)"
                )
            if self.size > MAX_EXTENDED_HEADER:
                raise HeaderLimit(f"has an extended header of {self.size:,} bytes (real ones have a few hundred)")
        else:
            tarfile_.antrea_chain = 0  # type: ignore[attr-defined]
        return super()._proc_member(tarfile_)

    # -- pax ----------------------------------------------------------------------------------

    def _proc_pax(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        """tarfile's pax processing (as fixed in CPython 3.13) with a one-pass record parser."""
        buf = tarfile_.fileobj.read(self._block(self.size))
        records = pax_records(buf[: self.size])
        if self.type == tarfile.XGLTYPE:
            # Global headers are kept for the members after this one: updated in place, as tarfile
            # does. Reading, tarfile makes pax_headers a dict (typeshed has the Mapping one may pass).
            pax_headers = cast(dict[str, str], tarfile_.pax_headers)
            size = getattr(tarfile_, "antrea_global_bytes", 0) + self.size
            tarfile_.antrea_global_bytes = size  # type: ignore[attr-defined]
            if size > MAX_EXTENDED_HEADER:
                raise HeaderLimit(
                    f"has global extended headers of more than {MAX_EXTENDED_HEADER:,} bytes in all "
                    "(real ones have a few hundred)"
                )
        else:
            pax_headers = dict(tarfile_.pax_headers)
        # Only the first hdrcharset counts, as in tarfile; BINARY names keep the archive's encoding.
        charset = next((value for keyword, value in records if keyword == b"hdrcharset"), None)
        encoding = tarfile_.encoding if charset == b"BINARY" else "utf-8"
        offsets: list[int] = []
        numbytes: list[int] = []
        for raw_keyword, raw_value in records:
            keyword = self._decode_pax_field(raw_keyword, "utf-8", "utf-8", tarfile_.errors)
            if keyword in tarfile.PAX_NAME_FIELDS:
                value = self._decode_pax_field(raw_value, encoding, tarfile_.encoding, tarfile_.errors)
            else:
                value = self._decode_pax_field(raw_value, "utf-8", "utf-8", tarfile_.errors)
            pax_headers[keyword] = value
            if keyword == "GNU.sparse.offset":  # sparse format 0.0 repeats these two keywords
                offsets.append(_number(raw_value))
            elif keyword == "GNU.sparse.numbytes":
                numbytes.append(_number(raw_value))
        try:
            member = self.fromtarfile(tarfile_)
        except tarfile.HeaderError as e:
            raise SubsequentHeaderError(str(e)) from None
        if "GNU.sparse.map" in pax_headers:  # sparse format 0.1
            numbers = [_number(x.encode()) for x in pax_headers["GNU.sparse.map"].split(",")]
            member.sparse = list(zip(numbers[::2], numbers[1::2], strict=False))
        elif "GNU.sparse.size" in pax_headers:  # sparse format 0.0
            member.sparse = list(zip(offsets, numbytes, strict=False))
        elif pax_headers.get("GNU.sparse.major") == "1" and pax_headers.get("GNU.sparse.minor") == "0":
            self._proc_gnusparse_10(member, pax_headers, tarfile_)
        if self.type in (tarfile.XHDTYPE, tarfile.SOLARIS_XHDTYPE):
            member._apply_pax_info(pax_headers, tarfile_.encoding, tarfile_.errors)
            member.offset = self.offset
            if "size" in pax_headers:  # the header replaces the size: the next header moves
                offset = member.offset_data
                if member.isreg() or member.type not in tarfile.SUPPORTED_TYPES:
                    offset += member._block(member.size)
                tarfile_.offset = offset
        return member

    # -- sparse maps ----------------------------------------------------------------------------

    def _proc_gnusparse_10(self, member: _TarInfo, pax_headers: Mapping[str, str], tarfile_: tarfile.TarFile) -> None:
        """Sparse format 1.0: the map is a list of decimal numbers at the start of the member's
        data (a count, then offset/size pairs), padded to a whole block."""
        fileobj = tarfile_.fileobj
        buf = b""
        pos = 0
        numbers: list[int] = []
        count: int | None = None
        while count is None or len(numbers) < 2 * count:
            end = buf.find(b"\n", pos)
            if end == -1:
                if len(buf) >= MAX_EXTENDED_HEADER:
                    raise HeaderLimit(f"has a sparse map of more than {MAX_EXTENDED_HEADER:,} bytes")
                block = fileobj.read(tarfile.BLOCKSIZE)
                if len(block) < tarfile.BLOCKSIZE:
                    raise TruncatedHeaderError("the sparse map ends early")
                buf, pos = buf[pos:] + block, 0
                continue
            value = _number(buf[pos:end])
            pos = end + 1
            if count is None:
                count = value
            else:
                numbers.append(value)
        member.offset_data = fileobj.tell()
        member.sparse = list(zip(numbers[::2], numbers[1::2], strict=False))

    def _proc_sparse(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        """The old GNU sparse member: 4 map entries in the header, 21 more per extension block."""
        structs, extended, original_size = self._sparse_structs
        del self._sparse_structs
        blocks = 0
        while extended:
            blocks += 1
            if blocks * tarfile.BLOCKSIZE > MAX_EXTENDED_HEADER:
                raise HeaderLimit(f"has a sparse map of more than {MAX_EXTENDED_HEADER:,} bytes")
            buf = tarfile_.fileobj.read(tarfile.BLOCKSIZE)
            if len(buf) < tarfile.BLOCKSIZE:
                raise TruncatedHeaderError("the sparse map ends early")
            for pos in range(0, 21 * 24, 24):
                offset = nti(buf[pos : pos + 12])
                numbytes = nti(buf[pos + 12 : pos + 24])
                if offset and numbytes:
                    structs.append((offset, numbytes))
            extended = bool(buf[504])
        self.sparse = structs
        self.offset_data = tarfile_.fileobj.tell()
        tarfile_.offset = self.offset_data + self._block(self.size)
        self.size = original_size
        return self


def pax_records(buf: bytes) -> list[tuple[bytes, bytes]]:
    """The (keyword, value) records of a pax header, `"%d %s=%s\\n"` each, read by their length
    prefixes in one pass. Zero bytes end the header (padding); a malformed record is an
    InvalidHeaderError, as in CPython 3.13."""
    records: list[tuple[bytes, bytes]] = []
    pos, size = 0, len(buf)
    while pos < size and buf[pos] != 0:
        space = buf.find(b" ", pos, pos + _MAX_DIGITS + 1)
        digits = buf[pos:space] if space != -1 else b""
        if not digits.isdigit():
            raise InvalidHeaderError("invalid pax record length")
        length = int(digits)
        end = pos + length - 1  # the record's newline
        if length < 5 or end >= size or buf[end] != 0x0A:
            raise InvalidHeaderError("invalid pax record")
        keyword, equals, value = buf[space + 1 : end].partition(b"=")
        if not keyword or not equals:
            raise InvalidHeaderError("invalid pax record")
        records.append((keyword, value))
        pos += length
    return records


def _number(text: bytes) -> int:
    """A decimal number of a sparse map (never thousands of digits: int() of those is slow)."""
    text = text.strip()
    if not text.isdigit() or len(text) > _MAX_DIGITS:
        raise InvalidHeaderError("invalid number in a sparse map")
    return int(text)
