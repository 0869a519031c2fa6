"""The limits as a user sets them (`--limit`, shown in `scan --help`), and the report file:
written only where asked, never over the input, atomically even when the run is killed."""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile_corpus import GOOD_LOG, write

from diagnose import cli as cli_module
from diagnose.bundle import limits as lim


def main(*args: str) -> int:
    """The console script in-process: its exit code (stdout/stderr go to capsys)."""
    old, old_term = sys.argv, signal.getsignal(signal.SIGTERM)
    sys.argv = ["antrea-diagnose", *map(str, args)]
    try:
        cli_module.main()
    except SystemExit as e:
        return int(e.code or 0)
    finally:
        sys.argv = old
        signal.signal(signal.SIGTERM, old_term)  # main() installs its own
    return 0


# -- limits -------------------------------------------------------------------------------------------


def test_every_limit_is_in_scan_help_with_its_default():
    out = CliRunner().invoke(cli_module.cli, ["scan", "--help"], terminal_width=120).output
    assert "--limit NAME=VALUE" in out
    for f in dataclasses.fields(lim.Limits):
        default = lim.format_size(f.default) if f.metadata["size"] else str(f.default)
        assert f"{f.name}={default}" in out, f.name
        assert f.metadata["help"] in " ".join(out.split())


def test_docs_list_every_limit_with_its_default():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (\S+) \|", doc, re.M))
    assert rows == {
        f.name: lim.format_size(f.default) if f.metadata["size"] else str(f.default)
        for f in dataclasses.fields(lim.Limits)
    }


def test_limit_values_are_parsed_and_checked():
    got = lim.parse_overrides(["max_total_bytes=8GiB", "max-ratio=500", "sniff_bytes=512k", "max_members=1_000"])
    assert (got.max_total_bytes, got.max_ratio, got.sniff_bytes, got.max_members) == (
        8 * 1024**3,
        500,
        512 * 1024,
        1000,
    )
    assert lim.Limits().max_total_bytes == 32 * 1024**3  # the defaults are untouched
    for bad, says in (
        ("nope=1", "expected NAME=VALUE"),
        ("max_ratio", "expected NAME=VALUE"),
        ("max_ratio=lots", "is not a whole number"),
        ("max_total_bytes=4 parsecs", "is not a size"),
        ("max_nesting=0", "must be positive"),
    ):
        with pytest.raises(ValueError, match=says):
            lim.parse_overrides([bad])


def test_a_bad_limit_is_a_usage_error(capsys, tmp_path):
    assert main("scan", write(tmp_path / "a.log", GOOD_LOG), "--limit", "max_ratio=lots") == 2
    err = capsys.readouterr().err
    assert err == "antrea-diagnose: --limit 'max_ratio=lots': 'lots' is not a whole number.\n"


def test_limits_apply_to_one_run_only(run, tmp_path):
    src = write(tmp_path / "antrea-agent.log", GOOD_LOG)
    with lim.applied(lim.Limits(max_member_bytes=100)):
        cut = run(src)
    assert [u["reason"] for u in cut["source"]["unreadable"]] == [
        "is larger than 100 bytes (max_member_bytes); only its start was read"
    ]
    assert run(src)["source"]["unreadable"] == []


# -- the report file ----------------------------------------------------------------------------------


@pytest.fixture
def source(tmp_path) -> Path:
    b = tmp_path / "bundle"
    b.mkdir()
    write(b / "antrea-agent.log", GOOD_LOG)
    return b


def test_report_is_written_only_where_asked(capsys, source, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    before = sorted(os.listdir(source))
    assert main("scan", source, "-o", out_dir / "report.html") == 0
    assert os.listdir(out_dir) == ["report.html"]  # no temp file left beside it
    assert sorted(os.listdir(source)) == before
    assert (out_dir / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_the_input_is_never_overwritten(capsys, source, tmp_path):
    log = source / "antrea-agent.log"
    (tmp_path / "hard.log").hardlink_to(log)
    (tmp_path / "soft.log").symlink_to(log)
    for target, src in ((log, log), (tmp_path / "hard.log", log), (tmp_path / "soft.log", log), (log, source)):
        assert main("scan", src, "-o", target, "-f", "json") == 2
        assert "Refusing to write the report over the input" in capsys.readouterr().err
    assert log.read_bytes() == GOOD_LOG


def test_unwritable_destination_is_one_sentence(capsys, source, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", full)
    assert main("scan", source, "-o", tmp_path / "r.json") == 2
    assert (
        capsys.readouterr().err == f"antrea-diagnose: Cannot write the report next to {tmp_path / 'r.json'}: "
        "No space left on device.\n"
    )


def test_interrupted_write_leaves_no_half_report(capsys, source, tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    write(target, b"previous report")

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    assert main("scan", source, "-o", target) == 130
    assert target.read_bytes() == b"previous report"
    assert os.listdir(tmp_path) == ["bundle", "r.json"]  # the temp file was removed


_KILL_MID_WRITE = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from diagnose import cli, output

    def half_then_die(self, data, _write=None):
        os.write(self.fileno(), data[: len(data) // 2])
        os.kill(os.getpid(), getattr(signal, sys.argv[2]))

    class Dying:  # an open file whose write is interrupted half way
        def __init__(self, f): self._f = f
        def __enter__(self): return self
        def __exit__(self, *a): self._f.close()
        def write(self, text): half_then_die(self._f, text)
        def __getattr__(self, name): return getattr(self._f, name)

    real_fdopen = os.fdopen
    os.fdopen = lambda *a, **k: Dying(real_fdopen(*a, **k))
    signal.signal(signal.SIGTERM, cli._terminated)
    output.write_text(Path(sys.argv[1]), "<html>" + "x" * 100000 + "</html>")
""")


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_a_run_killed_mid_write_never_leaves_half_a_report(tmp_path, sig):
    target = tmp_path / "report.html"
    write(target, b"previous report")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run([sys.executable, "-c", _KILL_MID_WRITE, str(target), sig], env=env, timeout=30)
    assert proc.returncode in (-getattr(signal, sig), 128 + getattr(signal, sig))
    assert target.read_bytes() == b"previous report"  # never a half-written report under the name
    leftovers = sorted(set(os.listdir(tmp_path)) - {"report.html"})
    if sig == "SIGTERM":  # unwinds like Ctrl-C: the temp file is removed
        assert leftovers == []
    else:  # SIGKILL cannot be caught: a hidden temp file may stay, the report itself is intact
        assert all(n.startswith(".report.html.") and n.endswith(".tmp") for n in leftovers)
