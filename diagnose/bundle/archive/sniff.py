"""What a stream is, from its first bytes (magic numbers), and what its name claims it is."""

from __future__ import annotations

import stat


def is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


def format_of(head: bytes) -> str | None:
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if is_tar(head):
        return "tar"
    return None


SUFFIX_FORMATS = (
    (".tar.gz", "gzip"),
    (".tgz", "gzip"),
    (".gz", "gzip"),
    (".bz2", "bzip2"),
    (".tbz2", "bzip2"),
    (".xz", "xz"),
    (".txz", "xz"),
    (".zip", "zip"),
    (".tar", "tar"),
)


def claimed_format(name: str) -> str | None:
    lower = name.lower()
    return next((fmt for suffix, fmt in SUFFIX_FORMATS if lower.endswith(suffix)), None)


def what_it_is(head: bytes) -> str:
    fmt = format_of(head)
    if fmt:
        return f"{fmt} data"
    if not head:
        return "empty"
    text = head[:200].decode("utf-8", errors="replace")
    if "\ufffd" in text or "\x00" in text:
        return "binary data"
    first = " ".join(text.split())[:40]
    return f"text starting with {first!r}"


def file_type(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"
