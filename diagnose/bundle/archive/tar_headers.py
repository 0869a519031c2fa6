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

MAX_EXTENDED_HEADER = 64 * 1024
MAX_HEADER_CHAIN = 8
_MAX_DIGITS = 20  # a length or an offset in a header: 2**64 has 20 digits
_EXTENDED = frozenset({tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                       tarfile.GNUTYPE_LONGLINK})


class HeaderLimit(tarfile.TarError):
    """A header beyond the bounds above; its text completes a note about the archive."""


class BoundedTarInfo(tarfile.TarInfo):
    """A TarInfo that reads headers within the bounds, and remembers on the TarFile why the
    member list ended (a clean end, or truncation/corruption that tarfile itself passes over in
    silence after the first member)."""

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
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
                raise HeaderLimit(f"has more than {MAX_HEADER_CHAIN} extended headers in a row before one member "
                                  "(real archives have one or two)")
            if self.size > MAX_EXTENDED_HEADER:
                raise HeaderLimit(f"has an extended header of {self.size:,} bytes (real ones have a few hundred)")
        else:
            tarfile_.antrea_chain = 0  # type: ignore[attr-defined]
        return super()._proc_member(tarfile_)  # type: ignore[misc]

    # -- pax ----------------------------------------------------------------------------------

    def _proc_pax(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        """tarfile's pax processing (as fixed in CPython 3.13) with a one-pass record parser."""
        buf = tarfile_.fileobj.read(self._block(self.size))  # type: ignore[union-attr]
        records = pax_records(buf[: self.size])
        if self.type == tarfile.XGLTYPE:
            pax_headers = tarfile_.pax_headers
            size = getattr(tarfile_, "antrea_global_bytes", 0) + self.size
            tarfile_.antrea_global_bytes = size  # type: ignore[attr-defined]
            if size > MAX_EXTENDED_HEADER:
                raise HeaderLimit(f"has global extended headers of more than {MAX_EXTENDED_HEADER:,} bytes in all "
                                  "(real ones have a few hundred)")
        else:
            pax_headers = tarfile_.pax_headers.copy()
        # Only the first hdrcharset counts, as in tarfile; BINARY names keep the archive's encoding.
        charset = next((value for keyword, value in records if keyword == b"hdrcharset"), None)
        encoding = tarfile_.encoding if charset == b"BINARY" else "utf-8"
        offsets: list[int] = []
        numbytes: list[int] = []
        for raw_keyword, raw_value in records:
            keyword = self._decode_pax_field(raw_keyword, "utf-8", "utf-8", tarfile_.errors)  # type: ignore[attr-defined]
            if keyword in tarfile.PAX_NAME_FIELDS:
                value = self._decode_pax_field(raw_value, encoding, tarfile_.encoding,  # type: ignore[attr-defined]
                                               tarfile_.errors)
            else:
                value = self._decode_pax_field(raw_value, "utf-8", "utf-8", tarfile_.errors)  # type: ignore[attr-defined]
            pax_headers[keyword] = value
            if keyword == "GNU.sparse.offset":  # sparse format 0.0 repeats these two keywords
                offsets.append(_number(raw_value))
            elif keyword == "GNU.sparse.numbytes":
                numbytes.append(_number(raw_value))
        try:
            member = self.fromtarfile(tarfile_)
        except tarfile.HeaderError as e:
            raise tarfile.SubsequentHeaderError(str(e)) from None
        if "GNU.sparse.map" in pax_headers:  # sparse format 0.1
            numbers = [_number(x.encode()) for x in pax_headers["GNU.sparse.map"].split(",")]
            member.sparse = list(zip(numbers[::2], numbers[1::2], strict=False))
        elif "GNU.sparse.size" in pax_headers:  # sparse format 0.0
            member.sparse = list(zip(offsets, numbytes, strict=False))
        elif pax_headers.get("GNU.sparse.major") == "1" and pax_headers.get("GNU.sparse.minor") == "0":
            self._proc_gnusparse_10(member, pax_headers, tarfile_)
        if self.type in (tarfile.XHDTYPE, tarfile.SOLARIS_XHDTYPE):
            member._apply_pax_info(pax_headers, tarfile_.encoding, tarfile_.errors)  # type: ignore[attr-defined]
            member.offset = self.offset
            if "size" in pax_headers:  # the header replaces the size: the next header moves
                offset = member.offset_data
                if member.isreg() or member.type not in tarfile.SUPPORTED_TYPES:
                    offset += member._block(member.size)  # type: ignore[attr-defined]
                tarfile_.offset = offset
        return member

    # -- sparse maps ----------------------------------------------------------------------------

    def _proc_gnusparse_10(self, member: tarfile.TarInfo, pax_headers: dict, tarfile_: tarfile.TarFile) -> None:
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
                block = fileobj.read(tarfile.BLOCKSIZE)  # type: ignore[union-attr]
                if len(block) < tarfile.BLOCKSIZE:
                    raise tarfile.TruncatedHeaderError("the sparse map ends early")
                buf, pos = buf[pos:] + block, 0
                continue
            value = _number(buf[pos:end])
            pos = end + 1
            if count is None:
                count = value
            else:
                numbers.append(value)
        member.offset_data = fileobj.tell()  # type: ignore[union-attr]
        member.sparse = list(zip(numbers[::2], numbers[1::2], strict=False))

    def _proc_sparse(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        """The old GNU sparse member: 4 map entries in the header, 21 more per extension block."""
        structs, extended, original_size = self._sparse_structs  # type: ignore[attr-defined]
        del self._sparse_structs
        blocks = 0
        while extended:
            blocks += 1
            if blocks * tarfile.BLOCKSIZE > MAX_EXTENDED_HEADER:
                raise HeaderLimit(f"has a sparse map of more than {MAX_EXTENDED_HEADER:,} bytes")
            buf = tarfile_.fileobj.read(tarfile.BLOCKSIZE)  # type: ignore[union-attr]
            if len(buf) < tarfile.BLOCKSIZE:
                raise tarfile.TruncatedHeaderError("the sparse map ends early")
            for pos in range(0, 21 * 24, 24):
                offset = tarfile.nti(buf[pos : pos + 12])
                numbytes = tarfile.nti(buf[pos + 12 : pos + 24])
                if offset and numbytes:
                    structs.append((offset, numbytes))
            extended = bool(buf[504])
        self.sparse = structs
        self.offset_data = tarfile_.fileobj.tell()  # type: ignore[union-attr]
        tarfile_.offset = self.offset_data + self._block(self.size)  # type: ignore[attr-defined]
        self.size = original_size
        return self


def pax_records(buf: bytes) -> list[tuple[bytes, bytes]]:
    """The (keyword, value) records of a pax header, `"%d %s=%s\\n"` each, read by their length
    prefixes in one pass. Zero bytes end the header (padding); a malformed record is an
    InvalidHeaderError, as in CPython 3.13."""
    records = []
    pos, size = 0, len(buf)
    while pos < size and buf[pos] != 0:
        space = buf.find(b" ", pos, pos + _MAX_DIGITS + 1)
        digits = buf[pos:space] if space != -1 else b""
        if not digits.isdigit():
            raise tarfile.InvalidHeaderError("invalid pax record length")
        length = int(digits)
        end = pos + length - 1  # the record's newline
        if length < 5 or end >= size or buf[end] != 0x0A:
            raise tarfile.InvalidHeaderError("invalid pax record")
        keyword, equals, value = buf[space + 1 : end].partition(b"=")
        if not keyword or not equals:
            raise tarfile.InvalidHeaderError("invalid pax record")
        records.append((keyword, value))
        pos += length
    return records


def _number(text: bytes) -> int:
    """A decimal number of a sparse map (never thousands of digits: int() of those is slow)."""
    text = text.strip()
    if not text.isdigit() or len(text) > _MAX_DIGITS:
        raise tarfile.InvalidHeaderError("invalid number in a sparse map")
    return int(text)
