"""Archives and directories from an untrusted source: paths that leave the bundle, links,
special files, decompression bombs, and damaged archives. Each test checks what a user sees
in the report: the note, that nothing outside the bundle was read, and that the rest was used."""

from __future__ import annotations

import errno
import gzip
import json
import os
import socket
import stat
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest
from hostile_corpus import (
    GOOD_CATEGORY,
    GOOD_LOG,
    KLOG_LINE,
    MiB,
    gzip_zeros,
    tar_bytes,
    tar_gz,
    tar_member,
    write,
    zip_bytes,
    zip_zero_bomb,
)
from report_fields import categories, notes, paths

from diagnose.errors import InputError

HEALTHY_LOG = (
    b"Log file created at: 2025/01/20 10:00:00\nRunning on machine: worker-1\n"
    b'I0120 10:00:00.100000       1 agent.go:107] "Starting Antrea agent" version="v2.2.0"\n'
)


# -- paths and links ------------------------------------------------------------------------------

UNSAFE = ["../../evil.log", "/tmp/abs-evil.log", "C:\\evil.log", "..\\..\\evil2.log", "a/../../evil3.log"]


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_member_paths_that_leave_the_bundle_are_refused_and_never_used(scan, tmp_path, fmt):
    files = {name: GOOD_LOG for name in UNSAFE} | {"logs/antrea-agent.log": HEALTHY_LOG}
    src = tmp_path / f"bundle.{fmt}"
    if fmt == "zip":
        write(src, zip_bytes(files))
    else:
        tar_gz(src, files)
    report = scan(src)
    refused = [n for n in notes(report) if "unsafe path" in n]
    assert len(refused) == len(UNSAFE)
    assert GOOD_CATEGORY not in categories(report)  # the refused members' content was not read
    assert paths(report) == [f"bundle.{fmt}!logs/antrea-agent.log"]
    assert sorted(os.listdir(tmp_path)) == [f"bundle.{fmt}"]  # and nothing was extracted


def test_links_and_devices_in_a_tar_are_not_followed(scan, tmp_path):
    members = (
        tar_member("passwd", type_=tarfile.SYMTYPE, linkname="/etc/passwd")
        + tar_member("hosts", type_=tarfile.LNKTYPE, linkname="/etc/hosts")
        + tar_member("zero", type_=tarfile.CHRTYPE)
        + tar_member("pipe", type_=tarfile.FIFOTYPE)
        + tar_bytes({"antrea-agent.log": HEALTHY_LOG})
    )
    report = scan(write(tmp_path / "links.tar.gz", gzip.compress(members)))
    text = json.dumps(report)
    assert "root:x:0:0" not in text and "localhost" not in text
    assert sorted(n.split("!")[1] for n in notes(report)) == [
        "hosts is a link inside the archive; not followed",
        "passwd is a link inside the archive; not followed",
        "pipe is a FIFO entry in the archive; ignored",
        "zero is a device entry in the archive; ignored",
    ]


def test_symlink_entry_in_a_zip_is_not_followed(scan, tmp_path):
    src = tmp_path / "links.zip"
    with zipfile.ZipFile(src, "w") as zf:
        link = zipfile.ZipInfo("antrea-agent.log")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("other.log", HEALTHY_LOG)
    report = scan(src)
    assert "links.zip!antrea-agent.log is a link inside the archive; not followed" in notes(report)
    assert paths(report) == ["links.zip!other.log"]


def test_directory_links_out_of_the_bundle_are_not_followed(scan, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    write(outside / "antrea-agent.log", GOOD_LOG)
    b = tmp_path / "bundle"
    b.mkdir()
    write(b / "antrea-agent.worker-1.log", HEALTHY_LOG)
    (b / "file-link.log").symlink_to(outside / "antrea-agent.log")
    (b / "dir-link").symlink_to(outside, target_is_directory=True)
    (b / "absolute.log").symlink_to("/etc/passwd")
    (b / "loop.log").symlink_to(b / "loop.log")
    (b / "dangling.log").symlink_to(tmp_path / "nothing-here")
    (b / "inside.log").symlink_to("antrea-agent.worker-1.log")
    report = scan(b)
    assert GOOD_CATEGORY not in categories(report)  # the firing log outside was never read
    assert "root:x:0:0" not in json.dumps(report)
    assert sorted(notes(report)) == [
        "absolute.log is a symbolic link to a path outside the bundle; not followed",
        "dangling.log is a symbolic link to nothing (dangling); skipped",
        "dir-link is a symbolic link to a directory; not followed",
        "file-link.log is a symbolic link to a path outside the bundle; not followed",
        "loop.log is a symbolic link loop; not followed",
    ]
    assert "inside.log" in paths(report)  # a link that stays inside the bundle is read


def test_fifo_socket_and_device_are_ignored_without_blocking(scan, tmp_path):
    b = tmp_path / "bundle"
    b.mkdir()
    write(b / "antrea-agent.log", GOOD_LOG)
    os.mkfifo(b / "fifo.log")  # opening it for reading would wait for a writer forever
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(b / "agent.sock"))
    try:
        os.mknod(b / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))
        device = ["zero is a character device; ignored (only regular files are read)"]
    except PermissionError:  # no CAP_MKNOD here
        device = []
    try:
        report = scan(b)
    finally:
        sock.close()
    assert GOOD_CATEGORY in categories(report)
    assert sorted(notes(report)) == sorted(
        [
            "agent.sock is a socket; ignored (only regular files are read)",
            "fifo.log is a FIFO; ignored (only regular files are read)",
            *device,
        ]
    )


def test_a_device_as_the_source_is_not_read(rules):
    from diagnose.diagnosis.engine import diagnose

    with pytest.raises(InputError, match="null is a character device; ignored"):
        diagnose(Path("/dev/null"), rules)


# -- decompression bombs ----------------------------------------------------------------------------


def test_gzip_bomb_stops_and_what_came_before_is_used(scan, tmp_path):
    b = tmp_path / "bundle"
    b.mkdir()
    gzip_zeros(b / "antrea-agent.log.gz", 48, prefix=GOOD_LOG)  # the finding is in the first bytes
    report = scan(b, ratio_grace_bytes=2 * MiB, max_ratio=50)
    assert GOOD_CATEGORY in categories(report)
    [note] = notes(report)
    assert note.startswith("antrea-agent.log.gz inflates to more than 50 times its compressed size (max_ratio)")
    assert report["source"]["artifacts"][0]["size"] < 8 * MiB


def test_ordinary_compressed_logs_are_not_taken_for_bombs(scan, tmp_path):
    lines = b"".join(
        b'I0120 10:%02d:%02d.%06d       1 reflector.go:%d] "Listing and watching" n=%d\n'
        % (i // 60 % 60, i % 60, i * 7919 % 10**6, i % 500, i * 104729 % 10**9)
        for i in range(25_000)
    )
    b = tmp_path / "bundle"
    b.mkdir()
    write(b / "antrea-agent.log.gz", gzip.compress(GOOD_LOG + lines, mtime=0))
    report = scan(b, ratio_grace_bytes=1 * MiB, max_ratio=50)
    assert notes(report) == [] and GOOD_CATEGORY in categories(report)


def test_total_limit_stops_the_walk_and_keeps_what_was_read(scan, tmp_path):
    src = tmp_path / "agent_worker-7.tar.gz"
    head = tar_member("logs/agent/antrea-agent.log", GOOD_LOG) + tar_member("zeros", size=30 * MiB)
    gzip_zeros(src, 30, prefix=head, suffix=tar_bytes({"logs/agent/late.log": HEALTHY_LOG}))
    report = scan(src, max_total_bytes=8 * MiB, max_ratio=10**6, max_source_ratio=10**6)
    assert GOOD_CATEGORY in categories(report)
    assert not any("late.log" in p for p in paths(report))
    assert [n for n in notes(report) if "max_total_bytes" in n] == [
        "agent_worker-7.tar.gz takes the source past 8MiB of data after decompression (max_total_bytes); "
        "reading stopped here and the rest of the source was not read"
    ]


def test_member_limit_cuts_one_member_and_the_next_is_read(scan, tmp_path):
    src = tmp_path / "agent_worker-7.tar.gz"
    head = tar_member("logs/agent/big.log", size=20 * MiB)
    gzip_zeros(src, 20, prefix=head, suffix=tar_bytes({"logs/agent/antrea-agent.log": GOOD_LOG}))
    report = scan(src, max_member_bytes=4 * MiB, max_ratio=10**6, max_source_ratio=10**6)
    assert GOOD_CATEGORY in categories(report)  # the member after the cut one
    assert notes(report) == [
        "agent_worker-7.tar.gz!logs/agent/big.log is larger than 4MiB (max_member_bytes); only its start was read"
    ]


def test_zip_bomb_is_refused_from_its_header_and_a_lying_header_cannot_inflate_more(scan, tmp_path):
    honest = zip_zero_bomb(tmp_path / "honest.zip", 64, others={"antrea-agent.log": GOOD_LOG})
    report = scan(honest, ratio_grace_bytes=1 * MiB)
    assert GOOD_CATEGORY in categories(report)
    assert notes(report) == [
        "honest.zip!bomb.log declares 67,108,864 bytes packed into 66,370 (more than "
        "max_ratio 200), like a decompression bomb; skipped"
    ]
    # Headers that understate the size: zipfile stops at the declared size, so the bomb is cut there.
    lying = zip_zero_bomb(
        tmp_path / "lying.zip",
        64,
        name="antrea-agent.zeros.log",
        declared=2 * MiB,
        others={"antrea-agent.log": GOOD_LOG},
    )
    report = scan(lying, ratio_grace_bytes=1 * MiB)
    sizes = {a["path"]: a["size"] for a in report["source"]["artifacts"]}
    assert sizes.get("lying.zip!antrea-agent.zeros.log", 0) <= 2 * MiB
    assert GOOD_CATEGORY in categories(report)


def test_zip_with_more_members_than_allowed_is_read_one_by_one_up_to_the_limit(scan, tmp_path):
    files = {"antrea-agent.log": GOOD_LOG} | {f"junk/{i}.txt": b"x" for i in range(300)}
    report = scan(write(tmp_path / "many.zip", zip_bytes(files)), max_members=50)
    assert GOOD_CATEGORY in categories(report)
    [note] = notes(report)
    assert note.endswith("is beyond the first 50 files of the source (max_members); it and the rest were not read")


def test_pax_header_larger_than_any_real_one_is_not_loaded(scan, tmp_path):
    src = tmp_path / "pax.tar.gz"
    gzip_zeros(src, 64, prefix=tar_member("././@PaxHeader", size=64 * MiB, type_=tarfile.XHDTYPE))
    with pytest.raises(InputError, match=r"has an extended header of 67,108,864 bytes"):
        scan(src, max_ratio=10**6, max_source_ratio=10**6)


def test_nested_zip_over_the_memory_allowance_is_streamed(scan, tmp_path):
    inner = zip_bytes({"antrea-agent.log": GOOD_LOG})
    src = tar_gz(tmp_path / "outer.tar.gz", {"bundle.zip": inner})
    report = scan(src, max_nested_zip_bytes=1024)
    assert GOOD_CATEGORY in categories(report) and notes(report) == []
    assert paths(report) == ["outer.tar.gz!bundle.zip!antrea-agent.log"]


# -- damaged archives -------------------------------------------------------------------------------


def test_tar_cut_at_a_member_boundary_says_so(scan, tmp_path):
    blob = tar_bytes({"antrea-agent.log": GOOD_LOG, "second.log": HEALTHY_LOG})
    first = 512 + len(GOOD_LOG) + (-len(GOOD_LOG) % 512)
    report = scan(write(tmp_path / "cut.tar", blob[:first]))
    assert GOOD_CATEGORY in categories(report)
    assert notes(report) == [
        "cut.tar ends without the end-of-archive marker after 1 member(s) (truncated?); what came before was used"
    ]


def test_truncated_zip_members_before_the_break_are_read(scan, tmp_path):
    blob = zip_bytes({"antrea-agent.log": GOOD_LOG, "later.bin": os.urandom(4000)})
    report = scan(write(tmp_path / "cut.zip", blob[: len(blob) - 300]))
    assert GOOD_CATEGORY in categories(report)
    assert any(
        n.startswith("cut.zip has no readable zip directory (truncated or damaged); it is truncated")
        for n in notes(report)
    )


def test_zip_member_with_a_bad_checksum_or_encryption(scan, tmp_path):
    blob = bytearray(
        zip_bytes(
            {"secret.log": GOOD_LOG, "notes.txt": b"hello\n" * 100, "antrea-agent.log": GOOD_LOG},
            method=zipfile.ZIP_STORED,
        )
    )
    at = blob.find(b"hello")
    blob[at] ^= 0x20  # one flipped bit in the stored data: the CRC no longer matches
    flag_at = blob.find(b"PK\x01\x02")  # the first central directory entry: mark it encrypted
    struct.pack_into("<H", blob, flag_at + 8, 0x1)
    report = scan(write(tmp_path / "bad.zip", bytes(blob)))
    assert sorted(notes(report)) == [
        "bad.zip!notes.txt is truncated or corrupt (a checksum does not match: the data is damaged); "
        "what came before was used",
        "bad.zip!secret.log is encrypted; skipped",
    ]
    assert paths(report) == ["bad.zip!antrea-agent.log"] and GOOD_CATEGORY in categories(report)


def test_wrong_extensions_are_read_by_content_with_a_note(scan, tmp_path):
    b = tmp_path / "bundle"
    b.mkdir()
    write(b / "logs.tar.gz", zip_bytes({"antrea-agent.log": GOOD_LOG}))  # a zip named .tar.gz
    write(b / "antrea-agent.log.zip", HEALTHY_LOG)  # plain text named .zip
    report = scan(b)
    assert GOOD_CATEGORY in categories(report)
    assert sorted(notes(report)) == [
        "antrea-agent.log.zip is named like zip data but is text starting with 'Log file created at: "
        "2025/01/20 10:00:00'; it was read by its content",
        "logs.tar.gz is named like gzip data but is zip data; it was read by its content",
    ]


def test_empty_inputs_say_empty(rules, scan, tmp_path):
    from diagnose.diagnosis.engine import diagnose

    for name, data in (("antrea-agent.log", b""), ("empty.gz", gzip.compress(b""))):
        with pytest.raises(InputError, match=f"{name} is empty"):
            diagnose(write(tmp_path / name, data), rules)
    b = tmp_path / "bundle"
    (b / "empty-dir").mkdir(parents=True)
    write(b / "antrea-agent.log", GOOD_LOG)
    write(b / "ip-route.txt", b"")
    report = scan(b)
    assert notes(report) == ["ip-route.txt is empty"] and GOOD_CATEGORY in categories(report)


def test_unreadable_file_and_directory(scan, tmp_path, monkeypatch):
    b = tmp_path / "bundle"
    (b / "locked").mkdir(parents=True)
    write(b / "antrea-agent.log", GOOD_LOG)
    write(b / "secret.log", GOOD_LOG)
    write(b / "locked" / "x.log", GOOD_LOG)
    real_open, real_scandir = os.open, os.scandir

    def denied(path, *args, **kwargs):  # root reads everything: refuse the way EACCES does
        if str(path).endswith("secret.log"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    def denied_dir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "open", denied)
    monkeypatch.setattr(os, "scandir", denied_dir)
    report = scan(b)
    assert sorted(notes(report)) == [
        "locked cannot be listed: Permission denied",
        "secret.log cannot be opened: Permission denied",
    ]
    assert GOOD_CATEGORY in categories(report)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_by_mode(scan, tmp_path):
    b = tmp_path / "bundle"
    b.mkdir()
    write(b / "antrea-agent.log", GOOD_LOG)
    (write(b / "secret.log", GOOD_LOG)).chmod(0)
    report = scan(b)
    assert notes(report) == ["secret.log cannot be opened: Permission denied"]


def test_notes_are_capped(scan, tmp_path):
    files = {f"../evil{i}.log": b"x" for i in range(40)} | {"antrea-agent.log": GOOD_LOG}
    report = scan(tar_gz(tmp_path / "noisy.tar.gz", files), max_notes=10)
    assert len(notes(report)) == 11
    assert notes(report)[-1] == "(source) 30 more read problems were not listed (max_notes)"


def test_klog_line_then_zeros_is_not_a_crash_with_default_limits(scan, tmp_path):
    # The default limits stop a 1 GiB zero bomb long before it is inflated.
    b = tmp_path / "bundle"
    b.mkdir()
    gzip_zeros(b / "antrea-agent.big.log.gz", 1024, prefix=KLOG_LINE)
    write(b / "antrea-agent.log", GOOD_LOG)
    report = scan(b)
    assert any("like a decompression bomb" in n for n in notes(report))
    assert GOOD_CATEGORY in categories(report)


def test_zip_directory_zipfile_rejects_is_read_from_local_headers(scan, tmp_path):
    # Found by fuzz/fuzz_archive.py: zipfile raises NotImplementedError for a "version needed to
    # extract" it does not know, which is not one of its documented errors.
    blob = bytearray(zip_bytes({"antrea-agent.log": GOOD_LOG}))
    struct.pack_into("<H", blob, blob.find(b"PK\x01\x02") + 6, 111)
    report = scan(write(tmp_path / "future.zip", bytes(blob)))
    assert GOOD_CATEGORY in categories(report)
    assert notes(report) == [
        "future.zip has no readable zip directory (truncated or damaged); its 1 member(s) "
        "were read in order from their own headers"
    ]


def test_names_cannot_drive_the_terminal(cli, tmp_path):
    name = "\x1b]0;owned\x07\x1b[2J\u202egol.log"  # set the title, clear the screen, reverse the text
    src = tar_gz(tmp_path / "names.tar.gz", {f"../{name}": b"x", name: b"\x00binary"})
    result = cli("scan", src)
    assert result.returncode == 3
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "\\x1b]0;owned\\x07\\x1b[2J\\u202egol.log has an unsafe path" in result.stderr
