"""`antrea-diagnose rules list|show|lint|test`: the rule catalogue and rule packs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from diagnose.cli import base
from diagnose.errors import UsageError

WIDE_TABLE = 120  # columns from which `rules list` has a Versions column of its own


@click.group(cls=base.Group)
def rules() -> None:
    """The rule catalogue: list, show one rule's documentation, check a rule pack."""


@rules.command(
    "list",
    epilog="""\b
Examples:
  antrea-diagnose rules list
  antrea-diagnose rules list --select secondary-network-uplink,mtu
  antrea-diagnose rules list --format json | jq -r '.[].id'
  antrea-diagnose rules list --rules ./my-rules""",
)
@base.rules_option
@base.selection_options
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(("table", "json"), case_sensitive=False),
    default="table",
    show_default=True,
    help="A table to read, or JSON (one object per rule) for scripts.",
)
def rules_list(rule_dirs: tuple[Path, ...], select: tuple[str, ...], ignore: tuple[str, ...], fmt: str) -> None:
    """List the loaded rules, sorted by id: id, severity, category, title and the Antrea versions
    they cover."""
    from diagnose.rules.catalogue import versions_text

    loaded = sorted(base.load_rules(rule_dirs, select, ignore), key=lambda r: r.id)  # loads; compiles nothing
    if fmt.lower() == "json":
        import json

        rows = [
            {
                "id": r.id,
                "slug": r.slug,
                "severity": r.severity,
                "category": r.category,
                "title": r.title,
                "applies_to": r.applies_to,
                "fixed_in": r.fixed_in,
                "explains": list(r.explains),
                "references": list(r.references),
                "module": r.path,
            }
            for r in loaded
        ]
        from diagnose import output

        output.write_stdout(json.dumps(rows, indent=2) + "\n")
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console = base.console()
    wide = console.width >= WIDE_TABLE  # narrower: versions go under the title, only where they matter
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        caption=f"{len(loaded)} rules; `antrea-diagnose rules show ID` for one rule's documentation",
    )
    for name in ("ID", "Severity", "Category", "Title", *(["Versions"] if wide else [])):
        table.add_column(name, overflow="fold", no_wrap=name in ("ID", "Severity", "Category"))
    for r in loaded:
        title = Text(r.title)
        versions = versions_text(r)
        if not wide and versions != "all versions":
            title.append(f" ({versions})", style="dim")
        table.add_row(Text(r.id), Text(r.severity), Text(r.category), title, *([Text(versions)] if wide else []))
    console.print(table)


@rules.command(
    "show",
    epilog="""\b
Examples:
  antrea-diagnose rules show ANT-SEC-001
  antrea-diagnose rules show secondary-bridge-took-node-nic""",
)
@click.argument("rule_id", shell_complete=base.complete_rules)
@base.rules_option
def rules_show(rule_id: str, rule_dirs: tuple[Path, ...]) -> None:
    """Show a rule's documentation and metadata (RULE_ID is its id or slug, in any case)."""
    from rich.markdown import Markdown

    from diagnose.rules import selection
    from diagnose.rules.catalogue import rule_markdown

    found = selection.find(base.load_rules(rule_dirs), rule_id)
    if found is None:
        raise UsageError(f"No rule has the id or slug {rule_id!r}; see `antrea-diagnose rules list`.")
    console = base.console()
    console.print(Markdown(rule_markdown(found, level=1)))
    console.print(f"\nmodule: {found.path}", markup=False, highlight=False)


@rules.command(
    "lint",
    epilog="""\b
Examples:
  antrea-diagnose rules lint                 the built-in pack
  antrea-diagnose rules lint ./my-rules      your pack (imports and runs its modules)""",
)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--fixtures",
    type=click.Path(file_okay=False, path_type=Path),
    help="Fixture folders of the pack (<module>/fires-*, <module>/quiet-*). "
    "Default: DIR/fixtures or DIR/tests/fixtures; tests/rules/fixtures for the built-in pack.",
)
def rules_lint(directory: Path | None, fixtures: Path | None) -> None:
    """Check the rule modules in DIR (default: the built-in pack): documentation sections,
    metadata, signatures (compile, literal, both matching engines, slow patterns), a check()
    that survives an empty bundle, fixtures. Prints `path: ID: problem`; exit 1 on errors.
    Rule modules are Python code: this imports and runs the code in DIR, so lint only packs
    you trust (read them first)."""
    from diagnose.rules import lint

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


@rules.command(
    "test",
    epilog="""\b
Examples:
  antrea-diagnose rules test                       every fixture of the built-in pack
  antrea-diagnose rules test ./my-rules            your pack's fixtures (with the built-in rules loaded)
  antrea-diagnose rules test ./my-rules -k mtu     only the cases whose path contains "mtu\"""",
)
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--fixtures",
    type=click.Path(file_okay=False, path_type=Path),
    help="Fixture folders of the pack (<module>/<case>/ with an expect.yaml). "
    "Default: DIR/fixtures or DIR/tests/fixtures; tests/rules/fixtures for the built-in pack.",
)
@click.option("-k", "keyword", help="Only the cases whose <module>/<case> path contains this text.")
def rules_test(directory: Path | None, fixtures: Path | None, keyword: str | None) -> None:
    """Scan every fixture folder of a rule pack and check the report against the expect.yaml beside
    it (format: docs/writing-rules.md). Prints one line per case; exit 1 when a case fails, has
    no expect.yaml, or a rule raises. Imports and runs the code in DIR: test only packs you trust."""
    from diagnose.diagnosis.engine import scanner_for
    from diagnose.rules import expectations, lint, rulepack

    if directory is not None and not directory.is_dir():
        raise UsageError(f"Rule directory {directory} does not exist.")
    if directory is not None and directory.resolve() == rulepack.builtin_rules_dir().resolve():
        directory = None  # the built-in pack itself
    fixtures = fixtures or lint.fixtures_dir(directory)
    if fixtures is None or not fixtures.is_dir():
        raise UsageError(f"No fixtures folder for {directory or 'the built-in pack'}: pass --fixtures DIR.")
    loaded = rulepack.load(rulepack.rule_dirs((directory,) if directory else ()))
    scanner = scanner_for(loaded)
    failed = passed = 0
    for case in expectations.cases(fixtures):
        if keyword and keyword not in case.name:
            continue
        problems = _case_problems(case, loaded, scanner)
        if problems:
            failed += 1
            click.echo(f"FAIL {case.name}: " + " | ".join(problems))
        else:
            passed += 1
            click.echo(f"ok   {case.name}")
    click.echo(f"{passed} passed, {failed} failed.", err=True)
    if failed or not passed:
        sys.exit(1)


def _case_problems(case, loaded, scanner) -> list[str]:
    from diagnose.diagnosis.engine import diagnose
    from diagnose.rules import expectations

    if not case.spec_path.exists():
        return [f"no {expectations.FILE}: say what this case expects"]
    try:
        spec = case.spec()
    except expectations.SpecError as e:
        return [str(e)]
    return expectations.problems(diagnose(case.path, loaded, scanner, raise_rule_errors=False).to_dict(), spec)
