"""Translate a redacted report back with the private map (`antrea-diagnose unredact`).

Only what this tool pseudonymised comes back: names, domains, addresses, MACs. Secrets were
replaced by markers and are not in the map.
"""

from __future__ import annotations

import re

from diagnose.redact.mapfile import RedactionMap

_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?:node|host|pod|app|ns|user|cluster)-[0-9a-f]{4,12}(?![A-Za-z0-9])"
    r"|(?<![A-Za-z0-9.-])domain-[0-9a-f]{6,12}\.example(?![A-Za-z0-9-])"
    r"|(?<![0-9A-Fa-f])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![0-9A-Fa-f])"
    r"|(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?![\d])"
    r"|(?<![0-9A-Za-z_.:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:/\d{1,3})?(?![0-9A-Za-z_:])"
    r"|0x[0-9a-f]{1,32}(?![0-9a-f])"
    r"|(?<=datapath ID )[0-9a-fA-F]{16}(?![0-9a-fA-F])")


def unredact(text: str, m: RedactionMap) -> tuple[str, int]:
    """`text` with every pseudonym of the map replaced by its original, and how many were."""
    reverse = m.reverse()
    count = 0

    def back(match: re.Match[str]) -> str:
        nonlocal count
        token = match[0]
        original = reverse.get(token)
        if original is None and "/" in token:
            address, length = token.split("/", 1)
            if address in reverse:
                original = f"{reverse[address]}/{length}"
        if original is None:
            return token
        count += 1
        return original

    return _TOKEN.sub(back, text), count
