"""Command line: `antrea-diagnose scan SOURCE...`, `timeline`, `diff OLD NEW`, `batch`, `summary`,
`rules list|show|lint`, `redact`, `unredact`. One module per command (or family); the options
they share, the config file and the console live in `base`.

Errors are one sentence on stderr with the documented exit code: 0 scanned, 1 a finding at or
above --fail-on, 2 usage error, 3 input unreadable, 4 a rule raised (scan --strict-rules). The
generated reference is docs/cli.md.
"""

from __future__ import annotations

import atexit
import errno
import gc
import os
import signal
import sys

import click

from diagnose import __version__, dataclass_code
from diagnose.cli.base import LazyGroup
from diagnose.errors import DiagnoseError, InputError

PROG = "antrea-diagnose"
EPILOG = """\b
Examples:
  antrea-diagnose scan support-bundles_20240628T185800Z/
  kubectl logs -n kube-system antrea-agent-x7k2p -c antrea-agent | antrea-diagnose scan -
  antrea-diagnose scan agent.log ip-route.txt ip-addr.txt --format md -o report.md
  antrea-diagnose diff before/ after/ --format md
  antrea-diagnose rules list --select secondary-network-uplink


Settings: .antrea-diagnose.toml or pyproject.toml [tool.antrea-diagnose], found
from the working directory upward. Shell completion (bash; zsh_source, fish_source):
  eval "$(_ANTREA_DIAGNOSE_COMPLETE=bash_source antrea-diagnose)"
Reference: docs/cli.md."""


# Each command's module is imported when the command is run or listed: `scan` loads no other's.
COMMANDS = {
    "scan": "diagnose.cli.scan:scan",
    "timeline": "diagnose.cli.timeline:timeline",
    "diff": "diagnose.cli.diff:diff",
    "batch": "diagnose.cli.batch:batch",
    "summary": "diagnose.cli.batch:summary",
    "rules": "diagnose.cli.rules:rules",
    "redact": "diagnose.cli.redaction:redact_command",
    "unredact": "diagnose.cli.redaction:unredact",
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(__version__, "-V", "--version", prog_name="antrea-diagnose")
def cli() -> None:
    """Find the root cause of an Antrea failure in a support bundle or in pasted files."""


def _terminated(signum: int, frame: object) -> None:
    sys.exit(128 + signum)  # unwinds like Ctrl-C: temp files and half-written reports are removed


def main() -> None:
    dataclass_code.install()  # before the command's modules create their classes
    signal.signal(signal.SIGTERM, _terminated)
    _skip_exit_collection()
    try:
        try:
            cli.main(prog_name=PROG, standalone_mode=False)
        finally:
            sys.stdout.flush()  # a full disk or a closed pipe is reported here, not lost at exit
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(2)
    except DiagnoseError as e:
        click.echo(f"antrea-diagnose: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        _quiet_stdout()  # the reader of the pipe went away (`| head`): stop without a word
        sys.exit(128 + signal.SIGPIPE if hasattr(signal, "SIGPIPE") else 1)
    except OSError as e:
        if e.errno == errno.EPIPE:
            _quiet_stdout()
            sys.exit(141)
        if e.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT):
            click.echo(f"antrea-diagnose: Cannot write to standard output: {e.strerror}.", err=True)
            _quiet_stdout()
            sys.exit(2)
        _internal_error(e)
    except Exception as e:  # never a traceback for the user; ANTREA_DIAGNOSE_DEBUG=1 shows it
        _internal_error(e)


def _skip_exit_collection() -> None:
    """At exit the interpreter runs full garbage collections that walk every object still alive
    (modules, rules, the message catalogue: ~100 ms after a scan) to free what the process frees
    anyway. Freezing them in an exit handler leaves nothing for those walks."""
    atexit.unregister(gc.freeze)  # main() runs more than once in a test process: one handler
    atexit.register(gc.freeze)  # exit handlers the command registers later run before it


def _internal_error(e: BaseException) -> None:
    if os.environ.get("ANTREA_DIAGNOSE_DEBUG"):
        raise e
    click.echo(
        f"antrea-diagnose: internal error ({type(e).__name__}: {e}); rerun with ANTREA_DIAGNOSE_DEBUG=1 and report it.",
        err=True,
    )
    sys.exit(InputError.exit_code)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


__all__ = ["cli", "main"]
