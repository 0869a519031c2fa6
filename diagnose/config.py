"""The config file: `.antrea-diagnose.toml`, or the `[tool.antrea-diagnose]` table of a
`pyproject.toml`, whichever is nearest from the working directory upward (as ruff finds its
settings). In a folder that has both, `.antrea-diagnose.toml` wins; a `pyproject.toml` without
the table is passed over.

The keys are the long option names (`format`, `fail-on`, `rules`, `templates`, `select`,
`ignore`, `limit`, `keep-names`, ...). A key at the top applies to every command that has that
option and accepts the value (`format = "md"` sets `scan` and `diff`, not `timeline`); a table
named after a command (`[tool.antrea-diagnose.scan]`, `rules-list` for `rules list`) applies to
that command only and wins over the top. Options given on the command line win over both.
Relative folders are relative to the config file. This module reads and checks the file's
shape; `diagnose.cli.base` checks each value against its option.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diagnose.errors import UsageError

FILE_NAME = ".antrea-diagnose.toml"
PYPROJECT = "pyproject.toml"
TOOL = "antrea-diagnose"


class ConfigError(UsageError):
    """A config file that cannot be used: one sentence naming the file (exit 2)."""


@dataclass
class Config:
    """The settings read from a config file: top-level options and per-command tables."""

    path: Path
    settings: dict[str, Any] = field(default_factory=dict)  # top-level option keys
    commands: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-command tables

    @property
    def where(self) -> str:
        return f"{self.path} [tool.{TOOL}]" if self.path.name == PYPROJECT else str(self.path)


def find(start: Path | None = None) -> Path | None:
    """The nearest config file from `start` (default: the working directory) upward."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / FILE_NAME
        if own.is_file():
            return own
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def load(path: Path, command_names: set[str]) -> Config:
    """Read `path`; `command_names` are the names a per-command table may have."""
    data = _read(path)
    tools = data.get("tool")
    tool = tools if isinstance(tools, dict) else {}
    if path.name == PYPROJECT or TOOL in tool:
        table = tool.get(TOOL)
        if table is None:
            raise ConfigError(f"{path} has no [tool.{TOOL}] table.")
    else:
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{TOOL}] must be a table.")
    config = Config(path)
    for key, value in table.items():
        if key in command_names and isinstance(value, dict):
            config.commands[key] = value
        elif isinstance(value, dict) and key != "limit":
            known = ", ".join(sorted(command_names))
            raise ConfigError(
                f"{config.where}: [{key}] is not a command table; tables are named after a command ({known})."
            )
        else:
            config.settings[key] = value
    return config


def _toml() -> Any:
    """tomllib (tomli before Python 3.11), imported when a config file is there to read."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


def _read(path: Path) -> dict[str, Any]:
    tomllib = _toml()
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"Cannot read the config file {path}: {e.strerror or e}.") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"The config file {path} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"The config file {path} is not valid TOML: {e}.") from None


def _has_tool_table(path: Path) -> bool:
    tomllib = _toml()
    try:
        return TOOL in tomllib.loads(path.read_bytes().decode("utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # someone else's broken pyproject.toml is not our config
