"""Coverage-guided fuzzing of the archive reader (atheris, libFuzzer's engine for Python).

    pip install atheris
    python fuzz/fuzz_archive.py -runs=20000                    # a quick run (CI runs ~5 s)
    python fuzz/fuzz_archive.py -max_total_time=3600 corpus/   # a long run that keeps its corpus

Each input is read as a source would be (gzip, bzip2, xz, tar, zip, nested, or plain) by the
same `Walker` the CLI uses, with small limits so that one input takes milliseconds. The walker
must never raise: anything that escapes it is a crash libFuzzer reports, with the input saved
as crash-<sha1> for a regression test. Without a corpus directory the run starts from seeds
built here (one small file of each format).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["diagnose"]):
    from diagnose.bundle.archive import Walker
    from diagnose.bundle.limits import Limits

LIMITS = Limits(
    max_total_bytes=32 << 20,
    max_member_bytes=8 << 20,
    ratio_grace_bytes=1 << 20,
    max_members=2000,
    max_nested_zip_bytes=8 << 20,
    xz_memory_bytes=32 << 20,
    max_notes=100,
)
LOG = (
    b"Log file created at: 2024/06/28 18:57:17\nRunning on machine: node2\n"
    b"E0628 18:57:17.883444       1 main.go:53] Error running agent: error initializing agent: "
    b"Spec.PodCIDR is empty for Node node2\n"
)


def _seeds() -> dict[str, bytes]:
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as t:
        for name in ("logs/agent/antrea-agent.log", "../evil", "agentinfo"):
            info = tarfile.TarInfo(name)
            info.size = len(LOG)
            t.addfile(info, io.BytesIO(LOG))
        link = tarfile.TarInfo("link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        t.addfile(link)
    zf = io.BytesIO()
    with zipfile.ZipFile(zf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("agent_node2.tar.gz", gzip.compress(tar.getvalue()))
        z.writestr("clusterinfo", b"#nodes\nmetadata:\n  name: node2\n")
    extended = {}  # the header paths of tar_headers: pax records, GNU long names, a sparse map
    for fmt, name in ((tarfile.PAX_FORMAT, "pax"), (tarfile.GNU_FORMAT, "gnu")):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
            info = tarfile.TarInfo("logs/" + "long/" * 30 + "antrea-agent.log")
            info.size = len(LOG)
            if fmt == tarfile.PAX_FORMAT:
                info.pax_headers = {"comment": "x", "GNU.sparse.map": "10,5", "GNU.sparse.size": "15"}
            t.addfile(info, io.BytesIO(LOG))
        extended[name] = buf.getvalue()
    return {
        "log": LOG,
        "tar": tar.getvalue(),
        "tgz": gzip.compress(tar.getvalue()),
        "zip": zf.getvalue(),
        "bz2": bz2.compress(LOG),
        "xz": lzma.compress(LOG),
        "gz-gz": gzip.compress(gzip.compress(LOG)),
        **extended,
    }


def _drain(parts, display, stream, size) -> None:
    while stream.read(64 * 1024):
        pass


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris calls
    Walker(_drain, [], LIMITS).walk_stream(io.BytesIO(data), ("input.bin",), "input.bin", len(data), depth=0)


def main() -> None:
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):  # no corpus directory: start from the seeds
        seeds = Path(tempfile.mkdtemp(prefix="fuzz-archive-seeds-"))
        for name, blob in _seeds().items():
            (seeds / name).write_bytes(blob)
        args.append(str(seeds))
    atheris.Setup(args, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
