"""`antrea-diagnose diff OLD NEW`: what changed between two bundles of one cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from diagnose.cli import base, pipeline
from diagnose.errors import UsageError

FORMATS = ("terminal", "md", "json")
SUFFIX_FORMATS = {".md": "md", ".markdown": "md", ".json": "json"}


@click.command(
    cls=base.Command,
    epilog="""\b
Examples:
  antrea-diagnose diff before-upgrade/ after-upgrade/
  antrea-diagnose diff yesterday.tar.gz today.tar.gz --format md -o diff.md    for an issue comment
  antrea-diagnose diff old.tgz new.tgz -f json | jq '.findings.appeared'
  antrea-diagnose diff old/ new/ --fail-on error        exit 1 when an error (or worse) appeared""",
)
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS, case_sensitive=False),
    help="Output format. Default: terminal, or from the -o file's suffix (.md, .json).",
)
@base.output_option
@base.fail_on_option("Exit 1 when a finding of this severity or worse appeared in NEW or got worse.")
@base.rules_option
@base.selection_options
@base.limit_option("Change a limit on untrusted input for this run (see `scan --help`), for both bundles.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no notes on stderr.")
def diff(
    old: str,
    new: str,
    fmt: str | None,
    output: str | None,
    fail_on: str | None,
    rule_dirs: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    limit_items: tuple[str, ...],
    quiet: bool,
) -> None:
    """Compare two bundles of the same cluster (OLD before NEW; either may be - for standard
    input): findings that appeared, were resolved or changed severity; Nodes added, lost or
    failed; Antrea version, feature gates and agent and controller config; routes, interfaces
    and addresses, and OVS ports per Node."""
    from diagnose import diff as differ
    from diagnose.diff import render

    if old == "-" and new == "-":
        raise UsageError("Standard input (-) can be read only once: give OLD or NEW as a path.")
    to_file = output is not None and output != "-"
    fmt = base.format_for(fmt, output, SUFFIX_FORMATS)
    inputs = pipeline.inputs_of((old, new))
    if to_file and output is not None:
        pipeline.check(output, inputs, what="the diff")
    limits = base.parse_limits(limit_items)
    rules = base.load_rules(rule_dirs, select, ignore)
    with pipeline.diagnosed((old,), rules, limits, progress=not quiet) as (before, _):
        with pipeline.diagnosed((new,), rules, limits, progress=not quiet) as (after, _):
            result = differ.diff(before, after)
    if fmt == "terminal" and not to_file:
        render.print_terminal(result, base.console())
    else:
        text = {"json": render.render_json, "md": render.render_markdown}.get(fmt)
        body = text(result) if text else render.render_terminal(result, width=base.file_width())
        pipeline.write(body, output, inputs, what="the diff", done=f"Diff written to {output}", quiet=quiet)
    if base.at_or_above(differ.worst_new(result), fail_on):
        sys.exit(1)
