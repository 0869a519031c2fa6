"""The physical limit of a scan: inflate every byte of the bundle and look at none of it.

Streams each `agent_<node>.tar.gz` (and any other archive) through tarfile over isal's inflate,
inflating rotated `.gz` members too, and discards the bytes. No sniffing, no matching: what is
left when a scan costs nothing but decompression.
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

try:
    from isal.igzip import IGzipFile as GzipFile
except ImportError:  # pragma: no cover
    from gzip import GzipFile

CHUNK = 256 * 1024


def drain(stream) -> int:
    total = 0
    while block := stream.read(CHUNK):
        total += len(block)
    return total


def inflate(path: Path) -> int:
    if path.name.endswith((".tar.gz", ".tgz")):
        total = 0
        with open(path, "rb") as raw, GzipFile(fileobj=raw) as gz, tarfile.open(fileobj=gz, mode="r|") as tar:
            for member in tar:
                f = tar.extractfile(member)
                if f is None:
                    continue
                total += drain(GzipFile(fileobj=f)) if member.name.endswith(".gz") else drain(f)
        return total
    if path.suffix == ".gz":
        with open(path, "rb") as raw:
            return drain(GzipFile(fileobj=raw))
    with open(path, "rb") as f:
        return drain(f)


def main() -> None:
    root = Path(sys.argv[1])
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    print(sum(inflate(p) for p in files))


if __name__ == "__main__":
    main()
