"""The tool's own errors: each carries one sentence for the user and an exit code."""

from __future__ import annotations


class DiagnoseError(Exception):
    exit_code = 1


class UsageError(DiagnoseError):
    exit_code = 2


class InputError(DiagnoseError):
    """The input could not be read at all (exit 3)."""

    exit_code = 3
