"""Names from the bundle made safe to show (control characters, bidi overrides, length) and to use
as member paths (nothing absolute, no `..`, no drive letter)."""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath

_MAX_NAME_CHARS = 1024  # longer member names are cut for display (they come from the archive)


# Control characters and bidi overrides in a name would act on the terminal the error message
# is printed to (escape sequences) or disguise it; they are shown as \xNN / \uNNNN instead.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(name: str) -> str:
    """A name from the bundle as text that can be shown and written: undecodable bytes (kept
    by Python as surrogates) replaced, control characters made visible, very long names cut."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)
    return text if len(text) <= _MAX_NAME_CHARS else text[:_MAX_NAME_CHARS] + "…"


def safe_member_name(name: str) -> PurePosixPath | None:
    p = PurePosixPath(printable(name).replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
        return None
    parts = [x for x in p.parts if x not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


class MemberNames:
    """The member paths of one archive handed on so far (a 16-byte digest each: an archive may
    have hundreds of thousands of members with names of a kilobyte)."""

    def __init__(self) -> None:
        self._digests: set[bytes] = set()

    def add(self, path: str) -> None:
        self._digests.add(self._digest(path))

    def __contains__(self, path: str) -> bool:
        return self._digest(path) in self._digests

    @staticmethod
    def _digest(path: str) -> bytes:
        return hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=16).digest()
