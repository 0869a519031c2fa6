"""`antrea-diagnose scan SOURCE...`: the diagnosis of one bundle, of pasted files, or of stdin."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from diagnose.bundle import limits as bundle_limits
from diagnose.cli import base, pipeline

FORMATS = ("terminal", "md", "html", "json")
SUFFIX_FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}

EXAMPLES = """\b
Examples:
  antrea-diagnose scan support-bundles_20240628T185800Z/       an antctl output folder
  antrea-diagnose scan support-bundles.tar.gz -o report.html   the format from the suffix
  antrea-diagnose scan agent.log ip-route.txt ip-addr.txt      several files, read as one paste
  kubectl logs -n kube-system POD -c antrea-agent | antrea-diagnose scan -
  antrea-diagnose scan bundle.zip -f json -o - | jq .verdict   JSON on standard output
  antrea-diagnose scan bundle/ -q --fail-on error              CI: short output, exit 1 on errors
  antrea-diagnose scan bundle/ --ignore benign --select ANT-SEC,mtu
"""


@click.command(cls=base.Command, epilog=EXAMPLES + "\n" + bundle_limits.help_text())
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS, case_sensitive=False),
    help="Report format. Default: terminal, or from the -o file's suffix (.md, .html, .json).",
)
@base.output_option
@base.fail_on_option(
    "Exit 1 when a finding has this severity or worse, or when nothing could be judged "
    "(verdict not-enough-evidence: a gate that could not look must not pass). For CI and scripts."
)
@base.rules_option
@base.templates_option
@base.selection_options
@base.limit_option("Change a limit on untrusted input for this run (repeatable); the limits are listed below.")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print only the verdict and the table of findings (terminal format), no progress and no notes on stderr.",
)
@click.option(
    "--strict-rules",
    is_flag=True,
    help="Exit 4 when a rule raised an exception on this source (a bug in the rule: what it checks is "
    "missing from the report). For CI of rule packs.",
)
@click.option(
    "--redact",
    is_flag=True,
    help="Replace addresses, names and secrets in the report with pseudonyms (docs/redaction.md).",
)
@base.pseudonym_options(
    map_help="With --redact: write the private redaction map here (default: <report>.redaction-map.json when "
    "the report goes to a file).",
    key_help="With --redact: the key shared by a batch, for the same pseudonyms in every report (created if missing).",
    keep_help="With --redact: keep these names as they are.",
)
def scan(
    sources: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    fail_on: str | None,
    rule_dirs: tuple[Path, ...],
    template_dirs: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    limit_items: tuple[str, ...],
    quiet: bool,
    strict_rules: bool = False,
    redact: bool = False,
    map_path: Path | None = None,
    key_file: Path | None = None,
    keep_names: str | None = None,
) -> None:
    """Diagnose SOURCE: an antctl support-bundles folder or archive, one Node's agent bundle, a
    folder of pasted files, a single log or command output, or - for standard input. Several
    SOURCEs are read together, as one paste."""
    from diagnose.diagnosis.verdict import NOT_ENOUGH
    from diagnose.report import templating

    fmt = base.format_for(fmt, output, SUFFIX_FORMATS)
    limits = base.parse_limits(limit_items)
    inputs = pipeline.inputs_of(sources)
    if output is not None:
        pipeline.check(output, inputs)
    session = _redaction_session(redact, sources, inputs, output, map_path, key_file, keep_names, quiet)
    if template_dirs and fmt not in ("md", "html") and not quiet:
        base.say(f"Note: --templates applies to the md and html formats, not to {fmt}.")
    rules = base.load_rules(rule_dirs, select, ignore)
    if session is not None:
        from diagnose.redact import commands as redaction
    with pipeline.diagnosed(sources, rules, limits, progress=not quiet) as (result, _):
        data = result.to_dict()
        if session is not None:  # the diagnosis above ran on the real data; only its report is redacted
            data = redaction.redact_report(result, data, session, rules)
        to_stdout = output is None or output == "-"
        if fmt == "terminal" and to_stdout:
            from diagnose.report.terminal import print_terminal

            print_terminal(data, base.console(), quiet=quiet)
        else:
            with templating.user_errors(template_dirs):
                text = _render(data, fmt, template_dirs, quiet)
            pipeline.write(text, output, inputs, done=f"Report written to {output}", quiet=quiet)
    if session is not None:
        redaction.finish(session, base.say if not quiet else lambda _: None)
    if result.rule_failures and not quiet:
        for failure in result.rule_failures:
            base.say(f"Rule {failure.rule_id} failed: {failure.error} at {failure.where}")
    if strict_rules and result.rule_failures:
        sys.exit(4)
    if fail_on and (base.at_or_above(result.worst_severity(), fail_on) or result.verdict.value == NOT_ENOUGH):
        sys.exit(1)


def _render(data: dict, fmt: str, template_dirs: tuple[Path, ...], quiet: bool) -> str | bytes:
    from diagnose import report

    if fmt == "json":  # the largest reports: written as they are encoded
        from diagnose.report.json import render_json_utf8

        return render_json_utf8(data)

    if fmt == "terminal":  # to a file or a pipe: plain text at $COLUMNS or 80 columns
        from diagnose.report.terminal import render_terminal

        return render_terminal(data, width=base.file_width(), quiet=quiet)
    return report.render(data, fmt, list(template_dirs))


def _redaction_session(
    redact: bool,
    sources: tuple[str, ...],
    inputs: list[Path],
    destination: str | None,
    map_path: Path | None,
    key_file: Path | None,
    keep_names: str | None,
    quiet: bool,
):
    if not (redact or map_path or key_file or keep_names):
        return None
    from diagnose.redact import commands as redaction

    if redact and map_path is None and pipeline.is_regular_file(destination):
        # The private map goes beside the report only when the report is a file: never
        # /dev/null.redaction-map.json, never beside a FIFO or standard output.
        map_path = Path(f"{destination}{redaction.MAP_SUFFIX}")
    if map_path is not None:
        pipeline.check(map_path, inputs, what="the redaction map")
    single = Path(sources[0]) if len(sources) == 1 and sources[0] != "-" else None
    report = Path(destination) if destination and destination != "-" else None
    return redaction.scan_session(
        redact, single, report, map_path, key_file, keep_names, base.say if not quiet else lambda _: None
    )
