"""Files under the output folder: per-bundle reports and the atomic write they all use.

`bundles/<name>/report.json` for every scanned bundle, `report.html` / `report.md` when asked
(`--reports html,md`). Each file is written next to its target and renamed over it, so a batch
stopped half-way never leaves half a report; a bundle that now fails loses its old reports
(they would describe content that is no longer there).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

BUNDLES_DIR = "bundles"
REPORT_FILES = {"json": "report.json", "html": "report.html", "md": "report.md"}


def write_atomically(path: Path, data: str | bytes, private: bool = False) -> None:
    """Write `path` through a temporary file renamed over it. The file gets the permissions any
    new file gets (0666 less the umask), like the folders around it, unless `private` (0600)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        if not private and hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_umask_lock = threading.Lock()


def _umask() -> int:
    with _umask_lock:  # reading the umask means setting it: not while another thread creates files
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def bundle_dir(out: Path, name: str) -> Path:
    return out / BUNDLES_DIR / name


def write_reports(out: Path, name: str, result: dict[str, Any]) -> list[str]:
    """Write the reports of one result; returns the report file names now present."""
    folder = bundle_dir(out, name)
    if result.get("report") is None:
        if folder.is_dir():
            shutil.rmtree(folder)
        return []
    folder.mkdir(parents=True, exist_ok=True)
    texts = {"json": result["report"], **(result.get("renders") or {})}
    written = []
    for fmt, file_name in REPORT_FILES.items():
        target = folder / file_name
        if fmt in texts:
            write_atomically(target, texts[fmt])
            written.append(file_name)
        else:
            target.unlink(missing_ok=True)  # from an earlier run with other --reports: now stale
    return written
