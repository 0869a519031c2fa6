"""Bounds on what the reader will take from one (untrusted) source, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Limits:
    max_nesting: int = 6  # archives inside archives
    max_members: int = 200_000  # files across all archives of one source
    max_small_artifact_bytes: int = 32 * 1024 * 1024  # non-log files are kept in memory up to this
    max_nested_zip_bytes: int = 512 * 1024 * 1024  # a zip inside an archive is read into memory
    sniff_bytes: int = 64 * 1024  # how much of a loose file is read to recognise it


LIMITS = Limits()
