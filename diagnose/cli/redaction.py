"""`antrea-diagnose redact SOURCE -o OUT` and `unredact REPORT --map MAP` (the work is in
diagnose.redact.commands; this module declares the options)."""

from __future__ import annotations

from pathlib import Path

import click

from diagnose.cli import base, pipeline


@click.command(
    "redact",
    cls=base.Command,
    epilog="""\b
Examples:
  antrea-diagnose redact support-bundles_20240628T185800Z/ -o redacted.tar.gz
  antrea-diagnose redact b1/ -o b1.tgz --key-file team.key      same pseudonyms across a batch""",
)
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="The redacted copy: an archive (.tar.gz, .tgz, .tar, .zip) or a new directory.",
)
@base.pseudonym_options(
    map_help="Write the private redaction map here (default: <output>.redaction-map.json); never inside "
    "the output. An existing map is continued.",
    key_help="The key shared by a batch, for the same pseudonyms in every bundle (created if missing).",
    keep_help="Keep these names as they are.",
)
def redact_command(
    source: Path, output: Path, map_path: Path | None, key_file: Path | None, keep_names: str | None
) -> None:
    """Write a redacted copy of SOURCE in the same layout (nested agent_<node>.tar.gz rebuilt), safe to
    attach to a public issue: addresses, MACs, Node/host/Pod/Namespace/user names and domains become
    consistent pseudonyms, secrets become markers."""
    from diagnose.redact import commands as redaction

    redaction.redact_bundle(source, output, map_path, key_file, keep_names, base.say)


@click.command(
    cls=base.Command,
    epilog="""\b
Examples:
  antrea-diagnose unredact report.md --map report.md.redaction-map.json
  antrea-diagnose unredact report.json --map private/map.json -o real.json""",
)
@click.argument("report", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--map",
    "map_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    required=True,
    help="The private map written by scan --redact or redact.",
)
@base.output_option
def unredact(report: Path, map_path: Path, output: str | None) -> None:
    """Translate a redacted REPORT (any format) back to the real names and addresses."""
    from diagnose.redact import commands as redaction

    if output is not None and output != "-":
        pipeline.check(output, [report, map_path], what="the translated report")
    text, count = redaction.unredact_file(report, map_path)
    if output is None or output == "-":
        pipeline.write(text, None, [])
        return
    pipeline.write(
        text,
        output,
        [report, map_path],
        what="the translated report",
        done=f"{count:,} pseudonyms translated back; written to {output}",
    )
