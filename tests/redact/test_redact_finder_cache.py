"""The redaction finder's compiled database is cached like the scan's: signed, never trusted blind.

A database planted in the cache directory (a shared home, a restored CI cache) would decide which
secrets redaction finds; only a file this user's key signed for this trigger set is loaded.
"""

from __future__ import annotations

import pytest
from support import cache_file

from diagnose.redact.finder import Trigger, _Database

hyperscan = pytest.importorskip("hyperscan")

SECRET = Trigger(rb"password=\S+")
NEVER = Trigger(rb"never matches anything")


@pytest.fixture
def cache(private_cache):
    return private_cache


def matches(db: _Database, data: bytes) -> list[tuple[int, int, int]]:
    found: list[tuple[int, int, int]] = []
    db.db.scan(data, match_event_handler=lambda i, f, t, _fl, _c: found.append((i, f, t)), scratch=db.scratch)
    return found


def test_the_database_is_cached_signed_and_reloaded(cache):
    first = matches(_Database(((0, SECRET),), cache_dir=cache), b"x password=hunter2 y")
    path = cache_file(cache, "redact")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert matches(_Database(((0, SECRET),), cache_dir=cache), b"x password=hunter2 y") == first != []


def test_a_planted_database_is_not_used(cache, tmp_path, monkeypatch):
    _Database(((0, SECRET),), cache_dir=cache)
    path = cache_file(cache, "redact")
    # The attacker's database: valid, matches nothing, under the expected name and set key.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "attacker-config"))
    _Database(((0, NEVER),), cache_dir=tmp_path / "attacker")
    forged_path = cache_file(tmp_path / "attacker", "redact")
    forged = forged_path.read_bytes()
    expected_key, forged_key = path.read_bytes().split(b"\n")[1], forged.split(b"\n")[1]
    path.write_bytes(forged.replace(forged_key, expected_key, 1))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert matches(_Database(((0, SECRET),), cache_dir=cache), b"x password=hunter2 y") != []
