"""Which bundles a batch's arguments name, and what it tells the user about the rest."""

from __future__ import annotations

import os

import pytest
from batch_corpus import CORRUPT, FOLDERS

from diagnose.batch.discover import discover


def names(found) -> list[str]:
    return [os.path.basename(r.location) for r in found.refs]


def test_a_folder_of_bundles_yields_each_entry_and_a_bundle_folder_is_one(corpus):
    found = discover([str(corpus)])
    assert sorted(names(found)) == sorted([*FOLDERS, "ticket-5353.tar.gz", CORRUPT, "support-bundles_20240628T185800Z"])
    assert found.notes == []
    # The antctl output folder and a folder of pasted files are one bundle each, not folders of bundles.
    one = discover([str(corpus / "support-bundles_20240628T185800Z"), str(corpus / "ticket-6448")])
    assert names(one) == ["support-bundles_20240628T185800Z", "ticket-6448"]


def test_list_file_skips_comments_and_blank_lines_and_reports_missing_paths_with_line(corpus, tmp_path):
    listing = tmp_path / "bundles.txt"
    listing.write_text(
        f"# last month's tickets\n\n{corpus.name}/ticket-6448\n  {corpus}/ticket-5353.tar.gz  \n{corpus}/gone.tar.gz\n"
    )
    found = discover([str(listing)])
    assert names(found) == ["ticket-6448", "ticket-5353.tar.gz"]  # relative to the list file's folder
    assert found.notes == [f"{listing}:5: {corpus}/gone.tar.gz does not exist."]


def test_a_pasted_command_output_named_txt_is_a_bundle_not_a_list(tmp_path):
    pasted = tmp_path / "ip-route.txt"
    pasted.write_text("default via 192.168.64.1 dev enp0s1 proto dhcp src 192.168.64.27 metric 100\n")
    assert names(discover([str(pasted)])) == ["ip-route.txt"]


def test_the_same_bundle_twice_is_scanned_once_and_said(corpus):
    path = str(corpus / "ticket-api")
    found = discover([path, str(corpus / "." / "ticket-api"), path + "/"])
    assert names(found) == ["ticket-api"]
    assert len(found.notes) == 2 and all("more than once" in n for n in found.notes)


def test_globs_are_expanded_when_the_shell_did_not_and_missing_paths_are_notes(corpus):
    found = discover([str(corpus / "*.tar.gz"), str(corpus / "nope-*"), str(corpus / "missing")])
    assert sorted(names(found)) == [CORRUPT, "ticket-5353.tar.gz"]
    assert found.notes == [f"{corpus / 'nope-*'} matches no file.", f"{corpus / 'missing'} does not exist."]


def test_the_output_folder_is_never_taken_as_a_bundle(corpus):
    out = corpus / "results"
    out.mkdir()
    assert "results" not in names(discover([str(corpus)], exclude=[out]))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_argument_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    found = discover([str(fifo)])  # opening it would block this test forever
    assert found.refs == [] and found.notes == [f"{fifo} is not a file or a directory."]


def test_fsspec_urls_list_folders_and_globs(corpus):
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    fs.pipe("/batch-discover/a.tar.gz", (corpus / "ticket-5353.tar.gz").read_bytes())
    fs.pipe("/batch-discover/b.tar.gz", b"x")
    try:
        assert [r.location for r in discover(["memory://batch-discover/"]).refs] == [
            "memory:///batch-discover/a.tar.gz",
            "memory:///batch-discover/b.tar.gz",
        ]
        assert [r.location for r in discover(["memory://batch-discover/a*"]).refs] == [
            "memory:///batch-discover/a.tar.gz"
        ]
        assert discover(["memory://batch-discover/zzz"]).notes == ["memory://batch-discover/zzz does not exist."]
        assert discover(["nosuchproto://x/y"]).notes == [
            "nosuchproto://x/y cannot be opened: Protocol not known: nosuchproto"
        ]
    finally:
        fs.rm("/batch-discover", recursive=True)
