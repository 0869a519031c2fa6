"""Command line: `antrea-diagnose scan SOURCE`, `antrea-diagnose rules list|show`.

Heavy modules (the engine, jinja2, rich, pandas) are imported inside the commands so that
`--help` stays fast. Errors are one sentence on stderr with the documented exit code:
0 scanned, 1 a finding at or above --fail-on, 2 usage error, 3 input unreadable.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from diagnose import __version__
from diagnose.errors import DiagnoseError, InputError, UsageError

SEVERITIES = ("critical", "error", "warning", "info")
FORMATS = ("terminal", "md", "html", "json")
_SUFFIX_FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}

rules_option = click.option(
    "--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
    help="Also load the rule modules in DIR (repeatable); the built-in pack always comes first.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="antrea-diagnose")
def cli() -> None:
    """Find the root cause of an Antrea failure in a support bundle or in pasted files."""


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS),
              help="Report format. Default: terminal, or from the -o file's suffix.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE (atomically) instead of standard output.")
@click.option("--fail-on", type=click.Choice(SEVERITIES),
              help="Exit 1 when a finding has this severity or worse (for CI and scripts).")
@rules_option
@click.option("--templates", "template_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Look for report templates in DIR before the built-in ones (repeatable).")
def scan(source: Path, fmt: str | None, output: Path | None, fail_on: str | None,
         rule_dirs: tuple[Path, ...], template_dirs: tuple[Path, ...]) -> None:
    """Diagnose SOURCE: an antctl support-bundles directory or archive, one Node's agent
    bundle, a directory of pasted files, or a single log or command output."""
    from diagnose import report, rulepack
    from diagnose.engine import diagnose

    if fmt is None:
        fmt = _SUFFIX_FORMATS.get(output.suffix.lower(), "terminal") if output else "terminal"
    if output is not None:
        _check_output(output, source)
    rules = rulepack.load(rulepack.rule_dirs(rule_dirs))
    result = diagnose(source, rules)
    data = result.to_dict()
    if output is None and fmt == "terminal":
        report.print_terminal(data)
    else:
        text = report.render(data, fmt, list(template_dirs))
        if output is None:
            click.echo(text, nl=not text.endswith("\n"))
        else:
            _write_atomically(output, text)
            click.echo(f"Report written to {output}", err=True)
    worst = result.worst_severity()
    if fail_on and worst and SEVERITIES.index(worst) <= SEVERITIES.index(fail_on):
        sys.exit(1)


@cli.group()
def rules() -> None:
    """The rule catalogue."""


@rules.command("list")
@rules_option
def rules_list(rule_dirs: tuple[Path, ...]) -> None:
    """List the loaded rules."""
    from diagnose import rulepack

    for r in rulepack.load(rulepack.rule_dirs(rule_dirs)):
        click.echo(f"{r.id:<12} {r.severity:<9} {r.category:<26} {r.title}")


@rules.command("show")
@click.argument("rule_id")
@rules_option
def rules_show(rule_id: str, rule_dirs: tuple[Path, ...]) -> None:
    """Show a rule's documentation and metadata (RULE_ID is its id or slug)."""
    from diagnose import rulepack

    for r in rulepack.load(rulepack.rule_dirs(rule_dirs)):
        if rule_id in (r.id, r.slug):
            click.echo(f"{r.id}  {r.title}\n")
            click.echo(f"category: {r.category}   severity: {r.severity}   applies to: {r.applies_to}"
                       + (f"   fixed in: {r.fixed_in}" if r.fixed_in else ""))
            click.echo(f"module: {r.path}\n")
            click.echo(r.doc)
            return
    raise UsageError(f"No rule has the id or slug {rule_id!r}; see `antrea-diagnose rules list`.")


def _check_output(output: Path, source: Path) -> None:
    out = output.resolve()
    src = source.resolve()
    if out == src or (src.is_dir() and out.is_relative_to(src) and out.exists()):
        raise UsageError(f"Refusing to write the report over the input ({output}).")
    if not out.parent.is_dir():
        raise UsageError(f"The directory of {output} does not exist.")


def _write_atomically(path: Path, text: str) -> None:
    """Write next to the target, then rename: an interrupted run never leaves half a report."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main() -> None:
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
