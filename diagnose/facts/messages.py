"""Antrea's log and error messages, generated from its source: which code wrote a line.

`lookup(line)` matches a log line (klog header or not, printf or structured `"msg" key=value`, a
bare message pasted from an issue) to the Go call that prints it, and tells its package, the
component and taxonomy category that package stands for, the releases that have the message and
where it sits in each (`url(version)` links to the line). `innermost(chain)` splits an error
chain such as `Error running agent: error initializing agent: failed to initialize iptables: ...`
at the `: ` of each wrapping format and matches every part, outermost first.

The data is `messages.json.gz` next to this module, made by `tools/build_message_catalogue.py`
from every minor release since v1.0 (and `main`); its layout:

    releases  release names, oldest first ("main" last)
    refs      the git ref each release was read at (a tag, or main's commit)
    packages  package paths;  files  file paths
    messages  [format, level, style, package index, "key1,key2",
               [first release, last release, file index, line, ...]]

`level` is I/W/E/F for klog calls, "error" for `fmt.Errorf`/`errors.New`, "panic" for `panic()`;
`style` is "f" (printf), "s" (structured), "p"/"l" (Sprint/Sprintln). Each run of releases
in which the message sits at one `file:line` is one (first, last, file, line) quadruple.

Lookups are meant for thousands of lines per scan: the index is built on first use (or, for the
packaged catalogue, restored from this user's signed cache: `Catalogue.load_cached`), each
format is indexed under its rarest whole word, a line's words select the few formats to try,
and a format is matched by `str.find` of its pieces (no regex, no backtracking).
"""

from __future__ import annotations

import gzip
import json
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from diagnose.facts import components
from diagnose.facts import versions as v
from diagnose.facts.gofmt import WORD, Glob, normalise
from diagnose.parse import klog

DATA = Path(__file__).with_name("messages.json.gz")
REPOSITORY_URL = "https://github.com/antrea-io/antrea"
MAX_CHAIN = 16  # parts of an error chain decoded at most
MAX_SPLITS = 32  # `: ` tried per part (a hostile line of colons stays cheap)
MAX_TEXT = 4096  # characters of a line that are matched (a longer message is cut there)
_MIN_WRAPPER = 6  # literal characters a wrapping format needs before `: ` to split a chain there
_MIN_FIRST_LINE = 12  # literal characters the first line of a format needs to identify it


# anchor word -> (message, its other anchor words) of the messages indexed under that word; the
# words are tuples of interned strings, not frozensets (three indexes of ~5,000 entries: the sets
# were a third of the catalogue's memory)
_Index = dict[str, tuple[tuple[int, tuple[str, ...]], ...]]


class CatalogueError(Exception):
    """The data file is missing or unreadable (one sentence, for the user)."""


@dataclass(frozen=True)
class Location:
    """Where a message sits in the releases `first` .. `last` (names from `releases`)."""

    first: str
    last: str
    file: str
    line: int


@dataclass(frozen=True)
class SourceMessage:
    """One message of Antrea's source: a Go format string at a level in a package."""

    format: str
    level: str  # I, W, E, F, "error" (an error constructor) or "panic"
    package: str  # e.g. pkg/agent/route
    component: str  # e.g. "antrea-agent route client (iptables/ipset/routes)"
    category: str  # taxonomy id (see diagnose.facts.components)
    versions: tuple[str, str]  # first and last release that has it
    releases: tuple[str, ...]  # every catalogued release that has it
    locations: tuple[Location, ...]  # per run of releases: file and line
    keys: tuple[str, ...] = ()  # keys of a structured call, in source order
    structured: bool = False  # klog InfoS/ErrorS or logr: the line shows the message quoted
    repository: str = REPOSITORY_URL
    refs: tuple[tuple[str, str], ...] = ()  # (release, git ref to link) of `releases`

    # The version `main` stands for: the next minor release, after every catalogued tag.
    main_version: str = "v999.0.0-dev"

    @property
    def source(self) -> str:
        """`file:line` in the newest release that has the message."""
        loc = self.location()
        return f"{loc.file}:{loc.line}"

    def closest_release(self, version: str | None = None) -> str:
        """The release that has the message nearest to `version`: the newest not after it, else
        the oldest; the newest when the version is unknown."""
        wanted = _numbers(version if version != "main" else self.main_version)
        if wanted is None:
            return self.releases[-1]
        older = [r for r in self.releases if (_numbers(self.main_version if r == "main" else r) or wanted) <= wanted]
        return older[-1] if older else self.releases[0]

    def location(self, version: str | None = None) -> Location:
        """The location in the release closest to `version` (the newest when None)."""
        order = {name: i for i, name in enumerate(self.releases)}
        at = order[self.closest_release(version)]
        for loc in self.locations:
            if order.get(loc.first, -1) <= at <= order.get(loc.last, -1):
                return loc
        return self.locations[-1]

    def url(self, version: str | None = None) -> str:
        """A GitHub link to the line, at the tag closest to `version` (main: its commit)."""
        loc = self.location(version)
        ref = dict(self.refs).get(self.closest_release(version), "main")
        return f"{self.repository}/blob/{ref}/{loc.file}#L{loc.line}"


def _numbers(version: str | None) -> tuple[int, int, int] | None:
    """major, minor, patch: a pre-release or dev build (v2.1.0-dev-6e00ebf) is compared as the
    release it leads to, whose code it mostly has."""
    parsed = v.parse(version)
    return (parsed.major, parsed.minor, parsed.patch) if parsed else None


# -- lines --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """A log line reduced to what the catalogue matches on: message, level, source and keys."""

    message: str
    level: str | None
    file: str | None  # basename of the klog header's source file
    line: int | None
    keys: tuple[str, ...]
    err: str | None  # the err= value of a structured line


def _parse(text: str) -> _Line:
    """The message, level, header source and keys of a klog line or of a bare message (its
    first line: the rest of a message that spans lines is not matched)."""
    text = text[:MAX_TEXT].split("\n", 1)[0].rstrip("\r")
    parsed = klog.parse_line(text, None)
    level = file = line = None
    if parsed is not None:
        level, body, kv = parsed.level, parsed.message, parsed.kv
        name, _, number = parsed.source.rpartition(":")
        file, line = name.rsplit("/", 1)[-1], int(number) if number.isdigit() else None
    else:
        body = text.strip()
        if body.startswith("panic: "):
            level, body = "panic", body[len("panic: ") :]
        body, kv = klog.split_structured(body)
    err = kv.get("err") if kv else None
    return _Line(body, level, file, line, tuple(kv), err)


# -- the catalogue ------------------------------------------------------------------------------


class Catalogue:
    """The messages of one data file, with the indexes that find them."""

    def __init__(self, doc: dict[str, Any]):
        try:
            self.releases: tuple[str, ...] = tuple(doc["releases"])
            self.refs: tuple[str, ...] = tuple(doc.get("refs") or doc["releases"])
            self.packages: list[str] = doc["packages"]
            self.files: list[str] = doc["files"]
            self.rows: list[list[Any]] = [_compact(row) for row in doc["messages"]]
            self.repository = f"https://github.com/{doc.get('repository', 'antrea-io/antrea')}"
        except (KeyError, TypeError) as e:
            raise CatalogueError(f"the message catalogue lacks its {e} table") from e
        tags = [v.parse(r) for r in self.releases if r != "main"]
        newest = max((t for t in tags if t), default=v.Version(0, 0, 0, True, ""))
        # main is the next minor release in the making: after every tag, before the next .0
        self.main_version = f"v{newest.major}.{newest.minor + 1}.0-dev"
        self._versions = [v.parse(self.main_version if r == "main" else r) for r in self.releases]
        self._made: dict[int, SourceMessage] = {}
        self.lookup = lru_cache(maxsize=8192)(self._lookup)  # retry loops repeat their lines

    @classmethod
    def load(cls, path: Path = DATA) -> Catalogue:
        return cls(_decode(_read(path), path))

    @classmethod
    def load_cached(cls, path: Path = DATA) -> Catalogue:
        """`load` with every index ready, restored from this user's signed cache when it holds
        them for this very data file and matching code; else built now and stored there.

        Building the indexes takes ~0.2 s, restoring them ~20 ms: a scan whose files need a
        lookup pays the former once per user and version, not once per run."""
        raw = _read(path)
        cache = _index_cache(raw)
        if cache is not None:
            with _no_gc():  # ~100k small containers made at once: no cycles among them to look for
                restored = _restore(cache.load_object())
                if restored is not None:
                    doc, indexes = restored
                    cat = cls(doc)
                    n = len(cat.rows)
                    if len(indexes["_globs"]) == len(indexes["_first_lines"][0]) == len(indexes["_wrappers"][0]) == n:
                        cat.__dict__.update(indexes)  # what the cached properties would compute
                        return cat
        doc = _decode(raw, path)
        cat = cls(doc)
        if cache is not None:
            cache.store_object(_cached_form(doc, cat.rows, {name: getattr(cat, name) for name in _INDEXES}))
        return cat

    def __len__(self) -> int:
        return len(self.rows)

    def first_release(self) -> v.Version | None:
        """The oldest release catalogued (nothing older is known)."""
        return min((x for x in self._versions if x is not None), default=None)

    # Indexes are built on first use: loading the file alone (for `rules lint`) stays cheap.

    @cached_property
    def _globs(self) -> list[Glob]:
        return [Glob.of(row[0]) for row in self.rows]

    @cached_property
    def _texts(self) -> list[str]:
        """The literal pieces of each format, for substring tests (rules lint)."""
        return ["\0".join(g.parts) for g in self._globs]

    @cached_property
    def _index(self) -> _Index:
        """Rarest anchor word -> messages; formats without one are never looked up."""
        return _rarest_word_index(enumerate(self._globs))

    @cached_property
    def _wrappers(self) -> tuple[list[Glob | None], _Index]:
        heads = [g.wrapper_head() for g in self._globs]
        usable = ((i, h) for i, h in enumerate(heads) if h is not None and h.size >= _MIN_WRAPPER)
        return heads, _rarest_word_index(usable)

    @cached_property
    def _first_lines(self) -> tuple[list[Glob | None], _Index]:
        """First-line globs, indexed by the words of their head (all a cut line surely shows)."""
        firsts = [Glob.first_line(row[0]) for row in self.rows]
        usable = (
            (i, Glob((g.parts[0], "")))
            for i, g in enumerate(firsts)
            if g is not None and len(g.parts[0]) >= _MIN_FIRST_LINE
        )
        return firsts, _rarest_word_index(usable)

    # -- messages

    def message(self, i: int) -> SourceMessage:
        made = self._made.get(i)
        if made is None:
            made = self._made[i] = self._make(i)
        return made

    def _make(self, i: int) -> SourceMessage:
        fmt, level, style, package, keys, raw_sites = self.rows[i]
        flat = _sites(raw_sites)
        package = self.packages[package]
        locations = []
        present: set[int] = set()
        for k in range(0, len(flat) - 3, 4):
            first, last, file, line = flat[k : k + 4]
            locations.append(Location(self.releases[first], self.releases[last], self.files[file], line))
            present.update(range(first, last + 1))
        locations.sort(key=lambda loc: self.releases.index(loc.first))
        releases = tuple(self.releases[r] for r in sorted(present))
        newest_file = locations[-1].file if locations else ""
        return SourceMessage(
            format=fmt,
            level=level,
            package=package,
            component=components.component(package).name,
            category=components.category(package, newest_file, fmt),
            versions=(releases[0], releases[-1]) if releases else ("", ""),
            releases=releases,
            locations=tuple(locations),
            keys=tuple(k for k in keys.split(",") if k),
            structured=style == "s",
            repository=self.repository,
            refs=tuple((r, self.refs[self.releases.index(r)]) for r in releases),
            main_version=self.main_version,
        )

    def present(self, i: int, release: int) -> bool:
        """Is message `i` in release `release` (an index of `releases`)?"""
        return bool(self._masks[i] >> release & 1)

    def present_in_any(self, i: int, releases: Iterable[int]) -> bool:
        return bool(self._masks[i] & _mask(releases))

    @cached_property
    def _masks(self) -> list[int]:
        """Per message, bit r set when release r has it."""
        masks = []
        for row in self.rows:
            flat, mask = _sites(row[5]), 0
            for k in range(0, len(flat) - 3, 4):
                mask |= ((1 << (flat[k + 1] - flat[k] + 1)) - 1) << flat[k]
            masks.append(mask)
        return masks

    def _at(self, i: int, file: str, line: int | None) -> int:
        """2: the message sits at that file:line in some release, 1: in that file, 0: not."""
        flat = _sites(self.rows[i][5])
        score = 0
        for k in range(0, len(flat) - 3, 4):
            if self.files[flat[k + 2]].rsplit("/", 1)[-1] == file:
                if flat[k + 3] == line:
                    return 2
                score = 1
        return score

    def release_index(self, version: str | None) -> int | None:
        """The catalogued release closest to `version` (the newest not after it)."""
        if version == "main":
            return len(self.releases) - 1
        wanted = _numbers(version)
        if wanted is None:
            return None
        best = None
        for i, name in enumerate(self.releases):
            known = _numbers(self.main_version if name == "main" else name)
            if known is not None and known <= wanted:
                best = i
        return best if best is not None else 0

    # -- matching

    def _lookup(self, text: str, level: str | None = None, version: str | None = None) -> SourceMessage | None:
        line = _parse(text)
        found = self._best(normalise(line.message).strip(), level or line.level, version, line)
        if found is None and not line.keys and " err=" in line.message:
            # A structured line whose message was not quoted: the message ends where keys begin.
            found = self._best(normalise(line.message.split(" err=", 1)[0]).strip(), level or line.level, version, line)
        return self.message(found) if found is not None else None

    def _best(self, text: str, level: str | None, version: str | None, line: _Line | None) -> int | None:
        """The best message matching all of `text`, or failing that (or when the klog header
        names another place) its first line: a message continued on the next lines."""
        if not text:
            return None
        release = self.release_index(version)
        best = self._pick(text, self._globs, self._index, level, release, line, _whole)
        if best is None or (line is not None and line.file and best[1][0] < 2):
            globs, index = self._first_lines
            partial = self._pick(text, globs, index, level, release, line, Glob.match_start)
            if partial is not None and (best is None or partial[1] > best[1]):
                best = partial
        return best[0] if best is not None else None

    def _pick(
        self,
        text: str,
        globs: Sequence[Glob | None],
        index: _Index,
        level: str | None,
        release: int | None,
        line: _Line | None,
        match: Callable[[Glob, str], int],
    ) -> tuple[int, tuple] | None:
        """(message, score) of the best glob of `globs` matching `text`, among those the words
        of `text` select in `index`; `match` gives the literal characters matched, or -1."""
        best: tuple[int, tuple] | None = None
        words = set(WORD.findall(text))
        for word in words:
            for i, needs in index.get(word, ()):
                if not words.issuperset(needs):  # every anchor word of a matching text is in it
                    continue
                glob = globs[i]
                size = match(glob, text) if glob is not None else -1
                if size >= 0:
                    score = self._score(i, size, match is _whole, level, release, line)
                    if best is None or score > best[1]:
                        best = (i, score)
        return best

    def _score(
        self, i: int, size: int, whole: bool, level: str | None, release: int | None, line: _Line | None
    ) -> tuple:
        """Ranks matches: the klog header's file:line, a whole-text match, the level, the keys
        of a structured line, presence in the version, then the most literal text."""
        row = self.rows[i]
        at = self._at(i, line.file, line.line) if line is not None and line.file else 0
        if level is None or row[1] == level:
            level_fit = 2
        elif row[1] == "error":  # klog.Error(err), klog.Fatal(err), panic(err): the error's own text
            level_fit = 1
        else:
            level_fit = 0
        keys = sum(1 for k in line.keys if k != "err" and k in row[4].split(",")) if line and line.keys else 0
        present = 1 if release is None or self.present(i, release) else 0
        return (at, whole, level_fit, keys, present, size, -i)

    def innermost(self, chain: str, version: str | None = None) -> list[SourceMessage]:
        """The messages of an error chain, outermost first and innermost last.

        `chain` is a log line or message: a printf line is decoded from its message on, a
        structured line gives its message and then the chain in its `err=` value.
        """
        line = _parse(chain)
        out: list[int] = []
        level: str | None = line.level
        if line.keys:
            first = self._best(normalise(line.message).strip(), level, version, line)
            if first is not None:
                out.append(first)
            text, level, line_for_first = line.err or "", None, None
        else:
            text, line_for_first = line.message, line
        out += self._decode(normalise(text).strip(), level, version, line_for_first)
        return [self.message(i) for i in out]

    def _decode(self, text: str, level: str | None, version: str | None, line: _Line | None) -> list[int]:
        out: list[int] = []
        heads, index = self._wrappers
        while text and len(out) < MAX_CHAIN:
            whole = self._best(text, level, version, line)
            if whole is not None and heads[whole] is None:
                out.append(whole)  # a complete message: nothing is wrapped inside it
                break
            split = self._split(text, heads, index, level, version, line)
            if split is None:
                if whole is not None:
                    out.append(whole)
                break
            out.append(split[0])
            text, level, line = split[1], None, None
        return out

    def _split(
        self,
        text: str,
        heads: list[Glob | None],
        index: _Index,
        level: str | None,
        version: str | None,
        line: _Line | None,
    ) -> tuple[int, str] | None:
        """The leftmost `: ` whose left side a wrapping format matches: (message, right side)."""
        release = self.release_index(version)
        pos = text.find(": ")
        for _ in range(MAX_SPLITS):
            if pos <= 0:
                break
            found = self._pick(text[:pos], heads, index, level, release, line, _whole)
            if found is not None:
                return found[0], text[pos + 2 :].lstrip()
            pos = text.find(": ", pos + 2)
        return None

    # -- signature literals (rules lint)

    def containing(self, literal: str, releases: Iterable[int] | None = None) -> list[SourceMessage]:
        """Messages whose text can hold `literal`, best first; only those present in one of
        `releases` (indexes) when given. The format must print a third of the literal itself
        (at least 8 characters, or all of a shorter one): the rest may come from its values.

        Formats holding the literal across a value are searched only in the releases (of
        `releases`, or all) where no format holds it whole."""
        wanted = normalise(literal)
        if not wanted.strip():
            return []
        allowed = _mask(releases) if releases is not None else (1 << len(self.releases)) - 1
        candidates = [i for i, mask in enumerate(self._masks) if mask & allowed]
        whole = [i for i in candidates if wanted in self._texts[i]]
        covered = 0
        for i in whole:
            covered |= self._masks[i]
        found = [(len(wanted), self._globs[i].size, i) for i in whole]
        rest = allowed & ~covered
        if rest:
            need = min(len(wanted), max(8, -(-len(wanted) // 3)))
            words = [w for w in WORD.findall(wanted) if len(w) >= 3] or [wanted.strip()]
            for i in candidates:
                text = self._texts[i]
                if not self._masks[i] & rest or wanted in text or not any(w in text for w in words):
                    continue
                held = self._globs[i].holds(wanted)
                if held >= need:
                    found.append((held, self._globs[i].size, i))
        found.sort(key=lambda t: (-t[0], -t[1], t[2]))
        return [self.message(i) for _, _, i in found]

    def releases_within(self, spec: str) -> list[int]:
        """Indexes of the catalogued releases a version spec (">=2.5.0", "all") admits."""
        return [i for i, known in enumerate(self._versions) if v.satisfies(known, spec)]


def _compact(row: list[Any]) -> list[Any]:
    """A message row with its (first release, last release, file, line) quadruples as the bytes of
    machine integers, read through `_sites` (a list held ~120k int objects). The signed cache
    stores rows so: restoring them costs nothing per row."""
    if isinstance(row[-1], bytes):
        return row
    *head, flat = row
    return [*head, array("I", flat).tobytes()]


def _sites(raw: bytes) -> memoryview:
    return memoryview(raw).cast("I")


def _mask(releases: Iterable[int]) -> int:
    mask = 0
    for r in releases:
        mask |= 1 << r
    return mask


def _whole(glob: Glob, text: str) -> int:
    return glob.size if glob.match(text) else -1


def _rarest_word_index(items: Iterable[tuple[int, Glob]]) -> _Index:
    """Index each glob under the anchor word the fewest globs share, with all its anchor words
    (a line lacking one cannot match): a line's words select few candidates, most of them
    dismissed by a set comparison. Globs without an anchor word are left out."""
    anchored = [(i, frozenset(map(sys.intern, g.anchor_words()))) for i, g in items]
    counts: dict[str, int] = {}
    for _, words in anchored:
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    rank = {w: (n, -len(w), w) for w, n in counts.items()}  # the rarest, then the longest
    index: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    for i, words in anchored:
        if words:
            word = min(words, key=rank.__getitem__)
            index.setdefault(word, []).append((i, tuple(sorted(words - {word}))))
    return {w: tuple(ids) for w, ids in index.items()}


# -- the index cache ----------------------------------------------------------------------------

_INDEXES = ("_globs", "_index", "_first_lines", "_wrappers")  # the cached properties restored


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as e:
        raise CatalogueError(
            f"the message catalogue {path} is missing; rebuild it with tools/build_message_catalogue.py"
        ) from e
    except OSError as e:
        raise CatalogueError(f"the message catalogue {path} cannot be read: {e}") from e


def _decode(raw: bytes, path: Path) -> Any:
    try:
        return json.loads(gzip.decompress(raw))
    except (OSError, EOFError, ValueError) as e:
        raise CatalogueError(f"the message catalogue {path} cannot be read: {e}") from e


def _index_cache(raw: bytes) -> Any:
    """The signed cache entry for this data file, these indexing modules and this Python (its
    marshal format); None when caching is off or the modules' sources cannot be read."""
    import hashlib
    import marshal

    from diagnose.cache import SignedCache, default_cache_dir
    from diagnose.facts import gofmt

    directory = default_cache_dir()
    if directory is None:
        return None
    h = hashlib.sha256(raw)
    try:
        for module in (__file__, gofmt.__file__):  # any change to how indexes are built
            h.update(Path(module).read_bytes())
    except (OSError, TypeError):
        return None
    h.update(f"{sys.version}|{marshal.version}".encode())
    return SignedCache(directory, "messages", h.hexdigest())


def _cached_form(doc: Any, rows: list[list[Any]], indexes: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """What the cache holds: the data file's `doc` with its message `rows` as the catalogue holds
    them (`_compact`), and the built indexes."""
    # One object for equal texts and equal parts (a first-line glob mostly repeats its format's
    # pieces): marshal writes an object met twice as a reference, so the restored catalogue
    # shares them too (~1 MiB less resident).
    same: dict[Any, Any] = {}

    def parts(globs: list[Glob | None]) -> list[tuple[str, ...] | None]:
        return [
            None if g is None else same.setdefault(g.parts, tuple(same.setdefault(p, p) for p in g.parts))
            for g in globs
        ]

    doc = {
        **doc,
        "messages": [[same.setdefault(row[0], row[0]), *row[1:]] for row in rows],
    }
    plain = {
        "_globs": parts(indexes["_globs"]),
        "_index": indexes["_index"],
        "_first_lines": (parts(indexes["_first_lines"][0]), indexes["_first_lines"][1]),
        "_wrappers": (parts(indexes["_wrappers"][0]), indexes["_wrappers"][1]),
    }
    return doc, plain


def _restore(cached: object) -> tuple[Any, dict[str, Any]] | None:
    """(doc, indexes) of what the cache held (None: nothing, or not what `_cached_form` makes:
    the indexes are then built again)."""
    if not isinstance(cached, tuple) or len(cached) != 2:
        return None
    doc: Any = cached[0]
    plain: Any = cached[1]
    try:
        return doc, {
            "_globs": _LazyGlobs(plain["_globs"]),
            "_index": plain["_index"],
            "_first_lines": (_LazyGlobs(plain["_first_lines"][0]), plain["_first_lines"][1]),
            "_wrappers": (_LazyGlobs(plain["_wrappers"][0]), plain["_wrappers"][1]),
        }
    except (ValueError, TypeError, KeyError, IndexError):
        return None


class _LazyGlobs(Sequence):
    """A restored glob list whose `Glob`s are made when a lookup first reads them: a scan
    reads a few dozen of the ~17k, and making them all took ~5 ms of every load."""

    __slots__ = ("_parts", "_made")

    def __init__(self, parts: list[tuple[str, ...] | None]):
        self._parts = parts
        self._made: dict[int, Glob | None] = {}

    def __len__(self) -> int:
        return len(self._parts)

    def __getitem__(self, i):  # ints only: the catalogue never slices
        made = self._made.get(i)
        if made is None:
            parts = self._parts[i]
            made = self._made[i] = Glob(parts) if parts is not None else None
        return made


@contextmanager
def _no_gc() -> Iterator[None]:
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- the module's catalogue ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The packaged catalogue, loaded once per process (its indexes from the signed cache)."""
    return Catalogue.load_cached()


def lookup(message: str, level: str | None = None, version: str | None = None) -> SourceMessage | None:
    """The source message of a log line or message; None when no Antrea message matches.

    `level` (I/W/E/F, default: the klog header's) and `version` (e.g. "v2.1.0") prefer the
    candidates logged at that level and present in that release when several formats match.
    """
    return catalogue().lookup(message, level, version)


def innermost(error_chain: str, version: str | None = None) -> list[SourceMessage]:
    """Each Antrea message of an error chain, outermost first and innermost last."""
    return catalogue().innermost(error_chain, version)


def version_range(messages: Iterable[SourceMessage]) -> tuple[str, str] | None:
    """The releases every one of `messages` exists in (first, last): a version hint when the
    bundle has no agentinfo. None when they share none (or there are none)."""
    common: set[str] | None = None
    for m in messages:
        common = set(m.releases) if common is None else common & set(m.releases)
    if not common:
        return None
    ranked = sorted(common, key=lambda r: (r == "main", v.parse(r) or v.Version(0, 0, 0, True, "")))
    return ranked[0], ranked[-1]
