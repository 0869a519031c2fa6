"""Do a signature's literal and versions agree with what Antrea's source logs? (`rules lint`)

A signature that reads antrea-agent or antrea-controller logs usually keys on an Antrea message,
and claims the versions that log its wording (`Signature.versions`). Against the message
catalogue (`diagnose.facts.messages`) three things can be wrong, each one warning:

- the literal is in Antrea messages, but none of the versions the signature claims: the
  wording belongs to other releases;
- no message holds the literal, but one says nearly the same: a typo, or wording that changed;
- the literal is in some claimed releases, but others say it differently: the versions claim is
  wider than the wording (releases where the feature does not exist yet are not counted).

A literal that resembles no Antrea message at all is printed by another program (the Go
runtime, client-go, iptables, OVS, the kernel...) and gets no warning; `FOREIGN` lists the
wordings of other programs that do resemble Antrea's own messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher
from functools import lru_cache

from diagnose.bundle.model import AGENT_LOG, CONTROLLER_LOG
from diagnose.facts.gofmt import WORD, normalise
from diagnose.facts.messages import Catalogue, SourceMessage, catalogue

ANTREA_LOGS = frozenset({AGENT_LOG, CONTROLLER_LOG})

# Text of other programs that shows up in Antrea's logs, inside an error value or logged by a
# library Antrea uses: (pattern searched in the literal, who prints it).
FOREIGN = tuple(
    (re.compile(p), who)
    for p, who in (
        (r"^panic: |goroutine \d", "the Go runtime"),
        (r"Observed a panic", "k8s.io/apimachinery (runtime.HandleCrash)"),
        (r"Caches are synced|Waiting for caches to sync", "k8s.io/client-go (cache.WaitForNamedCacheSync)"),
        (r"x509: |tls: ", "Go crypto/tls and crypto/x509"),
        (r"exit status \d", "Go os/exec (a command's exit status)"),
        (
            r"Couldn't load |No chain/target/match|can't initialize ip|xtables lock|Resource temporarily unavailable",
            "iptables",
        ),
        (r"modprobe: ", "modprobe"),
        (
            r"Received (?:OpenFlow1\.|Vendor error)|_CT_DATAPATH_SUPPORT|OFPB[A-Z]+_",
            "libOpenflow / OVS OpenFlow errors",
        ),
        (r"pidfile|lockfile|already running as pid|locked by pid", "the OVS daemons"),
        (r"no IP addresses available in range set", "the CNI host-local IPAM plugin"),
        (r"avc:|Permission denied", "the kernel (SELinux/AppArmor, EACCES)"),
    )
)

# Words too common in messages to say that two messages are alike.
_COMMON = frozenset(
    "the and for with from not was has are this that when will can could into error errors failed fail "
    "failure unable cannot while after before been using use".split()
)
_STRUCTURED_TAIL = re.compile(r'"\s+[\w.-]+=.*$|"\s*$')


def foreign_origin(literal: str) -> str | None:
    """Who prints `literal`, when it is a known wording of another program."""
    return next((who for pattern, who in FOREIGN if pattern.search(literal)), None)


def message_part(literal: str) -> str:
    """The message text of a literal written against a structured line: `"Got MTU" MTU=` -> `Got MTU`."""
    return _STRUCTURED_TAIL.sub("", literal).lstrip('"') or literal


def _words(text: str) -> set[str]:
    return {w for w in WORD.findall(normalise(text)) if len(w) >= 3 and w not in _COMMON}


@lru_cache(maxsize=2)
def _message_words(cat: Catalogue) -> list[set[str]]:
    return [_words(row[0]) for row in cat.rows]


def similar(
    cat: Catalogue, literal: str, releases: Sequence[int] | None = None, spelling: bool = False
) -> SourceMessage | None:
    """The message (present in one of `releases` when given) most like `literal`: sharing at
    least two and three in four of its uncommon words, or with `spelling` also one spelt alike
    (`_alike`: a typo, a changed word)."""
    wanted = _words(literal)
    need = max(2, -(-3 * len(wanted) // 4))
    text = normalise(literal).strip()
    best = None
    for i, (row, words) in enumerate(zip(cat.rows, _message_words(cat), strict=True)):
        shared = len(wanted & words)
        if not shared or (releases is not None and not cat.present_in_any(i, releases)):
            continue
        alike = _alike(text, normalise(row[0])) if spelling else 0.0
        if shared < need and alike < _ALIKE:
            continue
        key = (shared >= need, alike, -len(row[0]))
        if best is None or key > best[0]:
            best = (key, i)
    return cat.message(best[1]) if best else None


_ALIKE = 0.85


def _alike(literal: str, message: str) -> float:
    """The share of `literal` found in order in `message` in runs of 3+ characters, 0 unless one
    run holds half of it: one misspelt or changed word, not words scattered over a sentence."""
    blocks = [
        b.size for b in SequenceMatcher(None, literal, message, autojunk=False).get_matching_blocks() if b.size >= 3
    ]
    if not blocks or max(blocks) * 2 < len(literal):
        return 0.0
    return sum(blocks) / max(1, len(literal))


def _span(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]}..{names[-1]}"


def _show(m: SourceMessage) -> str:
    return f"{m.format!r} ({m.package}, {_span(m.versions)})"


def literal_warnings(literal: str, versions: str = "all", cat: Catalogue | None = None) -> list[str]:
    """What the source says against a signature literal claimed for `versions` (see the module
    docstring); empty when it agrees, the literal is another program's, or the claimed
    versions are all older than the catalogue."""
    cat = cat or catalogue()
    text = message_part(literal)
    if not text.strip() or foreign_origin(literal):
        return []
    claimed = cat.releases_within(versions)
    if not claimed:
        return []
    names = [cat.releases[r] for r in claimed]
    hits = cat.containing(text, claimed)
    if not hits:
        elsewhere = cat.containing(text)
        if elsewhere:
            return [
                f"literal {literal!r} is in no Antrea message of the versions it claims ({versions}: "
                f"{_span(names)}); the source has it in {_show(elsewhere[0])}"
            ]
        near = similar(cat, text, spelling=True)
        if near is not None:
            return [f"literal {literal!r} is in no Antrea message; the closest the source has is {_show(near)}"]
        return []
    have = {r for m in hits for r in m.releases}
    gaps = [r for r in claimed if cat.releases[r] not in have]
    if not gaps:
        return []
    other = similar(cat, text, gaps)
    if other is None:
        return []  # the feature is younger than the claim: nothing else is logged there
    missing = [cat.releases[r] for r in gaps if cat.releases[r] in other.releases]
    return [f"literal {literal!r} is not in {_span(missing)} (claimed: {versions}); those releases say {_show(other)}"]
