"""Log lines seen before: scrubbed once.

Logs repeat themselves: the same message about the same Node, Pod or address comes back every
few seconds under a new timestamp. The copy pass cuts a block into the log lines it holds and
scrubs a line only the first time its text (less the timestamp) is seen.

A line here is a klog line (`I0306 03:05:44.518777       1 ` then `server.go:500] msg`) or an
OVS line (`2025-03-08T19:14:26.540Z|80927|` then `bridge|INFO|msg`), with the lines that follow
it up to the next such line (a multi-line message): its *prefix* is the timestamp and thread id
or sequence number, its *body* the rest. Such a line begins where `scrub.scrub_stream` may cut
a block (in the first column, no base64 line), and when no PEM block may be open across it (no
`-----BEGIN` in what is scrubbed), no form the detectors know runs from one line into the next:
what is found in a line does not depend on the lines around it. Nor on its prefix: no trigger
matches in a prefix (digits, spaces, `:.-|`, and the letters `IWEF`, `T` and `Z`), the looks of
the detectors back from the body stop at the prefix's last character (a space or `|`) or find
nothing in it, and a run's own names could only match in a prefix if they were made of those
characters (`prefix_safe`: then there is no cache). So the scrub of a line is its prefix and the
scrub of its body, and the body's scrub is a function of the body (and of whether a newline
follows it: the last line of a block without one is never taken from, nor put in, the cache).

`Repeats.scrub` keeps the scrub of each body (up to a memory budget, then starts again) and
scrubs the bodies it has not seen, with the text before the block's first such line, together,
in their order, as one block of whole lines; a body with `-----BEGIN` is never kept, so a block
with one is always scrubbed whole. If the lines come back from the scrub in another number or
with other prefixes, the block is scrubbed whole after all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# The newline before a line's prefix is part of the separator, so every body is the text
# between two separators (`re` finds a pattern that starts with a literal quickly).
_SPLIT = re.compile(
    rb"(\n(?:[IWEF][0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} {1,7}[0-9]{1,7} "
    rb"|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\|[0-9]{1,10}\|))"
)
# What a prefix is made of: a name made only of these could match inside one.
_PREFIX_CHARS = frozenset(b"0123456789 :.-|iweftz")
_ENTRY = 120  # bytes a cached pair costs besides its two values (dict slot, two bytes objects)


def prefix_safe(literals: Iterable[bytes]) -> bool:
    """No literal (a name of the run, matched in any case) could match inside a prefix."""
    return not any(set(w.lower()) <= _PREFIX_CHARS for w in literals)


def _apart(text: bytes) -> bool:
    """Lines of `text` may be taken apart: no PEM block may run over them. A body with one is
    never kept, so it is always in the text scrubbed, and this is only asked of that text."""
    return b"-----BEGIN" not in text


class Repeats:
    """`scrub(block)` == `walk(block)` for a block of whole lines, looking at each body once."""

    def __init__(self, walk: Callable[[bytes], bytes], budget: int = 16 << 20):
        self._walk = walk
        self._done: dict[bytes, bytes] = {}
        self._size = 0
        self._budget = budget

    def scrub(self, block: bytes) -> bytes:
        parts = _SPLIT.split(block)  # [head, sep, body, sep, body, ...]
        if len(parts) < 5:  # fewer than two lines to take apart: nothing to gain
            return self._walk(block)
        # Every body is followed by a newline and the next line (or nothing): the block's last
        # newline is set apart, so that its last body is one like the others. Without one, the
        # last body is followed by nothing: it is scrubbed where it is, never from the cache.
        ended = block.endswith(b"\n")
        if ended:
            parts[-1] = parts[-1][:-1]
        done = self._done
        found = list(map(done.get, parts[2::2]))
        last = len(found) - 1
        if not ended:
            found[last] = None
        if None not in found:
            if not _apart(parts[0]):
                return self._walk(block)
            head = self._walk(parts[0] + b"\n")
            if not head.endswith(b"\n"):
                return self._walk(block)
            parts[0] = head[:-1]
            parts[2::2] = found
            parts.append(b"\n")
            return b"".join(parts)
        # the head and the bodies not seen yet, each once, in their order, as one block of whole lines
        first: dict[bytes, int] = {}
        for i, known in enumerate(found):
            if known is None and (i != last or ended):
                first.setdefault(parts[2 * i + 2], i)
        order = list(first.values())
        if not ended:
            order.append(last)
        pieces = [parts[0]]
        for i in order:
            pieces += (parts[2 * i + 1], parts[2 * i + 2])
        if ended or order[-1] != last:
            pieces.append(b"\n")
        text = b"".join(pieces)
        if not _apart(text):
            return self._walk(block)
        out = _SPLIT.split(self._walk(text))
        if (
            len(out) != 2 * len(order) + 1
            or out[1::2] != pieces[1 : 2 * len(order) : 2]
            or len(pieces) % 2 == 0
            and not out[-1].endswith(b"\n")
        ):
            return self._walk(block)  # a replacement crossed a line after all: no shortcut
        if len(pieces) % 2 == 0:
            out[-1] = out[-1][:-1]
        parts[0] = out[0]
        made: dict[bytes, bytes] = {}
        size = self._size
        for k, i in enumerate(order):
            body, result = parts[2 * i + 2], out[2 * k + 2]
            found[i] = result
            if i == last and not ended:
                continue
            made[body] = result
            size += len(body) + len(result) + _ENTRY
            if size > self._budget:
                done.clear()
                size = len(body) + len(result) + _ENTRY
            done[body] = result
        self._size = size
        parts[2::2] = [made[body] if known is None else known for known, body in zip(found, parts[2::2], strict=True)]
        if ended:
            parts.append(b"\n")
        return b"".join(parts)
