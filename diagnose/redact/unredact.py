"""Translate a redacted report back with the private map (`antrea-diagnose unredact`).

Only what this tool pseudonymised comes back: names, domains, addresses, MACs. Secrets were
replaced by markers and are not in the map.

Every pseudonym of the map is looked for as it was written (one pattern of all of them, longest
first), so whatever form `redact` wrote comes back: a name in a DNS name (`host-1a2b3c.` before
a domain), `sub-`/`org-`/`domain-` pseudonyms, `::ffff:` mapped addresses, addresses with their
`/len`, dashed (`ip-10-1-2-3`) and reverse-DNS forms, hex and decimal register values, MACs in
their notation, upper-case names. A pseudonym counts where no letter or digit touches it (an
URL escape such as `%3D` before it does not count as one).
"""

from __future__ import annotations

import re

from diagnose.redact.mapfile import RedactionMap

_NAME_KINDS = frozenset({"node", "host", "pod", "app", "namespace", "user", "cluster", "org", "ifhead"})


def reverse_map(m: RedactionMap) -> dict[str, str]:
    """pseudonym -> original, with the upper-case form of every name (written for an
    upper-case original)."""
    reverse: dict[str, str] = {}
    for kind, pairs in m.records.items():
        for original, pseudonym in pairs.items():
            reverse.setdefault(pseudonym, original)
            if kind in _NAME_KINDS:
                reverse.setdefault(pseudonym.upper(), original.upper())
    return reverse


def _trie(words: list[str]) -> str:
    """A regex matching any of `words`, longest first, as a trie (fast in `re` for thousands)."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(root)


def _pattern(pseudonyms: list[str]) -> re.Pattern[str] | None:
    if not pseudonyms:
        return None
    return re.compile(rf"(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{{2}}))(?:{_trie(pseudonyms)})(?![A-Za-z0-9])")


def unredact(text: str, m: RedactionMap) -> tuple[str, int]:
    """`text` with every pseudonym of the map replaced by its original, and how many were."""
    reverse = reverse_map(m)
    pattern = _pattern(list(reverse))
    if pattern is None:
        return text, 0
    count = 0

    def back(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return reverse[match[0]]

    return pattern.sub(back, text), count
