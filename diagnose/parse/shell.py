"""Shell prompt lines in hand-pasted command output.

Artifacts that users paste into issues (or save from a terminal) often start with the prompt and
the command they typed, e.g. ``root@node2:~# ip addr``.  The parsers strip those lines first so
the prompt never looks like data, and the prompt tells us the host name and the command, which
helps to identify what the file is.

Recognised prompt shapes (first non-empty line of the text):

* ``user@host:path# cmd`` / ``user@host:path$ cmd`` (Debian/Ubuntu bash default)
* ``[user@host path]# cmd`` (RHEL/Fedora bash default)
* ``host$ cmd`` / ``host# cmd`` / ``host:~# cmd`` / ``bash-5.1# cmd`` (short prompts)
* ``$ cmd``, ``% cmd``, ``> cmd`` and ``# cmd`` (``#`` only when followed by a known
  command, because ``# ...`` is also how comments look)

Every pattern is anchored and made of bounded, non-overlapping character classes, so matching
is linear in the line length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Lines longer than this are never prompts; checking them would only waste time.
_MAX_PROMPT_LINE = 512

_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}"

# user@host:path# cmd  (path may be empty, ~, /a/b; no spaces, no prompt chars)
_RE_DEBIAN = re.compile(rf"^(?P<user>{_NAME})@(?P<host>{_NAME}):(?P<path>[^\s#$%>|=,]{{0,200}})[#$%>] ?(?P<cmd>.*)$")
# [user@host path]# cmd
_RE_RHEL = re.compile(rf"^\[(?P<user>{_NAME})@(?P<host>{_NAME})(?: [^\]]{{0,200}})?\][#$%>] ?(?P<cmd>.*)$")
# host$ cmd, host:~# cmd, bash-5.1# cmd  (a command is required: a bare word followed by '#'
# alone is too ambiguous)
_RE_SHORT = re.compile(rf"^(?P<host>{_NAME})(?::[^\s#$%>|=,]{{0,200}})?[#$%>] (?P<cmd>\S.*)$")
# $ cmd / % cmd / > cmd / # cmd
_RE_BARE = re.compile(r"^(?P<char>[#$%>]) (?P<cmd>\S.*)$")

# Commands that make "# <cmd>" a root prompt rather than a comment.
_KNOWN_COMMANDS = frozenset(
    {
        "ip",
        "ovs-vsctl",
        "ovs-ofctl",
        "ovs-appctl",
        "ovs-dpctl",
        "ovsdb-client",
        "ovsdb-tool",
        "antctl",
        "kubectl",
        "sudo",
        "cat",
        "iptables",
        "iptables-save",
        "ip6tables-save",
        "nft",
        "ipset",
        "route",
        "ifconfig",
        "docker",
        "crictl",
        "tail",
        "head",
        "less",
        "grep",
        "journalctl",
        "bridge",
        "ethtool",
        "ss",
        "netstat",
    }
)

# Shell names that appear where a host name would be in minimal container prompts.
_RE_SHELL_NAME = re.compile(r"^(?:bash|sh|zsh|ash|dash|ksh)(?:-[0-9][0-9.]*)?$")


@dataclass
class Prompt:
    """A recognised prompt line."""

    host: str | None
    command: str
    prefix: str  # the prompt text before the command, used to find later prompt lines


def _first_word(cmd: str) -> str:
    return cmd.split(None, 1)[0] if cmd.strip() else ""


def match_prompt(line: str) -> Prompt | None:
    """Return the prompt on this line, or None if the line does not look like a prompt."""
    line = line.rstrip("\r\n")
    if not line or len(line) > _MAX_PROMPT_LINE or line[0].isspace():
        return None
    m = _RE_DEBIAN.match(line) or _RE_RHEL.match(line)
    if m:
        cmd = m.group("cmd").strip()
        return Prompt(m.group("host"), cmd, line[: m.start("cmd")].rstrip())
    m = _RE_SHORT.match(line)
    if m:
        cmd = m.group("cmd").strip()
        host: str | None = m.group("host")
        word = _first_word(cmd)
        # 'host# word' where word does not look like a command name (e.g. "Port# 5 up") is
        # not a prompt; require a plausible command token.
        if not re.match(r"^[A-Za-z0-9_./-]{1,64}$", word):
            return None
        if host and _RE_SHELL_NAME.match(host):
            host = None
        return Prompt(host, cmd, line[: m.start("cmd")].rstrip())
    m = _RE_BARE.match(line)
    if m:
        cmd = m.group("cmd").strip()
        word = _first_word(cmd)
        if m.group("char") == "#" and word not in _KNOWN_COMMANDS:
            return None
        if not re.match(r"^[A-Za-z0-9_./-]{1,64}$", word):
            return None
        return Prompt(None, cmd, m.group("char"))
    return None


def _is_later_prompt(line: str, first: Prompt) -> bool:
    """True for a prompt line after the first one (another command, or the final bare prompt)."""
    stripped = line.rstrip()
    if not stripped:
        return False
    # The same prompt again, with or without a command (the trailing prompt after the output).
    if first.prefix and len(first.prefix) > 1 and stripped.startswith(first.prefix):
        return True
    p = match_prompt(stripped)
    # Only the unambiguous user@host shapes are removed mid-text; short shapes could be data.
    return p is not None and p.host is not None and "@" in stripped.split(None, 1)[0]


def split_prompt(text: str) -> tuple[str | None, str]:
    """Strip shell prompt lines from pasted command output.

    If the first non-empty line is a prompt followed by a command, returns the host name found
    in it (None when the prompt has no host, e.g. ``$ ip r``) and the text without that line and
    without later prompt lines of the same shape.  Otherwise returns ``(None, text)`` unchanged.
    """
    if not text:
        return None, text or ""
    lines = text.splitlines(keepends=True)
    first_idx = None
    for i, line in enumerate(lines):
        if line.strip():
            first_idx = i
            break
    if first_idx is None:
        return None, text
    prompt = match_prompt(lines[first_idx])
    if prompt is None or not prompt.command:
        return None, text
    kept = [ln for ln in lines[first_idx + 1 :] if not _is_later_prompt(ln, prompt)]
    return prompt.host, "".join(kept)


def prompt_command(text: str) -> str | None:
    """The command typed at the prompt on the first non-empty line (e.g. ``"ip addr"``)."""
    if not text:
        return None
    # Only look at the first few lines; the prompt, if any, is at the top.
    for line in text.splitlines()[:50]:
        if line.strip():
            p = match_prompt(line)
            return p.command if p and p.command else None
    return None
