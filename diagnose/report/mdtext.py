"""Markdown-safe text: the filters every Markdown output (report, batch summary, diff) uses.

Bundle text is untrusted and lands where Markdown pings people (`@team`), links issues (`#12`),
embeds images and renders HTML. So:

- raw lines (evidence, commands) go in fenced code blocks (`fence`) whose fence is longer than
  any backtick run in the content, so nothing inside can close it;
- short values inline go in code spans (`code`), built the same way;
- all other text goes through `escape` (`md`): one line, every Markdown/HTML special
  backslash-escaped, `@` and `#<digit>` broken with a zero-width joiner so nobody is mentioned
  and no issue is cross-referenced, `://` broken so no bare URL is auto-linked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from diagnose.report import view

ZWJ = "\u200d"
# Specials anywhere in a line (`$` is GitHub math); `-`, `+`, `=` and `1.` only matter at the
# start of a line (lists, setext underlines), where `_BLOCK_START` escapes them.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>!|~&#$])")
_BLOCK_START = re.compile(r"^(?:([+=-])|(\d+)\.)")
_MENTION = re.compile(r"@")
_ISSUE_REF = re.compile(r"#(?=\d)")
_AUTOLINK = re.compile(r"(?i):(?=//)|(?<![\w.])(www)(?=\.)")
_BACKTICKS = re.compile(r"`+")


def escape(value: Any) -> str:
    """Plain text for anywhere in a Markdown document (paragraph, list item, table cell, heading)."""
    text = _SPECIAL.sub(r"\\\1", view.oneline(value))
    text = _BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\.", text)
    text = _MENTION.sub("@" + ZWJ, text)
    text = _ISSUE_REF.sub("#" + ZWJ, text)
    return _AUTOLINK.sub(lambda m: (m[1] or ":") + ZWJ, text)


def code(value: Any, cell: bool = False) -> str:
    """An inline code span that no backtick in the value can close. `cell=True` inside a table,
    where GitHub splits cells on `|` even inside code spans."""
    text = view.oneline(value)
    if not text:
        return ""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    if cell:
        text = text.replace("|", "\\|")
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(value: Any, lang: str = "", indent: int = 0) -> str:
    """A fenced code block, indented by `indent` spaces (inside a list item)."""
    text = view.clean(value).rstrip("\n")
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * max(3, longest + 1)
    lines = [f"{ticks}{lang}", *text.split("\n"), ticks]
    pad = " " * indent
    return "\n".join(pad + line if line else line for line in lines)


def evidence_fence(lines: Iterable[dict[str, Any]]) -> str:
    """Evidence lines in one code block: `artifact:line  time  (node)` above each excerpt, the
    lines around an evidence line numbered, the evidence line itself marked `>`."""
    blocks = []
    for x in view.excerpts(list(lines)):
        if not x["rows"]:
            blocks.append(f"{x['location']}\n{x['text']}")
            continue
        width = len(str(x["rows"][-1]["line"]))
        rows = [f"{'>' if r['hit'] else ' '} {r['line']:>{width}}  {r['text']}" for r in x["rows"]]
        blocks.append("\n".join([x["location"], *rows]))
    return fence("\n\n".join(blocks), "text")


def reference_link(ref: Any) -> str:
    """`[antrea-io/antrea#6448](https://github.com/...)` or escaped text when not a link."""
    url = view.reference_url(ref)
    if url is None:
        return escape(ref)
    if url == str(ref).strip():
        return f"<{url}>"
    return f"[{escape(ref)}](<{url}>)"
