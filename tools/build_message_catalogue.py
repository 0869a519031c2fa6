#!/usr/bin/env python3
"""Build `diagnose/facts/messages.json.gz`: every log and error message in Antrea's Go source.

Run by hand against a clone of antrea-io/antrea with its tags (bare or not: nothing is checked
out, the Go files of each tag are read with `git ls-tree` and `git cat-file --batch`), then commit
the output:

    git clone --bare https://github.com/antrea-io/antrea.git /tmp/antrea.git
    python tools/build_message_catalogue.py --git-dir /tmp/antrea.git

It reads every minor release from v1.0.0 to the newest `vX.Y.0` tag, plus `main` (recorded by its
commit, so that links stay stable), and extracts from Antrea's own code under `cmd/`, `pkg/` and
`multicluster/` (no vendor, generated clients, mocks or tests):

- klog calls: `klog.Infof/Warningf/Errorf/Fatalf/Exitf`, `klog.Info/Warning/Error/Fatal` (Sprint),
  the `...ln` and `...Depth` variants, `klog.InfoS/ErrorS` and `klog.V(n).<any of these>`;
- logr calls on `logger` and `klog.FromContext(...)`/`klog.Background()`: `Info/Error/V(n).Info`;
- error constructors: `fmt.Errorf` and `errors.New`, whose text ends up after `err=` or inside
  another message (`error initializing agent: %w`);
- `panic(...)` with a literal or `fmt.Sprintf` message (printed as `panic: <message>`).

A message is the call's format argument: string literals (interpreted or raw) joined with `+`;
an operand that is not a literal becomes `%v`, unless it names a string constant of the same
package. Plain-text messages (structured klog messages, `errors.New`, Sprint-style calls) are
stored as format strings too (`%` doubled), so that one reader handles them all.

Each distinct (format, level, package) is stored once with its keys (structured calls) and the
runs of releases in which it sits at one `file:line`. See `diagnose/facts/messages.py` for the
reader and the file layout.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOTS = ("cmd", "pkg", "multicluster")
# Generated or test-only code: no message a running agent or controller logs comes from there.
SKIP_PARTS = re.compile(
    r"(^|/)(vendor|third_party|testing|testdata|test|mocks?|fake)(/|$)"
    r"|^pkg/client/|^multicluster/pkg/client/|^pkg/apis/.*/generated"
    r"|_test\.go$|(^|/)zz_generated[^/]*\.go$|\.pb\.go$|(^|/)mock_[^/]*\.go$|_mock\.go$"
)
OUT = Path(__file__).resolve().parents[1] / "diagnose" / "facts" / "messages.json.gz"
SCHEMA = 1

# -- Go lexing ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<nl>\n)|(?P<ws>[ \t\r\f]+)|(?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<raw>`[^`]*`)|(?P<str>"(?:[^"\\\n]|\\.)*")|(?P<rune>'(?:[^'\\\n]|\\.)*')
    |(?P<ident>[^\W\d]\w*)|(?P<num>\d[\w.]*)|(?P<op>.)""",
    re.S | re.X,
)
_ESCAPE = re.compile(r"\\(?:([abfnrtv\\'\"])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3}))")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


@dataclass(frozen=True)
class Token:
    kind: str  # "s" string, "i" identifier, "p" punctuation, "n" number, "r" rune
    text: str  # the decoded value of a string, else the source text
    line: int


def _unquote(literal: str) -> str:
    """The value of a Go interpreted string literal (with its quotes)."""

    def one(m: re.Match[str]) -> str:
        if m[1]:
            return _SIMPLE_ESCAPES[m[1]]
        code = m[2] or m[3] or m[4]
        if code:
            return chr(int(code, 16)) if int(code, 16) <= 0x10FFFF else "\ufffd"
        return chr(int(m[5], 8))

    return _ESCAPE.sub(one, literal[1:-1])


def tokens(source: str) -> list[Token]:
    """Go tokens without comments and white space; strings decoded; each with its line."""
    out: list[Token] = []
    line = 1
    for m in _TOKEN.finditer(source):
        kind = m.lastgroup
        text = m.group()
        if kind == "nl":
            line += 1
            continue
        if kind == "ws":
            continue
        if kind == "comment":
            line += text.count("\n")
            continue
        if kind == "raw":
            out.append(Token("s", text[1:-1].replace("\r", ""), line))
            line += text.count("\n")
        elif kind == "str":
            out.append(Token("s", _unquote(text), line))
        elif kind == "ident":
            out.append(Token("i", text, line))
        elif kind == "num":
            out.append(Token("n", text, line))
        elif kind == "rune":
            out.append(Token("r", text, line))
        else:
            out.append(Token("p", text, line))
    return out


# -- calls --------------------------------------------------------------------------------------

# One operand of a string expression: ("lit", text), ("id", name) or ("expr", "").
Part = tuple[str, str]
Expr = list[Part]

# klog function -> (level, style, index of the message or format argument). Styles: "f" printf,
# "s" structured (a message and key/value pairs), "p" Sprint (operands joined), "l" Sprintln.
_KLOG: dict[str, tuple[str, str, int]] = {}
for _name, _level in (("Info", "I"), ("Warning", "W"), ("Error", "E"), ("Fatal", "F"), ("Exit", "F")):
    _KLOG[_name] = (_level, "p", 0)
    _KLOG[_name + "f"] = (_level, "f", 0)
    _KLOG[_name + "ln"] = (_level, "l", 0)
    _KLOG[_name + "Depth"] = (_level, "p", 1)
    _KLOG[_name + "fDepth"] = (_level, "f", 1)
    _KLOG[_name + "lnDepth"] = (_level, "l", 1)
_KLOG.update(
    {"InfoS": ("I", "s", 0), "ErrorS": ("E", "s", 1), "InfoSDepth": ("I", "s", 1), "ErrorSDepth": ("E", "s", 2)}
)
# Methods of klog.V(n) (a Verbose) and of a logr.Logger.
_VERBOSE = {k: v for k, v in _KLOG.items() if k.startswith("Info") or k in ("ErrorS", "ErrorSDepth")}
_LOGR = {"Info": ("I", "s", 0), "Error": ("E", "s", 1)}
# Identifiers that hold a logr.Logger in Antrea's code.
_LOGGER_NAMES = frozenset({"logger", "log"})
_LOGGER_SOURCES = frozenset({"FromContext", "Background", "LoggerWithValues", "LoggerWithName", "NewKlogr"})


@dataclass
class Call:
    """A message-producing call found in one Go file."""

    level: str  # I, W, E, F, "error" for an error constructor, "panic" for a panic(...)
    style: str  # see _KLOG
    line: int
    args: list[Expr]  # the message argument first (Sprint styles: all operands, one Expr each)
    keys: list[str] = field(default_factory=list)


def _close(toks: list[Token], i: int) -> int:
    """Index of the bracket closing the one at toks[i] (or len(toks))."""
    depth = 0
    pairs = {"(": ")", "[": "]", "{": "}"}
    for j in range(i, len(toks)):
        t = toks[j]
        if t.kind != "p":
            continue
        if t.text in pairs:
            depth += 1
        elif t.text in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return j
    return len(toks)


def _arguments(toks: list[Token], i: int) -> tuple[list[list[Token]], int]:
    """Arguments of the call whose "(" is toks[i], split at top-level commas; and the end."""
    end = _close(toks, i)
    args: list[list[Token]] = [[]]
    depth = 0
    for t in toks[i + 1 : end]:
        if t.kind == "p" and t.text in "([{":
            depth += 1
        elif t.kind == "p" and t.text in ")]}":
            depth -= 1
        if depth == 0 and t.kind == "p" and t.text == ",":
            args.append([])
        else:
            args[-1].append(t)
    return [a for a in args if a], end


def string_expr(arg: list[Token]) -> Expr | None:
    """A string expression (`"a" + b + `c``) as parts; None when it holds no literal or name."""
    parts: Expr = []
    operand: list[Token] = []
    depth = 0
    for t in [*arg, Token("p", "+", 0)]:
        if t.kind == "p" and t.text in "([{":
            depth += 1
        elif t.kind == "p" and t.text in ")]}":
            depth -= 1
        if depth == 0 and t.kind == "p" and t.text == "+":
            if len(operand) == 1 and operand[0].kind == "s":
                parts.append(("lit", operand[0].text))
            elif _is_sprintf(operand):
                parts.append(("fmt", operand[4].text))
            elif len(operand) == 1 and operand[0].kind == "i":
                parts.append(("id", operand[0].text))
            elif operand:
                parts.append(("expr", ""))
            operand = []
        else:
            operand.append(t)
    if not any(kind in ("lit", "fmt", "id") for kind, _ in parts):
        return None
    return parts


def _is_sprintf(operand: list[Token]) -> bool:
    """`fmt.Sprintf("literal format", ...)`: its format stands for the operand."""
    return (
        len(operand) >= 6
        and operand[0].text == "fmt"
        and operand[1].text == "."
        and operand[2].text == "Sprintf"
        and operand[3].text == "("
        and operand[4].kind == "s"
        and operand[5].text in (",", ")")
    )


def _literal_keys(args: list[list[Token]]) -> list[str]:
    return [a[0].text for a in args[::2] if len(a) == 1 and a[0].kind == "s"]


def _call(level: str, style: str, at: int, line: int, args: list[list[Token]]) -> Call | None:
    if style in "pl":
        exprs = [string_expr(a) or [("expr", "")] for a in args[at:]]
        if not any(kind != "expr" for e in exprs for kind, _ in e):
            return None
        return Call(level, style, line, exprs)
    if len(args) <= at:
        return None
    expr = string_expr(args[at])
    if expr is None:
        return None
    keys = _literal_keys(args[at + 1 :]) if style == "s" else []
    return Call(level, style, line, [expr], keys)


def calls(toks: list[Token]) -> Iterator[Call]:
    """The message-producing calls in a token list, in source order."""
    n = len(toks)

    def word(j: int, *texts: str) -> bool:
        return j < n and toks[j].kind == "i" and (not texts or toks[j].text in texts)

    def punct(j: int, text: str) -> bool:
        return j < n and toks[j].kind == "p" and toks[j].text == text

    i = 0
    while i < n:
        t = toks[i]
        if t.kind == "i" and t.text == "panic" and punct(i + 1, "(") and not (i and punct(i - 1, ".")):
            args, _ = _arguments(toks, i + 1)
            found = _call("panic", "p", 0, t.line, args[:1])
            if found is not None:
                yield found
            i += 2
            continue
        if t.kind != "i" or (i and punct(i - 1, ".")) or not punct(i + 1, "."):
            i += 1
            continue
        name = toks[i + 2].text if word(i + 2) else ""
        j = i + 3  # after `pkg.Name`
        table: dict[str, tuple[str, str, int]] | None = None
        if t.text == "klog" and name == "V" and punct(j, "("):
            j = _close(toks, j) + 1
            if punct(j, ".") and word(j + 1) and punct(j + 2, "("):
                table, name, j = _VERBOSE, toks[j + 1].text, j + 2
        elif t.text == "klog" and name in _LOGGER_SOURCES and punct(j, "("):
            j = _close(toks, j) + 1
            table, name, j = _logr_method(toks, j)
        elif t.text == "klog" and punct(j, "("):
            table = _KLOG
        elif t.text in _LOGGER_NAMES and punct(j, "(") or t.text in _LOGGER_NAMES and name == "V":
            table, name, j = _logr_method(toks, i + 1)
        elif t.text == "fmt" and name == "Errorf" and punct(j, "("):
            table = {"Errorf": ("error", "f", 0)}
        elif t.text == "errors" and name == "New" and punct(j, "("):
            table = {"New": ("error", "p", 0)}
        if table is None or name not in table or not punct(j, "("):
            i += 1
            continue
        level, style, at = table[name]
        args, end = _arguments(toks, j)
        found = _call(level, style, at, toks[j - 1].line, args)
        if found is not None:
            yield found
        i = j + 1  # arguments may hold further calls (fmt.Errorf inside klog.ErrorS)


def _logr_method(toks: list[Token], j: int) -> tuple[dict[str, tuple[str, str, int]] | None, str, int]:
    """After a logger expression at toks[j] == ".": the table, method name and "(" index."""
    n = len(toks)
    if j + 2 < n and toks[j].text == "." and toks[j + 1].text == "V" and toks[j + 2].text == "(":
        j = _close(toks, j + 2) + 1
    if j + 2 < n and toks[j].text == "." and toks[j + 1].kind == "i" and toks[j + 2].text == "(":
        return _LOGR, toks[j + 1].text, j + 2
    return None, "", j


def string_constants(toks: list[Token]) -> dict[str, str]:
    """`const name = "..."` and `name [string] = "..." + "..."` inside const blocks."""
    out: dict[str, str] = {}
    n = len(toks)
    i = 0
    while i < n:
        if not (toks[i].kind == "i" and toks[i].text == "const"):
            i += 1
            continue
        if i + 1 < n and toks[i + 1].text == "(":
            end = _close(toks, i + 1)
            specs = _const_specs(toks[i + 2 : end])
            i = end
        else:
            line = toks[i].line
            j = i + 1
            while j < n and toks[j].line == line:
                j += 1
            specs = [toks[i + 1 : j]]
            i = j
        for spec in specs:
            named = _const_value(spec)
            if named:
                out[named[0]] = named[1]
    return out


def _const_specs(block: list[Token]) -> list[list[Token]]:
    """Split a const block into its specs: one per line, continued after a trailing `+`."""
    specs: list[list[Token]] = []
    for t in block:
        if specs and specs[-1] and (t.line == specs[-1][-1].line or specs[-1][-1].text == "+"):
            specs[-1].append(t)
        else:
            specs.append([t])
    return specs


def _const_value(spec: list[Token]) -> tuple[str, str] | None:
    if len(spec) < 3 or spec[0].kind != "i":
        return None
    eq = 2 if spec[1].text == "=" else 3 if len(spec) > 3 and spec[2].text == "=" else 0
    if not eq or (eq == 3 and spec[1].text != "string"):
        return None
    values = spec[eq:]
    if not values or any(not (t.kind == "s" or t.text == "+") for t in values):
        return None
    return spec[0].text, "".join(t.text for t in values if t.kind == "s")


# -- formats ------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("%", "%%")


def format_of(call: Call, constants: dict[str, str]) -> str | None:
    """The call's message as a Go format string, names of string constants resolved."""

    def text(expr: Expr, printf: bool) -> str:
        out = []
        for kind, value in expr:
            if kind == "id" and value in constants:
                kind, value = "lit", constants[value]
            if kind == "lit":
                out.append(value if printf else _escape(value))
            elif kind == "fmt":
                out.append(value)
            else:
                out.append("%v")
        return "".join(out)

    if call.style in "pl":
        joined = (" " if call.style == "l" else "").join(text(e, False) for e in call.args)
        fmt = joined.rstrip("\n")
    else:
        expr = call.args[0]
        if not any(k in ("lit", "fmt") or (k == "id" and v in constants) for k, v in expr):
            return None  # a variable format: nothing to match on
        fmt = text(expr, call.style == "f")
    fmt = fmt.strip()
    return fmt if re.search(r"[A-Za-z]{2}", re.sub(r"%[-+# 0-9.*\[\]]*[a-zA-Z%]", "", fmt)) else None


# -- reading the repository ---------------------------------------------------------------------


class Repo:
    """A bare git repository read through one `git cat-file --batch` process."""

    def __init__(self, git_dir: Path):
        self.git_dir = git_dir
        self._cat = subprocess.Popen(
            ["git", f"--git-dir={git_dir}", "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", f"--git-dir={self.git_dir}", *args], check=True, capture_output=True, text=True
        ).stdout

    def go_files(self, ref: str) -> list[tuple[str, str]]:
        """(path, blob id) of the Go files of `ref` that belong to the catalogue."""
        out = []
        for row in self.git("ls-tree", "-r", ref, "--", *ROOTS).splitlines():
            meta, _, path = row.partition("\t")
            if path.endswith(".go") and not SKIP_PARTS.search(path):
                out.append((path, meta.split()[2]))
        return out

    def blob(self, sha: str) -> str:
        assert self._cat.stdin and self._cat.stdout
        self._cat.stdin.write(sha.encode() + b"\n")
        self._cat.stdin.flush()
        header = self._cat.stdout.readline().split()
        if len(header) < 3:  # "<id> missing": a mirror may list large files it does not hold
            print(f"blob {sha} is missing from the repository; its messages are left out", file=sys.stderr)
            return ""
        size = int(header[2])
        data = self._cat.stdout.read(size + 1)[:size]
        return data.decode("utf-8", errors="replace")

    def close(self) -> None:
        if self._cat.stdin:
            self._cat.stdin.close()
        self._cat.wait()


def minor_releases(tag_names: Iterable[str], since: tuple[int, int] = (1, 0)) -> list[str]:
    """The `vX.Y.0` tags from `since` on, oldest first."""
    found = []
    for tag in tag_names:
        m = re.fullmatch(r"v(\d+)\.(\d+)\.0", tag.strip())
        if m and (int(m[1]), int(m[2])) >= since:
            found.append(((int(m[1]), int(m[2])), tag.strip()))
    return [tag for _, tag in sorted(found)]


@dataclass
class Entry:
    style: str
    keys: list[str] = field(default_factory=list)
    sites: dict[tuple[str, int], set[int]] = field(default_factory=lambda: defaultdict(set))


def scan(repo: Repo, refs: list[str], log=print) -> dict[tuple[str, str, str], Entry]:
    """(format, level, package) -> Entry, over the releases `refs` (their index = release id)."""
    entries: dict[tuple[str, str, str], Entry] = {}
    parsed: dict[str, tuple[list[Call], dict[str, str]]] = {}  # blob -> (calls, constants)
    for release, ref in enumerate(refs):
        files = repo.go_files(ref)
        by_package: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for path, blob in files:
            by_package[path.rsplit("/", 1)[0]].append((path, blob))
            if blob not in parsed:
                toks = tokens(repo.blob(blob))
                parsed[blob] = (list(calls(toks)), string_constants(toks))
        count = 0
        for package, members in by_package.items():
            constants: dict[str, str] = {}
            for _, blob in members:
                constants.update(parsed[blob][1])
            for path, blob in members:
                for call in parsed[blob][0]:
                    fmt = format_of(call, constants)
                    if fmt is None:
                        continue
                    entry = entries.setdefault((fmt, call.level, package), Entry(call.style))
                    entry.keys.extend(k for k in call.keys if k not in entry.keys)
                    entry.sites[(path, call.line)].add(release)
                    count += 1
        log(f"{ref}: {len(files)} Go files, {count} messages")
    return entries


def runs(releases: set[int]) -> list[tuple[int, int]]:
    """Sorted release ids as (first, last) runs of consecutive ids."""
    out: list[tuple[int, int]] = []
    for r in sorted(releases):
        if out and out[-1][1] == r - 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def catalogue(entries: dict[tuple[str, str, str], Entry], names: list[str], refs: list[str]) -> dict:
    """The JSON document (see diagnose/facts/messages.py for its layout)."""
    packages = sorted({p for _, _, p in entries})
    files = sorted({path for e in entries.values() for path, _ in e.sites})
    pkg_id = {p: i for i, p in enumerate(packages)}
    file_id = {f: i for i, f in enumerate(files)}
    messages = []
    for (fmt, level, package), entry in sorted(entries.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
        flat: list[int] = []
        spans = sorted(
            (first, last, file_id[path], line) for (path, line), rel in entry.sites.items() for first, last in runs(rel)
        )
        for span in spans:
            flat.extend(span)
        messages.append([fmt, level, entry.style, pkg_id[package], ",".join(entry.keys), flat])
    return {
        "schema": SCHEMA,
        "repository": "antrea-io/antrea",
        "releases": names,
        "refs": refs,
        "packages": packages,
        "files": files,
        "messages": messages,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--git-dir",
        type=Path,
        required=True,
        help="git directory of a clone of antrea-io/antrea (a bare clone, or a checkout's .git)",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--since", default="1.0", help="first minor release (default 1.0)")
    parser.add_argument("--no-main", action="store_true", help="leave out the main branch")
    args = parser.parse_args(argv)
    if not (args.git_dir / "HEAD").is_file():
        print(f"{args.git_dir} is not a git directory", file=sys.stderr)
        return 2
    repo = Repo(args.git_dir)
    try:
        major, minor = (int(x) for x in args.since.lstrip("v").split(".")[:2])
        names = minor_releases(repo.git("tag", "--list", "v*").splitlines(), (major, minor))
        refs = list(names)
        if not args.no_main:
            names.append("main")
            refs.append(repo.git("rev-parse", "main").strip())
        entries = scan(repo, refs, log=lambda s: print(s, file=sys.stderr))
    finally:
        repo.close()
    doc = catalogue(entries, names, refs)
    data = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same source gives the same bytes, so a rebuild with no change is no diff.
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    args.out.write_bytes(packed)
    print(
        f"{len(doc['messages'])} messages from {len(names)} releases ({names[0]} .. {names[-1]}), "
        f"{len(data) // 1024} KiB JSON, {len(packed) // 1024} KiB gzipped -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
