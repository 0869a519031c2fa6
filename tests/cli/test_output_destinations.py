"""Where `-o` writes, for every command: devices and FIFOs are written to and never replaced,
a write error is an error, a symbolic link's own directory holds the temp file, nothing lands
inside the input, permissions follow the umask (private files stay 0600).

The /dev cases run as root in a private mount namespace with a scratch /dev (tests/cli/
dev_sandbox.py); each of them failed before the writer of diagnose/output.py existed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from cli_support import NODE2_INFO, SAMPLE_6448
from dev_sandbox import ROOT

from diagnose import output


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(scope="module")
def redacted(tmp_path_factory) -> tuple[Path, Path]:
    """A redacted report and its map (for `unredact`)."""
    folder = tmp_path_factory.mktemp("redacted")
    report = folder / "report.md"
    proc = subprocess.run(
        [sys.executable, "-m", "diagnose", "scan", str(NODE2_INFO), "--redact", "-o", str(report)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return report, Path(f"{report}.redaction-map.json")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A batch results folder (for `summary`)."""
    out = tmp_path_factory.mktemp("batch") / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "diagnose", "batch", str(NODE2_INFO), "--out", str(out), "-j", "1", "-q"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def _commands(redacted: tuple[Path, Path], results: Path) -> dict[str, list[str]]:
    report, map_path = redacted
    return {
        "scan": ["scan", str(NODE2_INFO), "-f", "md"],
        "timeline": ["timeline", str(NODE2_INFO)],
        "unredact": ["unredact", str(report), "--map", str(map_path)],
        "summary": ["summary", str(results), "--format", "md"],
        "diff": ["diff", str(NODE2_INFO), str(NODE2_INFO)],
    }


COMMANDS = ("scan", "timeline", "unredact", "summary", "diff")


@pytest.mark.parametrize("command", COMMANDS)
def test_dev_null_stays_a_device(sandboxed_dev, redacted, results, command):
    proc = sandboxed_dev.run(*_commands(redacted, results)[command], "-o", "/dev/null")
    assert proc.returncode == 0, proc.stderr
    assert sandboxed_dev.kind("null") == "char"
    assert sandboxed_dev.entries() == {
        "null",
        "zero",
        "full",
        "random",
        "urandom",
        "fd",
        "stdin",
        "stdout",
        "stderr",
    }  # no temp file, no map, nothing else in /dev


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_disk_is_an_error_not_a_success(sandboxed_dev, redacted, results, command):
    proc = sandboxed_dev.run(*_commands(redacted, results)[command], "-o", "/dev/full")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.startswith("antrea-diagnose: Cannot write") and err.endswith("/dev/full: No space left on device.\n")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert sandboxed_dev.kind("full") == "char"


def test_devices_under_their_own_path_are_streamed_too(dev):
    """Without the namespace: scratch device nodes anywhere behave as /dev/null and /dev/full do."""
    proc = dev.run("scan", NODE2_INFO, "-o", dev.scratch / "null", "-f", "json")
    assert proc.returncode == 0 and dev.kind("null") == "char", proc.stderr
    proc = dev.run("scan", NODE2_INFO, "-o", dev.scratch / "full", "-f", "json")
    assert proc.returncode == 2 and b"No space left on device." in proc.stderr
    assert dev.kind("full") == "char"


def test_redacted_scan_to_dev_null_leaves_no_map_in_dev(sandboxed_dev):
    proc = sandboxed_dev.run("scan", NODE2_INFO, "--redact", "-o", "/dev/null")
    assert proc.returncode == 0, proc.stderr
    assert "null.redaction-map.json" not in sandboxed_dev.entries()
    assert b"no redaction map is written" in proc.stderr
    assert sandboxed_dev.kind("null") == "char"


def test_a_redacted_copy_is_never_written_over_a_device(sandboxed_dev):
    proc = sandboxed_dev.run("redact", NODE2_INFO, "-o", "/dev/null")
    assert proc.returncode == 2
    assert b"Refusing to write the redacted copy to /dev/null: it is not a regular file" in proc.stderr
    assert sandboxed_dev.kind("null") == "char"
    assert not [n for n in sandboxed_dev.entries() if "redaction-map" in n or n.endswith(".tmp")]


def test_dev_stdout_redirected_to_a_file_writes_the_file_and_keeps_the_link(sandboxed_dev, tmp_path):
    target = tmp_path / "redirected.json"
    with open(target, "wb") as f:
        proc = sandboxed_dev.run("scan", NODE2_INFO, "-f", "json", "-o", "/dev/stdout", stdout=f)
    assert proc.returncode == 0, proc.stderr
    assert target.read_text().startswith("{")
    assert sandboxed_dev.kind("stdout") == "symlink"


def test_appending_redirect_is_appended_to(sandboxed_dev, tmp_path):
    """`>> log` then `-o /dev/stdout`: the report follows what was there (reopening would overwrite it)."""
    target = tmp_path / "log.txt"
    target.write_text("earlier line\n")
    with open(target, "ab") as f:
        proc = sandboxed_dev.run("scan", NODE2_INFO, "-f", "json", "-o", "/dev/stdout", stdout=f)
    assert proc.returncode == 0, proc.stderr
    assert target.read_text().startswith("earlier line\n{")


def test_dash_is_standard_output_for_scan(tmp_path, main, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main("scan", NODE2_INFO, "-f", "json", "-o", "-") == 0
    out = capsys.readouterr().out
    assert out.startswith("{") and out.endswith("}\n")  # ends its line, like any command's output
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("command", ["timeline", "diff"])
def test_dash_is_standard_output_for_timeline_and_diff(tmp_path, main, capsys, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    args = [NODE2_INFO] if command == "timeline" else [NODE2_INFO, NODE2_INFO]
    assert main(command, *args, "-o", "-") == 0
    assert capsys.readouterr().out.strip()
    assert not (tmp_path / "-").exists()


def test_a_fifo_is_written_to_not_replaced(tmp_path, main, capsys):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got = bytearray()
    read_fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there: the writer's open succeeds
    done = threading.Event()

    def drain() -> None:  # reads until the command ended and the FIFO is empty (no writer yet reads as EOF)
        while True:
            try:
                chunk = os.read(read_fd, 65536)
            except BlockingIOError:
                chunk = None
            if chunk:
                got.extend(chunk)
            elif done.is_set():
                return
            else:
                done.wait(0.01)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert main("scan", NODE2_INFO, "-f", "json", "-o", fifo) == 0
    finally:
        done.set()
        reader.join(timeout=30)
        os.close(read_fd)
    assert bytes(got).startswith(b"{")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["report.fifo"]


def test_a_symlink_gets_its_temp_file_in_its_own_directory(tmp_path, main, capsys, monkeypatch):
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    (elsewhere / "old.md").write_text("the link's target")
    link = here / "report.md"
    link.symlink_to(elsewhere / "old.md")
    dirs = []
    real_mkstemp = tempfile.mkstemp

    def recording(*args, **kwargs):
        dirs.append(Path(kwargs["dir"]))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", recording)
    assert main("scan", NODE2_INFO, "-o", link) == 0
    assert dirs == [here]  # never the target's folder: the rename would cross into it (or fail across devices)
    assert not link.is_symlink() and link.read_text().startswith("## Antrea diagnosis")
    assert (elsewhere / "old.md").read_text() == "the link's target"
    assert os.listdir(elsewhere) == ["old.md"]


def test_a_new_report_inside_the_input_directory_is_refused(bundle, main, capsys):
    before = sorted(os.listdir(bundle))
    assert main("scan", bundle, "-o", bundle / "report.md") == 2
    assert capsys.readouterr().err == (
        f"antrea-diagnose: Refusing to write the report inside the input directory ({bundle / 'report.md'}).\n"
    )
    assert sorted(os.listdir(bundle)) == before
    assert main("timeline", bundle, "-o", bundle / "sub" / ".." / "events.csv") == 2
    assert sorted(os.listdir(bundle)) == before


def test_several_sources_are_all_protected(bundle, tmp_path, main, capsys):
    other = tmp_path / "route.txt"
    other.write_text("default via 10.0.0.1 dev eth0\n")
    assert main("scan", other, bundle, "-o", bundle / "r.json") == 2
    assert main("scan", bundle, other, "-o", other) == 2
    assert "Refusing to write the report over the input" in capsys.readouterr().err
    assert other.read_text() == "default via 10.0.0.1 dev eth0\n"


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_reports_follow_the_umask_and_the_map_stays_private(dev, tmp_path, umask, expected):
    report = tmp_path / "out" / "report.md"
    report.parent.mkdir()
    proc = dev.run("scan", NODE2_INFO, "--redact", "-o", report, umask=umask)
    assert proc.returncode == 0, proc.stderr
    assert _mode(report) == expected
    assert _mode(Path(f"{report}.redaction-map.json")) == 0o600
    key = tmp_path / "out" / "team.key"
    proc = dev.run("scan", NODE2_INFO, "--redact", "--key-file", key, "-o", tmp_path / "out" / "r2.md", umask=umask)
    assert proc.returncode == 0, proc.stderr
    assert _mode(key) == 0o600


def test_a_replaced_report_keeps_its_permissions(tmp_path, main, capsys):
    report = tmp_path / "report.md"
    report.write_text("old")
    report.chmod(0o640)
    assert main("scan", NODE2_INFO, "-o", report) == 0
    assert _mode(report) == 0o640 and report.read_text().startswith("## Antrea diagnosis")


def test_batch_outputs_follow_the_umask(dev, tmp_path):
    out = tmp_path / "results"
    proc = dev.run("batch", NODE2_INFO, "--out", out, "-j", "1", "-q", "--reports", "md", umask=0o022)
    assert proc.returncode == 0, proc.stderr
    files = [out / "summary.html", out / "summary.md", out / "findings.csv"]
    files += list((out / "bundles").glob("*/report.*"))
    assert len(files) >= 5 and all(_mode(f) == 0o644 for f in files), {str(f): oct(_mode(f)) for f in files}


def test_standard_output_on_a_full_disk_is_one_sentence(dev):
    with open("/dev/full", "wb") as full:
        proc = dev.run("scan", NODE2_INFO, "-f", "json", stdout=full)
    assert proc.returncode == 2
    assert (
        proc.stderr.decode() == "antrea-diagnose: Cannot write the output to standard output: No space left on "
        "device.\n"
    )


@pytest.mark.parametrize("fmt", ["terminal", "json"])
def test_a_closed_pipe_ends_quietly(fmt):
    """`scan | head -c 100`: no traceback, and not exit 1 (which means a finding at --fail-on)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "diagnose", "scan", SAMPLE_6448, "-f", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) in (0, 141)
    assert b"Traceback" not in err and b"Exception ignored" not in err and err == b""


# -- the writer itself -----------------------------------------------------------------------------


def test_paths_that_name_an_open_descriptor(tmp_path):
    assert output.destination("-").fd == 1
    assert output.destination("/dev/stdout").fd == 1
    assert output.destination("/dev/stderr").fd == 2
    assert output.destination("/dev/fd/7").fd == 7
    assert output.destination("/proc/self/fd/1").fd == 1
    assert output.destination(f"/proc/{os.getpid()}/fd/2").fd == 2
    link = tmp_path / "out"
    link.symlink_to("/dev/stdout")
    assert output.destination(link).fd == 1  # a link to /dev/stdout is standard output
    assert output.destination(tmp_path / "new.md").kind == "file"


def test_what_cannot_be_written_is_refused_in_one_sentence(tmp_path):
    with pytest.raises(output.OutputError, match=r"it is a directory, not a file\.$"):
        output.check(tmp_path)
    with pytest.raises(output.OutputError, match=r"The directory of .* does not exist\.$"):
        output.check(tmp_path / "missing" / "r.md")
    (tmp_path / "f").write_text("x")
    with pytest.raises(output.OutputError, match="a part of that path is not a directory"):
        output.check(tmp_path / "f" / "r.md")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(output.OutputError, match="symbolic link loop"):
        output.check(loop)


def test_a_map_goes_beside_a_report_only_when_the_report_is_a_file(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert output.is_regular_file(tmp_path / "report.md")
    assert not output.is_regular_file("-")
    assert not output.is_regular_file("/dev/null")
    assert not output.is_regular_file(fifo)
    assert not output.is_regular_file(None)
