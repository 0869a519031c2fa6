"""Error and warning lines that no rule knows about, grouped into templates.

The engine scans every log with the catch-all signatures below (klog `E`/`W` lines, OVS
`EMER`/`ERR`/`WARN` lines) after all rule signatures, and the scanner reports a catch-all hit only
for a line no other signature matched: a line a rule knows about is not news. Those hits never
become `LogEvent`s (a noisy log has millions of them): the `Miner` masks what varies between
occurrences of one message (numbers, addresses, UUIDs, hex ids, durations, quoted names, Pod and
Node names) and keeps, per template, line counts per artifact and the first example. It holds at
most `MAX_TEMPLATES` templates; lines of templates beyond that are counted in one overflow entry.

The masking is a handful of linear regexes over at most `MAX_MESSAGE` characters of each message
(hand-written rather than a template-mining library: drain3, the usual choice, is only published
as an sdist last released in 2022, and fixed masks are predictable on untrusted text).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from diagnose import model as m
from diagnose.parse import klog
from diagnose.parse.logevent import to_event
from diagnose.rule import Signature
from diagnose.scan import Hit

PREFIX = "unexplained"
MAX_TEMPLATES = 2000
MAX_MESSAGE = 600  # characters of a message that are templated (bounds the masking work)
MAX_EXAMPLE = 1000  # characters of the example line kept
_CACHE_SIZE = 4096  # exact messages whose template is remembered (retry loops repeat them)

# The klog header as diagnose.parse.klog accepts it (optional RFC 3339 stamp and up to two name
# prefixes), for E and W lines only. No literal: the matchers scan these patterns whole.
KLOG = Signature(
    "klog",
    r"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) )?(?:[\w.-]{1,80} ){0,2}"
    r"(?P<lvl>[EW])\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^ :\]\n]{1,200}:\d+\] (?P<msg>.*)$",
    "",
    (m.AGENT_LOG, m.CONTROLLER_LOG, m.OTHER_CONTAINER_LOG),
    # `^` with MULTILINE makes Hyperscan try the optional prefixes at every line start and cost
    # half its speed over all other signatures together; anchoring on the newline byte lets its
    # literal search skip ahead (2.4 GB/s instead of 0.9 on klog text). A chunk starts a line.
    prefilter=r"(?:\A|\n)(?:\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-][\d:]+) )?(?:[\w.-]{1,80} ){0,2}[EW]\d{4} ",
)
# OVS vlog file and console lines (diagnose.parse.vlog), for EMER, ERR and WARN.
OVS = Signature(
    "ovs",
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\|\d+\|(?P<mod>[^|()\n]{1,64})(?:\([^|()\n]{0,64}\))?"
    r"\|(?P<lvl>EMER|ERR|WARN)\|(?P<msg>.*)$",
    "",
    (m.OVS_LOG, m.OVS_CONTAINER_LOG),
    prefilter=r"\|(?:EMER|ERR|WARN)\|",
)
SIGNATURES: tuple[tuple[str, Signature], ...] = ((f"{PREFIX}:klog", KLOG), (f"{PREFIX}:ovs", OVS))

_LEVELS = {"E": "error", "W": "warning", "EMER": "error", "ERR": "error", "WARN": "warning"}
_LEVEL_ORDER = {"error": 0, "warning": 1}

# -- masking ------------------------------------------------------------------------------------

# One alternation, tried left to right at each position: the earlier, more specific kinds win
# (a UUID is not cut into numbers, a time is not read as an IPv6 address).
_TOKENS = re.compile(
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


def _mask_tokens(text: str) -> str:
    if not _VARIABLE.search(text):
        return text
    words = _SPLIT.split(text)
    for i in range(0, len(words), 2):  # even items are words, odd ones the separators
        if _VARIABLE.search(words[i]):
            words[i] = _TOKENS.sub(_placeholder, words[i])
    return _NUM_RUN.sub("<nums>", "".join(words))


def _placeholder(m: re.Match[str]) -> str:
    return f"<{m.lastgroup}>"


def template_of(message: str, names: tuple[str, ...] = ()) -> str:
    """The message with its variable parts masked; `names` (Node names) become `<node>`."""
    return _template(mask_names(message[:MAX_MESSAGE], names)) + ("…" if len(message) > MAX_MESSAGE else "")


def _template(text: str) -> str:
    out: list[str] = []
    pos = 0
    for q in _QUOTED.finditer(text):
        out.append(_mask_tokens(text[pos:q.start()]))
        body = q[1]
        # The leading quoted text of a structured klog line is the message itself; other quoted
        # values without spaces are names (Pods, interfaces, Nodes); longer ones are errors.
        if q.start() == 0 or any(c.isspace() for c in body):
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
    spellings = tuple(sorted({s for n in names for s in (n, _mask_tokens(n))
                              if s and s.strip("<>") not in _GENERIC}, key=len, reverse=True))
    if not spellings:
        return (), None
    alternation = "|".join(re.escape(s) for s in spellings)
    return spellings, re.compile(r"(?<![\w.<-])(?:" + alternation + r")(?![\w>-]|\.\w)")


# -- mining -------------------------------------------------------------------------------------


@dataclass
class _Template:
    text: str
    level: str
    example: Hit
    example_log: int
    counts: Counter[int] = field(default_factory=Counter)  # lines per log (index into Miner._logs)


@dataclass
class _Log:
    artifact: m.Artifact
    created: datetime | None
    series: str  # which copy of a Node's log stream this file is (klog severity file, or "stream")
    names: tuple[str, ...]


class Miner:
    """Templates of the catch-all hits, bounded in memory whatever the logs hold."""

    def __init__(self, max_templates: int = MAX_TEMPLATES):
        self.max_templates = max_templates
        self._templates: dict[tuple[str, str], _Template] = {}
        self._overflow: _Template | None = None
        self._logs: list[_Log] = []
        self._log_of: dict[int, int] = {}  # id(artifact) -> index into _logs
        self._dropped: set[int] = set()  # logs forgotten (replaced by a later archive member)
        self._shapes: dict[bytes, str] = {}  # message with its digits zeroed -> template without digits
        self._exact: dict[str, str] = {}  # message -> template that kept a digit (eth0, v1.Node)

    @staticmethod
    def is_catch_all(key: str) -> bool:
        return key.startswith(PREFIX + ":")

    def route(self, artifact: m.Artifact, created: datetime | None,
              keep: Callable[[Hit], None]) -> Callable[[Hit], None]:
        """The scanner callback for one log: catch-all hits are mined, the others go to `keep`."""
        name = artifact.path.replace("!", "/").rsplit("/", 1)[-1]
        series = klog.file_info(name, "").severity or "stream"
        # The log's own Node, when the layout or the klog header already tells it.
        names = tuple(n for n in {artifact.node, artifact.meta.get("host")} if n and n not in m.PSEUDO_NODES)
        index = len(self._logs)
        self._logs.append(_Log(artifact, created, series, names))
        self._log_of[id(artifact)] = index

        def on_hit(hit: Hit) -> None:
            if self.is_catch_all(hit.key):
                self.add(hit, index)
            else:
                keep(hit)

        return on_hit

    def forget(self, artifact: m.Artifact) -> None:
        """The log was replaced by a later archive member of the same name: its lines no longer count."""
        index = self._log_of.get(id(artifact))
        if index is not None:
            self._dropped.add(index)

    def add(self, hit: Hit, log: int) -> None:
        level = _LEVELS.get(hit.groups.get("lvl", ""), "warning")
        message = hit.groups.get("msg", hit.text)
        if hit.groups.get("mod"):
            message = f"{hit.groups['mod']}: {message}"
        named = mask_names(message[:MAX_MESSAGE], self._logs[log].names)
        named += "…" if len(message) > MAX_MESSAGE else ""
        shape = named.encode("utf-8", "surrogatepass").translate(_SHAPE)
        text = self._shapes.get(shape) or self._exact.get(named)
        if text is None:
            text = _template(named[:MAX_MESSAGE]) + named[MAX_MESSAGE:]
            cache, key = (self._exact, named) if _DIGIT.search(text) else (self._shapes, shape)
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[key] = text
        key = (level, text)
        t = self._templates.get(key)
        if t is not None and t.example_log in self._dropped:  # an example from a forgotten log: take this one
            t.example, t.example_log = _trim(hit), log
        if t is None:
            if len(self._templates) < self.max_templates:
                t = self._templates[key] = _Template(text, level, _trim(hit), log)
            else:
                if self._overflow is None:
                    self._overflow = _Template("", level, _trim(hit), log)
                t = self._overflow
                if level == "error":
                    t.level = "error"
        t.counts[log] += 1

    def results(self, cluster: m.Cluster) -> list[dict[str, Any]]:
        """The report's `unexplained` list, most frequent first."""
        known = tuple(n for n in cluster.nodes if n not in m.PSEUDO_NODES)
        merged: dict[tuple[str, str], _Template] = {}
        for t in self._templates.values():
            if self._dropped and not (t.counts.keys() - self._dropped):
                continue  # seen only in forgotten logs
            # Mask every Node name, now that the reader knows them all, and merge what became equal.
            text = mask_names(t.text, known)
            other = merged.get((t.level, text))
            if other is None:
                merged[(t.level, text)] = _Template(text, t.level, t.example, t.example_log, Counter(t.counts))
            else:
                other.counts.update(t.counts)
                if t.example_log < other.example_log:
                    other.example, other.example_log = t.example, t.example_log
        out = [self._entry(t, cluster, overflow=False) for t in merged.values()]
        out.sort(key=lambda e: (-e["count"], _LEVEL_ORDER[e["level"]], e["template"]))
        if self._overflow is not None:
            entry = self._entry(self._overflow, cluster, overflow=True)
            entry["template"] = (f"(lines of further templates: more than {self.max_templates:,} distinct "
                                 "templates, these were counted but not grouped)")
            out.append(entry)
        return out

    def _entry(self, t: _Template, cluster: m.Cluster, overflow: bool) -> dict[str, Any]:
        log = self._logs[t.example_log]
        a = log.artifact
        event = to_event(t.example, a, a.node, _year_hint(cluster, self._logs), log.created)
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


def _trim(hit: Hit) -> Hit:
    if len(hit.text) <= MAX_EXAMPLE:
        return hit
    return Hit(hit.key, hit.line_no, hit.text[:MAX_EXAMPLE] + "…", {}, [])


def _year_hint(cluster: m.Cluster, logs: list[_Log]) -> int | None:
    if cluster.collected_at:
        return cluster.collected_at.year
    years = Counter(log.created.year for log in logs if log.created is not None)
    return years.most_common(1)[0][0] if years else None
