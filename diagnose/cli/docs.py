"""docs/cli.md, generated from the click commands themselves (a test keeps the file in sync):
`python -m diagnose.cli.docs > docs/cli.md`."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import click

REGENERATE = "python -m diagnose.cli.docs > docs/cli.md"

INTRO = """# Command line

<!-- Generated from the click commands by `{regenerate}`; do not edit by hand. -->

`antrea-diagnose COMMAND [OPTIONS] ARGS` (also `python -m diagnose`). `antrea-diagnose --help` and
`antrea-diagnose COMMAND --help` print the same reference as this page.

## Conventions

- **Sources.** `scan` and `timeline` take one source or several: an `antctl supportbundle` folder or
  archive, one Node's bundle, a folder of pasted files, single files, or `-` for standard input
  (`kubectl logs -n kube-system POD -c antrea-agent | antrea-diagnose scan -`; an archive piped in is
  recognised by its content). Several sources are read together as one paste: they are hard-linked
  (or, across file systems, copied) into a private temp folder (mode 0700) that is removed when the
  command ends; nothing is written anywhere else. Files with the same name keep their folder's name
  (`node1/agent.log`, `node2/agent.log`), and the report names the sources as given.
- **Output.** Reports go to standard output unless `-o FILE` names a file; `-o -` is standard
  output too. A file is written to a temp file beside it (in the folder named, also when FILE is a
  symbolic link: the link is replaced, its target left alone) and renamed over it, so an interrupted
  run never leaves half a report. A character device or FIFO (`/dev/null`, `/dev/stdout`, a named
  pipe) is written to and never replaced; a write that fails (`/dev/full`, a full disk) is an error.
  A directory, a block device or a socket is refused. Nothing is ever written over or inside an
  input. New files get the permissions your umask gives (an existing file keeps its own); the
  redaction map and key file are always private (0600). Notes and progress go to stderr, never
  into a report.
- **Terminal.** Tables fit `$COLUMNS`, or the terminal's width, or 80 columns on a pipe or in a
  file. Colours only on a terminal (`NO_COLOR` turns them off). A scan that takes more than two
  seconds shows a progress bar on stderr when stderr is a terminal; `-q` turns it off.
- **Rule selection.** `--select` and `--ignore` take rule ids (`ANT-SEC-001`), id prefixes
  (`ANT-SEC`), slugs (`secondary-bridge-took-node-nic`) or categories (`mtu`), comma-separated or
  repeated, in any case; a name that matches no rule is an error. Rule ids in `rules show` and
  values such as `--fail-on CRITICAL` are case-insensitive too.
- **Times.** `timeline --since/--until` take `18:57`, `18:57:03`, `2024-06-28 18:57` or ISO 8601
  (`2024-06-28T18:57:03Z`; a zone is converted to UTC). A time of day is placed on the logs' last
  day (the day before when that would be after the last event); a time covers its whole minute
  or second (`--until 18:57` includes 18:57:59).
- **Code from folders.** `--rules DIR` imports and runs the Python modules in DIR, `rules lint DIR`
  imports them too, and `--templates DIR` runs Jinja2 templates: use folders you trust.
  Template variables: [templates.md](templates.md).

## Exit codes

| Code | Meaning |
|---|---|
| 0 | done (whatever was found) |
| 1 | a finding at or above `--fail-on` (for `diff`: one that appeared or got worse) |
| 2 | usage error: a bad option or config file, an unknown rule, a template error, an output that cannot be written |
| 3 | the input could not be read at all |
| 4 | `scan --strict-rules`: a rule raised an exception (a bug in the rule; the report lists it) |
| 130 | interrupted (Ctrl-C) |
| 141 | the reader of the pipe went away (`| head`) |

Errors are one sentence on stderr; `ANTREA_DIAGNOSE_DEBUG=1` shows the traceback of an internal error.

## Config file

Settings are read from `.antrea-diagnose.toml`, or from the `[tool.antrea-diagnose]` table of a
`pyproject.toml`, whichever is nearest from the working directory upward (in one folder,
`.antrea-diagnose.toml` wins; a `pyproject.toml` without the table is passed over). `--config FILE`
names one, `--isolated` ignores them all. The keys are the long option names. A key at the top
applies to every command that has that option and accepts the value; a table named after a
command (`rules-list` for `rules list`) applies to that command only and wins; the command line
wins over both. Folders are relative to the config file. An unknown key or a bad value is a
usage error naming the file.

```toml
[tool.antrea-diagnose]
format = "md"                 # scan and diff (timeline has no md: it keeps its default)
fail-on = "error"
rules = ["ops/antrea-rules"]  # relative to this file
templates = ["ops/templates"]
ignore = ["benign"]
keep-names = "namespaces"     # scan --redact

[tool.antrea-diagnose.limit]  # --limit NAME=VALUE
max_total_bytes = "64GiB"

[tool.antrea-diagnose.timeline]
format = "csv"
```

## Shell completion

Commands, options, files and rule ids, slugs and categories (for `rules show`, `--select`,
`--ignore`) complete in bash, zsh and fish:

```sh
eval "$(_ANTREA_DIAGNOSE_COMPLETE=bash_source antrea-diagnose)"   # ~/.bashrc
eval "$(_ANTREA_DIAGNOSE_COMPLETE=zsh_source antrea-diagnose)"    # ~/.zshrc
_ANTREA_DIAGNOSE_COMPLETE=fish_source antrea-diagnose > ~/.config/fish/completions/antrea-diagnose.fish
```

## Commands
"""


def render(root: click.Group) -> str:
    out = [INTRO.format(regenerate=REGENERATE)]
    ctx = click.Context(root, info_name="antrea-diagnose", **root.context_settings)
    for path, command in _commands(root, ("antrea-diagnose",), ctx):
        out.append(_command(path, command, ctx))
    return "\n".join(out).rstrip() + "\n"


def _commands(
    group: click.Group, path: tuple[str, ...], ctx: click.Context
) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = []
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*path, name), ctx))
        elif command is not None:
            found.append(((*path, name), command))
    return found


def _command(path: tuple[str, ...], command: click.Command, parent: click.Context) -> str:
    ctx = click.Context(command, info_name=" ".join(path), parent=parent)
    usage = " ".join([*path, *command.collect_usage_pieces(ctx)])
    lines = [f"### `{' '.join(path[1:])}`", "", "```", usage, "```", "", _paragraphs(command.help or "")]
    rows = []
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option) or param.hidden:
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, text = record
        rows.append(f"| `{_cell(names)}` | {_cell(text)} |")
    if rows:
        lines += ["", "| Option | Description |", "|---|---|", *rows]
    if command.epilog:
        lines += ["", *_epilog(command.epilog)]
    return "\n".join(lines) + "\n"


def _paragraphs(text: str) -> str:
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n"))


def _epilog(text: str) -> list[str]:
    """`\\b` blocks as code blocks (examples, tables), other paragraphs as text."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.startswith("\b"):
            body = block[1:].strip("\n")
            title, _, rest = body.partition("\n")
            if title.endswith(":") and rest:
                out += [title, "", "```", textwrap.dedent(rest).rstrip(), "```", ""]
            else:
                out += ["```", body, "```", ""]
        else:
            out += [_paragraphs(block), ""]
    return out


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main() -> Any:
    from diagnose.cli import cli

    print(render(cli), end="")


if __name__ == "__main__":
    main()
