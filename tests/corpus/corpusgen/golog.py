"""How Go's fmt and klog print: the text of a log line from a call site and its arguments.

A call site (from `data/releases/<tag>.json`) says how the line was written at that release:
`printf` (klog.Infof: a Go format), `print` (klog.Info: fmt.Sprint of a literal and values),
`structured` (klog.InfoS / ErrorS / logr: quoted message then key=value pairs), `handle_error`
(apimachinery's HandleError). The same semantic line therefore renders as `Connecting to OVSDB at
address /var/run/openvswitch/db.sock` at v2.1 and `"Connecting to OVSDB at address"
address="/var/run/openvswitch/db.sock"` at v2.7 from the same arguments.
"""

from __future__ import annotations

import re

from corpusgen.samplegen import Raw, go_quote, kv_value

_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+))?(?:hh|h|ll|l|z|j|t|L)?([a-zA-Z%])")


def sprintf(fmt: str, args: list | tuple) -> str:
    """Go fmt.Sprintf (and the C printf of OVS) for the verbs log formats use: %v %s %d %q %w %x
    %X %f %g %t %T and %%; missing arguments print as Go does (%!v(MISSING))."""
    it = iter(args)

    def one(m: re.Match) -> str:
        flags, width, prec, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            return "%"
        try:
            a = next(it)
        except StopIteration:
            return f"%!{verb}(MISSING)"
        if verb == "q":
            text = go_quote(str(a))
        elif verb in "dxXo" and isinstance(a, int) and not isinstance(a, bool):
            text = format(a, {"d": "d", "x": "x", "X": "X", "o": "o"}[verb])
            if "#" in flags and verb in "xX":
                text = "0" + verb + text
        elif verb in "fge" and isinstance(a, (int, float)):
            text = format(float(a), f".{prec or 6}{verb}") if verb == "f" else format(float(a), verb)
        elif verb == "t" or isinstance(a, bool):
            text = "true" if a else "false"
        else:
            text = str(a)
        if width and width != "*":
            w = int(width)
            pad = "0" if "0" in flags and "-" not in flags else " "
            text = text.ljust(w) if "-" in flags else text.rjust(w, pad)
        return text

    return _VERB.sub(one, fmt)


def sprint(literal: str, args: list | tuple) -> str:
    """fmt.Sprint(literal, args...): no space is added next to a string operand."""
    out = literal
    prev_is_str = True
    for a in args:
        is_str = isinstance(a, str)
        if not is_str and not prev_is_str:
            out += " "
        out += str(a)
        prev_is_str = is_str
    return out


def structured(msg: str, keys: list, kv: dict, err: object = None, has_err: bool = False) -> str:
    parts = [go_quote(msg)]
    if has_err and err is not None:  # klog leaves out a nil error (ErrorS(nil, ...))
        parts.append(f"err={kv_value(err)}")
    for k in keys:
        if k is None:
            continue
        parts.append(f"{k}={kv_value(kv.get(k, ''))}")
    return " ".join(parts)


def render(
    site: dict, args: list | tuple = (), kv: dict | None = None, err: object = None, handle_error: str = "depth"
) -> str:
    """The message part (after `file:line] `) of a line printed by `site` with these arguments.

    args: positional values for printf/print sites and for `%v` holes of a templated message;
    kv: values of a structured site by key (missing keys print as an empty string); err: the error
    of an ErrorS / logr Error / HandleErrorWithContext call (printed first as `err=`)."""
    style = site["style"]
    fmt = site["format"]
    if style == "printf":
        return sprintf(fmt, list(args))
    if style == "print":
        return sprint(fmt, list(args))
    if style == "handle_error":
        text = sprintf(fmt, list(args))
        if handle_error == "unhandled":  # apimachinery >= v0.31: a structured error line
            return structured("Unhandled Error", ["logger"], {"logger": "UnhandledError"}, err=text, has_err=True)
        return text
    if style == "structured":
        msg = sprintf(fmt, list(args)) if site.get("template") else fmt
        has_err = site["func"] in ("ErrorS", "Error", "HandleErrorWithContext") or (site["func"] == "Error")
        keys = list(site.get("keys", []))
        kv = dict(kv or {})
        if site["func"] == "HandleErrorWithContext":
            keys = ["logger"] + keys  # the handler's logger is named "UnhandledError"
            kv.setdefault("logger", "UnhandledError")
        return structured(msg, keys, kv, err=err, has_err=has_err)
    if style in ("vlog", "shell"):
        return sprintf(fmt.replace("$offload", "%s"), list(args)) if style == "shell" else sprintf(fmt, list(args))
    raise ValueError(f"unknown call style {style!r}")


__all__ = ["Raw", "go_quote", "kv_value", "render", "sprint", "sprintf", "structured"]
