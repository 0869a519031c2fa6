"""Error and warning lines that no rule explains, grouped into templates.

The scanner hands every line of the catch-all line heads below (klog `E`/`W`/`F` lines, OVS
`EMER`/`ERR`/`WARN` lines) to the `Miner`, whether or not a rule signature also matched it, in
bulk per chunk. Those lines never become `LogEvent`s (a noisy log has millions of them): the
Miner masks what varies between occurrences of one message (numbers, addresses, UUIDs, hex ids,
durations, quoted names, Pod and Node names) and keeps, per template: its level, line counts per
log, the first and the last example line (line number and raw text, so its time can be parsed
later) and the keys of the rule signatures that also matched lines of it, so that a template a
finding explains can be left out of the report. It holds at most `MAX_TEMPLATES` templates;
lines of templates beyond that are counted in one overflow entry.

Level and message come from the line head the matcher already found (no regex per line), and a
message is templated once per shape: the masks decide on character classes and lengths, never on
a digit's value, so messages that differ only in their digits share one cache entry.

The masking is a handful of linear regexes over at most `MAX_MESSAGE` characters of each message
(hand-written rather than a template-mining library: drain3, the usual choice, is only published
as an sdist last released in 2022, and fixed masks are predictable on untrusted text).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any, final

from diagnose.bundle import model as m
from diagnose.facts import lifecycle
from diagnose.parse import klog
from diagnose.scan.scanner import CatchAll, Hit, MineCallback

PREFIX = "unexplained"
MAX_TEMPLATES = 2000
MAX_MESSAGE = 600  # characters of a message that are templated (bounds the masking work)
MAX_EXAMPLE = 1000  # characters of an example line kept
_EXAMPLE_BYTES = MAX_EXAMPLE + 1  # bytes kept of it: 2000 templates x 2 examples stay a few MB
_CACHE_SIZE = 4096  # message shapes whose template is remembered (retry loops repeat them)

# The klog header as diagnose.parse.klog accepts it (optional RFC 3339 stamp and up to two name
# prefixes) up to its time, for E, W and F lines: the level is 22 bytes before the match's end
# (`E0628 18:57:17.883444 `), and the message starts after the `] ` that closes `threadid
# file:line]`. Matching the whole header in Hyperscan would halve its speed (the bounded file
# name), the `] ` is one `find`.
_KLOG_HEAD = (
    r"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) )?(?:[\w.-]{1,80} ){0,2}"
    r"[EWF]\d{4} \d\d:\d\d:\d\d\.\d{6} "
)
KLOG = CatchAll(
    "klog",
    "^" + _KLOG_HEAD,
    # `^` with MULTILINE makes Hyperscan try the optional prefixes at every line start and cost
    # half its speed over all other signatures together; anchoring on the newline byte lets its
    # literal search skip ahead (2.4 GB/s instead of 0.9 on klog text). A chunk starts a line.
    r"(?:\A|\n)" + _KLOG_HEAD,
    (m.AGENT_LOG, m.CONTROLLER_LOG, m.OTHER_CONTAINER_LOG),
)
# OVS vlog file and console lines (diagnose.parse.vlog), for EMER, ERR and WARN: the level field
# is found, the rest of the head is checked on the few lines that have one (`_OVS_HEAD`).
OVS = CatchAll("ovs", r"\|(?:EMER|ERR|WARN)\|", r"\|(?:EMER|ERR|WARN)\|", (m.OVS_LOG, m.OVS_CONTAINER_LOG))
SIGNATURES: tuple[tuple[str, CatchAll], ...] = ((f"{PREFIX}:klog", KLOG), (f"{PREFIX}:ovs", OVS))
_OVS_HEAD = re.compile(
    rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\|\d+\|([^|()\n]{1,64})(?:\([^|()\n]{0,64}\))?"
    rb"\|(EMER|ERR|WARN)\|"
)

_LEVELS = {"E": "error", "W": "warning", "F": "error", "EMER": "error", "ERR": "error", "WARN": "warning"}
_LEVEL_ORDER = {"error": 0, "warning": 1}
_KLOG_LEVELS = {ord("E"): "error", ord("W"): "warning", ord("F"): "error"}
# OVS levels as the klog letter of the same level, so that one table per letter serves both.
_OVS_LETTERS = {b"EMER": ord("E"), b"ERR": ord("E"), b"WARN": ord("W")}

# -- masking ------------------------------------------------------------------------------------

# One alternation, tried left to right at each position: the earlier, more specific kinds win
# (a UUID is not cut into numbers, a time is not read as an IPv6 address).
_TOKEN_SOURCE = (
    r"(?P<url>\b[a-zA-Z][a-zA-Z0-9+.-]{0,15}://[^\s\"'\\,;)\]}]*[^\s\"'\\,;)\]}:.])"
    r"|(?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"
    r"|(?P<mac>\b[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}(?:(?::[0-9a-fA-F]{2}){2})?(?![\w:]))"
    r"|(?P<time>\b\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)?(?![\w.])"
    r"|\b\d{1,2}:\d\d:\d\d(?:\.\d+)?(?![\w.:]))"
    r"|(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?![\w.])"
    # IPv6: hex groups with at least two colons ("::" compression included) and a hex digit.
    r"|(?<![\w:.])(?=[0-9a-fA-F]{0,4}:[0-9a-fA-F]{0,4}:)(?=:*[0-9a-fA-F])"
    r"[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}(?:/\d{1,3})?(?![\w:.]))"
    r"|(?P<version>\bv\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z][0-9A-Za-z.-]{0,40})?\b)"
    r"|(?P<hex>\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-f]{0,63}[a-f])(?=[0-9a-f]{0,63}\d)[0-9a-f]{8,}\b)"
    # Pod interfaces (pkg/agent/util/net.go: up to 8 characters of the Pod name, "-", 6 of a hash).
    r"|(?P<iface>(?<![\w-])[a-z0-9][-a-z0-9]{0,7}-(?=[0-9a-f]{0,5}\d)[0-9a-f]{6}(?![\w-]))"
    # Pod names a controller generates: <owner>[-<replicaset hash>]-<5 random chars>.
    r"|(?P<pod>(?<![\w-])[a-z0-9](?:[-a-z0-9]{0,100}[a-z0-9])?-(?=[a-z]{0,4}\d)[a-z0-9]{5}\b)"
    r"|(?P<duration>\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m))*\b)"
    r"|(?P<num>(?<![\w.])[-+]?\d+(?:\.\d+)?\b|\b\d+\b)"
)
# Go `%q` / klog structured values: "..." with backslash escapes.
_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.){0,600})"')
_NUM_RUN = re.compile(r"<num>(?:[ ,]+<num>){2,}")
# Masks only ever apply to words holding a digit or a URL: the alternation above is slow to try
# at every position, so the text is cut at spaces, quotes and brackets and plain words skipped.
_SPLIT = re.compile(r"([\s\"'\[\](){}<>,;]+)")
_VARIABLE = re.compile(r"\d|://")
_SPACE = re.compile(r"\s")


def _mask_tokens(text: str) -> str:
    if not _VARIABLE.search(text):
        return text
    words = _SPLIT.split(text)
    for i in range(0, len(words), 2):  # even items are words, odd ones the separators
        if _VARIABLE.search(words[i]):
            words[i] = _mask_word(words[i])
    return _NUM_RUN.sub("<nums>", "".join(words))


@lru_cache(maxsize=16384)
def _mask_word(word: str) -> str:
    """A word's masks depend on the word alone (the lookbehinds see nothing before it): retry
    loops repeat the same Pod, address and id in many messages."""
    return _tokens().sub(_placeholder, word)


@lru_cache(maxsize=1)
def _tokens() -> re.Pattern[str]:
    """Compiled on the first message templated: a scan with no error line never pays for it."""
    return re.compile(_TOKEN_SOURCE)


def _placeholder(m: re.Match[str]) -> str:
    return f"<{m.lastgroup}>"


def template_of(message: str, names: tuple[str, ...] = ()) -> str:
    """The message with its variable parts masked; `names` (Node names) become `<node>`."""
    return _template(mask_names(message[:MAX_MESSAGE], names)) + ("…" if len(message) > MAX_MESSAGE else "")


def _template(text: str) -> str:
    out: list[str] = []
    pos = 0
    for q in _QUOTED.finditer(text):
        out.append(_mask_tokens(text[pos : q.start()]))
        body = q[1]
        # The leading quoted text of a structured klog line is the message itself; other quoted
        # values without spaces are names (Pods, interfaces, Nodes); longer ones are errors.
        if q.start() == 0 or _SPACE.search(body):
            out.append(f'"{_mask_tokens(body)}"')
        else:
            out.append('"<name>"' if body and body != "<node>" else f'"{body}"')
        pos = q.end()
    out.append(_mask_tokens(text[pos:]))
    return " ".join("".join(out).split())


# Every mask decides on character classes (digit or not) and lengths, never on a digit's value:
# messages that differ only in their digits get the same template when that template kept no
# digit, so it is computed once per such shape (retry loops differ in ports, counts, addresses).
_SHAPE = bytes.maketrans(b"123456789", b"000000000")  # bytes.translate is ten times str's
_DIGIT = re.compile(r"\d")


def mask_names(text: str, names: tuple[str, ...]) -> str:
    """Node names, whole words only, in their own spelling and as the token masks leave them
    (`ip-<num>-<num>-<num>-<num>`)."""
    spellings, pattern = _names_pattern(tuple(sorted(set(names))))
    if pattern is None or not any(s in text for s in spellings):  # `in` is far cheaper than the regex
        return text
    return pattern.sub("<node>", text)


_GENERIC = frozenset(("num", "nums", "ip", "hex", "pod", "iface", "uuid", "version", "duration", "time", "mac", "url"))


@lru_cache(maxsize=256)
def _names_pattern(names: tuple[str, ...]) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
    # Longest first, so that `worker-10` is not read as `worker-1` followed by "0".
    spellings = tuple(
        sorted(
            {s for n in names for s in (n, _mask_tokens(n)) if s and s.strip("<>") not in _GENERIC},
            key=len,
            reverse=True,
        )
    )
    if not spellings:
        return (), None
    alternation = "|".join(re.escape(s) for s in spellings)
    return spellings, re.compile(r"(?<![\w.<-])(?:" + alternation + r")(?![\w>-]|\.\w)")


# -- mining -------------------------------------------------------------------------------------


@dataclass
class Example:
    """A line quoted for a template: its log, line number and bytes."""

    log: int  # index into Miner._logs
    line: int
    raw: bytes  # the line as read, at most _EXAMPLE_BYTES of it, decoded when shown

    @property
    def text(self) -> str:
        """The line, cut at MAX_EXAMPLE characters (fewer when they take several bytes each)."""
        text = self.raw.decode("utf-8", errors="replace").rstrip("\r")
        if len(self.raw) >= _EXAMPLE_BYTES:  # cut: maybe inside a character
            return text[:MAX_EXAMPLE].rstrip("\ufffd") + "…"
        return text if len(text) <= MAX_EXAMPLE else text[:MAX_EXAMPLE] + "…"


@final  # the hot loop tells Template from _Holes by `__class__ is`: no subclasses
@dataclass(eq=False)  # compared and hashed by identity: one object per template
class Template:
    """An error or warning message shape no rule explains, with its first and last lines and counts."""

    text: str
    level: str
    first: Example
    last: Example
    counts: Counter[int] = field(default_factory=Counter)  # lines per log (index into Miner._logs)
    signatures: set[str] = field(default_factory=set)  # rule signature keys that matched lines of it


@dataclass
class _Log:
    """A log file the miner saw: its artifact, creation time and stream."""

    artifact: m.Artifact
    created: datetime | None
    series: str  # which copy of a Node's log stream this file is (klog severity file, or "stream")
    names: tuple[str, ...]


# The engine's own catch-alls of error lines (diagnose.facts.lifecycle ERRORS, read by the
# persistent-errors fallback) match every E line: a template they matched is not explained.
EXPLAINS_NOTHING = lifecycle.ERRORS


class Miner:
    """Templates of the catch-all lines, bounded in memory whatever the logs hold."""

    def __init__(self, max_templates: int = MAX_TEMPLATES):
        self.max_templates = max_templates
        self._templates: dict[tuple[str, str], Template] = {}
        self._overflow: Template | None = None
        self._logs: list[_Log] = []
        self._log_of: dict[int, int] = {}  # id(artifact) -> index into _logs
        self._dropped: set[int] = set()  # logs forgotten (replaced by a later archive member of the same name)
        # Per set of Node names: (level, message with its digits zeroed) -> template when the
        # template kept no digit, else (level, message) -> template (eth0, v1.Node).
        self._caches: dict[tuple[str, ...], _Cache] = {}

    @staticmethod
    def is_catch_all(key: str) -> bool:
        return key.startswith(PREFIX + ":")

    def log(self, artifact: m.Artifact, created: datetime | None) -> int:
        """Register a log; returns its index for `add` and `lines`."""
        name = artifact.path.replace("!", "/").rsplit("/", 1)[-1]
        series = klog.file_info(name, "").severity or "stream"
        # The log's own Node, when the layout or the klog header already tells it.
        names = tuple(sorted(n for n in {artifact.node, artifact.meta.get("host")} if n and n not in m.PSEUDO_NODES))
        self._logs.append(_Log(artifact, created, series, names))
        self._log_of[id(artifact)] = len(self._logs) - 1
        return len(self._logs) - 1

    def forget(self, artifact: m.Artifact) -> None:
        """The log was replaced by a later archive member of the same name: its lines no longer count."""
        index = self._log_of.get(id(artifact))
        if index is not None:
            self._dropped.add(index)

    def callback(self, artifact: m.Artifact, created: datetime | None) -> MineCallback:
        """The scanner's `mine` callback for one log."""
        return partial(self.lines, self.log(artifact, created))

    def lines(
        self,
        log: int,
        chunk: bytes,
        line_nos: list[int],
        heads: list[CatchAll],
        starts: list[int],
        head_ends: list[int],
        ends: list[int],
        also: dict[int, list[str]],
    ) -> None:
        """The catch-all lines of one chunk: line i spans chunk[starts[i]:ends[i]], its head
        match ends at head_ends[i]; `also` names the rule signatures that matched some of them."""
        cache = self._cache(log)
        shape_of, not_digits = _SHAPE, _NOT_ASCII_DIGITS
        found: list[Template | None] = []  # per line (None: not a catch-all line after all)
        add = found.append
        find = chunk.find
        klog_only = heads.count(KLOG) == len(heads)
        by_letter = cache.by_letter
        for i, (head_end, end) in enumerate(zip(head_ends, ends, strict=True)):
            if klog_only or heads[i] is KLOG:
                msg = find(b"] ", head_end, end)
                if msg == -1:
                    add(None)  # no `threadid file:line]`: not a klog line
                    continue
                raw = chunk[msg + 2 : end]
                letter = chunk[head_end - 22]
                templates = by_letter[letter]
            else:
                m_head = _OVS_HEAD.match(chunk, starts[i], head_end)
                if m_head is None or m_head.end() != head_end:
                    add(None)  # a `|ERR|` that is not an OVS vlog head
                    continue
                raw = m_head[1] + b": " + chunk[head_end:end]
                letter = _OVS_LETTERS[m_head[2]]
                templates = by_letter[letter]
            t = templates.get(raw.translate(shape_of))
            if t is None:
                t = templates.get(raw)  # shapes whose messages are looked up as they are
            if t.__class__ is not Template:
                if t.__class__ is _Holes:  # a template keeping some digits: which ones decide
                    filled = t.memo.get(t.kept(raw.translate(None, not_digits)))
                    if filled is not None:
                        add(filled)
                        continue
                t = self._resolve(log, cache, raw, t, chunk, line_nos[i], starts[i], end, _KLOG_LEVELS[letter])
            add(t)
        for t, n in Counter(found).items():
            if t is not None:
                t.counts[log] += n
        last = dict(zip(found, range(len(found)), strict=True))  # the last line of each template here
        for t, k in last.items():
            if t is not None:
                t.last = self._example(log, chunk, line_nos[k], starts[k], ends[k])
        for i, keys in also.items():
            t = found[i]
            if t is not None:
                t.signatures.update(k for k in keys if k not in EXPLAINS_NOTHING)

    @staticmethod
    def _example(log: int, chunk: bytes, line_no: int, start: int, end: int) -> Example:
        return Example(log, line_no, chunk[start : min(end, start + _EXAMPLE_BYTES)])

    def add(self, log: int, level: str, message: str, line_no: int, text: str, also: Iterable[str] = ()) -> None:
        """One line (tests, and lines read some other way): `level` is E, W, F, EMER, ERR or WARN."""
        level = _LEVELS.get(level, "warning")
        raw = message.encode("utf-8", "surrogateescape")
        cache = self._cache(log)
        example = Example(log, line_no, text.encode("utf-8", "surrogateescape")[:_EXAMPLE_BYTES])
        templates = cache.by_level[level]
        entry = templates.get(raw.translate(_SHAPE))
        if entry is None:
            entry = templates.get(raw)
        t = self._resolve(log, cache, raw, entry, example.raw, line_no, 0, len(example.raw), level)
        t.counts[log] += 1
        t.last = example
        t.signatures.update(k for k in also if k not in EXPLAINS_NOTHING)

    def _cache(self, log: int) -> _Cache:
        names = self._logs[log].names
        cache = self._caches.get(names)
        if cache is None:
            cache = self._caches[names] = _Cache(names)
        return cache

    def _resolve(
        self,
        log: int,
        cache: _Cache,
        raw: bytes,
        entry: Template | _Holes | None,
        chunk: bytes,
        line_no: int,
        start: int,
        end: int,
        level: str,
    ) -> Template:
        """The template of `raw` (line `line_no`, chunk[start:end]), given what its cache key
        found (`entry`)."""
        if entry.__class__ is Template:
            return entry
        if entry.__class__ is _Holes:
            return self._filled(entry, level, raw, log, chunk, line_no, start, end)
        # A message whose Node names or quoted names alone are new (`container="3f4e..."`) has
        # the template of the message with them masked: look that up before templating anything.
        masked = cache.names_masked(raw)
        example = self._example(log, chunk, line_no, start, end)
        if masked is not None:
            templates = cache.by_level[level]
            entry = templates.get(masked.translate(_SHAPE)) or templates.get(masked)
            if entry is None:
                entry = self._learn(log, cache, level, masked, example)
            if isinstance(entry, Template):
                if masked != raw:
                    cache.remember(level, raw, entry, shortcut=True)
                return entry
            t = self._filled(entry, level, masked, log, chunk, line_no, start, end)
            own = cache.holes_of_raw(entry, raw, masked)
            if own is not None:  # the next message of this shape fills its holes directly
                own.memo[own.kept(raw.translate(None, _NOT_ASCII_DIGITS))] = t
                cache.remember(level, raw, own, shortcut=True)
            return t
        entry = self._learn(log, cache, level, raw, example)
        if isinstance(entry, Template):
            return entry
        return self._filled(entry, level, raw, log, chunk, line_no, start, end)

    def _filled(
        self, holes: _Holes, level: str, raw: bytes, log: int, chunk: bytes, line_no: int, start: int, end: int
    ) -> Template:
        key = holes.kept(raw.translate(None, _NOT_ASCII_DIGITS))
        t = holes.memo.get(key)
        if t is None:
            t = self._template(level, holes.fill(raw), self._example(log, chunk, line_no, start, end))
            if len(holes.memo) < _MEMO_SIZE:
                holes.memo[key] = t
        return t

    def _learn(self, log: int, cache: _Cache, level: str, raw: bytes, example: Example) -> Template | _Holes:
        """Template a message of a shape not seen yet and remember what decides it: its template,
        or (when the template keeps digits, e.g. `*v1.Node`) where the message's digits go in it."""
        text = self._text(log, raw)
        t = self._template(level, text, example)
        if not _ASCII_DIGIT.search(text) or cache.holds_name(raw):
            cache.remember(level, raw, t)
            return t
        holes = self._holes(log, raw, text)
        cache.remember(level, raw, holes if holes is not None else t, exact=holes is None)
        return holes if holes is not None else t

    def _holes(self, log: int, raw: bytes, text: str) -> _Holes | None:
        """Which of `raw`'s digits its template keeps, and where: found by templating the message
        with its digits renumbered (the k-th digit becomes k's j-th decimal digit, one message per
        j). The masks never look at a digit's value, so every message of this shape fills the same
        holes; None if this message says otherwise."""
        positions = [m.start() for m in _ASCII_DIGIT_BYTES.finditer(raw)]
        probes = []
        buf = bytearray(raw)
        for j in range(len(str(max(len(positions) - 1, 0)))):
            for k, at in enumerate(positions):
                buf[at] = 48 + k // 10**j % 10
            probes.append(self._text(log, bytes(buf)))
        holes = [m.start() for m in _ASCII_DIGIT.finditer(probes[0])]
        if any([m.start() for m in _ASCII_DIGIT.finditer(p)] != holes for p in probes[1:]):
            return None
        indexes = [sum((ord(p[h]) - 48) * 10**j for j, p in enumerate(probes)) for h in holes]
        pieces = [probes[0][a + 1 : b] for a, b in zip([-1, *holes], [*holes, len(probes[0])], strict=True)]
        found = _Holes(pieces, indexes)
        return found if max(indexes) < len(positions) and found.fill(raw) == text else None

    def _text(self, log: int, raw: bytes) -> str:
        message = raw.decode("utf-8", errors="replace").rstrip("\r")
        named = mask_names(message[:MAX_MESSAGE], self._logs[log].names)
        named += "…" if len(message) > MAX_MESSAGE else ""
        return _template(named[:MAX_MESSAGE]) + named[MAX_MESSAGE:]

    def _template(self, level: str, text: str, example: Example) -> Template:
        key = (level, text)
        t = self._templates.get(key)
        if t is None:
            if len(self._templates) < self.max_templates:
                t = self._templates[key] = Template(text, level, example, example)
            else:
                if self._overflow is None:
                    self._overflow = Template("", level, example, example)
                t = self._overflow
                if level == "error":
                    t.level = "error"
        return t

    def templates(self) -> list[Template]:
        """Every template (not the overflow), as mined: Node names not yet merged."""
        return list(self._templates.values())

    def results(self, cluster: m.Cluster, explained: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The report's `unexplained` list, most frequent first.

        A template is left out when a rule signature in `explained` matched lines of it (the
        engine passes the signatures of the rules that made findings); with `explained` None,
        when any rule signature matched lines of it.
        """
        gone = None if explained is None else set(explained)
        known = tuple(n for n in cluster.nodes if n not in m.PSEUDO_NODES)
        merged: dict[tuple[str, str], Template] = {}
        for t in self._templates.values():
            if t.signatures and (gone is None or t.signatures & gone):
                continue
            if self._dropped and not (t.counts.keys() - self._dropped):
                continue  # seen only in forgotten logs
            # Mask every Node name, now that the reader knows them all, and merge what became equal.
            text = mask_names(t.text, known)
            other = merged.get((t.level, text))
            if other is None:
                merged[(t.level, text)] = Template(text, t.level, t.first, t.last, Counter(t.counts), set(t.signatures))
            else:
                other.counts.update(t.counts)
                other.signatures |= t.signatures
                if (t.first.log, t.first.line) < (other.first.log, other.first.line):
                    other.first = t.first
        out = [self._entry(t, cluster, overflow=False) for t in merged.values()]
        out.sort(key=lambda e: (-e["count"], _LEVEL_ORDER[e["level"]], e["template"]))
        if self._overflow is not None:
            entry = self._entry(self._overflow, cluster, overflow=True)
            entry["template"] = (
                f"(lines of further templates: more than {self.max_templates:,} distinct "
                "templates, these were counted but not grouped)"
            )
            out.append(entry)
        return out

    def _entry(self, t: Template, cluster: m.Cluster, overflow: bool) -> dict[str, Any]:
        log = self._logs[t.first.log]
        a = log.artifact
        hit = Hit(PREFIX, t.first.line, t.first.text, {}, [])
        event = to_event(hit, a, a.node, _year_hint(cluster, self._logs), log.created)
        return {
            "template": t.text,
            "count": self._count(t.counts),
            "level": t.level,
            "nodes": sorted({n for i in t.counts if i not in self._dropped and (n := self._logs[i].artifact.node)}),
            "example": {"artifact": a.path, "line": event.line, "time": event.time_text, "text": event.text},
            "overflow": overflow,
        }

    def _count(self, counts: Counter[int]) -> int:
        """Lines of a template, each line counted once although klog writes it to several files.

        klog's severity files are cumulative (an E line is in the INFO, WARNING and ERROR files)
        and a container log repeats them all: each is a copy of one Node's stream. Per Node and log
        kind, files of one series add up (rotated files, agent runs), and the fullest series counts.
        """
        per_stream: dict[tuple[str | None, str], Counter[str]] = {}
        for i, n in counts.items():
            if i in self._dropped:
                continue
            log = self._logs[i]
            per_stream.setdefault((log.artifact.node, log.artifact.kind), Counter())[log.series] += n
        return sum(max(series.values()) for series in per_stream.values())


_QUOTED_BYTES = re.compile(rb'"((?:[^"\\\n]|\\.){0,600})"')
_SPACE_BYTES = re.compile(rb"\s")


def _quoted_name(q: re.Match[bytes]) -> bytes:
    body = q[1]
    if q.start() == 0 or not body or body == b"<node>" or _SPACE_BYTES.search(body):
        return q[0]
    return b'"<name>"'


class _Cache:
    """Templates of the messages seen in the logs of one set of Node names, per level.

    A message is looked up by its shape (digits zeroed): every mask decides on character classes
    and lengths, never on a digit's value, so messages of one shape share a template, or, when it
    keeps some digits (eth0, v1.Node), a template with holes for them (`_Holes`). Shapes that hold
    one of the Node names (matched with their digits) are looked up as the message is.
    """

    def __init__(self, names: tuple[str, ...]):
        self.by_level: dict[str, dict[bytes, Template | _Holes]] = {"error": {}, "warning": {}}
        # The same dictionaries by klog level letter (E and F are both errors).
        self.by_letter = {letter: self.by_level[level] for letter, level in _KLOG_LEVELS.items()}
        self.exact: set[bytes] = set()  # shapes whose messages are looked up as they are
        self.shortcuts: list[tuple[str, bytes]] = []  # (level, key) of the entries `_forget` drops first
        self.name_shapes = tuple({n.encode("utf-8", "replace").translate(_SHAPE) for n in names if _DIGIT.search(n)})
        spellings, pattern = _names_pattern(tuple(sorted(set(names))))
        self.names = tuple(n.encode("utf-8", "replace") for n in spellings)
        # mask_names on bytes, for ASCII messages (where \w reads the same)
        self.names_pattern = re.compile(pattern.pattern.encode("utf-8", "replace")) if pattern else None
        self.size = 0

    def names_masked(self, raw: bytes) -> bytes | None:
        """`raw` with what `_template` masks by name alone already masked: the log's Node names
        (`<node>`) and quoted values without whitespace after the message (`"<name>"`). None when
        bytes could read otherwise than the text: non-ASCII (Unicode spaces and word characters),
        a message cut at MAX_MESSAGE."""
        if len(raw) > MAX_MESSAGE or not raw.isascii():
            return None
        if self.names_pattern is not None and any(n in raw for n in self.names):
            raw = self.names_pattern.sub(b"<node>", raw)
        return _QUOTED_BYTES.sub(_quoted_name, raw)

    def holes_of_raw(self, holes: _Holes, raw: bytes, masked: bytes) -> _Holes | None:
        """`holes` (learned on `masked`, `raw` with its quoted names masked) with indexes into
        `raw`'s own digits: messages of one shape have their quotes at the same places, so the
        digits that masking removed are the same ones. None when Node names were masked too."""
        if any(n in raw for n in self.names):
            return None
        spans = [(q.start(), q.end()) for q in _QUOTED_BYTES.finditer(raw) if _quoted_name(q) != q[0]]
        outside = [
            k for k, m in enumerate(_ASCII_DIGIT_BYTES.finditer(raw)) if not any(a <= m.start() < b for a, b in spans)
        ]
        if not holes.indexes or max(holes.indexes) >= len(outside):
            return None
        own = _Holes(holes.pieces, [outside[j] for j in holes.indexes])
        return own if own.fill(raw) == holes.fill(masked) else None

    def key(self, raw: bytes) -> bytes:
        shape = raw.translate(_SHAPE)
        return raw if shape in self.exact else shape

    def holds_name(self, raw: bytes) -> bool:
        """The message has the shape of a Node name: its digits matter (worker-1, worker-2)."""
        shape = raw.translate(_SHAPE)
        return any(n in shape for n in self.name_shapes)

    def remember(
        self, level: str, raw: bytes, entry: Template | _Holes, exact: bool = False, shortcut: bool = False
    ) -> None:
        """Remember what decides the template of messages like `raw`. A `shortcut` (the shape of
        a message whose masked form is known) is forgotten first when the cache is full: one per
        container id, they come and go; what was learned by templating stays."""
        if self.size >= _CACHE_SIZE:
            self._forget()
        self.size += 1
        shape = raw.translate(_SHAPE)
        if exact or self.holds_name(raw):
            self.exact.add(shape)  # messages of this shape are looked up as they are
            key = raw
        else:
            key = shape
        self.by_level[level][key] = entry
        if shortcut:
            self.shortcuts.append((level, key))

    def _forget(self) -> None:
        for level, key in self.shortcuts:
            self.by_level[level].pop(key, None)
        self.size -= len(self.shortcuts)
        self.shortcuts.clear()
        if self.size >= _CACHE_SIZE // 2:  # mostly learned shapes: start again
            for templates in self.by_level.values():
                templates.clear()
            self.exact.clear()
            self.size = 0


@final
class _Holes:
    """A template that keeps some of its message's digits: the text between them, and which of
    the message's digits (by index) go between."""

    __slots__ = ("pieces", "indexes", "kept", "memo")

    def __init__(self, pieces: list[str], indexes: list[int]):
        self.pieces, self.indexes = pieces, indexes
        # The kept digits of a message's digits (a tuple, or one digit), and the templates they gave.
        self.kept = itemgetter(*indexes)
        self.memo: dict[object, Template] = {}

    def fill(self, raw: bytes) -> str:
        digits = raw.translate(None, _NOT_ASCII_DIGITS)
        pieces = self.pieces
        out = [pieces[0]]
        for k, index in enumerate(self.indexes, 1):
            out.append(chr(digits[index]))
            out.append(pieces[k])
        return "".join(out)


_MEMO_SIZE = 256  # kept-digit combinations remembered per template with holes
_ASCII_DIGIT = re.compile(r"[0-9]")
_ASCII_DIGIT_BYTES = re.compile(rb"[0-9]")
_NOT_ASCII_DIGITS = bytes(b for b in range(256) if not 48 <= b <= 57)


def _year_hint(cluster: m.Cluster, logs: list[_Log]) -> int | None:
    if cluster.collected_at:
        return cluster.collected_at.year
    years = Counter(log.created.year for log in logs if log.created is not None)
    return years.most_common(1)[0][0] if years else None


from diagnose.parse.logevent import to_event  # noqa: E402  (logevent imports diagnose.scan.scanner too)
