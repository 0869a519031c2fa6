"""What `scan --redact`, `redact` and `unredact` do, kept out of diagnose/cli/ (which only
declares the options): option checks, where the map goes, and what is said on stderr."""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from diagnose import output as files
from diagnose.errors import InputError, UsageError
from diagnose.redact import mapfile, names
from diagnose.redact.session import RedactionError, Session, open_session

MAP_SUFFIX = ".redaction-map.json"
SHARE_WARNING = "Keep it private: it translates the pseudonyms back (antrea-diagnose unredact)."


def _session(map_path: Path | None, key_file: Path | None, keep_names: str | None) -> Session:
    try:
        return open_session(map_path, key_file, keep_names)
    except RedactionError as e:
        raise UsageError(f"{_sentence(str(e))}") from None


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _check_map(map_path: Path, files: list[Path], dirs: list[Path]) -> None:
    try:
        mapfile.check_location(map_path, files, dirs)
    except mapfile.MapError as e:
        raise UsageError(_sentence(str(e))) from None


# -- scan --redact -------------------------------------------------------------------------------


def scan_session(
    redact: bool,
    source: Path | None,
    output: Path | None,
    map_path: Path | None,
    key_file: Path | None,
    keep_names: str | None,
    say: Callable[[str], None],
) -> Session | None:
    """The session of `scan --redact`, or None without --redact (its options alone are an error).
    The caller chooses the default map path (beside a report that is a regular file only) and
    checks it against every input; `source` None: standard input or several sources."""
    if not redact:
        if map_path or key_file or keep_names:
            raise UsageError("--map, --key-file and --keep-names only apply with --redact.")
        return None
    if map_path is not None:
        dirs = [source] if source is not None and source.is_dir() else []
        _check_map(map_path, [p for p in (output, source) if p is not None], dirs)
    session = _session(map_path, key_file, keep_names)
    if map_path is None:
        say(
            "The report is redacted; no redaction map is written (the report does not go to a file): "
            "pass --map FILE to be able to translate it back."
        )
    return session


def redact_report(result: Any, data: dict[str, Any], session: Session, rules: list[Any]) -> dict[str, Any]:
    from diagnose.facts import lifecycle as timeline
    from diagnose.redact.report import redact_diagnosis

    sigs = [*timeline.SIGNATURES, *(s for r in rules for s in r.signatures)]
    text = names.signature_text([t for s in sigs for t in (s.pattern, s.literal)])
    return redact_diagnosis(result, data, session, text)


def finish(session: Session | None, say: Callable[[str], None]) -> None:
    if session is None:
        return
    for note in session.notes:
        say(note)
    if session.map_path is not None:
        session.save_map()
        say(f"Redaction map written to {session.map_path}. {SHARE_WARNING}")


# -- redact --------------------------------------------------------------------------------------


def redact_bundle(
    source: Path,
    output: Path,
    map_path: Path | None,
    key_file: Path | None,
    keep_names: str | None,
    say: Callable[[str], None],
) -> None:
    from diagnose.redact import rewrite
    from diagnose.redact.scrub import Scrubber

    _check_bundle_output(source, output)
    _keep_freed_blocks()
    if map_path is None:
        map_path = output.with_name(output.name + MAP_SUFFIX)
    # `output` counts as a directory: nothing may go inside it, whichever it becomes.
    _check_map(map_path, [source, output], [output, *([source] if source.is_dir() else [])])
    session = _session(map_path, key_file, keep_names)
    vocabulary, _ = rewrite.harvest(source)  # its read problems are the second pass's too
    session.trust_redacted_input(vocabulary)
    scrubber = Scrubber(session.mapper, vocabulary, names.builtin_signature_text())
    try:
        outcome = rewrite.rewrite(source, output, scrubber)
    except OSError as e:
        raise InputError(f"Cannot write {output}: {e.strerror or e}.") from None
    if outcome.files == 0:  # an empty copy helps nobody: remove it and say why
        if output.is_dir():
            shutil.rmtree(output, ignore_errors=True)
        else:
            output.unlink(missing_ok=True)
        reasons = "; ".join(f"{p.path} {p.reason}" for p in outcome.problems[:3])
        raise InputError(f"Nothing in {source} could be read" + (f": {reasons}." if reasons else "."))
    for note in session.notes:
        say(note)
    nodes = sorted({scrubber.text(n) for n in vocabulary.node_names})  # as the copy names them (FQDNs too)
    say(
        f"Redacted copy written to {output} ({outcome.files:,} files"
        + (f"; Nodes {', '.join(nodes[:6])}" if nodes else "")
        + ")."
    )
    if outcome.renamed:
        say(
            f"{len(outcome.renamed):,} member name(s) were the same once redacted; the later ones got a ~N suffix: "
            + ", ".join(new for _, new in outcome.renamed[:5])
            + (" ..." if len(outcome.renamed) > 5 else "")
            + "."
        )
    if outcome.binary:
        say(
            f"{len(outcome.binary):,} binary file(s) were replaced by a note (their content cannot be checked): "
            + ", ".join(scrubber.path(p) for p in outcome.binary[:5])
            + (" ..." if len(outcome.binary) > 5 else "")
            + "."
        )
    if outcome.problems:
        say(f"{len(outcome.problems):,} read problem(s); the copy holds what could be read:")
        for p in outcome.problems[:10]:
            say(f"  {scrubber.path(p.path)}: {scrubber.text(p.reason)}")
    session.save_map()
    say(f"Redaction map written to {map_path}. {SHARE_WARNING}")


def _keep_freed_blocks() -> None:
    """Have glibc's malloc keep the megabyte blocks both passes free (up to 32 MiB) for the
    next ones. By default it hands them back to the system and the next block faults its pages
    in again: ~100k page faults per 200 MB of log, 6-7 % of the run's CPU time. Peak RSS stays
    the same: the blocks are reused, not added up."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # a C library without it
        return
    mallopt(_M_MMAP_THRESHOLD, 16 << 20)  # setting it also stops glibc from moving both thresholds itself
    mallopt(_M_TRIM_THRESHOLD, 32 << 20)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


def _check_bundle_output(source: Path, output: Path) -> None:
    if not source.exists():
        raise InputError(f"{source} does not exist.")
    if not (source.is_dir() or source.is_file()):  # a FIFO or a device would block or never end
        raise InputError(f"{source} is not a regular file or a directory.")
    src, out = source.resolve(), output.resolve()
    if out == src or _same_file(out, src):
        raise UsageError(f"Refusing to write the redacted copy over the input ({output}).")
    if src.is_dir() and out.is_relative_to(src):
        raise UsageError(f"Refusing to write the redacted copy inside the input directory ({output}).")
    if output.is_dir():
        raise UsageError(f"{output} is an existing directory; give a new path (or a .tar.gz/.zip file name).")
    if os.path.lexists(output) and not files.is_regular_file(output):
        raise UsageError(
            f"Refusing to write the redacted copy to {output}: it is not a regular file (a device, "
            "FIFO or socket); give a file or a new directory name."
        )
    if not out.parent.is_dir():
        raise UsageError(f"The directory of {output} does not exist.")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


# -- unredact ------------------------------------------------------------------------------------


def unredact_file(report: Path, map_path: Path) -> tuple[str, int]:
    from diagnose.redact.unredact import unredact

    try:
        m = mapfile.load(map_path)
    except mapfile.MapError as e:
        raise UsageError(_sentence(str(e))) from None
    try:
        text = report.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as e:
        raise InputError(f"Cannot read {report}: {e.strerror or e}.") from None
    return unredact(text, m)
