"""`antrea-diagnose batch SOURCES...` and `summary RESULTS`: many bundles, and their fleet view."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from diagnose.cli import base, pipeline
from diagnose.errors import InputError, UsageError


@click.command(
    cls=base.Command,
    epilog="""\b
Examples:
  antrea-diagnose batch ./bundles/ ./more/*.tar.gz --jobs 8 --out results/
  antrea-diagnose batch bundles.txt --out results/         a list file: one path or URL per line
  antrea-diagnose batch ./bundles/ --reports html,md --out results/""",
)
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Folder for results.db, bundles/<name>/ reports and the fleet summary; no result is written elsewhere.",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes. Default: the number of cores.")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Scan on this Dask distributed scheduler (e.g. tcp://host:8786) instead of local processes.",
)
@click.option(
    "--reports",
    default="",
    metavar="FORMATS",
    help="Also write each bundle's report in these formats (comma-separated: html,md); report.json always.",
)
@click.option("--rescan", is_flag=True, help="Scan every bundle again, even one already scanned with these rules.")
@click.option("--retry-failed", is_flag=True, help="Scan again the bundles that failed before.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=600.0,
    show_default=True,
    help="Seconds one bundle may take; a slower one is stopped and recorded as failed.",
)
@base.fail_on_option("Exit 1 when a bundle of this batch has a finding of this severity or worse.")
@base.rules_option
@base.templates_option
@base.limit_option("Change a limit on untrusted input (see `scan --help`), for every bundle.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def batch(
    sources: tuple[str, ...],
    out: Path,
    jobs: int | None,
    scheduler: str | None,
    reports: str,
    rescan: bool,
    retry_failed: bool,
    timeout: float,
    fail_on: str | None,
    rule_dirs: tuple[Path, ...],
    template_dirs: tuple[Path, ...],
    limit_items: tuple[str, ...],
    quiet: bool,
) -> None:
    """Scan many bundles: SOURCES are bundles, folders of bundles, globs, list files (*.txt with
    one path or URL per line) or fsspec URLs. Bundles already scanned with the same rules are
    skipped; results go to OUT/results.db, OUT/bundles/ and OUT/summary.html."""
    from diagnose.batch import run

    formats = tuple(f.strip().lower() for f in reports.split(",") if f.strip())
    if unknown := [f for f in formats if f not in ("html", "md")]:
        raise UsageError(f"--reports {reports!r}: unknown format {unknown[0]!r}; choose from html, md.")
    limits = base.parse_limits(limit_items) if limit_items else None
    options = run.Options(
        sources=list(sources),
        out=out,
        jobs=jobs,
        scheduler=scheduler,
        reports=formats,
        rescan=rescan,
        retry_failed=retry_failed,
        time_limit=timeout,
        rule_dirs=rule_dirs,
        template_dirs=template_dirs,
        limits=limits,
        progress=not quiet,
        say=base.say,
    )
    outcome = run.run_batch(options)
    base.say(
        f"{outcome.scanned} scanned, {outcome.failed} failed, {outcome.skipped} already scanned, "
        f"{outcome.duplicates} duplicate(s). Fleet view: {out / 'summary.html'}"
    )
    if outcome.interrupted:
        base.say("Interrupted: the bundles that finished are kept; run the same command again to scan the rest.")
        sys.exit(130)
    if run.readable_count(out, outcome.locations) == 0:
        raise InputError(f"No bundle of this batch could be read; the reasons are in {out / 'summary.html'}.")
    worst = run.worst_severities(out, outcome.locations)
    if fail_on and any(base.at_or_above(w, fail_on) for w in worst):
        sys.exit(1)


@click.command(
    cls=base.Command,
    epilog="""\b
Examples:
  antrea-diagnose summary results/
  antrea-diagnose summary results/ --format md -o -        print it, e.g. for a ticket""",
)
@click.argument("results", type=click.Path(file_okay=False, path_type=Path), default=Path("results"))
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(("html", "md"), case_sensitive=False),
    help="Render only this format. Default: every summary file (html, md, csv, parquet).",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="With --format: write to FILE ('-' for standard output) instead of RESULTS/summary.<format>.",
)
def summary(results: Path, fmt: str | None, output: str | None) -> None:
    """Re-render the fleet view of a batch's RESULTS folder from its results.db (nothing is scanned)."""
    from diagnose.batch import store
    from diagnose.batch import summary as fleet_summary

    try:
        if fmt is None:
            if output is not None:
                raise UsageError("-o needs --format: without it every summary file is written into RESULTS.")
            files, notes = fleet_summary.write_all(results)
            for note in notes:
                base.say(note)
            base.say("Written: " + ", ".join(str(f) for f in files))
            return
        fmt = fmt.lower()
        text = fleet_summary.render(results, fmt)
    except store.StoreError as e:
        raise InputError(str(e)) from None
    target = output or str(results / fleet_summary.FILES[fmt])
    pipeline.write(text, target, [], what="the fleet view", done=f"Fleet view written to {target}")
