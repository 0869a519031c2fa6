"""A pasted ``/etc/resolv.conf`` (resolv.conf(5): ``nameserver``, ``search``, ``domain``,
``options`` lines; ``#`` and ``;`` comments)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diagnose.parse.shell import split_prompt

_DIRECTIVE = re.compile(r"^\s*(nameserver|search|domain|options|sortlist)(?:[ \t]+(.*))?$")
_COMMENT = re.compile(r"^\s*[#;]")
_MAX_LINES = 10_000


@dataclass
class ResolvConf:
    """A resolv.conf: its name servers, search domains, options and comments."""

    nameservers: list[str] = field(default_factory=list)
    search: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # the file's own comment lines, e.g. who wrote it

    @property
    def only_stub(self) -> bool:
        """Only loopback resolvers (a local stub such as systemd-resolved's 127.0.0.53)."""
        return bool(self.nameservers) and all(n.startswith("127.") or n == "::1" for n in self.nameservers)


def parse(text: str) -> ResolvConf:
    conf = ResolvConf()
    _, body = split_prompt(text)
    for line in body.splitlines()[:_MAX_LINES]:
        if _COMMENT.match(line):
            conf.comments.append(line.strip()[:200])
            continue
        m = _DIRECTIVE.match(line)
        if not m:
            continue
        words = (m[2] or "").split()
        if m[1] == "nameserver" and words:
            conf.nameservers.append(words[0])
        elif m[1] in ("search", "domain"):
            conf.search.extend(words)
        elif m[1] == "options":
            conf.options.extend(words)
    return conf


def sniff(head: str) -> bool:
    """True when every meaningful line is a resolv.conf directive or comment (at least one
    directive, or a comment naming resolv.conf)."""
    _, body = split_prompt(head)
    lines = [ln for ln in body.splitlines()[:60] if ln.strip()]
    if not lines:
        return False
    directives = sum(1 for ln in lines if _DIRECTIVE.match(ln))
    comments = sum(1 for ln in lines if _COMMENT.match(ln))
    if directives + comments < len(lines):
        return False
    return directives >= 1 or any("resolv.conf" in ln for ln in lines)
