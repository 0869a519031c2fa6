"""The signed cache stays bounded: files no run reads any more go when a new one is stored."""

from __future__ import annotations

import os
import time

import pytest

from diagnose import cache as signed_cache
from diagnose.cache import SignedCache

DAY = 86400


@pytest.fixture
def cache(private_cache):
    return private_cache


def stored(directory, kind: str, n: int, size: int = 10, age_days: float = 0) -> SignedCache:
    entry = SignedCache(directory, kind, f"{n:032x}" * 2)
    entry.store(b"x" * size)
    if age_days:
        then = time.time() - age_days * DAY
        os.utime(entry.path, (then, then))
    return entry


def names(directory) -> set[str]:
    return {p.name for p in directory.iterdir()}


def test_a_file_unread_for_a_month_goes_when_another_is_stored(cache):
    old = stored(cache, "hs", 1, age_days=signed_cache.MAX_AGE_S / DAY + 1)
    recent = stored(cache, "messages", 2, age_days=signed_cache.MAX_AGE_S / DAY - 1)
    (cache / "notes.txt").write_text("not ours: never touched")
    new = stored(cache, "jinja", 3)
    assert names(cache) == {recent.path.name, new.path.name, "notes.txt"}
    assert not old.path.exists()


def test_reading_a_file_keeps_it(cache):
    used = stored(cache, "hs", 1, age_days=signed_cache.MAX_AGE_S / DAY + 1)
    assert used.load() == b"x" * 10  # refreshes its time: in use
    stored(cache, "hs", 2)
    assert used.path.exists()
    assert used.load() == b"x" * 10


def test_beyond_the_byte_budget_the_least_recently_read_go_first(cache, monkeypatch):
    monkeypatch.setattr(signed_cache, "MAX_BYTES", 2500)
    entries = [stored(cache, "hs", n, size=1000, age_days=5 - n) for n in range(4)]  # 0 the oldest
    # storing each one pruned the older ones beyond the budget; the last one stored always stays
    assert [e.path.exists() for e in entries] == [False, False, True, True]


def test_a_half_written_file_goes_after_an_hour_not_before(cache):
    stored(cache, "hs", 1)
    dead = cache / f".hs2-{1:032x}.bin.123.0a1b2c3d.tmp"
    alive = cache / f".hs2-{2:032x}.bin.456.0a1b2c3d.tmp"
    for path, age in ((dead, 2 * 3600), (alive, 60)):
        path.write_bytes(b"partial")
        then = time.time() - age
        os.utime(path, (then, then))
    stored(cache, "hs", 3)
    assert not dead.exists() and alive.exists()


def test_a_symlink_in_the_cache_is_left_alone(cache, tmp_path):
    target = tmp_path / "elsewhere.bin"
    target.write_bytes(b"keep")
    stored(cache, "hs", 1)
    link = cache / f"hs2-{9:032x}.bin"
    link.symlink_to(target)
    then = time.time() - 400 * DAY
    os.utime(link, (then, then), follow_symlinks=False)
    stored(cache, "hs", 2)
    assert link.is_symlink() and target.read_bytes() == b"keep"
