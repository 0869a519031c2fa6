"""`antrea-diagnose timeline SOURCE...`: the merged event stream, for reading the story yourself."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from diagnose.cli import base, pipeline, times
from diagnose.errors import UsageError

EXAMPLES = """\b
Examples:
  antrea-diagnose timeline support-bundles.tar.gz --node node2
  antrea-diagnose timeline bundle/ --since 18:55 --until 18:57:30      times of day, on the logs' day
  antrea-diagnose timeline bundle/ --since "2024-06-28 18:55" -o events.csv
  kubectl logs -n kube-system POD -c antrea-agent | antrea-diagnose timeline -
"""


def _when(ctx: click.Context, param: click.Parameter, value: str | None) -> times.When | None:
    try:
        return times.parse(value) if value else None
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time such as {times.EXAMPLES}.") from None


@click.command(cls=base.Command, epilog=EXAMPLES)
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--node", "nodes", multiple=True, metavar="NODE", help="Only this Node's events (repeatable).")
@click.option(
    "--since",
    callback=_when,
    metavar="TIME",
    help=f"Only events at or after TIME: {times.EXAMPLES}. A time of day is on the logs' last day (the "
    "day before when that is after the last event); the logs' own clock; a zone or Z is "
    "converted to UTC.",
)
@click.option(
    "--until",
    callback=_when,
    metavar="TIME",
    help="Only events at or before TIME, which covers its whole minute or second (--until 18:57 includes 18:57:59).",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(("terminal", "csv"), case_sensitive=False),
    help="Output format. Default: terminal, or csv for an -o file ending in .csv.",
)
@base.output_option
@base.rules_option
@base.selection_options
@base.limit_option("Change a limit on untrusted input for this run (see `scan --help`).")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no notes on stderr.")
def timeline(
    sources: tuple[str, ...],
    nodes: tuple[str, ...],
    since: times.When | None,
    until: times.When | None,
    fmt: str | None,
    output: str | None,
    rule_dirs: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    limit_items: tuple[str, ...],
    quiet: bool,
) -> None:
    """Print the merged event stream of SOURCE (several are read as one; - is standard input):
    every matched log line (rule signatures and the agent's start, flow-restoration and fatal
    markers) of every Node, in time order, with its Node, agent run, level, file:line and
    message; lines without a time come last."""
    from diagnose.report import stream

    to_file = output is not None and output != "-"
    fmt = base.format_for(fmt, output, {".csv": "csv"})
    inputs = pipeline.inputs_of(sources)
    if to_file and output is not None:
        pipeline.check(output, inputs, what="the timeline")
    limits = base.parse_limits(limit_items)
    rules = base.load_rules(rule_dirs, select, ignore)
    with pipeline.diagnosed(sources, rules, limits, progress=not quiet) as (result, _):
        known = [n for n, data in result.cluster.nodes.items() if data.events]
        lowered = {n.casefold(): n for n in known}
        if unknown := [n for n in nodes if n.casefold() not in lowered]:
            raise UsageError(f"No events for Node {unknown[0]!r}; Nodes with events: {', '.join(known) or 'none'}.")
        chosen = tuple(lowered[n.casefold()] for n in nodes)
        everything = stream.rows(result.cluster, result.findings)
        start, end = _window(everything, since, until)
        found = stream.rows(result.cluster, result.findings, chosen, start, end)
    if fmt == "csv":
        text = stream.render_csv(found)
    elif not to_file:
        console = base.console()
        console.print(stream.table(found, len(everything), console.width))
        return
    else:
        text = base.rendered(stream.table(found, len(everything), base.file_width()), base.file_width())
    pipeline.write(
        text, output, inputs, what="the timeline", done=f"{len(found):,} events written to {output}", quiet=quiet
    )


def _window(rows: list, since: times.When | None, until: times.When | None) -> tuple[datetime | None, datetime | None]:
    """`--since`/`--until` as instants: a time of day is placed on the dates of the events."""
    dated = [r.time for r in rows if r.time is not None]
    dates = {t.date() for t in dated}
    last = max(dated, default=None)
    start = since.first(dates, last) if since else None
    end = until.last(dates, last) if until else None
    if (since and start is None) or (until and end is None):
        raise UsageError(
            "The logs have no dated events, so a time of day cannot be placed; give a date too (2024-06-28 18:57)."
        )
    return start, end
