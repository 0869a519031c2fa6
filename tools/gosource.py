"""Read log and error call sites out of Go, C (OVS) and shell sources at a git tag.

Used by `extract_release_facts.py`: given a file's text and an anchor regex, find the call the
anchor points at and return what a log line printed by it looks like: `file:line` (the line of
the call expression, which is what klog's header and Go's runtime.Caller report), the klog
function (printf, print or structured flavour), its severity, the format string or message
literal, and the keys of a structured call.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass, field

# klog (and logr through klog) calls; `fmt.Errorf`/`errors.New` for the error texts that end up
# wrapped inside a fatal line.
_GO_CALL = re.compile(
    r"(?P<recv>klog\.Background\(\)|klog\.FromContext\([^)]*\)|klog|logger)"
    r"(?:\.V\((?P<v>\d+)\))?"
    r"\.(?P<fn>InfoS|Infof|Info|InfoDepth|Warningf|WarningS|Warning|ErrorS|Errorf|Error|ErrorDepth|Fatalf|Fatal)\("
    r"|(?P<fmt>fmt\.Errorf|errors\.New)\("
    r"|(?P<he>utilruntime\.HandleError(?:WithContext)?)\("
)
_LEVEL = {"Info": "I", "Warning": "W", "Error": "E", "Fatal": "F"}
# VLOG_INFO(...), VLOG_WARN_RL(&rl, ...), and VLOG(level, ...) whose level is a variable (INFO in
# practice: reconnect's fsm->info, rconn's reliable connections).
_C_CALL = re.compile(r"\bVLOG(?:_(?P<lvl>INFO|WARN|ERR|DBG|EMER|ABORT)(?:_ONCE|_RL)?)?\(")
_C_LEVEL = {"INFO": "INFO", "WARN": "WARN", "ERR": "ERR", "DBG": "DBG", "EMER": "EMER", "ABORT": "EMER"}
_SHELL_CALL = re.compile(r"\blog_(?P<lvl>info|warning|error) \$CONTAINER_NAME \"(?P<msg>[^\"]*)\"")
# C macros OVS splices into format strings (inttypes.h): the rendered width letter is what printf sees.
_C_MACROS = {
    "PRIx64": "llx",
    "PRIu64": "llu",
    "PRId64": "lld",
    "PRIx32": "x",
    "PRIu32": "u",
    "PRIxSIZE": "zx",
    "PRIuSIZE": "zu",
    "PRId32": "d",
    "PRIu16": "hu",
    "PRIx16": "hx",
    "PRIu8": "hhu",
}


class SiteNotFound(LookupError):
    pass


@dataclass
class CallSite:
    """One log (or error) call in one source file at one tag."""

    file: str  # base name, as in a klog header
    line: int
    path: str  # path in the repository
    func: str  # klog function (InfoS, Infof, Info, ...), logr method, Errorf, VLOG_INFO, log_info
    style: str  # "printf" | "print" | "structured" | "vlog" | "shell"
    level: str  # I/W/E/F for klog; INFO/WARN/ERR/... for OVS vlog; INFO/WARNING/ERROR for the shell
    format: str  # printf format, print literal prefix, structured message, or OVS format
    keys: list[str | None] = field(default_factory=list)  # structured keys in order
    verbosity: int = 0
    module: str | None = None  # OVS vlog module
    template: bool = False  # the structured message has non-literal parts (filled like printf)

    def to_json(self) -> dict:
        out = asdict(self)
        if not self.keys:
            del out["keys"]
        if self.module is None:
            del out["module"]
        if not self.template:
            del out["template"]
        return out


def git_show(git_dir: str, ref: str, path: str) -> str | None:
    """The file at `ref`, or None when it does not exist there."""
    r = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{ref}:{path}"], capture_output=True)
    if r.returncode != 0:
        return None
    return r.stdout.decode("utf-8", "replace")


def git_grep_paths(git_dir: str, ref: str, fixed: str, pathspec: list[str]) -> list[str]:
    """Paths under `pathspec` at `ref` whose text contains `fixed` (tests excluded)."""
    r = subprocess.run(
        ["git", f"--git-dir={git_dir}", "grep", "-l", "-F", fixed, ref, "--", *pathspec], capture_output=True
    )
    out = []
    for line in r.stdout.decode().splitlines():
        path = line.split(":", 1)[1]
        if not path.endswith("_test.go"):
            out.append(path)
    return out


# ---------------------------------------------------------------------------------------------
# Go literals and argument lists
# ---------------------------------------------------------------------------------------------


def _read_go_string(text: str, i: int) -> tuple[str, int]:
    """Decode the Go string literal starting at text[i] ('"' or '`'); return (value, index after)."""
    q = text[i]
    if q == "`":
        j = text.index("`", i + 1)
        return text[i + 1 : j], j + 1
    out = []
    j = i + 1
    esc = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r", "'": "'"}
    while text[j] != '"':
        if text[j] == "\\":
            nxt = text[j + 1]
            if nxt in esc:
                out.append(esc[nxt])
                j += 2
            elif nxt == "x":
                out.append(chr(int(text[j + 2 : j + 4], 16)))
                j += 4
            else:  # \u and octal do not occur in log formats; keep them verbatim
                out.append(text[j : j + 2])
                j += 2
        else:
            out.append(text[j])
            j += 1
    return "".join(out), j + 1


def split_call_args(text: str, open_paren: int) -> tuple[list[str], int]:
    """Top-level arguments of the call whose '(' is at text[open_paren]; returns (args, end index)."""
    depth = 0
    args: list[str] = []
    start = open_paren + 1
    i = open_paren
    while i < len(text):
        c = text[i]
        if c in '"`':
            _, i = _read_go_string(text, i)
            continue
        if c == "'":
            i = text.index("'", i + 2 if text[i + 1] == "\\" else i + 1) + 1
            continue
        if c == "/" and text.startswith("//", i):
            i = text.index("\n", i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                last = text[start:i].strip()
                if last:
                    args.append(last)
                return args, i + 1
        elif c == "," and depth == 1:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    raise SiteNotFound("unbalanced call")


def string_template(expr: str) -> str | None:
    """Like `string_value`, but operands that are not literals ("Starting " + controllerName)
    become `%v`: the generator fills them like printf arguments. None if there is no literal."""
    pieces = []
    depth = 0
    start = 0
    for i, c in enumerate(expr + "+"):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "+" and depth == 0 and not _inside_string(expr, i):
            pieces.append(expr[start:i].strip())
            start = i + 1
    out = []
    literal = False
    for p in pieces:
        v = string_value(p)
        if v is None:
            out.append("%v")
        else:
            out.append(v.replace("%", "%%"))
            literal = True
    return "".join(out) if literal else None


def _inside_string(expr: str, pos: int) -> bool:
    i = 0
    while i < pos and i < len(expr):
        if expr[i] in '"`':
            _, end = _read_go_string(expr, i)
            if end > pos:
                return True
            i = end
        else:
            i += 1
    return False


def string_value(expr: str) -> str | None:
    """The value of a Go string constant expression ("a" + "b" + `c`), or None if not constant."""
    expr = expr.strip()
    parts = []
    i = 0
    while i < len(expr):
        c = expr[i]
        if c.isspace() or c == "+":
            i += 1
            continue
        if c in '"`':
            s, i = _read_go_string(expr, i)
            parts.append(s)
            continue
        return None
    return "".join(parts) if parts else None


# ---------------------------------------------------------------------------------------------
# Call sites
# ---------------------------------------------------------------------------------------------


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


def find_go_call(text: str, path: str, anchor: str, nth: int = 0, back: int = 4) -> CallSite:
    """The nth call whose source (from its first line up to `back` lines before the anchor line)
    matches `anchor` (a regex searched line by line)."""
    lines = text.split("\n")
    starts = _line_starts(text)
    rx = re.compile(anchor)
    seen = 0
    for idx, line in enumerate(lines):
        if not rx.search(line) or line.lstrip().startswith("//"):
            continue
        for k in range(idx, max(-1, idx - back - 1), -1):
            m = _GO_CALL.search(lines[k])  # the outermost call of the line
            if m is None:
                continue
            call_start = starts[k] + m.start()
            open_paren = starts[k] + m.end() - 1
            args, end = split_call_args(text, open_paren)
            if not (call_start <= starts[idx] + len(line) and end >= starts[idx]):
                continue  # the anchor line is not inside this call
            if seen < nth:
                seen += 1
                break
            return _go_site(path, k + 1, m, args)
        else:
            continue
    raise SiteNotFound(f"{path}: no call matching {anchor!r}")


def _go_site(path: str, line: int, m: re.Match, args: list[str]) -> CallSite:
    file = path.rsplit("/", 1)[-1]
    if m.group("fmt"):
        fmt = string_value(args[0]) or ""
        return CallSite(file, line, path, m.group("fmt").split(".")[1], "printf", "-", fmt)
    if m.group("he"):
        # apimachinery's HandleError: HandleError(fmt.Errorf(format, ...)) prints the error text,
        # HandleErrorWithContext(ctx, err, msg, kv...) is a structured error line.
        if m.group("he").endswith("WithContext"):
            keys = [string_value(k) for k in args[3:][::2]]
            return CallSite(
                file, line, path, "HandleErrorWithContext", "structured", "E", string_value(args[2]) or "", keys
            )
        inner = re.search(r'"(?:[^"\\]|\\.)*"', args[0])
        return CallSite(
            file, line, path, "HandleError", "handle_error", "E", string_value(inner.group(0)) if inner else ""
        )
    fn = m.group("fn")
    recv = m.group("recv")
    v = int(m.group("v") or 0)
    base = re.sub(r"(S|f|Depth)$", "", fn)
    level = _LEVEL[base]
    logr = recv != "klog"  # a logr.Logger: Info/Error take a message and key/value pairs
    if fn.endswith("S") or (logr and fn in ("Info", "Error")):
        # InfoS(msg, kv...), ErrorS(err, msg, kv...); logr Info(msg, kv...), Error(err, msg, kv...)
        msg_at = 1 if fn in ("ErrorS", "Error") else 0
        msg = string_value(args[msg_at])
        if msg is None:  # "Starting " + controllerName: a template the generator fills
            tmpl = string_template(args[msg_at]) or ""
            return CallSite(
                file,
                line,
                path,
                fn,
                "structured",
                level,
                tmpl,
                [string_value(k) for k in args[msg_at + 1 :][::2]],
                v,
                template=True,
            )
        kv = args[msg_at + 1 :]
        keys = [string_value(k) for k in kv[::2]]
        return CallSite(file, line, path, fn, "structured", level, msg, keys, v)
    if fn.endswith("f"):
        return CallSite(file, line, path, fn, "printf", level, string_value(args[0]) or "", [], v)
    if fn.endswith("Depth"):
        args = args[1:]
    lit = string_value(args[0]) if args else None
    return CallSite(file, line, path, fn, "print", level, lit or "", [], v)


def find_c_call(text: str, path: str, anchor: str, nth: int = 0) -> CallSite:
    """An OVS VLOG_* call whose text matches `anchor`; the format has C literal pieces joined and
    inttypes macros expanded."""
    module_m = re.search(r"VLOG_DEFINE_THIS_MODULE\((\w+)\)", text)
    lines = text.split("\n")
    starts = _line_starts(text)
    rx = re.compile(anchor)
    seen = 0
    for idx, line in enumerate(lines):
        if not rx.search(line):
            continue
        for k in range(idx, max(-1, idx - 4), -1):
            m = _C_CALL.search(lines[k])
            if m is None:
                continue
            args, _ = split_call_args(text, starts[k] + m.end() - 1)
            fmt_arg = next(a for a in args if '"' in a)
            if seen < nth:
                seen += 1
                break
            return CallSite(
                path.rsplit("/", 1)[-1],
                k + 1,
                path,
                m.group(0)[:-1],
                "vlog",
                _C_LEVEL[m.group("lvl") or "INFO"],
                _c_format(fmt_arg),
                module=module_m.group(1) if module_m else None,
            )
    raise SiteNotFound(f"{path}: no VLOG call matching {anchor!r}")


def _c_format(expr: str) -> str:
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|(\w+)', expr):
        if m.group(1) is not None:
            out.append(m.group(1).encode().decode("unicode_escape"))
        elif m.group(2) in _C_MACROS:
            out.append(_C_MACROS[m.group(2)])
    return "".join(out)


def find_shell_log(text: str, path: str, anchor: str) -> CallSite:
    for idx, line in enumerate(text.split("\n")):
        m = _SHELL_CALL.search(line)
        if m and re.search(anchor, line):
            return CallSite(
                path.rsplit("/", 1)[-1],
                idx + 1,
                path,
                f"log_{m.group('lvl')}",
                "shell",
                m.group("lvl").upper(),
                m.group("msg"),
            )
    raise SiteNotFound(f"{path}: no log_* line matching {anchor!r}")
