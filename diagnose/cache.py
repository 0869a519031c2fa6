"""The signed on-disk cache of what is slow to build and the same from run to run: compiled
Hyperscan databases, the message catalogue's indexes, the code of message templates and of
dataclass methods, regex verdicts, redaction detectors.

One file per (kind, content set) in `~/.cache/antrea-diagnose/` (XDG_CACHE_HOME), signed with a
key kept outside it (`~/.config/antrea-diagnose/cache.key`, 0600), used only in a directory the
user owns that nobody else can write: what is read back is exactly what this user wrote for this
set, or nothing. `ANTREA_DIAGNOSE_NO_CACHE=1` turns it off. The directory stays bounded
(`prune`).
"""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path
from typing import Any

_MAC_HEX = 64  # hex digits of an HMAC-SHA256

# Every upgrade, rule pack, edited template and Python version makes new content sets, so new
# files: without a bound the directory only grows (~2 MB per catalogue version). A file is
# dropped once no run has read it for MAX_AGE_S, and the least recently read ones beyond
# MAX_BYTES, each time a new file is stored (a cache miss: rare, and already slow).
MAX_AGE_S = 30 * 86400
MAX_BYTES = 256 << 20
_TOUCH_AFTER_S = 86400  # a read refreshes the file's time at most once a day: one more syscall
_STALE_TMP_S = 3600  # a half-written file of a process that died
_CACHE_NAME = re.compile(r"\.?[a-z]+\d*-[0-9a-f]{32}\.bin(?:\.\d+\.[0-9a-f]{8}\.tmp)?")


class SignedCache:
    """One cache file per (kind, content set): magic, the set's hash, an HMAC-SHA256 of both and
    the payload under a key kept outside the cache directory (a cache restored from elsewhere,
    e.g. a shared CI cache, carries no valid MAC), then the payload. A file that is not exactly
    what this user wrote for this set is ignored (and replaced on the next store)."""

    def __init__(self, directory: Path, kind: str, set_key: str):
        self.directory = directory
        self.set_key = set_key.encode()
        self.magic = f"antrea-diagnose {kind} cache v2\n".encode()
        self.path = directory / f"{kind}2-{set_key[:32]}.bin"

    def _mac(self, key: bytes, payload: bytes) -> bytes:
        import hashlib
        import hmac

        mac = hmac.new(key, self.magic + self.set_key + b"\n", hashlib.sha256)
        mac.update(payload)  # not concatenated: that would copy the payload once more
        return mac.hexdigest().encode()

    def load(self) -> bytes | None:
        key = _mac_key()
        if key is None or not _private_dir(self.directory, create=False):
            return None
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as f:
                st = os.fstat(f.fileno())
                if hasattr(os, "getuid") and st.st_uid != os.getuid():
                    return None
                if time.time() - st.st_mtime > _TOUCH_AFTER_S and os.utime in os.supports_fd:
                    os.utime(f.fileno())  # still in use: kept by the pruning (MAX_AGE_S)
                # The header line by line, then the payload in one read: slicing it out of the
                # whole file would hold it in memory three times (a catalogue's is ~2 MB).
                if f.readline(len(self.magic)) != self.magic:
                    return None
                set_key = f.readline(len(self.set_key) + 1)
                mac = f.readline(_MAC_HEX + 1)
                payload = f.read()
        except OSError:
            return None
        import hmac

        if set_key != self.set_key + b"\n" or not hmac.compare_digest(mac, self._mac(key, payload) + b"\n"):
            return None  # forged, corrupted or another set: never handed on
        return payload

    def load_object(self) -> object | None:
        """`load`, unmarshalled: code and data only this user's runs wrote (the MAC checked
        first). None when there is none, or when this Python cannot read it."""
        payload = self.load()
        if payload is None:
            return None
        import marshal

        try:
            return marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None

    def store_object(self, value: Any) -> None:
        """`store` of a value `marshal` can write (code objects, and containers of constants)."""
        import marshal

        self.store(marshal.dumps(value))

    def store(self, payload: bytes) -> None:
        key = _mac_key(create=True)
        if key is None or not _private_dir(self.directory, create=True):
            return  # work in memory every time rather than trust a shared directory
        import secrets

        tmp = self.directory / f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(self.magic + self.set_key + b"\n" + self._mac(key, payload) + b"\n" + payload)
            os.replace(tmp, self.path)
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass
            return
        prune(self.directory, keep=self.path.name)


def prune(directory: Path, keep: str = "") -> None:
    """Remove the cache files of `directory` no run has read for MAX_AGE_S, then the least
    recently read beyond MAX_BYTES, never `keep` (the file just stored). Only names this cache
    writes are considered; a file another process holds open stays readable to it."""
    now = time.time()
    found: list[tuple[float, int, str]] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if not _CACHE_NAME.fullmatch(entry.name):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    found.append((st.st_mtime, st.st_size, entry.name))
    except OSError:
        return
    total = sum(size for _, size, _ in found)
    for mtime, size, name in sorted(found):  # the least recently read first
        if name == keep:
            continue
        max_age = _STALE_TMP_S if name.endswith(".tmp") else MAX_AGE_S
        if now - mtime <= max_age and total <= MAX_BYTES:
            continue
        try:
            os.unlink(directory / name)
        except OSError:
            continue
        total -= size


def _private_dir(path: Path, create: bool) -> bool:
    """`path` is a real directory of this user that no one else can write (nor its parent):
    else another user could plant a database there."""
    if create and not os.path.lexists(path):
        try:
            path.mkdir(parents=True, mode=0o700)
        except FileExistsError:
            pass
        except OSError:
            return False
    if not hasattr(os, "getuid"):
        return path.is_dir()
    for p in (path.parent, path):
        try:
            st = os.lstat(p)
        except OSError:
            return False
        owners = (os.getuid(),) if p is path else (os.getuid(), 0)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid not in owners or st.st_mode & 0o022:
            return False
    return True


def _mac_key(create: bool = False) -> bytes | None:
    """The user's secret for cache MACs, in their config directory (not the cache directory)."""
    directory = key_dir()
    if directory is None:
        return None
    path = directory / "cache.key"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            if hasattr(os, "getuid") and (
                os.fstat(f.fileno()).st_uid != os.getuid() or os.fstat(f.fileno()).st_mode & 0o077
            ):
                return None
            key = f.read(64)
        return key if len(key) >= 32 else None
    except FileNotFoundError:
        if not create or not _private_dir(directory, create=True):
            return None
    except OSError:
        return None
    import secrets

    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        return key
    except FileExistsError:
        return _mac_key()  # another process made it first
    except OSError:
        return None


def default_cache_dir() -> Path | None:
    if os.environ.get("ANTREA_DIAGNOSE_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "antrea-diagnose"


def key_dir() -> Path | None:
    if os.environ.get("ANTREA_DIAGNOSE_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "antrea-diagnose"
