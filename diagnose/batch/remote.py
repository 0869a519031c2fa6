"""Bundles behind fsspec URLs (`s3://bucket/tickets/`, `gs://...`, `memory://` in tests).

The engine reads local paths only, so a remote bundle is copied to a local staging folder,
scanned there and deleted. fsspec is optional: it comes with Dask (`batch-dask` extra), and each
protocol needs its backend (`s3fs`, `gcsfs`, ...); a missing one is reported in one sentence.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*(::[A-Za-z][A-Za-z0-9+.-]*)*://")


class RemoteError(Exception):
    """A URL that cannot be listed or read; the message is one sentence for the user."""


def is_url(text: str) -> bool:
    return bool(_SCHEME.match(text))


def local_path_of(url: str) -> str | None:
    """`file:///x/y` is a local path: read it in place instead of copying it."""
    if url.startswith("file://"):
        return url[len("file://") :] or "/"
    return None


def filesystem(url: str) -> tuple[Any, str]:
    """(fsspec filesystem, path within it) for `url`."""
    try:
        import fsspec
    except ImportError:
        raise RemoteError(
            f"{url} is a URL: reading URLs needs fsspec (pip install 'antrea-diagnose[batch-dask]')."
        ) from None
    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as e:  # fsspec knows the protocol but its backend package is missing
        raise RemoteError(f"{url} needs an fsspec backend that is not installed: {e}") from None
    except (ValueError, OSError) as e:
        raise RemoteError(f"{url} cannot be opened: {e}") from None


def unstrip(fs: Any, path: str) -> str:
    """The URL of a path that `fs` returned (listings drop the protocol)."""
    return fs.unstrip_protocol(path)


def stage(url: str, staging_dir: str | None) -> tuple[Path, Path]:
    """Copy the bundle at `url` (a file or a folder) under a fresh folder of `staging_dir` (the
    system temp dir when None); returns (local path to scan, folder to delete afterwards)."""
    fs, path = filesystem(url)
    if staging_dir:
        Path(staging_dir).mkdir(parents=True, exist_ok=True)
    holder = Path(tempfile.mkdtemp(prefix="bundle-", dir=staging_dir))
    try:
        name = Path(path.rstrip("/")).name or "bundle"
        target = holder / name
        if fs.isdir(path):
            fs.get(path.rstrip("/") + "/", str(target), recursive=True)
        else:
            fs.get(path, str(target))
        if not target.exists():
            raise RemoteError(f"{url} could not be copied for scanning.")
        return target, holder
    except RemoteError:
        shutil.rmtree(holder, ignore_errors=True)
        raise
    except Exception as e:  # network, credentials, permissions: one sentence, the batch goes on
        shutil.rmtree(holder, ignore_errors=True)
        raise RemoteError(f"{url} could not be copied for scanning: {type(e).__name__}: {e}") from None
