"""Command line: `antrea-diagnose scan SOURCE`, `timeline SOURCE`, `batch SOURCES...`, `summary RESULTS`,
`rules list|show`, `redact SOURCE -o OUT`, `unredact REPORT --map MAP`.

Heavy modules (the engine, jinja2, rich, pandas) are imported inside the commands so that
`--help` stays fast. Errors are one sentence on stderr with the documented exit code:
0 scanned, 1 a finding at or above --fail-on, 2 usage error, 3 input unreadable.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path

import click

from diagnose import __version__
from diagnose.bundle import limits as bundle_limits
from diagnose.errors import DiagnoseError, InputError, UsageError

SEVERITIES = ("critical", "error", "warning", "info")
FORMATS = ("terminal", "md", "html", "json")
_SUFFIX_FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}

rules_option = click.option(
    "--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
    help="Also load the rule modules in DIR (repeatable); the built-in pack always comes first.")
templates_option = click.option(
    "--templates", "template_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
    help="Look for report templates in DIR before the built-in ones (repeatable).")


def limit_option(help_text: str):
    return click.option("--limit", "limit_items", multiple=True, metavar="NAME=VALUE", help=help_text)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="antrea-diagnose")
def cli() -> None:
    """Find the root cause of an Antrea failure in a support bundle or in pasted files."""


@cli.command(epilog=bundle_limits.help_text())
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS),
              help="Report format. Default: terminal, or from the -o file's suffix.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE (atomically) instead of standard output.")
@click.option("--fail-on", type=click.Choice(SEVERITIES),
              help="Exit 1 when a finding has this severity or worse (for CI and scripts).")
@rules_option
@templates_option
@limit_option("Change a limit on untrusted input for this run (repeatable); the limits are listed below.")
@click.option("--redact", is_flag=True,
              help="Replace addresses, names and secrets in the report with pseudonyms (docs/redaction.md).")
@click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path),
              help="With --redact: write the private redaction map here (default: <report>.redaction-map.json).")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="With --redact: the key shared by a batch, for the same pseudonyms in every report (created "
                   "if missing).")
@click.option("--keep-names", metavar="pods,namespaces", help="With --redact: keep these names as they are.")
def scan(source: Path, fmt: str | None, output: Path | None, fail_on: str | None,
         rule_dirs: tuple[Path, ...], template_dirs: tuple[Path, ...], limit_items: tuple[str, ...],
         redact: bool = False, map_path: Path | None = None, key_file: Path | None = None,
         keep_names: str | None = None) -> None:
    """Diagnose SOURCE: an antctl support-bundles directory or archive, one Node's agent
    bundle, a directory of pasted files, or a single log or command output."""
    from diagnose import report, rulepack
    from diagnose.engine import diagnose

    if fmt is None:
        fmt = _SUFFIX_FORMATS.get(output.suffix.lower(), "terminal") if output else "terminal"
    try:
        limits = bundle_limits.parse_overrides(limit_items)
    except ValueError as e:
        raise UsageError(f"{e}.") from None
    if output is not None:
        _check_output(output, source)
    session = None
    if redact or map_path or key_file or keep_names:
        from diagnose.redact import commands as redaction

        session = redaction.scan_session(redact, source, output, map_path, key_file, keep_names, _say)
    rules = rulepack.load(rulepack.rule_dirs(rule_dirs))
    with bundle_limits.applied(limits):
        result = diagnose(source, rules)
    data = result.to_dict()
    if session is not None:  # the diagnosis above ran on the real data; only its report is redacted
        data = redaction.redact_report(result, data, session, rules)
    if output is None and fmt == "terminal":
        report.print_terminal(data)
    else:
        text = report.render(data, fmt, list(template_dirs))
        if output is None:
            click.echo(text, nl=not text.endswith("\n"))
        else:
            _write_atomically(output, text)
            click.echo(f"Report written to {output}", err=True)
    if session is not None:
        redaction.finish(session, _say)
    worst = result.worst_severity()
    if fail_on and worst and SEVERITIES.index(worst) <= SEVERITIES.index(fail_on):
        sys.exit(1)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("results"), show_default=True,
              help="Folder for results.db, bundles/<name>/ reports and the fleet summary; no result is "
                   "written elsewhere.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes. Default: the number of cores.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Scan on this Dask distributed scheduler (e.g. tcp://host:8786) instead of local processes.")
@click.option("--reports", default="", metavar="FORMATS",
              help="Also write each bundle's report in these formats (comma-separated: html,md); report.json always.")
@click.option("--rescan", is_flag=True, help="Scan every bundle again, even one already scanned with these rules.")
@click.option("--retry-failed", is_flag=True, help="Scan again the bundles that failed before.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=600.0, show_default=True,
              help="Seconds one bundle may take; a slower one is stopped and recorded as failed.")
@click.option("--fail-on", type=click.Choice(SEVERITIES),
              help="Exit 1 when a bundle of this batch has a finding of this severity or worse.")
@rules_option
@templates_option
@limit_option("Change a limit on untrusted input (see `scan --help`), for every bundle.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def batch(sources: tuple[str, ...], out: Path, jobs: int | None, scheduler: str | None, reports: str, rescan: bool,
          retry_failed: bool, timeout: float, fail_on: str | None, rule_dirs: tuple[Path, ...],
          template_dirs: tuple[Path, ...], limit_items: tuple[str, ...], quiet: bool) -> None:
    """Scan many bundles: SOURCES are bundles, folders of bundles, globs, list files (*.txt with
    one path or URL per line) or fsspec URLs. Bundles already scanned with the same rules are
    skipped; results go to OUT/results.db, OUT/bundles/ and OUT/summary.html."""
    from diagnose.batch import run

    formats = tuple(f.strip() for f in reports.split(",") if f.strip())
    if unknown := [f for f in formats if f not in ("html", "md")]:
        raise UsageError(f"--reports {reports!r}: unknown format {unknown[0]!r}; choose from html, md.")
    try:
        limits = bundle_limits.parse_overrides(limit_items) if limit_items else None
    except ValueError as e:
        raise UsageError(f"{e}.") from None
    options = run.Options(
        sources=list(sources), out=out, jobs=jobs, scheduler=scheduler, reports=formats, rescan=rescan,
        retry_failed=retry_failed, time_limit=timeout, rule_dirs=rule_dirs, template_dirs=template_dirs,
        limits=limits, progress=not quiet, say=lambda text: click.echo(text, err=True))
    outcome = run.run_batch(options)
    click.echo(f"{outcome.scanned} scanned, {outcome.failed} failed, {outcome.skipped} already scanned, "
               f"{outcome.duplicates} duplicate(s). Fleet view: {out / 'summary.html'}", err=True)
    if outcome.interrupted:
        click.echo("Interrupted: the bundles that finished are kept; run the same command again to scan the rest.",
                   err=True)
        sys.exit(130)
    if run.readable_count(out, outcome.locations) == 0:
        raise InputError(f"No bundle of this batch could be read; the reasons are in {out / 'summary.html'}.")
    worst = run.worst_severities(out, outcome.locations)
    if fail_on and any(SEVERITIES.index(w) <= SEVERITIES.index(fail_on) for w in worst if w in SEVERITIES):
        sys.exit(1)


@cli.command()
@click.argument("results", type=click.Path(file_okay=False, path_type=Path), default=Path("results"))
@click.option("-f", "--format", "fmt", type=click.Choice(("html", "md")),
              help="Render only this format. Default: every summary file (html, md, csv, parquet).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="With --format: write to FILE ('-' for standard output) instead of RESULTS/summary.<format>.")
def summary(results: Path, fmt: str | None, output: Path | None) -> None:
    """Re-render the fleet view of a batch's RESULTS folder from its results.db (nothing is scanned)."""
    from diagnose.batch import store
    from diagnose.batch import summary as fleet_summary

    try:
        if fmt is None:
            if output is not None:
                raise UsageError("-o needs --format: without it every summary file is written into RESULTS.")
            files, notes = fleet_summary.write_all(results)
            for note in notes:
                click.echo(note, err=True)
            click.echo("Written: " + ", ".join(str(f) for f in files), err=True)
            return
        text = fleet_summary.render(results, fmt)
    except store.StoreError as e:
        raise InputError(str(e)) from None
    if output is not None and str(output) == "-":
        click.echo(text, nl=not text.endswith("\n"))
        return
    target = output or results / fleet_summary.FILES[fmt]
    _write_atomically(target, text)
    click.echo(f"Fleet view written to {target}", err=True)


def _time_option(ctx: click.Context, param: click.Parameter, value: str | None):
    from diagnose.report.stream import parse_time

    try:
        return parse_time(value) if value else None
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO time such as 2024-06-28T18:55:00.") from None


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--node", "nodes", multiple=True, metavar="NODE", help="Only this Node's events (repeatable).")
@click.option("--since", callback=_time_option, metavar="TIME",
              help="Only events at or after TIME, e.g. 2024-06-28T18:55:00 (the logs' own clock; a zone or Z "
                   "is converted to UTC).")
@click.option("--until", callback=_time_option, metavar="TIME", help="Only events at or before TIME.")
@click.option("-f", "--format", "fmt", type=click.Choice(("terminal", "csv")),
              help="Output format. Default: terminal, or csv for an -o file ending in .csv.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (atomically) instead of standard output.")
@rules_option
def timeline(source: Path, nodes: tuple[str, ...], since, until, fmt: str | None, output: Path | None,
             rule_dirs: tuple[Path, ...]) -> None:
    """Print the merged event stream of SOURCE: every matched log line (rule signatures and the
    agent's start, flow-restoration and fatal markers) of every Node, in time order, with its
    Node, agent run, level, file:line and message; lines without a time come last."""
    from diagnose import rulepack
    from diagnose.engine import diagnose
    from diagnose.report import stream

    fmt = fmt or ("csv" if output is not None and output.suffix.lower() == ".csv" else "terminal")
    if output is not None:
        _check_output(output, source)
    result = diagnose(source, rulepack.load(rulepack.rule_dirs(rule_dirs)))
    known = [n for n, data in result.cluster.nodes.items() if data.events]
    if unknown := [n for n in nodes if n not in known]:
        raise UsageError(f"No events for Node {unknown[0]!r}; Nodes with events: {', '.join(known) or 'none'}.")
    found = stream.rows(result.cluster, result.findings, nodes, since, until)
    if fmt == "csv":
        text = stream.render_csv(found)
    else:
        total = len(stream.rows(result.cluster, result.findings))
        if output is None:
            _console().print(stream.table(found, total))
            return
        import io

        from rich.console import Console

        console = Console(file=io.StringIO(), width=220, color_system=None, highlight=False, emoji=False)
        console.print(stream.table(found, total))
        text = console.file.getvalue()
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomically(output, text)
        click.echo(f"{len(found):,} events written to {output}", err=True)


@cli.command("redact")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The redacted copy: an archive (.tar.gz, .tgz, .tar, .zip) or a new directory.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the private redaction map here (default: <output>.redaction-map.json); never inside "
                   "the output. An existing map is continued.")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="The key shared by a batch, for the same pseudonyms in every bundle (created if missing).")
@click.option("--keep-names", metavar="pods,namespaces", help="Keep these names as they are.")
def redact_command(source: Path, output: Path, map_path: Path | None, key_file: Path | None,
                   keep_names: str | None) -> None:
    """Write a redacted copy of SOURCE in the same layout (nested agent_<node>.tar.gz rebuilt), safe to
    attach to a public issue: addresses, MACs, Node/host/Pod/Namespace/user names and domains become
    consistent pseudonyms, secrets become markers."""
    from diagnose.redact import commands as redaction

    redaction.redact_bundle(source, output, map_path, key_file, keep_names, _say)


@cli.command()
@click.argument("report", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--map", "map_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="The private map written by scan --redact or redact.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (atomically) instead of standard output.")
def unredact(report: Path, map_path: Path, output: Path | None) -> None:
    """Translate a redacted REPORT (any format) back to the real names and addresses."""
    from diagnose.redact import commands as redaction

    if output is not None:
        _check_output(output, report)
    text, count = redaction.unredact_file(report, map_path)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomically(output, text)
        click.echo(f"{count:,} pseudonyms translated back; written to {output}", err=True)


def _say(text: str) -> None:
    click.echo(text, err=True)


@cli.group()
def rules() -> None:
    """The rule catalogue."""


@rules.command("list")
@rules_option
def rules_list(rule_dirs: tuple[Path, ...]) -> None:
    """List the loaded rules: id, severity, category, title and the Antrea versions they cover."""
    from rich import box
    from rich.table import Table

    from diagnose import rulepack
    from diagnose.catalogue import versions_text

    loaded = rulepack.load(rulepack.rule_dirs(rule_dirs))  # loads modules; compiles nothing
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                  caption=f"{len(loaded)} rules; `antrea-diagnose rules show ID` for one rule's documentation")
    for name in ("ID", "Severity", "Category", "Title", "Versions"):
        table.add_column(name, overflow="fold", no_wrap=name in ("ID", "Severity"))
    for r in loaded:
        table.add_row(r.id, r.severity, r.category, r.title, versions_text(r))
    _console().print(table)


@rules.command("show")
@click.argument("rule_id")
@rules_option
def rules_show(rule_id: str, rule_dirs: tuple[Path, ...]) -> None:
    """Show a rule's documentation and metadata (RULE_ID is its id or slug)."""
    from rich.markdown import Markdown

    from diagnose import rulepack
    from diagnose.catalogue import rule_markdown

    for r in rulepack.load(rulepack.rule_dirs(rule_dirs)):
        if rule_id in (r.id, r.slug):
            _console().print(Markdown(rule_markdown(r, level=1)))
            click.echo(f"\nmodule: {r.path}")
            return
    raise UsageError(f"No rule has the id or slug {rule_id!r}; see `antrea-diagnose rules list`.")


@rules.command("lint")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--fixtures", type=click.Path(file_okay=False, path_type=Path),
              help="Fixture folders of the pack (<module>/fires-*, <module>/quiet-*). "
                   "Default: DIR/fixtures or DIR/tests/fixtures; tests/rules/fixtures for the built-in pack.")
def rules_lint(directory: Path | None, fixtures: Path | None) -> None:
    """Check the rule modules in DIR (default: the built-in pack): documentation sections,
    metadata, signatures (compile, literal, both matching engines, slow patterns), a check()
    that survives an empty bundle, fixtures. Prints `path: ID: problem`; exit 1 on errors."""
    from diagnose import lint

    if directory is not None and not directory.is_dir():
        raise UsageError(f"Rule directory {directory} does not exist.")
    problems = lint.lint(directory, fixtures)
    for p in problems:
        click.echo(str(p))
    errors = sum(p.error for p in problems)
    warnings = len(problems) - errors
    click.echo(f"{errors} error(s), {warnings} warning(s).", err=True)
    if errors:
        sys.exit(1)


def _console():
    """A rich console; piped output gets a wide line so one rule stays on one line."""
    from rich.console import Console

    console = Console(highlight=False, emoji=False)
    if not console.is_terminal:
        console.width = max(console.width, 220)
    return console


def _check_output(output: Path, source: Path) -> None:
    out = output.resolve()
    src = source.resolve()
    if out == src or (src.is_dir() and out.is_relative_to(src) and out.exists()) or _same_file(out, src):
        raise UsageError(f"Refusing to write the report over the input ({output}).")
    if not out.parent.is_dir():
        raise UsageError(f"The directory of {output} does not exist.")


def _same_file(a: Path, b: Path) -> bool:
    """A hard link to the input is the input too."""
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _write_atomically(path: Path, text: str) -> None:
    """Write next to the target, then rename: an interrupted run never leaves half a report."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent)
    except OSError as e:
        raise UsageError(f"Cannot write the report next to {path}: {e.strerror or e}.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())  # the rename must not land before the data (power loss)
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise UsageError(f"Cannot write the report to {path}: {e.strerror or e}.") from None
        raise


def _terminated(signum: int, frame: object) -> None:
    sys.exit(128 + signum)  # unwinds like Ctrl-C: a half-written report's temp file is removed


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(2)
    except DiagnoseError as e:
        click.echo(f"antrea-diagnose: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as e:  # never a traceback for the user; ANTREA_DIAGNOSE_DEBUG=1 shows it
        if os.environ.get("ANTREA_DIAGNOSE_DEBUG"):
            raise
        click.echo(f"antrea-diagnose: internal error ({type(e).__name__}: {e}); "
                   "rerun with ANTREA_DIAGNOSE_DEBUG=1 and report it.", err=True)
        sys.exit(InputError.exit_code)
