"""Go format strings as matchers of the text they print, robust to how logs re-quote it.

`%v`, `%s`, `%q`, `%w`, `%d`... print anything, so a format is a glob: literal pieces with a
wildcard between them. Both the format's pieces and the text are normalised the same way first:
lower case, quotes and backslashes dropped, runs of white space made one space. That makes `%s`
and `%q` (which changes between releases), `'%s'`, a structured value's `\\"` escapes, and
"Failed" vs "failed" all compare equal. A wildcard glob is matched by finding its pieces left to
right (`str.find`, the first occurrence is always the right one), so there is no backtracking
however long or hostile the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A Go fmt verb: flags, an explicit argument index, width and precision, then the verb letter.
VERB = re.compile(r"%(?:%|[-+# 0]*(?:\[\d+\])?(?:\*|\d+)?(?:\.(?:\*|\d+)?)?(?:\[\d+\])?[a-zA-Z])")
WORD = re.compile(r"[a-z0-9]+")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_DROP = str.maketrans("", "", "\"'`\\")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The form both formats and log text are compared in (see the module docstring)."""
    return _SPACES.sub(" ", text.translate(_DROP)).lower()


def pieces(fmt: str) -> list[str]:
    """The literal pieces of a format, one more than it has verbs (`%%` is a literal `%`)."""
    out = [""]
    pos = 0
    for m in VERB.finditer(fmt):
        out[-1] += fmt[pos : m.start()]
        if m.group() == "%%":
            out[-1] += "%"
        else:
            out.append("")
        pos = m.end()
    out[-1] += fmt[pos:]
    return out


@dataclass(frozen=True, slots=True)
class Glob:
    """Normalised literal pieces with a wildcard between each two: head * mid * ... * tail.

    One piece (no wildcard) matches exactly that text.
    """

    parts: tuple[str, ...]

    @classmethod
    def of(cls, fmt: str) -> Glob:
        parts = [normalise(p) for p in pieces(fmt)]
        parts[0] = parts[0].lstrip()
        parts[-1] = parts[-1].rstrip()
        return cls(tuple(parts))

    @classmethod
    def first_line(cls, fmt: str) -> Glob | None:
        """The glob of a format's first line, for log lines that show only the start of a
        message continued on the next lines (a value with a newline, a format with `\\n`);
        None for a format that has neither wildcards nor newlines (it is matched whole)."""
        raw = pieces(fmt)
        cut = next((i for i, p in enumerate(raw) if "\n" in p), None)
        if cut is not None:
            raw = [*raw[:cut], raw[cut].split("\n", 1)[0], ""]
        elif len(raw) == 1:
            return None
        parts = [normalise(p) for p in raw]
        parts[0] = parts[0].lstrip()
        return cls(tuple(parts))

    @property
    def size(self) -> int:
        """Literal characters: how specific the glob is."""
        return sum(len(p) for p in self.parts)

    def match(self, text: str) -> bool:
        """Does the glob match all of `text` (normalised)?"""
        parts = self.parts
        if len(parts) == 1:
            return text == parts[0]
        head, tail = parts[0], parts[-1]
        end = len(text) - len(tail)
        if end < len(head) or not text.startswith(head) or not text.endswith(tail):
            return False
        pos = len(head)
        for mid in parts[1:-1]:
            found = text.find(mid, pos, end)
            if found < 0:
                return False
            pos = found + len(mid)
        return True

    def match_start(self, text: str, share: float = 0.5) -> int:
        """For a line that may stop anywhere inside the message (the rest on later lines): the
        literal characters `text` shows, the head it starts with plus the pieces found in order
        after it; -1 when that is under `share` of the glob's (a line that only shares the
        first words, "failed to create ", is another message)."""
        head = self.parts[0]
        if not text.startswith(head):
            return -1
        covered = pos = len(head)
        for part in self.parts[1:]:
            found = text.find(part, pos) if part else -1
            if found < 0:
                break
            covered += len(part)
            pos = found + len(part)
        return covered if covered >= share * self.size else -1

    def wrapper_head(self) -> Glob | None:
        """For a format that wraps an error (`...: %w`, `...: %v - will retry in %v`), the glob
        of what precedes the `: ` of its first wrapped value."""
        for k, part in enumerate(self.parts[:-1]):
            if part.endswith(": "):
                head = (*self.parts[:k], part[:-2])
                return Glob(head) if any(head) else None
        return None

    def anchor_words(self) -> list[str]:
        """Words that every matching text holds as a whole word (`[a-z0-9]+` with non-word
        characters or the text's ends around it): those of a piece not touching a wildcard.
        (Built for every catalogue message on the first lookup, hence findall over finditer.)"""
        out: list[str] = []
        last = len(self.parts) - 1
        for i, part in enumerate(self.parts):
            words = WORD.findall(part)
            if words and i > 0 and part[0] in _WORD_CHARS:
                words = words[1:]  # glued to the wildcard before it
            if words and i < last and part[-1] in _WORD_CHARS:
                words = words[:-1]  # glued to the wildcard after it
            out += words
        return out

    def holds(self, literal: str) -> int:
        """How many characters of `literal` (normalised) this glob's pieces can print in a row,
        the rest coming from its wildcards; 0 when the literal cannot occur in its text.

        The literal may start and end inside a piece or inside a wildcard's value, and may span
        whole pieces in between: coverage counts what the pieces supply.
        """
        if not literal:
            return 0
        if any(literal in p for p in self.parts):
            return len(literal)
        best = 0
        n = len(self.parts)
        for a in range(n - 1):  # the literal starts in piece a (or in the wildcard after it)
            piece = self.parts[a]
            for t in range(min(len(piece), len(literal) - 1), -1, -1):
                if t and not piece.endswith(literal[:t]):
                    continue
                best = max(best, self._rest(literal, t, a + 1))
        return best

    def _rest(self, literal: str, pos: int, b: int) -> int:
        """Coverage of literal[pos:] by a wildcard, pieces b, b+1, ... (found in order) and a
        final wildcard or piece prefix; plus the `pos` characters already covered."""
        covered = pos
        best = 0
        for k in range(b, len(self.parts)):
            piece = self.parts[k]
            rest = literal[pos:]
            # The literal ends in piece k: longest piece prefix that ends the literal.
            for u in range(min(len(piece), len(rest)), 0, -1):
                if rest.endswith(piece[:u]):
                    best = max(best, covered + u)
                    break
            found = literal.find(piece, pos) if piece else pos
            if found < 0:
                break
            covered += len(piece)
            pos = found + len(piece)
            best = max(best, covered)  # the literal ends in the wildcard after piece k
        return best
