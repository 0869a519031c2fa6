"""Headless Chromium for the tests that open an HTML report: where it is, how it is started,
and what a rendered screenshot looks like. Skipped where Chromium is missing, except in CI
(CI=true), where .ci/run installs it and its absence is a failure."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

# The flags this sandbox needs as root, with a closed network (no background fetches).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--mute-audio",
    "--virtual-time-budget=1000",
]


def require_browser() -> str:
    """The Chromium binary, or skip the calling test module (fail it in CI)."""
    found = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed; .ci/run installs it (apt-get install chromium)", pytrace=False)
        pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
    return found


def run_chromium(
    browser: str, args: list[str], profile: Path, extra_flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, *FLAGS, *extra_flags, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=90
    )


def png_facts(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the decoded pixel rows) of a PNG screenshot: a
    blank page has a handful of values, a rendered report dozens."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))
