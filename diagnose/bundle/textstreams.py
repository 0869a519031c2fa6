"""Streams that turn a pasted log into canonical UTF-8 lines while it is read.

Both wrap the stream the walker hands over and are read like it (`read(n)`), so the scanner and
the sniffers never know a file arrived as UTF-16 or with CRI/journald prefixes
(`diagnose.parse.lines`). Work is per newline-aligned block: no Python loop per line except for
the two shapes that need one (Docker json-file, PowerShell).
"""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING

from diagnose.parse import lines

if TYPE_CHECKING:
    from diagnose.bundle.archive import Readable

_BLOCK = 256 * 1024


class _Rewriting:
    """Base: serves the bytes `_next()` produces, `read(n)` at a time."""

    def __init__(self, inner: Readable):
        self._inner = inner
        self._buf = b""
        self._done = False

    def _next(self) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def read(self, n: int = -1) -> bytes:
        while not self._done and (n < 0 or len(self._buf) < n):
            block = self._next()
            if not block and self._done:
                break
            self._buf += block
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close:
            close()


class Utf16ToUtf8(_Rewriting):
    """UTF-16 (with or without BOM) in, UTF-8 out; a BOM is dropped, broken pairs replaced."""

    def __init__(self, inner: Readable, codec: str):
        super().__init__(inner)
        self._decoder = codecs.getincrementaldecoder(codec)(errors="replace")
        self._first = True

    def _next(self) -> bytes:
        raw = self._inner.read(_BLOCK)
        if not raw:
            self._done = True
            return self._decoder.decode(b"", final=True).encode("utf-8")
        text = self._decoder.decode(raw)
        if self._first:
            text, self._first = text.lstrip("\ufeff"), False
        return text.replace("\r\n", "\n").encode("utf-8")


class Normalised(_Rewriting):
    """Lines of a log of `shape` in the canonical form (`lines.normalise`), block by block."""

    def __init__(self, inner: Readable, shape: lines.Shape):
        super().__init__(inner)
        self._shape = shape
        self._carry = b""

    def _next(self) -> bytes:
        raw = self._inner.read(_BLOCK)
        if not raw:
            self._done = True
            rest, self._carry = self._carry, b""
            return lines.normalise(rest, self._shape) if rest else b""
        data = self._carry + raw
        cut = data.rfind(b"\n")
        if cut == -1:
            self._carry = data
            return b""
        self._carry = data[cut + 1 :]
        return lines.normalise(data[: cut + 1], self._shape)


def skip_utf8_bom(head: bytes) -> bool:
    return head.startswith(codecs.BOM_UTF8)
