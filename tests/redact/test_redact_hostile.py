"""Text built to make a detector look far ahead at every hit (256 KB of `::`, of BEGIN
lines, of one dotted name...) is scrubbed in one linear pass: every look is bounded."""

from __future__ import annotations

import pytest

from diagnose.redact import names
from diagnose.redact.harvest import Harvester
from diagnose.redact.mapper import Mapper
from diagnose.redact.scrub import Scrubber, scrub_stream
from diagnose.redact.vocab import Vocabulary

MB = 1 << 18  # a quarter megabyte: enough for a quadratic look to take minutes
HOSTILE = {
    "colons": b"::" * (MB // 2),
    "begin-lines": b"-----BEGIN CERTIFICATE-----\n" * (MB // 28),
    "one-dotted-name": b"a.com." * (MB // 6) + b"\n",
    "token-words": b"token " * (MB // 6) + b"\n",
    "hex-lines": (b"0123456789abcdef" * 4 + b"\n") * (MB // 65),
    "url-schemes": b"x://" * (MB // 4) + b"\n",
    "yaml-keys-on-one-line": b"node: n1 " * (MB // 9) + b"\n",
    "mac-like": b"de:ad:be:ef:" * (MB // 12) + b"\n",
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_text_is_scrubbed_and_harvested_in_linear_time(kind):
    data = HOSTILE[kind]
    h = Harvester(Vocabulary())
    h.text(data)
    s = Scrubber(Mapper(b"h" * 32), h.vocabulary, names.builtin_signature_text())
    out: list[bytes] = []
    pos = [0]

    def read(n: int) -> bytes:
        chunk = data[pos[0] : pos[0] + n]
        pos[0] += len(chunk)
        return chunk

    scrub_stream(read, out.append, s.scrub)  # quadratic looks would take minutes here
    result = b"".join(out)
    assert len(result) > len(data) // 4 and b"\x00" not in result
