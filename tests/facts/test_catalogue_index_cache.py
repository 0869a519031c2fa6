"""The message catalogue's indexes restored from the signed cache are the ones it would build."""

from __future__ import annotations

import pytest
from support import cache_file

from diagnose.facts import messages

LINE = "Failed to initialize iptables: x - will retry in 1s"


@pytest.fixture
def cache(private_cache):
    return private_cache


def plain(index):
    """An index with its globs in a list: a restored catalogue makes its globs on first read."""
    if isinstance(index, tuple):
        return (list(index[0]), index[1])
    return index if isinstance(index, dict) else list(index)


def test_the_indexes_are_stored_then_restored_identical(cache, monkeypatch):
    built = messages.Catalogue.load()
    expected = {name: getattr(built, name) for name in messages._INDEXES}
    first = messages.Catalogue.load_cached()  # builds and stores
    assert oct(cache_file(cache, "messages").stat().st_mode & 0o777) == "0o600"
    monkeypatch.setattr(messages, "_rarest_word_index", lambda items: pytest.fail("built although cached"))
    restored = messages.Catalogue.load_cached()
    assert restored.lookup(LINE) is not None
    assert 0 < len(restored._globs._made) < len(restored._globs) / 100  # made as a lookup reads them
    for name in messages._INDEXES:
        assert name in vars(restored)
        assert plain(getattr(restored, name)) == plain(expected[name]) == plain(getattr(first, name))
    assert restored.rows == built.rows and restored.releases == built.releases
    assert restored.lookup(LINE) == built.lookup(LINE) is not None


def test_a_tampered_cache_is_ignored_and_the_indexes_built(cache, monkeypatch):
    messages.Catalogue.load_cached()
    path = cache_file(cache, "messages")
    blob = path.read_bytes()
    path.write_bytes(blob[:-40] + bytes(40))  # payload changed, MAC kept
    calls = []
    real = messages._rarest_word_index
    monkeypatch.setattr(messages, "_rarest_word_index", lambda items: calls.append(1) or real(items))
    cat = messages.Catalogue.load_cached()
    assert calls and cat.lookup(LINE) is not None


def test_without_a_cache_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTREA_DIAGNOSE_NO_CACHE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert messages.Catalogue.load_cached().lookup(LINE) is not None
    assert not (tmp_path / "cache").exists()
