"""Hostile inputs, generated on the fly in a temporary directory (nothing big is committed).

Bombs are written streaming: a gzip file may be a concatenation of gzip members, so one member
that inflates to 1 MiB of zeros (about 1 KiB) repeated N times inflates to N MiB; deflate data
cut with Z_FULL_FLUSH repeats the same way inside one zip member. `CASES` lists one input per
class of hostility; each builds itself in a given directory and returns the path to scan.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "rules" / "fixtures"
# A klog file that on its own yields an apiserver-unreachable finding: "the rest was analyzed".
GOOD_LOG = (FIXTURES / "apiserver_unreachable" / "fires-informers-never-recover" / "antrea-agent.log").read_bytes()
GOOD_CATEGORY = "apiserver-unreachable"
MiB = 1024 * 1024

_ZERO_MIB_GZ = gzip.compress(bytes(MiB), compresslevel=9, mtime=0)


def _deflate_zero_block() -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(bytes(MiB)) + c.flush(zlib.Z_FULL_FLUSH)


_ZERO_MIB_DEFLATE = _deflate_zero_block()  # after a full flush the next MiB compresses identically


def gzip_zeros(path: Path, mib: int, prefix: bytes = b"", suffix: bytes = b"") -> Path:
    """A valid gzip file inflating to prefix + mib MiB of zeros + suffix."""
    with open(path, "wb") as f:
        if prefix:
            f.write(gzip.compress(prefix, mtime=0))
        for _ in range(mib):
            f.write(_ZERO_MIB_GZ)
        if suffix:
            f.write(gzip.compress(suffix, mtime=0))
    return path


def tar_member(
    name: str, data: bytes = b"", *, size: int | None = None, type_: bytes = tarfile.REGTYPE, linkname: str = ""
) -> bytes:
    """One tar header (+ data and padding when data is given)."""
    info = tarfile.TarInfo(name)
    info.size = len(data) if size is None else size
    info.type = type_
    info.linkname = linkname
    info.mtime = 0
    block = info.tobuf(format=tarfile.GNU_FORMAT)
    if data:
        block += data + bytes(-len(data) % 512)
    return block


def tar_bytes(files: dict[str, bytes]) -> bytes:
    return b"".join(tar_member(n, d) for n, d in files.items()) + bytes(1024)


def tar_gz(path: Path, files: dict[str, bytes]) -> Path:
    path.write_bytes(gzip.compress(tar_bytes(files), mtime=0))
    return path


def tar_gz_with_zero_member(
    path: Path, name: str, mib: int, before: dict[str, bytes] | None = None, after: dict[str, bytes] | None = None
) -> Path:
    """A .tar.gz whose member `name` is mib MiB of zeros, with ordinary members around it."""
    head = b"".join(tar_member(n, d) for n, d in (before or {}).items()) + tar_member(name, size=mib * MiB)
    tail = b"".join(tar_member(n, d) for n, d in (after or {}).items()) + bytes(1024)
    return gzip_zeros(path, mib, prefix=head, suffix=tail)


def zip_bytes(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def zip_zero_bomb(
    path: Path, mib: int, name: str = "bomb.log", others: dict[str, bytes] | None = None, declared: int | None = None
) -> Path:
    """A zip whose member inflates to mib MiB of zeros; `declared` overrides the size its headers
    claim (a lying header). Other members follow it."""
    data = _ZERO_MIB_DEFLATE * mib + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    size = mib * MiB if declared is None else declared
    crc = 0
    block = bytes(MiB)
    for _ in range(mib if mib <= 64 else 0):  # a bigger bomb is refused before its checksum matters
        crc = zlib.crc32(block, crc)
    out = io.BytesIO()
    central = []

    def add(nm: str, payload: bytes, usize: int, ucrc: int) -> None:
        offset = out.tell()
        raw = nm.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, ucrc, len(payload), usize, len(raw), 0))
        out.write(raw + payload)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                ucrc,
                len(payload),
                usize,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw
        )

    add(name, data, size, crc)
    for nm, payload in (others or {}).items():
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        add(nm, c.compress(payload) + c.flush(), len(payload), zlib.crc32(payload))
    cd_start = out.tell()
    for entry in central:
        out.write(entry)
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - cd_start, cd_start, 0)
    )
    path.write_bytes(out.getvalue())
    return path


def nested_gzip(path: Path, depth: int, payload: bytes) -> Path:
    data = payload
    for _ in range(depth):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def nested_zip(path: Path, depth: int, payload: bytes) -> Path:
    data = zip_bytes({"antrea-agent.log": payload})
    for i in range(depth - 1):
        data = zip_bytes({f"level{i}.zip": data})
    path.write_bytes(data)
    return path


def many_members_tar_gz(path: Path, count: int) -> Path:
    with gzip.open(path, "wb", compresslevel=1) as f:
        for i in range(count):
            f.write(tar_member(f"m/{i}.txt", b"x\n"))
        f.write(bytes(1024))
    return path


def bz2_zeros(path: Path, mib: int, prefix: bytes = b"") -> Path:
    """Concatenated bzip2 streams: prefix, then mib MiB of zeros."""
    return write(path, (bz2.compress(prefix) if prefix else b"") + bz2.compress(bytes(MiB)) * mib)


def xz_claiming_dictionary(path: Path, data: bytes, props: int = 36) -> Path:
    """An xz file whose block header claims an LZMA2 dictionary of (2 | props & 1) << (props // 2
    + 11) bytes (36: 1 GiB), which its decoder must reserve. Encoding with such a dictionary
    takes gigabytes, so a small one is patched: the header is re-checksummed to stay valid."""
    blob = bytearray(lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, preset=0))
    start = 12  # after the stream header
    size = (blob[start] + 1) * 4
    header = blob[start : start + size - 4]
    at = header.find(b"\x21\x01")  # filter id LZMA2, one byte of properties
    header[at + 2] = props
    blob[start : start + size] = header + struct.pack("<I", zlib.crc32(header))
    return write(path, bytes(blob))


def pax_header_bomb(path: Path, mib: int) -> Path:
    """A .tar.gz starting with a pax extended header of mib MiB (tarfile reads those whole)."""
    header = tar_member("././@PaxHeader", size=mib * MiB, type_=tarfile.XHDTYPE)
    return gzip_zeros(path, mib, prefix=header, suffix=bytes(1024))


def pax_digits(path: Path, size: int = MiB - 512) -> Path:
    """A .tar.gz (about 2 KB) whose pax header is `size` bytes of digits: the hdrcharset search
    of CPython < 3.11.10 / 3.12.6 is quadratic in them (CVE-2024-6232), about 40 minutes for
    1 MiB, which the old 1 MiB header cap let through."""
    header = tar_member("././@PaxHeader", size=size, type_=tarfile.XHDTYPE)
    body = b"1" * size + bytes(-size % 512)
    return write(path, gzip.compress(header + body + tar_bytes({"antrea-agent.log": GOOD_LOG}), mtime=0))


def long_link_chain(path: Path, count: int, files: dict[str, bytes]) -> Path:
    """A .tar.gz holding `files`, then `count` chained GNU LongLink headers before one member:
    tarfile follows the chain by recursion (RecursionError beyond ~1000)."""
    chain = b"".join(tar_member("././@LongLink", b"target\x00", type_=tarfile.GNUTYPE_LONGLINK) for _ in range(count))
    blob = b"".join(tar_member(n, d) for n, d in files.items()) + chain + tar_member("last.log", b"x\n")
    return write(path, gzip.compress(blob + bytes(1024), mtime=0))


GiB = 1024 * MiB


def sparse_tar_gz(path: Path, members: int, hole: int = 400 * GiB, after: dict[str, bytes] | None = None) -> Path:
    """A .tar.gz of `members` GNU sparse members (pax format 0.1) that store one byte after a hole
    of `hole` bytes: about 1 KB each, which tarfile expands to `hole` bytes of zeros."""
    blob = b""
    for i in range(members):
        info = tarfile.TarInfo(f"GNUSparseFile.0/antrea-agent.sparse{i}.log")
        info.size = 1
        info.mtime = 0
        info.pax_headers = {
            "GNU.sparse.map": f"{hole},1",
            "GNU.sparse.size": str(hole + 1),
            "GNU.sparse.name": f"antrea-agent.sparse{i}.log",
        }
        blob += info.tobuf(format=tarfile.PAX_FORMAT) + b"x" + bytes(511)
    blob += b"".join(tar_member(n, d) for n, d in (after or {}).items())
    return write(path, gzip.compress(blob + bytes(1024), mtime=0))


def _local_header(name: bytes, packed: int, size: int) -> bytes:
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, packed, size, len(name), 0) + name


def overlapping_zip(path: Path, entries: int, mib: int = 16) -> Path:
    """A zip of `entries` members whose data all ends in one deflate stream of `mib` MiB of zeros
    (Fifield's "better zip bomb"): member i's data quotes the local headers of the members after
    it in stored deflate blocks, then the shared stream. 16 MiB is exactly the ratio grace, so
    no member is over the per-member ratio; ~250 KB for 2,000 entries inflate to 32 GiB. The
    checksums are left zero: zipfile checks them only after inflating everything."""
    kernel = _ZERO_MIB_DEFLATE * mib + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    names = [f"logs/agent/part-{i:05d}.log".encode() for i in range(entries)]
    headers: list[bytes] = [b""] * entries
    packed = [0] * entries
    quoted = b""  # the stored blocks quoting the headers after member i
    for i in range(entries - 1, -1, -1):
        packed[i] = len(quoted) + len(kernel)
        size = sum(len(h) for h in headers[i + 1 :]) + mib * MiB
        headers[i] = _local_header(names[i], packed[i], size)
        quoted = struct.pack("<BHH", 0, len(headers[i]), 0xFFFF ^ len(headers[i])) + headers[i] + quoted
    out = io.BytesIO()
    offsets = []
    for i, h in enumerate(headers):
        offsets.append(out.tell())
        out.write(h)
        if i + 1 < entries:  # the stored-block header that makes the next local header part of this data
            out.write(struct.pack("<BHH", 0, len(headers[i + 1]), 0xFFFF ^ len(headers[i + 1])))
    out.write(kernel)
    cd_start = out.tell()
    for i, h in enumerate(headers):
        size = struct.unpack_from("<I", h, 22)[0]
        out.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                0,
                packed[i],
                size,
                len(names[i]),
                0,
                0,
                0,
                0,
                0,
                offsets[i],
            )
            + names[i]
        )
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, out.tell() - cd_start, cd_start, 0))
    return write(path, out.getvalue())


def duplicate_member_tar_gz(path: Path, first: bytes, last: bytes, name: str = "logs/agent/antrea-agent.log") -> Path:
    """A .tar.gz holding `name` twice: `tar x` leaves the last copy."""
    return write(path, gzip.compress(tar_member(name, first) + tar_bytes({name: last}), mtime=0))


def many_nodes_clusterinfo(path: Path, nodes: int, shared_cidr: str | None = None) -> Path:
    """A clusterinfo `#nodes` section of `nodes` Nodes: each with its own /24 PodCIDR and an
    InternalIP outside all of them, or all with `shared_cidr` (a conflict between every pair)."""
    docs = []
    for i in range(nodes):
        cidr = shared_cidr or f"10.{i // 256 % 256}.{i % 256}.0/24"
        docs.append(
            f"metadata: {{name: node-{i:05d}}}\nspec: {{podCIDRs: [{cidr}]}}\n"
            f"status: {{addresses: [{{type: InternalIP, address: 172.{16 + i // 65536}.{i // 256 % 256}."
            f"{i % 256}}}]}}\n"
        )
    return write(path, ("#nodes\n" + "---\n".join(docs)).encode())


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def payloads(base: str) -> list[str]:
    """Markup that would run script, fetch from `base` or break out of the report's structure."""
    return [
        f"<script>fetch('{base}/script');document.body.dataset.pwned='script'</script>",
        f"<img src={base}/img onerror=\"fetch('{base}/onerror');document.body.dataset.pwned='img'\">",
        f"<a href=\"javascript:fetch('{base}/js')\">click me</a>",
        f'<iframe src="{base}/iframe"></iframe><object data="{base}/object"></object>',
        f"<link rel=stylesheet href={base}/css><style>@import url({base}/import);</style>",
        f'<meta http-equiv="refresh" content="0;url={base}/refresh">',
        f"</code></pre></details><svg onload=\"fetch('{base}/svg')\"><body onload=\"fetch('{base}/body')\">",
        '"><img src=x onerror="document.body.dataset.pwned=\'attr\'">',
        f"``` ```` @everyone #123 [link]({base}/md-link) ![image]({base}/md-image.png) <{base}/autolink>",
    ]


HOSTILE_HOST = "worker-7<svg/onload=document.body.dataset.pwned='host'>"


def hostile_bundle(d: Path, base: str) -> Path:
    """An agent bundle whose matching log lines and file names carry the payloads, and a loose
    log whose klog header names a hostile host (which becomes a Node name in the report)."""
    evil = " ".join(payloads(base))
    lines = [f"{ln} {evil}" if ln.startswith("E0120") else ln for ln in GOOD_LOG.decode().splitlines()]
    log = ("\n".join(lines) + "\n").encode()
    b = d / "bundle"
    b.mkdir()
    tar_gz(
        b / "agent_worker-7.tar.gz",
        {
            "logs/agent/antrea-agent.log": log,
            "<img src=x onerror=document.body.dataset.pwned='name'>.txt": b"\x00\x01binary",
            "../<script>document.body.dataset.pwned='path'</script>.log": b"x",
        },
    )
    (b / "antrea-agent.log").write_bytes(
        log.replace(b"Running on machine: worker-7", f"Running on machine: {HOSTILE_HOST}".encode())
    )
    return b


@dataclass
class Case:
    """One hostile input and what `antrea-diagnose scan -f json` must say about it."""

    name: str
    build: object  # Callable[[Path], Path]: builds the input in a directory, returns the source
    exit: int  # 0: scanned (the good log beside it was diagnosed), 3: nothing readable
    message: str  # a fragment of the one-sentence note (exit 0) or of the error (exit 3)
    limits: tuple[str, ...] = field(default_factory=tuple)  # --limit NAME=VALUE, to scale a bomb down


KLOG_LINE = b'I0120 10:00:00.000000       1 agent.go:107] "Starting Antrea agent" version="v2.2.0"\n'


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def bundle(d: Path, make=None) -> Path:
    """A directory holding the good log, plus whatever `make(dir)` adds."""
    b = d / "bundle"
    b.mkdir()
    write(b / "antrea-agent.worker-7.log", GOOD_LOG)
    if make is not None:
        make(b)
    return b


def truncated_zip(d: Path) -> Path:
    blob = zip_bytes({"antrea-agent.log": GOOD_LOG, "notes.txt": os.urandom(5000)})
    return write(d / "truncated.zip", blob[: len(blob) - 200])  # directory and part of the last member gone


def corrupt_tar(d: Path) -> Path:
    blob = bytearray(tar_bytes({"antrea-agent.log": GOOD_LOG, "second.log": b"x" * 600}))
    second = 512 + len(GOOD_LOG) + (-len(GOOD_LOG) % 512)
    blob[second : second + 100] = b"\xff" * 100  # the second header's name and checksum are garbage
    return write(d / "corrupt.tar", bytes(blob))


def truncated_gz_log(d: Path) -> Path:
    """A gzipped log cut in the middle: the good log is in its first part."""
    filler = b"".join(
        b"I0120 11:%02d:%02d.000000       1 x.go:1] filler %d\n" % (i // 60 % 60, i % 60, i) for i in range(3000)
    )
    blob = gzip.compress(GOOD_LOG + filler, mtime=0)
    return write(d / "antrea-agent.log.gz", blob[: len(blob) // 2])


def symlink_out(d: Path) -> Path:
    """The only firing log is outside the bundle, reachable through a link inside it."""
    write(d / "outside.log", GOOD_LOG)
    b = d / "bundle"
    b.mkdir()
    write(b / "README.txt", b"see the log\n")
    (b / "antrea-agent.log").symlink_to(d / "outside.log")
    return b


def traversal_tar(d: Path) -> Path:
    evil = {
        "../../evil.log": GOOD_LOG,
        "/tmp/abs.log": GOOD_LOG,
        "C:\\evil.log": GOOD_LOG,
        "..\\..\\evil2.log": GOOD_LOG,
    }
    return tar_gz(d / "evil.tar.gz", {**evil, "ok/README.txt": b"hello\n"})


def links_tar(d: Path) -> Path:
    members = (
        tar_member("passwd", type_=tarfile.SYMTYPE, linkname="/etc/passwd")
        + tar_member("shadow", type_=tarfile.LNKTYPE, linkname="/etc/shadow")
        + tar_member("null", type_=tarfile.CHRTYPE)
        + tar_bytes({"antrea-agent.log": GOOD_LOG})
    )
    return write(d / "links.tar.gz", gzip.compress(members, mtime=0))


def klog_then_zeros_gz(b: Path, mib: int) -> Path:
    """A gzipped log: one klog line, then mib MiB of zeros (the scanner reads it all)."""
    return gzip_zeros(b / "antrea-agent.big.log.gz", mib, prefix=KLOG_LINE)


def mangled_text(d: Path) -> Path:
    """CRLF line ends, NUL bytes and invalid UTF-8 in the good log."""
    return write(d / "antrea-agent.log", GOOD_LOG.replace(b"\n", b"\r\n").replace(b"Starting", b"Start\x00\xff\xfeing"))


CASES = [
    Case(
        "gzip-bomb",
        lambda d: bundle(d, lambda b: klog_then_zeros_gz(b, 64)),
        0,
        "like a decompression bomb",
        ("ratio_grace_bytes=4MiB", "max_ratio=100"),
    ),
    Case(
        "gzip-bomb-default-limits",
        lambda d: bundle(d, lambda b: klog_then_zeros_gz(b, 2048)),
        0,
        "like a decompression bomb",
    ),
    Case(
        "zip-bomb-default-limits",
        lambda d: zip_zero_bomb(d / "bomb.zip", 3000, others={"antrea-agent.log": GOOD_LOG}),
        0,
        "like a decompression bomb",
    ),
    Case(
        "tar-member-over-member-limit",
        lambda d: tar_gz_with_zero_member(
            d / "agent_worker-7.tar.gz", "logs/agent/zeros.log", 24, before={"logs/agent/antrea-agent.log": GOOD_LOG}
        ),
        0,
        "only its start was read",
        ("max_member_bytes=8MiB", "max_ratio=100000", "max_source_ratio=100000"),
    ),
    Case(
        "total-bytes",
        lambda d: tar_gz_with_zero_member(
            d / "agent_worker-7.tar.gz", "logs/agent/zeros.log", 40, before={"logs/agent/antrea-agent.log": GOOD_LOG}
        ),
        0,
        "max_total_bytes",
        ("max_total_bytes=16MiB", "max_ratio=100000", "max_source_ratio=100000"),
    ),
    Case(
        "zip-bomb",
        lambda d: zip_zero_bomb(d / "bomb.zip", 64, others={"antrea-agent.log": GOOD_LOG}),
        0,
        "like a decompression bomb",
        ("ratio_grace_bytes=1MiB",),
    ),
    Case(
        "member-count",
        lambda d: bundle(d, lambda b: many_members_tar_gz(b / "many.tar.gz", 3000)),
        0,
        "max_members",
        ("max_members=500",),
    ),
    Case("nesting-gzip", lambda d: bundle(d, lambda b: nested_gzip(b / "deep.gz", 30, GOOD_LOG)), 0, "max_nesting"),
    Case(
        "nesting-zip",
        lambda d: bundle(d, lambda b: nested_zip(b / "deep.zip", 15, GOOD_LOG)),
        0,
        "max_nesting",
        ("max_nesting=5",),
    ),
    Case(
        "bz2-bomb",
        lambda d: bundle(d, lambda b: bz2_zeros(b / "antrea-agent.big.log.bz2", 40, KLOG_LINE)),
        0,
        "like a decompression bomb",
        ("ratio_grace_bytes=2MiB",),
    ),
    Case(
        "xz-memory",
        lambda d: bundle(d, lambda b: xz_claiming_dictionary(b / "antrea-agent.log.xz", GOOD_LOG)),
        0,
        "xz_memory_bytes",
    ),
    Case(
        "pax-header-bomb",
        lambda d: bundle(d, lambda b: pax_header_bomb(b / "pax.tar.gz", 8)),
        0,
        "extended header",
        ("max_ratio=100000", "max_source_ratio=100000"),
    ),
    Case(
        "pax-header-of-digits",
        lambda d: bundle(d, lambda b: pax_digits(b / "pax.tar.gz")),
        0,
        "extended header of 1,048,064 bytes",
    ),
    Case(
        "long-link-chain",
        lambda d: long_link_chain(d / "agent_worker-7.tar.gz", 3000, {"logs/agent/antrea-agent.log": GOOD_LOG}),
        0,
        "extended headers in a row",
    ),
    Case(
        "sparse-holes",
        lambda d: bundle(d, lambda b: sparse_tar_gz(b / "sparse.tar.gz", 16)),
        0,
        "like a decompression bomb",
    ),
    Case(
        "zip-overlapping-entries",
        lambda d: bundle(d, lambda b: overlapping_zip(b / "overlap.zip", 2000)),
        0,
        "overlaps another member's",
    ),
    Case(
        "duplicate-member-names",
        lambda d: duplicate_member_tar_gz(d / "agent_worker-7.tar.gz", KLOG_LINE, GOOD_LOG),
        0,
        "appears more than once in the archive",
    ),
    Case(
        "podcidr-20000-nodes", lambda d: bundle(d, lambda b: many_nodes_clusterinfo(b / "clusterinfo", 20_000)), 0, ""
    ),
    Case(
        "podcidr-2000-nodes-one-cidr",
        lambda d: bundle(d, lambda b: many_nodes_clusterinfo(b / "clusterinfo", 2000, shared_cidr="10.244.0.0/24")),
        0,
        "",
    ),
    Case("path-traversal", traversal_tar, 3, "unsafe path"),
    Case("symlink-outside", symlink_out, 3, "outside the bundle"),
    Case("tar-links-and-devices", links_tar, 0, "not followed"),
    Case("fifo", lambda d: bundle(d, lambda b: fifo(b / "pipe.log")), 0, "is a FIFO"),
    Case("truncated-gzip", truncated_gz_log, 0, "ends early"),
    Case("corrupt-tar", corrupt_tar, 0, "corrupt member header after 1 member"),
    Case("corrupt-zip", truncated_zip, 0, "truncated"),
    Case(
        "wrong-extension",
        lambda d: write(d / "bundle.tar.gz", b"<!DOCTYPE html><html><body>404 Not Found"),
        3,
        "is named like gzip data but is text starting with '<!DOCTYPE html>",
    ),
    Case("empty-file", lambda d: write(d / "antrea-agent.log", b""), 3, "is empty"),
    Case("empty-dir", lambda d: (d / "empty").mkdir() or d / "empty", 3, "is empty"),
    Case("binary-garbage", lambda d: write(d / "x.log", os.urandom(200_000)), 3, "is binary data"),
    Case("nul-crlf-invalid-utf8", mangled_text, 0, ""),
]
