"""Sources in, a `Diagnosis` out; text out to where `-o` says. Shared by the commands.

The modules behind it (temp files, threads, the engine) are imported when a command runs, not
when the command line is built: `--help` and shell completion stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diagnose.cli.base import say
from diagnose.errors import InputError

if TYPE_CHECKING:
    from diagnose.cli import sources


@contextmanager
def diagnosed(
    paths: tuple[str, ...] | list[str], rules: list[Any], limits: Any, *, progress: bool = True
) -> Iterator[tuple[Any, sources.Source]]:
    """The diagnosis of what the user named (one source, several read as one, or `-`), with the
    report's source named as the user gave it. Temp files (stdin, several sources) live until
    the block ends."""
    from diagnose.bundle import limits as bundle_limits
    from diagnose.bundle.model import ReadProblem
    from diagnose.cli import sources
    from diagnose.cli.progress import ScanProgress
    from diagnose.diagnosis.engine import diagnose

    with sources.opened(paths, max_stdin_bytes=limits.max_total_bytes) as src:
        if list(paths) == [sources.STDIN] and src.stdin_bytes == 0:
            raise InputError("Standard input is empty: nothing was piped in.")
        with bundle_limits.applied(limits), ScanProgress(src.label, src.size, enabled=progress):
            try:
                result = diagnose(src.path, rules)
            except InputError as e:  # name what the user gave, not the private temp folder
                raise InputError(str(e).replace(str(src.path), src.label)) from None
        if src.path != Path(paths[0]) or len(paths) > 1:
            result.cluster.source = src.label
        result.cluster.problems[:0] = [ReadProblem(p, reason) for p, reason in src.notes]
        yield result, src


def inputs_of(paths: tuple[str, ...] | list[str]) -> list[Path]:
    """The user's paths that must never be written over or into (not `-`)."""
    from diagnose.cli.sources import STDIN

    return [Path(p) for p in paths if p != STDIN]


def check(destination: str | Path, inputs: list[Path], what: str = "the report") -> None:
    """Refuse a destination before the work starts (see diagnose.output.check)."""
    from diagnose import output

    output.check(destination, inputs, what)


def is_regular_file(destination: str | Path | None) -> bool:
    from diagnose import output

    return output.is_regular_file(destination)


def write(
    text: str | bytes,
    destination: str | Path | None,
    inputs: list[Path],
    *,
    what: str = "the report",
    done: str | None = None,
    quiet: bool = False,
) -> None:
    """`text` (or its UTF-8 bytes) to standard output (no `-o`, or `-o -`) or to the file, device or
    FIFO named; `done` is said on stderr afterwards, unless `quiet` or the text went to standard
    output."""
    from diagnose import output

    data = text if isinstance(text, bytes) else output.encode(text)
    if destination is None or str(destination) == output.STDOUT:
        output.write_stdout(data if data.endswith(b"\n") else data + b"\n")  # a shell prompt starts on its own line
        return
    dest = output.write_bytes(destination, data, inputs=inputs, what=what)
    if done and not quiet and dest.kind != "fd":
        say(done)
