"""Work bounded by what the reader produces, not by what an archive claims: tar headers read in
linear time and within caps (pax of digits, chains of GNU long links), sparse members and zip
members metered, overlapping zip entries refused, a ratio for the whole source, a library
failure contained to its archive, and duplicate member names resolved as `tar x` resolves them.
Each test checks what a user sees: the note, and that the rest of the source was diagnosed."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

import pytest
from hostile_corpus import (
    GOOD_CATEGORY,
    GOOD_LOG,
    KLOG_LINE,
    MiB,
    duplicate_member_tar_gz,
    gzip_zeros,
    long_link_chain,
    overlapping_zip,
    pax_digits,
    sparse_tar_gz,
    tar_bytes,
    tar_gz,
    tar_member,
    write,
    zip_bytes,
)
from report_fields import categories, notes, paths

from diagnose.bundle.archive import tar_headers

HEALTHY_LOG = (
    b"Log file created at: 2025/01/20 10:00:00\nRunning on machine: worker-7\n"
    b'I0120 10:00:00.100000       1 agent.go:107] "Starting Antrea agent" version="v2.2.0"\n'
)
UNEXPLAINED = b"E0120 10:00:05.000000       1 foo.go:12] something nobody knows about happened 3 times\n"


def bundle_with_good_log(tmp_path):
    b = tmp_path / "bundle"
    b.mkdir()
    write(b / "antrea-agent.log", GOOD_LOG)  # sorts before what the tests add: read first
    return b


# -- tar headers ------------------------------------------------------------------------------------


def test_a_pax_header_of_digits_is_refused_above_the_small_cap(scan, tmp_path):
    # 1 MiB of digits (2 KB gzipped) kept CPython < 3.11.10 busy for ~40 minutes under the old 1 MiB cap.
    b = bundle_with_good_log(tmp_path)
    pax_digits(b / "pax.tar.gz")
    report = scan(b)
    assert GOOD_CATEGORY in categories(report)
    assert notes(report) == [
        "pax.tar.gz has an extended header of 1,048,064 bytes (real ones have a few hundred); "
        "reading it stopped after 0 member(s)"
    ]


def test_a_pax_header_of_digits_under_the_cap_is_a_corrupt_header_at_once(scan, tmp_path):
    size = tar_headers.MAX_EXTENDED_HEADER - 512
    with pytest.raises(tarfile.InvalidHeaderError):
        tar_headers.pax_records(b"7" * size)
    b = bundle_with_good_log(tmp_path)
    pax_digits(b / "pax.tar.gz", size=size)
    report = scan(b)
    assert GOOD_CATEGORY in categories(report)
    assert notes(report) == [
        "pax.tar.gz is truncated or corrupt from the start (invalid pax record length); what came before was used"
    ]


def pax_record(keyword: bytes, value: bytes) -> bytes:
    body = b" " + keyword + b"=" + value + b"\n"
    length = len(body) + 1
    length += len(str(length + len(str(length)))) - 1
    return str(length).encode() + body


def test_real_extended_headers_are_read(scan, tmp_path):
    """Long names and links (pax and GNU), non-ASCII names, a binary-charset name, attributes and a
    global header: the bounded reader reads them as tarfile does."""
    long_dir = "logs/" + "d" * 150 + "/agent"
    buf = io.BytesIO()
    with tarfile.open(
        fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"comment": "made by a test"}
    ) as tf:
        for name, extra in (
            (f"{long_dir}/antrea-agent.log", {"SCHILY.xattr.user.note": "x" * 300}),
            ("logs/ünïcode-agent.log", {}),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.pax_headers = len(GOOD_LOG), extra
            tf.addfile(info, io.BytesIO(GOOD_LOG))
        link = tarfile.TarInfo("logs/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/" + "l" * 200
        tf.addfile(link)
    records = pax_record(b"hdrcharset", b"BINARY") + pax_record(b"path", b"logs/b\xe9-agent.log")
    header = tarfile.TarInfo("././@PaxHeader")
    header.size, header.type = len(records), tarfile.XHDTYPE
    member = tarfile.TarInfo("short-name")
    member.size = len(HEALTHY_LOG)
    binary = (
        header.tobuf(tarfile.USTAR_FORMAT)
        + records
        + bytes(-len(records) % 512)
        + member.tobuf(tarfile.USTAR_FORMAT)
        + HEALTHY_LOG
        + bytes(-len(HEALTHY_LOG) % 512)
    )
    write(
        tmp_path / "pax.tar",
        buf.getvalue().rstrip(b"\0") + bytes(-len(buf.getvalue().rstrip(b"\0")) % 512) + binary + bytes(1024),
    )
    gnu = io.BytesIO()
    with tarfile.open(fileobj=gnu, mode="w", format=tarfile.GNU_FORMAT) as tf:
        info = tarfile.TarInfo("gnu/" + "g" * 120 + "/antrea-agent.log")
        info.size = len(HEALTHY_LOG)
        tf.addfile(info, io.BytesIO(HEALTHY_LOG))
    write(tmp_path / "gnu.tar", gnu.getvalue())
    report = scan(tmp_path / "pax.tar")
    assert paths(report) == [
        f"pax.tar!{long_dir}/antrea-agent.log",
        "pax.tar!logs/ünïcode-agent.log",
        "pax.tar!logs/b\ufffd-agent.log",
    ]
    assert notes(report) == ["pax.tar!logs/link is a link inside the archive; not followed"]
    assert GOOD_CATEGORY in categories(report)
    report = scan(tmp_path / "gnu.tar")
    assert paths(report) == ["gnu.tar!gnu/" + "g" * 120 + "/antrea-agent.log"] and notes(report) == []


def test_chained_long_link_headers_end_that_archive_not_the_scan(scan, tmp_path):
    # 3,000 chained GNU LongLink headers made tarfile recurse into a RecursionError: "internal error",
    # exit 3, nothing of the other Nodes reported.
    b = tmp_path / "support-bundles_20250120T100000Z"
    b.mkdir()
    tar_gz(b / "agent_worker-7.tar.gz", {"logs/agent/antrea-agent.log": GOOD_LOG})
    long_link_chain(b / "agent_worker-8.tar.gz", 3000, {"logs/agent/antrea-agent.log": HEALTHY_LOG})
    report = scan(b)
    assert GOOD_CATEGORY in categories(report)
    assert "agent_worker-8.tar.gz!logs/agent/antrea-agent.log" in paths(report)  # the member before the chain
    assert notes(report) == [
        f"agent_worker-8.tar.gz has more than {tar_headers.MAX_HEADER_CHAIN} extended headers in a row before one "
        "member (real archives have one or two); reading it stopped after 1 member(s)"
    ]


def test_any_failure_inside_tarfile_is_one_note_for_that_archive(scan, tmp_path, monkeypatch):
    builtin = tar_headers.BoundedTarInfo._proc_builtin

    def fails_on_boom(self, tarfile_):
        if self.name.endswith("boom.log"):
            raise RecursionError("maximum recursion depth exceeded")
        return builtin(self, tarfile_)

    monkeypatch.setattr(tar_headers.BoundedTarInfo, "_proc_builtin", fails_on_boom)
    b = tmp_path / "bundle"
    b.mkdir()
    tar_gz(b / "a.tar.gz", {"logs/first.log": HEALTHY_LOG, "logs/boom.log": b"x", "logs/after.log": b"y"})
    tar_gz(b / "b.tar.gz", {"logs/antrea-agent.log": GOOD_LOG})
    report = scan(b)
    assert GOOD_CATEGORY in categories(report)
    assert notes(report) == [
        "a.tar.gz is truncated or corrupt after 1 member(s) (tarfile failed on it: "
        "RecursionError); what came before was used"
    ]


# -- sparse members ---------------------------------------------------------------------------------


def test_sparse_holes_count_into_the_total_and_the_ratio(scan, tmp_path):
    # 1 KB members that tarfile expands to 1 GiB of zeros each: not metered, every one was read to
    # max_member_bytes.
    b = bundle_with_good_log(tmp_path)
    sparse_tar_gz(b / "sparse.tar.gz", 4, hole=1024 * MiB)
    report = scan(
        b, max_member_bytes=256 * MiB, max_total_bytes=64 * MiB, ratio_grace_bytes=1024 * MiB, max_source_ratio=10**6
    )
    assert GOOD_CATEGORY in categories(report)
    assert [n for n in notes(report) if "max_total_bytes" in n] == [
        "sparse.tar.gz!antrea-agent.sparse0.log takes the source past 64MiB of data after decompression "
        "(max_total_bytes); reading stopped here and the rest of the source was not read"
    ]
    report = scan(b, max_source_ratio=10**6)
    assert GOOD_CATEGORY in categories(report)
    bombs = [n for n in notes(report) if "max_ratio" in n]
    assert len(bombs) == 4 and all("like a decompression bomb" in n for n in bombs)


def test_a_real_sparse_file_is_read_with_its_holes(scan, tmp_path):
    src = sparse_tar_gz(tmp_path / "sparse.tar.gz", 1, hole=64 * 1024)
    report = scan(src)
    assert notes(report) == []
    [artifact] = report["source"]["artifacts"]
    assert artifact["size"] == 64 * 1024 + 1


# -- zip --------------------------------------------------------------------------------------------


def test_overlapping_zip_entries_are_refused(scan, tmp_path):
    # Every entry inflates the same 1 MiB kernel (the 16 MiB ratio grace scaled down): refused
    # from the directory, before anything is inflated.
    b = bundle_with_good_log(tmp_path)
    overlapping_zip(b / "overlap.zip", 50, mib=1)
    report = scan(b, ratio_grace_bytes=1 * MiB)
    assert GOOD_CATEGORY in categories(report)
    assert (
        "overlap.zip has 49 member(s) whose data overlaps another member's (a zip bomb trick: the same bytes "
        "inflated again and again); they were skipped" in notes(report)
    )
    assert [p for p in paths(report) if "overlap.zip" in p] in ([], ["bundle/overlap.zip!logs/agent/part-00000.log"])


def test_zip_members_count_into_the_total(scan, tmp_path):
    files = {f"logs/antrea-agent.zeros-{i}.log": bytes(8 * MiB) for i in range(4)}
    b = bundle_with_good_log(tmp_path)
    write(b / "zeros.zip", zip_bytes(files))
    report = scan(b, max_total_bytes=20 * MiB, max_ratio=10**6, max_source_ratio=10**6)
    assert GOOD_CATEGORY in categories(report)
    assert any("max_total_bytes" in n for n in notes(report))


def test_many_small_bombs_each_under_the_grace_stop_at_the_source_ratio(scan, tmp_path):
    b = bundle_with_good_log(tmp_path)
    for i in range(40):
        gzip_zeros(b / f"antrea-agent.bomb-{i:02d}.log.gz", 1)  # 1 KB -> 1 MiB: at the (scaled) grace
    report = scan(b, ratio_grace_bytes=1 * MiB)
    assert GOOD_CATEGORY in categories(report)
    [note] = [n for n in notes(report) if "max_source_ratio" in n]
    assert note.endswith(
        "takes the data read from the source past 200 times its size on disk (max_source_ratio), "
        "like a decompression bomb; from here on nothing compressed was inflated (plain files were "
        "still read)"
    )
    assert len([p for p in paths(report) if "bomb-" in p]) < 40


def test_ordinary_bundles_stay_far_below_the_source_ratio(scan, tmp_path):
    lines = b"".join(
        b'I0120 10:%02d:%02d.%06d       1 reflector.go:%d] "Listing and watching" n=%d\n'
        % (i // 60 % 60, i % 60, i * 7919 % 10**6, i % 500, i * 104729 % 10**9)
        for i in range(60_000)
    )
    inner = gzip.compress(
        tar_bytes(
            {
                "logs/agent/antrea-agent.log": GOOD_LOG + lines,
                "logs/agent/antrea-agent.log.1.gz": gzip.compress(lines, mtime=0),
            }
        ),
        mtime=0,
    )
    src = write(tmp_path / "support-bundle.tar.gz", gzip.compress(tar_bytes({"agent_worker-7.tar.gz": inner}), mtime=0))
    report = scan(src, ratio_grace_bytes=1 * MiB)
    assert notes(report) == [] and GOOD_CATEGORY in categories(report)


# -- duplicate member names -------------------------------------------------------------------------


def test_the_last_copy_of_a_tar_member_wins(scan, tmp_path):
    report = scan(duplicate_member_tar_gz(tmp_path / "agent_worker-7.tar.gz", GOOD_LOG + UNEXPLAINED, HEALTHY_LOG))
    assert GOOD_CATEGORY not in categories(report)  # the earlier copy, which `tar x` overwrites, is not evidence
    assert paths(report) == ["agent_worker-7.tar.gz!logs/agent/antrea-agent.log"]
    assert report["unexplained"] == []
    assert notes(report) == [
        "agent_worker-7.tar.gz!logs/agent/antrea-agent.log appears more than once in the "
        "archive; the last copy is the one used, as extracting the archive would leave it"
    ]
    report = scan(duplicate_member_tar_gz(tmp_path / "other.tar.gz", HEALTHY_LOG, GOOD_LOG))
    assert GOOD_CATEGORY in categories(report)
    assert paths(report) == ["other.tar.gz!logs/agent/antrea-agent.log"]


def test_a_replaced_nested_archive_leaves_nothing_behind(scan, tmp_path):
    first = gzip.compress(
        tar_bytes({"logs/agent/antrea-agent.log": GOOD_LOG, "logs/agent/only-first.log": KLOG_LINE}), mtime=0
    )
    second = gzip.compress(tar_bytes({"logs/agent/antrea-agent.log": HEALTHY_LOG}), mtime=0)
    src = write(
        tmp_path / "bundle.tar",
        tar_member("agent_worker-7.tar.gz", first) + tar_bytes({"agent_worker-7.tar.gz": second}),
    )
    report = scan(src)
    assert GOOD_CATEGORY not in categories(report)
    assert paths(report) == ["bundle.tar!agent_worker-7.tar.gz!logs/agent/antrea-agent.log"]


def test_the_last_copy_of_a_zip_member_wins(scan, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("antrea-agent.log", GOOD_LOG)
        zf.writestr("antrea-agent.log", HEALTHY_LOG)
    src = write(tmp_path / "dup.zip", buf.getvalue())
    report = scan(src)
    assert GOOD_CATEGORY not in categories(report)
    assert paths(report) == ["dup.zip!antrea-agent.log"]
    assert notes(report) == [
        "dup.zip!antrea-agent.log appears more than once in the archive; the last copy is the "
        "one used, as extracting the archive would leave it"
    ]
    streamed = scan(
        write(tmp_path / "nested.tar.gz", gzip.compress(tar_bytes({"dup.zip": buf.getvalue()}))),
        max_nested_zip_bytes=1024,
    )  # read from its local headers, in order
    assert GOOD_CATEGORY not in categories(streamed)
    assert paths(streamed) == ["nested.tar.gz!dup.zip!antrea-agent.log"]
