"""Turn the `batch` command's arguments into one `BundleRef` per bundle.

An argument is a bundle (an archive, an antctl output directory, an extracted agent bundle, a
folder of pasted files, a single file), a folder of bundles (each entry in it is one), a glob
(expanded here too, for shells that do not), a list file (`*.txt`, `*.list`, `*.lst` whose lines
are paths or URLs; blank lines and `#` comments are skipped; relative paths are relative to the
list file), or an fsspec URL. What cannot be used is a note for the user, never an exception:
one bad path must not stop a batch of hundreds.
"""

from __future__ import annotations

import glob
import os
import re
import stat
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path

from diagnose.batch import remote

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".gz", ".xz", ".bz2")
LIST_SUFFIXES = (".txt", ".list", ".lst")
_LIST_MAX_BYTES = 4 * 1024 * 1024
_GLOB_CHARS = re.compile(r"[*?\[]")
# Names that make a directory one bundle rather than a folder of bundles: the antctl layout
# (support-bundles_<ts>/, clusterinfo, agent_<node>.tar.gz) and an extracted agent/controller bundle.
_BUNDLE_MARKERS = frozenset(
    {
        "clusterinfo",
        "failed_nodes",
        "controller.tar.gz",
        "agentinfo",
        "controllerinfo",
        "logs",
        "ovsconfig",
        "ovsflows",
        "flows",
        "route",
        "link",
        "address",
    }
)
_AGENT_ARCHIVE = re.compile(r"^agent_.+\.(tar\.gz|tgz|tar|zip)$")


@dataclass(frozen=True)
class BundleRef:
    """One bundle a batch scans: a local path or a URL."""

    location: str  # absolute local path, or a URL

    @property
    def is_url(self) -> bool:
        return remote.is_url(self.location)

    @property
    def file_name(self) -> str:
        return self.location.rstrip("/").rsplit("/", 1)[-1] or "bundle"


@dataclass
class Discovery:
    """The bundles found in a batch's inputs, and notes on what was left out."""

    refs: list[BundleRef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one sentence each: what was not used and why
    _seen: set[str] = field(default_factory=set)

    def add(self, location: str, shown: str) -> None:
        if location in self._seen:
            self.notes.append(f"{shown} is listed more than once; it is scanned once.")
            return
        self._seen.add(location)
        self.refs.append(BundleRef(location))


def discover(arguments: list[str], exclude: Sequence[Path] = ()) -> Discovery:
    """Expand `arguments` in order; `exclude` are folders never taken as bundles (the output)."""
    found = Discovery()
    skip = {os.path.realpath(p) for p in exclude}
    for arg in arguments:
        _argument(arg, found, skip, base=None, from_list=False)
    return found


def _argument(arg: str, found: Discovery, skip: set[str], base: Path | None, from_list: bool) -> None:
    if remote.is_url(arg):
        local = remote.local_path_of(arg)
        if local is None:
            _url(arg, found)
            return
        arg = local
    path = Path(arg).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        st = path.stat()
    except FileNotFoundError:
        if _GLOB_CHARS.search(arg):
            matches = sorted(glob.glob(str(path)))
            if not matches:
                found.notes.append(f"{arg} matches no file.")
            for m in matches:
                _local(Path(m), found, skip, from_list)
            return
        found.notes.append(f"{arg} does not exist.")
        return
    except OSError as e:
        found.notes.append(f"{arg} cannot be read: {e.strerror or e}.")
        return
    if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
        found.notes.append(f"{arg} is not a file or a directory.")
        return
    _local(path, found, skip, from_list)


def _local(path: Path, found: Discovery, skip: set[str], from_list: bool) -> None:
    real = os.path.realpath(path)
    if real in skip:
        return
    if path.is_dir():
        if is_bundle_dir(path, skip):
            found.add(real, str(path))
            return
        entries = _entries(path, found)
        entries = [e for e in entries if os.path.realpath(e) not in skip]
        if not entries:
            found.notes.append(f"{path} holds no bundle.")
        for entry in entries:
            found.add(os.path.realpath(entry), str(entry))
        return
    if not from_list and _is_list_file(path):
        _list_file(path, found, skip)
        return
    found.add(real, str(path))


def _entries(folder: Path, found: Discovery) -> list[Path]:
    try:
        names = sorted(os.listdir(folder))
    except OSError as e:
        found.notes.append(f"{folder} cannot be listed: {e.strerror or e}.")
        return []
    out = []
    for name in names:
        if name.startswith("."):
            continue
        p = folder / name
        try:
            mode = p.stat().st_mode
        except OSError:
            found.notes.append(f"{p} cannot be read.")
            continue
        if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
            out.append(p)
        else:
            found.notes.append(f"{p} is not a file or a directory.")
    return out


def is_bundle_dir(path: Path, skip: Set[str] = frozenset()) -> bool:
    """One bundle (antctl output, an extracted Node bundle, or only loose files), not a folder
    of bundles. A folder holding only archives and sub-folders is a folder of bundles. Entries in
    `skip` (the output folder) do not count."""
    if path.name.startswith("support-bundles_"):
        return True
    try:
        entries = [e for e in os.scandir(path) if not e.name.startswith(".") and os.path.realpath(e.path) not in skip]
    except OSError:
        return True  # the worker reports why it cannot be read
    names = {e.name for e in entries}
    if names & _BUNDLE_MARKERS or any(_AGENT_ARCHIVE.match(n) for n in names):
        return True
    if not entries:
        return True
    loose = [e for e in entries if e.is_file() and not e.name.lower().endswith(ARCHIVE_SUFFIXES)]
    containers = [e for e in entries if e.is_dir() or e.name.lower().endswith(ARCHIVE_SUFFIXES)]
    return bool(loose) and not containers


def _is_list_file(path: Path) -> bool:
    """A `*.txt`/`*.list`/`*.lst` file whose every line is a path, a URL or a comment (a pasted
    log or command output, also often `*.txt`, has lines with spaces that are no paths)."""
    if not path.name.lower().endswith(LIST_SUFFIXES):
        return False
    try:
        if path.stat().st_size > _LIST_MAX_BYTES:
            return False
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    return bool(lines) and all(_looks_like_path(ln, path.parent) for ln in lines)


def _looks_like_path(line: str, base: Path) -> bool:
    if remote.is_url(line):
        return True
    if not any(c.isspace() for c in line) and ("/" in line or "\\" in line or line.lower().endswith(ARCHIVE_SUFFIXES)):
        return True
    p = Path(line).expanduser()
    try:
        return (p if p.is_absolute() else base / p).exists()
    except OSError:
        return False


def _list_file(path: Path, found: Discovery, skip: set[str]) -> None:
    text = path.read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        before = len(found.notes)
        _argument(line, found, skip, base=path.parent, from_list=True)
        found.notes[before:] = [f"{path}:{number}: {n}" for n in found.notes[before:]]


def _url(url: str, found: Discovery) -> None:
    try:
        fs, path = remote.filesystem(url)
        if _GLOB_CHARS.search(path):
            matches = sorted(fs.glob(path))
            if not matches:
                found.notes.append(f"{url} matches nothing.")
            for m in matches:
                found.add(remote.unstrip(fs, m), url)
        elif fs.isdir(path):
            children = sorted(
                p for p in fs.ls(path, detail=False) if not p.rstrip("/").rsplit("/", 1)[-1].startswith(".")
            )
            if not children:
                found.notes.append(f"{url} holds no bundle.")
            for child in children:
                found.add(remote.unstrip(fs, child), url)
        elif fs.isfile(path):
            found.add(url, url)
        else:
            found.notes.append(f"{url} does not exist.")
    except remote.RemoteError as e:
        found.notes.append(str(e))
    except Exception as e:  # credentials, network: one sentence, the batch goes on
        found.notes.append(f"{url} cannot be listed: {type(e).__name__}: {e}")
