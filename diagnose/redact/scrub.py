"""Find what to hide in arbitrary text and replace it: log lines, YAML, iptables-save, `ip`
output, OVSDB dumps, flows, file names.

One pass per block: the finder (Hyperscan, or the stdlib fallback) reports every trigger of
every detector at once; the hits are taken in order of where their form begins (secrets first
where two begin together), each detector confirms its hit and says what replaces it, and a
replaced span is never looked at again. Secrets (`credentials`) become markers; identifiers
(`identifiers`) become pseudonyms. What stays: interface names (`eth0`, `eth0~`, `antrea-gw0`,
`enp0s1`), Antrea's message text, versions (`v2.1.0`), times, UUIDs, numbers.

Memory: a block and its hits, and replacements already made (kept up to 8 MB, then dropped);
what grows is the mapper's record of pseudonyms, which is the map itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from diagnose.redact import credentials, names, repeats
from diagnose.redact.finder import Detectors, Row
from diagnose.redact.identifiers import Identifiers
from diagnose.redact.mapper import Mapper
from diagnose.redact.vocab import Vocabulary


class Scrubber:
    """Replaces, in text and in file names, everything the mapper pseudonymises and every secret."""

    def __init__(self, mapper: Mapper, vocabulary: Vocabulary, signature_text: str = "", engine: str = "auto"):
        self.mapper = mapper
        self.vocab = vocabulary
        for ip in vocabulary.service_ips:
            mapper.keep_address(ip)
        self.identifiers = Identifiers(mapper, vocabulary, signature_text)
        self._text = Detectors(_table(self.identifiers), engine)
        self._paths: Detectors | None = None
        # log lines seen before are not looked at again (`repeats`), unless a name of this run
        # could be part of a timestamp
        literals = [w for w in self._text.literal if w]
        self._repeats = repeats.Repeats(self._walk) if repeats.prefix_safe(literals) else None

    @property
    def engine(self) -> str:
        return self._text.finder.name

    # -- public ---------------------------------------------------------------------------------

    def scrub(self, block: bytes) -> bytes:
        """`block` (whole lines) with secrets replaced by markers and identifiers by pseudonyms."""
        block = credentials.secret_objects(block)
        if self._repeats is not None:
            return self._repeats.scrub(block)
        return _walk(self._text, block)

    def _walk(self, block: bytes) -> bytes:
        return _walk(self._text, block)

    def text(self, text: str) -> str:
        return self.scrub(text.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")

    def path(self, value: str) -> str:
        """A display path (`a/agent_node2.tar.gz!logs/x.log`) with each name redacted by `path_part`."""
        return "!".join("/".join(self.path_part(p) for p in part.split("/")) for part in value.split("!"))

    def path_part(self, name: str) -> str:
        """One file or directory name (`agent_node2.tar.gz`, `antrea-agent.node2.root.log...`):
        every hidden name counts here, also those that are words of Antrea's text."""
        if name in names.LAYOUT:
            return name
        if self._paths is None:
            ids = Identifiers(self.mapper, self.vocab, paths=True)
            self._paths = Detectors(_table(ids), "stdlib")  # names are short: no database to build
        data = name.encode("utf-8", "surrogateescape")
        return _walk(self._paths, data).decode("utf-8", "surrogateescape")


def _table(ids: Identifiers) -> list[Row]:
    return [(form, trigs, confirm, None, False) for form, trigs, confirm in credentials.detectors()] + ids.detectors()


def _walk(d: Detectors, block: bytes) -> bytes:
    hits = d.finder.hits(block)
    if not hits:
        return block
    if d.any_left:
        lefts = d.left
        hits = [(lf(block, s), t, e) if (lf := lefts[t]) is not None else (s, t, e) for s, t, e in hits]
    hits.sort()
    confirm = d.confirm
    out: list[bytes] = []
    cursor = 0
    failed: tuple[int, object] = (-1, None)  # the last refused (start, detector): its repeats are too
    for start, trig, end in hits:
        if start < cursor:
            continue
        detector = confirm[trig]
        if failed[0] == start and failed[1] is detector:
            continue
        found = detector(block, start, end)
        if found is None:
            failed = (start, detector)
            continue
        first, last, replacement = found
        if first < cursor:
            continue
        out.append(block[cursor:first])
        out.append(replacement)
        cursor = last
    if not out:
        return block
    out.append(block[cursor:])
    return b"".join(out)


# -- streams ------------------------------------------------------------------------------------

_B64_LINE = re.compile(rb"[ \t]*[A-Za-z0-9+/]{40,}={0,2}\r?")


def scrub_stream(
    read: Callable[[int], bytes],
    write: Callable[[bytes], object],
    scrub: Callable[[bytes], bytes],
    block: int = 1 << 20,
    max_carry: int = 8 << 20,
) -> None:
    """Scrub a byte stream in blocks of whole lines, with bounded memory.

    A block ends before the last line that starts in the first column (the indented lines under
    it, such as a YAML block scalar or an env entry's `value:`, go with it), before a PEM block
    that has not ended and before a run of base64 lines; what is held back goes with the next
    block, up to `max_carry` bytes (then the text is cut at its last line end).
    """
    carry = b""
    while True:
        data = read(block)
        buf = carry + data if carry else data
        if not data:
            if buf:
                write(scrub(buf))
            return
        cut = _cut(buf)
        if cut == 0 and len(buf) > max_carry:  # no line end, or a structure that never ends
            cut = buf.rfind(b"\n") + 1 or _safe_cut(buf)
        carry = buf[cut:]
        if cut:
            write(scrub(buf[:cut]))


def _cut(buf: bytes) -> int:
    last = buf.rfind(b"\n")
    if last == -1:
        return 0
    cut = last + 1  # the start of the unfinished last line
    while cut > 0 and buf[cut : cut + 1] in (b" ", b"\t", b""):  # an indented line goes with its parent
        cut = buf.rfind(b"\n", 0, cut - 1) + 1
    while cut > 0:  # a base64 run may go on in the next block
        prev = buf.rfind(b"\n", 0, cut - 1) + 1
        if _B64_LINE.fullmatch(buf, prev, cut - 1) is None:
            break
        cut = prev
    if b"-----BEGIN" in buf:
        pem = credentials.open_pem_start(buf[:cut])
        if pem is not None:
            cut = buf.rfind(b"\n", 0, pem) + 1
    return cut


def _safe_cut(buf: bytes) -> int:
    """Where to cut a huge line-less text: after the last whitespace, so no token is split."""
    for i in range(len(buf) - 1, max(0, len(buf) - 65536), -1):
        if buf[i] in b" \t\n,;":
            return i + 1
    return len(buf)
