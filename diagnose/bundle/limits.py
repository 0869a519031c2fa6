"""Bounds on what the reader takes from one (untrusted) source: the one place they are set.

Every bound is a field of `Limits` with its default and one help line; `antrea-diagnose scan
--limit NAME=VALUE` overrides fields for one run and its `--help` lists them, generated from
this class. The defaults fit a real cluster bundle of a few GB (hundreds of Nodes, logs of
hundreds of MB each) while a decompression bomb, a million-member archive or a log in which
every line matches is stopped early, with a note, in bounded time and memory.

The walker and the collector read the active limits with `current()`; `applied()` sets them for
a block (the CLI, tests with scaled-down limits) without touching a module global.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from typing import Any

KiB, MiB, GiB = 1024, 1024**2, 1024**3


def _limit(default: int, help: str, size: bool = True) -> Any:
    return field(default=default, metadata={"help": help, "size": size})


@dataclass(frozen=True)
class Limits:
    """The bounds on what one scan reads and keeps (`--limit NAME=VALUE`)."""

    max_total_bytes: int = _limit(32 * GiB, "data read from the whole source, after decompression")
    max_member_bytes: int = _limit(4 * GiB, "data read from one file or archive member")
    max_ratio: int = _limit(200, "inflated/compressed ratio of a compressed stream (bombs)", size=False)
    ratio_grace_bytes: int = _limit(16 * MiB, "data a compressed stream yields before its ratio is checked")
    max_source_ratio: int = _limit(
        200, "data read from the whole source / its size on disk (many small bombs)", size=False
    )
    max_members: int = _limit(200_000, "files read from one source (directories and archives)", size=False)
    max_nesting: int = _limit(10, "archives or compression layers inside each other", size=False)
    max_path_depth: int = _limit(64, "directory levels of a path, on disk or in an archive", size=False)
    max_small_artifact_bytes: int = _limit(32 * MiB, "content kept of one non-log file (command output)")
    max_kept_bytes: int = _limit(1 * GiB, "content kept of all non-log files together")
    max_hit_bytes: int = _limit(256 * MiB, "matching log lines kept, all logs together")
    max_nested_zip_bytes: int = _limit(256 * MiB, "memory for zips inside archives (beyond: read in order)")
    xz_memory_bytes: int = _limit(256 * MiB, "memory of the xz decompressor")
    max_notes: int = _limit(1000, "read problems listed one by one", size=False)
    sniff_bytes: int = _limit(64 * KiB, "start of a file read to recognise what it is")


_DEFAULT = Limits()
_active: ContextVar[Limits | None] = ContextVar("antrea_diagnose_limits", default=None)


def current() -> Limits:
    return _active.get() or _DEFAULT


@contextmanager
def applied(limits: Limits) -> Iterator[Limits]:
    token = _active.set(limits)
    try:
        yield limits
    finally:
        _active.reset(token)


# -- the command line -------------------------------------------------------------------------

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.I)
_UNITS = {"": 1, "k": KiB, "m": MiB, "g": GiB, "t": 1024 * GiB}


def parse_size(text: str) -> int:
    """`4GiB`, `512M`, `64k`, `1000` -> bytes (binary units whatever the spelling)."""
    m = _SIZE.match(text.replace("_", ""))
    if not m:
        raise ValueError(f"{text!r} is not a size (examples: 4GiB, 512MiB, 65536)")
    return int(float(m[1]) * _UNITS[m[2].lower()])


def _parse_count(text: str) -> int:
    if not text.strip().replace("_", "").isdigit():
        raise ValueError(f"{text!r} is not a whole number")
    return int(text.replace("_", ""))


def format_size(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n:,} bytes" if n >= KiB else f"{n} bytes"


def parse_overrides(items: Iterable[str], base: Limits | None = None) -> Limits:
    """`["max_ratio=500", "max-total-bytes=64GiB"]` -> Limits; ValueError names what is wrong."""
    known = {f.name: f for f in fields(Limits)}
    changes: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        key = name.strip().replace("-", "_")
        if not sep or key not in known:
            raise ValueError(f"--limit {item!r}: expected NAME=VALUE with NAME one of {', '.join(known)}")
        try:
            number = parse_size(value) if known[key].metadata["size"] else _parse_count(value)
        except ValueError as e:
            raise ValueError(f"--limit {item!r}: {e}") from None
        if number <= 0:
            raise ValueError(f"--limit {item!r}: the value must be positive")
        changes[key] = number
    return replace(base or Limits(), **changes)


def help_text() -> str:
    """The limits and their defaults, for `scan --help` (click keeps `\\b` paragraphs as they are)."""
    defaults = Limits()
    rows = [
        (f.name, format_size(value) if f.metadata["size"] else str(value), f.metadata["help"])
        for f in fields(Limits)
        for value in [getattr(defaults, f.name)]
    ]
    width = max(len(n) + len(v) for n, v, _ in rows) + 1
    lines = [f"{n}={v}".ljust(width + 1) + h for n, v, h in rows]
    return (
        "Limits on untrusted input, set with --limit NAME=VALUE (sizes take KiB, MiB, GiB); "
        "reaching one stops reading that part with a note, the rest is still diagnosed:\n\n\b\n" + "\n".join(lines)
    )


# -- budgets shared across one source ---------------------------------------------------------


class Budget:
    """Bytes of memory the reader may still keep for one kind of data."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def take(self, n: int) -> bool:
        if self.used + n > self.limit:
            return False
        self.used += n
        return True

    def give(self, n: int) -> None:
        self.used -= n


_HIT_OVERHEAD = 256  # the objects around a hit's text: empty lines cost memory too


def hit_size(hit: Any) -> int:
    return len(hit.text) + sum(len(x) for x in (*hit.following, *hit.before, *hit.after)) + _HIT_OVERHEAD
