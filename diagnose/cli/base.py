"""What every command shares: the command class that reads the config file, the options several
commands declare, rule loading with `--select`/`--ignore`, the console and stderr messages.

Heavy modules (the engine, jinja2, rich, pandas) are imported inside functions so that `--help`
and shell completion stay fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from diagnose import config as config_file
from diagnose.errors import UsageError
from diagnose.rules.severity import SEVERITIES

_CONFIG_KEY = "antrea_diagnose.config"
_ISOLATED_KEY = "antrea_diagnose.isolated"
_BROKEN_KEY = "antrea_diagnose.broken_config"
_NOT_IN_CONFIG = frozenset({"output", "config", "isolated", "help", "version"})  # per run, not per project


# -- the config file ------------------------------------------------------------------------------


class ConfiguredContext(click.Context):
    """Looks option defaults up in the config file, read on the first lookup (after the eager
    `--config`/`--isolated` options had their say)."""

    def lookup_default(self, name: str, call: bool = True) -> Any:
        if name not in ("config", "isolated") and not self.meta.get(self._loaded_key):
            self.meta[self._loaded_key] = True
            try:
                defaults = settings_for(self)
            except config_file.ConfigError as e:
                # Raised when the command runs (Command.invoke): `--help` and shell completion
                # still work with a broken config file.
                self.meta[_BROKEN_KEY] = e
                defaults = {}
            if defaults:
                self.default_map = {**(self.default_map or {}), **defaults}
        # click types the two values of `call` as two overloads
        if call:
            return super().lookup_default(name, call=True)
        return super().lookup_default(name, call=False)

    @property
    def _loaded_key(self) -> str:
        return f"antrea_diagnose.loaded:{command_key(self)}"


class Command(click.Command):
    context_class = ConfiguredContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_config_options())

    def invoke(self, ctx: click.Context) -> Any:
        broken = ctx.meta.pop(_BROKEN_KEY, None)
        if broken is not None:
            raise broken
        return super().invoke(ctx)


class Group(click.Group):
    context_class = ConfiguredContext
    command_class = Command


class LazyGroup(Group):
    """A group whose commands live in modules imported when the command is looked up: to run it,
    to list it (`--help`, completion, the config file's keys). `scan` imports nothing of `batch`."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy  # command name -> "module:attribute"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            import importlib

            module, attribute = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)


def _config_options() -> list[click.Option]:
    def remember(key: str) -> Callable[[click.Context, click.Parameter, Any], None]:
        def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
            if value:
                ctx.meta[key] = value

        return callback

    return [
        click.Option(
            ["--config"],
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            is_eager=True,
            expose_value=False,
            callback=remember(_CONFIG_KEY),
            help="Read settings from this TOML file instead of the nearest .antrea-diagnose.toml or "
            "pyproject.toml [tool.antrea-diagnose] (docs/cli.md#config-file).",
        ),
        click.Option(
            ["--isolated"],
            is_flag=True,
            is_eager=True,
            expose_value=False,
            callback=remember(_ISOLATED_KEY),
            help="Ignore every config file.",
        ),
    ]


def command_key(ctx: click.Context) -> str:
    """`scan`, `rules-list`: the name of a command's own table in the config file."""
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return "-".join(reversed(names))


def command_keys(group: click.Group, ctx: click.Context, prefix: str = "") -> dict[str, click.Command]:
    out: dict[str, click.Command] = {}
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        key = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            out.update(command_keys(cmd, ctx, key + "-"))
        elif cmd is not None:
            out[key] = cmd
    return out


def settings_for(ctx: click.Context) -> dict[str, Any]:
    """The defaults the config file gives this command, checked against its options."""
    if ctx.meta.get(_ISOLATED_KEY):
        return {}
    path = ctx.meta.get(_CONFIG_KEY) or config_file.find()
    if path is None:
        return {}
    root = ctx.find_root().command
    commands = command_keys(root, ctx) if isinstance(root, click.Group) else {}
    cfg = config_file.load(Path(path), set(commands))
    for key in cfg.commands:
        if key not in commands:
            raise config_file.ConfigError(f"{cfg.where}: [{key}] is not a command.")
    all_keys = {_key(p) for cmd in commands.values() for p in cmd.params if _configurable(p)}
    for key in cfg.settings:
        if key not in all_keys:
            raise config_file.ConfigError(
                f"{cfg.where}: unknown key {key!r}; the keys are the long option names: {', '.join(sorted(all_keys))}."
            )
    params = {_key(p): p for p in ctx.command.params if _configurable(p)}
    defaults: dict[str, Any] = {}
    for key, value in cfg.settings.items():  # top level: where the option exists and takes the value
        if key in params:
            try:
                defaults[params[key].name] = _value(params[key], value, cfg, ctx)
            except click.BadParameter:
                continue
    own_key = command_key(ctx)
    for key, value in cfg.commands.get(own_key, {}).items():
        if key not in params:
            raise config_file.ConfigError(
                f"{cfg.where}: [{own_key}] has no option {key!r}; it has {', '.join(sorted(params))}."
            )
        try:
            defaults[params[key].name] = _value(params[key], value, cfg, ctx)
        except click.BadParameter as e:
            raise config_file.ConfigError(f"{cfg.where}: [{own_key}] {key} = {value!r}: {e.message}") from None
    return defaults


def _key(param: click.Parameter) -> str:
    longest = max(param.opts, key=len)
    return longest.lstrip("-")


def _configurable(param: click.Parameter) -> bool:
    return isinstance(param, click.Option) and param.name not in _NOT_IN_CONFIG and not param.hidden


def _value(param: click.Parameter, value: Any, cfg: config_file.Config, ctx: click.Context) -> Any:
    """A config value as the option would take it from the command line (checked), folders
    relative to the config file."""
    if isinstance(value, dict) and param.name == "limit_items":
        value = [f"{k}={v}" for k, v in value.items()]
    values = value if isinstance(value, list) else [value]
    if not param.multiple and isinstance(value, list):
        raise click.BadParameter("expected one value, not a list")
    out = []
    for v in values:
        if isinstance(v, (dict, list)):
            raise click.BadParameter("expected a value, not a table or list")
        if isinstance(param.type, click.Path) and isinstance(v, str):
            v = str((cfg.path.parent / Path(v).expanduser()).resolve())
        elif isinstance(v, bool) and not (isinstance(param, click.Option) and param.is_flag):
            raise click.BadParameter("expected a value, not true/false")
        out.append(param.type.convert(v, param, ctx))
    return out if param.multiple else out[0]


# -- options shared by several commands ------------------------------------------------------------


def complete_rules(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion of rule ids, slugs and categories (with the rule's title as help)."""
    from click.shell_completion import CompletionItem

    try:
        rules = load_rules(ctx.params.get("rule_dirs") or ())
    except Exception:  # completion must never print a traceback into the shell
        return []
    prefix = incomplete.rsplit(",", 1)[-1].casefold()
    head = incomplete[: len(incomplete) - len(prefix)]
    items: dict[str, str] = {}
    for r in sorted(rules, key=lambda r: r.id):
        for name, text in ((r.id, r.title), (r.slug, r.title), (r.category, "category")):
            if name.casefold().startswith(prefix):
                items.setdefault(head + name, text)
    return [CompletionItem(name, help=text) for name, text in items.items()]


rules_option = click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also load the rule modules in DIR (repeatable); the built-in pack always comes first. Rule modules "
    "are Python code: this imports and runs the code in DIR, so use only folders you trust.",
)
templates_option = click.option(
    "--templates",
    "template_dirs",
    multiple=True,
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Look for report templates (md, html) in DIR before the built-in ones (repeatable). Templates run "
    "code when rendered: use only folders you trust. Variables: docs/templates.md.",
)


output_option = click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write to FILE instead of standard output ('-': standard output). A file is replaced atomically; a "
    "device or FIFO (/dev/null) is written to, never replaced; nothing is written over or inside the input.",
)


def format_for(fmt: str | None, destination: str | None, suffixes: dict[str, str], default: str = "terminal") -> str:
    """`--format`, else the one the -o file's suffix names, else `default`."""
    if fmt:
        return fmt.lower()
    if destination is None or destination == "-":
        return default
    return suffixes.get(Path(destination).suffix.lower(), default)


def selection_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--ignore",
        "ignore",
        multiple=True,
        metavar="RULES",
        shell_complete=complete_rules,
        help="Do not run these rules (ids, id prefixes, slugs or categories; comma-separated or repeated; any case).",
    )(f)
    return click.option(
        "--select",
        "select",
        multiple=True,
        metavar="RULES",
        shell_complete=complete_rules,
        help="Run only these rules (ids such as ANT-SEC-001, id prefixes such as ANT-SEC, slugs "
        "or categories; comma-separated or repeated; any case).",
    )(f)


def pseudonym_options(
    map_help: str, key_help: str, keep_help: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--map`, `--key-file` and `--keep-names`, shared by `redact` and `scan --redact` (each
    says in its help texts when they apply)."""

    def add(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option("--keep-names", metavar="pods,namespaces", help=keep_help)(f)
        f = click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), help=key_help)(f)
        return click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path), help=map_help)(f)

    return add


def limit_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--limit", "limit_items", multiple=True, metavar="NAME=VALUE", help=help_text)


def fail_on_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--fail-on", type=click.Choice(SEVERITIES, case_sensitive=False), help=help_text)


def parse_limits(items: Iterable[str]) -> Any:
    from diagnose.bundle import limits as bundle_limits

    try:
        return bundle_limits.parse_overrides(items)
    except ValueError as e:
        raise UsageError(f"{e}.") from None


def load_rules(rule_dirs: Iterable[Path] = (), select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Any]:
    from diagnose.rules import rulepack, selection

    rules = rulepack.load(rulepack.rule_dirs(tuple(rule_dirs)))
    return selection.apply(rules, select, ignore) if (select or ignore) else rules


def at_or_above(severity: str | None, threshold: str | None) -> bool:
    """True when `severity` is `threshold` or worse (`--fail-on`)."""
    return bool(
        threshold and severity in SEVERITIES and SEVERITIES.index(severity) <= SEVERITIES.index(threshold.lower())
    )


# -- where text goes ----------------------------------------------------------------------------------


def say(text: str) -> None:
    """A message for the user on stderr (never mixed into a report on stdout)."""
    click.echo(text, err=True)


def width(stream: Any = None) -> int:
    """Columns for a table: $COLUMNS, else the terminal's width, else 80 (a pipe or a file)."""
    if os.environ.get("COLUMNS", "").isdigit():
        return file_width()
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        pass
    return 80


def file_width() -> int:
    """Columns for text that goes to a file: $COLUMNS, else 80."""
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else 80


def console(stream: Any = None) -> Any:
    """A rich console on stdout (or `stream`) at `width()` columns; colours only on a terminal.
    A closed pipe (`| head`) ends the command through main() (exit 141), not rich's exit 1,
    which would read as "a finding at or above --fail-on"."""
    from rich.console import Console

    class PipeAwareConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return PipeAwareConsole(file=stream, width=width(stream), highlight=False, emoji=False)


def rendered(renderable: Any, columns: int) -> str:
    """A rich renderable as plain text at `columns` (for a file or a pipe)."""
    import io

    from rich.console import Console

    text = io.StringIO()
    out = Console(file=text, width=columns, color_system=None, highlight=False, emoji=False, legacy_windows=False)
    out.print(renderable)
    return text.getvalue()
