"""Helpers shared by the tests (fixtures live in conftest.py files)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = ROOT / "sample_bundles"


def cache_file(directory: Path, kind: str) -> Path:
    """The one signed cache file of `kind` ("hs", "jinja", "messages", ...) in `directory`,
    whatever the cache format's version in its name."""
    [path] = directory.glob(f"{kind}[0-9]*-*.bin")
    return path


def categories(report: dict) -> list[str]:
    return [f["category"] for f in report["findings"]]


def all_findings(report: dict) -> list[dict]:
    """Root causes and the symptoms attached to them."""
    out = []
    for f in report["findings"]:
        out.append(f)
        out.extend(f["symptoms"])
    return out


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """A .tar.gz of regular files only, as antctl writes bundles."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def has_hyperscan() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


# Both scan engines, as a parametrize list: the stdlib one everywhere, Hyperscan where it installs.
ENGINES = ["stdlib", pytest.param("hyperscan", marks=pytest.mark.skipif(not has_hyperscan(), reason="no hyperscan"))]


def scan_hits(signatures: list, data: bytes, engine: str = "auto", kind: str = "agent-log") -> list:
    """Every hit of `data` (a log of `kind`) scanned for `signatures` ((key, Signature) pairs), decoded, in line order."""
    from diagnose.parse.klog import is_header_or_log_start
    from diagnose.scan.scanner import Scanner

    hits: list = []
    Scanner(signatures, engine=engine).scan(io.BytesIO(data), kind, hits.append, is_header_or_log_start)
    return hits
