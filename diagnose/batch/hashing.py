"""What "this bundle was already scanned" means: its content hash and the rule-pack version.

The content hash is the sha256 of a file's bytes, or of a directory's sorted file list with each
file's size and bytes, streamed (a bundle of several GB is never held in memory). Renaming or
moving a bundle keeps its hash; changing one byte changes it. The rule-pack version is a hash of
the loaded rule modules' source (and the tool version, whose parsers feed the rules), so editing
a rule or upgrading rescans everything.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from diagnose import __version__
from diagnose.batch import remote

_BLOCK = 1024 * 1024


def content_hash(location: str) -> tuple[str, int]:
    """(sha256 hex, bytes hashed) of the bundle at a local path or URL. Raises OSError or
    remote.RemoteError when it cannot be read."""
    if remote.is_url(location) and remote.local_path_of(location) is None:
        return _remote_hash(location)
    path = Path(remote.local_path_of(location) or location)
    st = path.stat()
    h = hashlib.sha256()
    if stat.S_ISDIR(st.st_mode):
        h.update(b"dir\0")
        size = _hash_dir(path, h)
    elif stat.S_ISREG(st.st_mode):
        h.update(b"file\0")
        size = _hash_stream(open(path, "rb"), h)
    else:
        raise OSError(f"{path} is not a regular file or a directory")
    return h.hexdigest(), size


def _hash_stream(f, h) -> int:
    size = 0
    with f:
        while block := f.read(_BLOCK):
            h.update(block)
            size += len(block)
    return size


def _hash_dir(root: Path, h) -> int:
    """A file or folder inside the bundle that cannot be read counts by its name and the reason:
    the scan reports it in a sentence and reads the rest, so it must not fail the bundle here."""
    size = 0
    for rel, kind, full in _walk(root):
        name = rel.encode("utf-8", "surrogateescape")
        try:
            if kind == "file":
                st = os.stat(full, follow_symlinks=False)
                h.update(b"F\0" + name + b"\0" + str(st.st_size).encode() + b"\0")
                size += _hash_stream(open(full, "rb"), h)
            elif kind == "link":
                h.update(b"L\0" + name + b"\0" + os.readlink(full).encode("utf-8", "surrogateescape") + b"\0")
            elif kind == "unlisted":
                raise OSError(full)
            else:  # FIFOs, sockets, devices: never opened (opening a FIFO blocks); their name counts
                h.update(b"O\0" + name + b"\0")
        except OSError as e:
            h.update(b"U\0" + name + b"\0" + str(e.errno).encode() + b"\0")
    return size


def _walk(root: Path):
    """(relative posix path, file|link|other|unlisted, full path) of everything under root,
    sorted so that the hash does not depend on the filesystem's listing order; links are not
    followed; a folder that cannot be listed is `unlisted`."""
    stack = [("", str(root))]
    while stack:
        rel_dir, full_dir = stack.pop()
        try:
            with os.scandir(full_dir) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            if not rel_dir:
                raise  # the bundle itself cannot be listed: nothing of it can be read
            yield rel_dir, "unlisted", full_dir
            continue
        subdirs = []
        for e in entries:
            rel = f"{rel_dir}{e.name}"
            if e.is_symlink():
                yield rel, "link", e.path
            elif e.is_dir(follow_symlinks=False):
                subdirs.append((rel + "/", e.path))
            elif e.is_file(follow_symlinks=False):
                yield rel, "file", e.path
            else:
                yield rel, "other", e.path
        stack.extend(reversed(subdirs))


def stat_key(location: str) -> str | None:
    """A cheap fingerprint of a local bundle's metadata (sizes, mtimes, inode): when it is
    unchanged the stored content hash is reused, so a nightly re-run reads only new bundles.
    None for URLs (always hashed)."""
    if remote.is_url(location) and remote.local_path_of(location) is None:
        return None
    path = Path(remote.local_path_of(location) or location)
    try:
        st = path.stat()
        if stat.S_ISREG(st.st_mode):
            return f"f:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"
        if not stat.S_ISDIR(st.st_mode):
            return None
        h = hashlib.sha256()
        for rel, _kind, full in _walk(path):
            s = os.stat(full, follow_symlinks=False)
            h.update(
                f"{rel}\0{s.st_size}:{s.st_mtime_ns}:{s.st_ctime_ns}:{s.st_ino}\n".encode("utf-8", "surrogateescape")
            )
        return "d:" + h.hexdigest()
    except OSError:
        return None


def _remote_hash(url: str) -> tuple[str, int]:
    fs, path = remote.filesystem(url)
    h = hashlib.sha256()
    if fs.isdir(path):
        h.update(b"dir\0")
        size = 0
        base = path.rstrip("/") + "/"
        for p in sorted(fs.find(path)):
            rel = p[len(base) :] if p.startswith(base) else p
            h.update(b"F\0" + rel.encode() + b"\0" + str(fs.size(p)).encode() + b"\0")
            size += _hash_stream(fs.open(p, "rb"), h)
        return h.hexdigest(), size
    h.update(b"file\0")
    size = _hash_stream(fs.open(path, "rb"), h)
    return h.hexdigest(), size


def rulepack_version(dirs: list[Path]) -> str:
    """sha256 (first 16 hex digits) of the tool version and every rule module's source, in the
    order `rulepack.load` loads them. Read from the files, not from loaded rules: the parent of
    a batch never imports the rules (its workers do, and check they have this version)."""
    from diagnose.errors import UsageError
    from diagnose.rules.rulepack import module_paths

    h = hashlib.sha256(f"antrea-diagnose {__version__}\n".encode())
    for path in module_paths(dirs):
        h.update(f"{path.name}\0".encode("utf-8", "surrogateescape"))
        try:
            h.update(path.read_bytes())
        except OSError as e:
            raise UsageError(f"Rule module {path} cannot be read: {e.strerror or e}.") from None
    return h.hexdigest()[:16]
