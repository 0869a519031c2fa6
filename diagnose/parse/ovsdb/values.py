"""The OVSDB value syntax, as text and as JSON: every OVSDB view's cells go through here.

Values use the OVSDB text syntax (``ovsdb_datum_to_string`` in OVS ``lib/ovsdb-data.c``):

* atoms: integers, reals, ``true``/``false``, UUIDs, strings — bare when the string is an
  identifier (``[A-Za-z_][A-Za-z0-9_.-]*``), otherwise JSON-quoted (``"enp0s1~"``, ``"3.1.0"``);
* sets ``[a, b]`` (``[]`` when empty; an optional single value prints bare);
* maps ``{k=v, k2="v 2"}`` (``{}`` when empty).

``parse_value`` turns such text into ``str`` / ``list[str]`` / ``dict[str, str]``; the JSON
notation (``["set", [...]]``, ``["map", [[k, v], ...]]``, ``["uuid", "..."]``) is converted to
the same Python shapes by ``from_json``, so callers never care which format a value came from.
"""

from __future__ import annotations

import json
from typing import Any

MAX_LINE = 1 << 20  # bound for untrusted input: an OVSDB dump row can be long (statistics maps), but not megabytes

Value = str | list[str] | dict[str, str]

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _scan_quoted(s: str, pos: int) -> tuple[str, int] | None:
    """Read a JSON-style quoted string starting at ``s[pos] == '"'``; None if unterminated."""
    out: list[str] = []
    i = pos + 1
    n = len(s)
    while i < n:
        c = s[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\" and i + 1 < n:
            e = s[i + 1]
            if e == "u" and i + 6 <= n:
                try:
                    out.append(chr(int(s[i + 2 : i + 6], 16)))
                except ValueError:
                    out.append(s[i : i + 6])
                i += 6
                continue
            out.append(_ESCAPES.get(e, e))
            i += 2
            continue
        out.append(c)
        i += 1
    return None


def _scan_atom(s: str, pos: int, stops: str) -> tuple[str, int] | None:
    """Read one atom at ``pos`` (after blanks): quoted string, or bare text up to a stop char."""
    n = len(s)
    while pos < n and s[pos] == " ":
        pos += 1
    if pos < n and s[pos] == '"':
        return _scan_quoted(s, pos)
    start = pos
    while pos < n and s[pos] not in stops:
        pos += 1
    return s[start:pos].strip(), pos


def _scan_container(s: str, pos: int) -> tuple[list[str] | dict[str, str], int] | None:
    """Read ``[a, b]`` or ``{k=v, ...}`` starting at ``s[pos]``; None when malformed."""
    is_map = s[pos] == "{"
    close = "}" if is_map else "]"
    pos += 1
    items: list[str] = []
    mapping: dict[str, str] = {}
    n = len(s)
    while True:
        while pos < n and s[pos] == " ":
            pos += 1
        if pos >= n:
            return None
        if s[pos] == close and not items and not mapping:
            return (mapping if is_map else items), pos + 1
        got = _scan_atom(s, pos, ",=]}" if is_map else ",]}")
        if got is None:
            return None
        key, pos = got
        if is_map:
            while pos < n and s[pos] == " ":
                pos += 1
            if pos >= n or s[pos] != "=":
                return None
            got = _scan_atom(s, pos + 1, ",]}")
            if got is None:
                return None
            val, pos = got
            mapping[key] = val
        else:
            items.append(key)
        while pos < n and s[pos] == " ":
            pos += 1
        if pos >= n:
            return None
        if s[pos] == ",":
            pos += 1
            continue
        if s[pos] == close:
            return (mapping if is_map else items), pos + 1
        return None


def scan_value(s: str, pos: int) -> tuple[Value, int] | None:
    """Read one whole value at ``s[pos]`` (no leading blanks); bare atoms end at a blank."""
    c = s[pos]
    if c in "[{":
        return _scan_container(s, pos)
    if c == '"':
        return _scan_quoted(s, pos)
    end = pos
    n = len(s)
    while end < n and not s[end].isspace():
        end += 1
    return s[pos:end], end


def parse_value(s: str) -> Value:
    """Parse one OVSDB value as printed by ovs-vsctl / ovsdb-client.

    Returns a ``dict`` for a map, a ``list`` for a set (``[]`` included), the unquoted text for
    a quoted string, and the stripped text itself otherwise (numbers, booleans, UUIDs, bare
    strings, and anything malformed — never raises).
    """
    if not isinstance(s, str):
        return ""
    s = s.strip()
    if not s or len(s) > MAX_LINE:
        return s
    got = scan_value(s, 0)
    if got is None:
        return s
    value, end = got
    if s[0] in '[{"' and end != len(s):
        return s  # trailing garbage after a container/string: keep the raw text
    if s[0] not in '[{"':
        return s  # bare text may legitimately contain blanks in hand-made input
    return value


def split_values(line: str) -> list[str] | None:
    """Split a dump row into raw value texts without column widths (values never contain
    unquoted blanks, except inside brackets).  None if a value is malformed."""
    out: list[str] = []
    pos = 0
    n = len(line)
    while pos < n:
        if line[pos].isspace():
            pos += 1
            continue
        got = scan_value(line, pos)
        if got is None:
            return None
        _, end = got
        out.append(line[pos:end])
        pos = end
    return out


def from_json(v: Any) -> Value:
    """OVSDB JSON notation → the same shapes as ``parse_value``."""
    if isinstance(v, list) and len(v) == 2 and isinstance(v[0], str):
        tag, body = v
        if tag in ("uuid", "named-uuid"):
            return str(body)
        if tag == "set" and isinstance(body, list):
            return [_atom_from_json(x) for x in body]
        if tag == "map" and isinstance(body, list):
            out: dict[str, str] = {}
            for pair in body:
                if isinstance(pair, list) and len(pair) == 2:
                    out[_atom_from_json(pair[0])] = _atom_from_json(pair[1])
            return out
    return _atom_from_json(v)


def _atom_from_json(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, list) and len(v) == 2 and v[0] in ("uuid", "named-uuid"):
        return str(v[1])
    if isinstance(v, (int, float)):
        return str(v)
    if v is None:
        return ""
    try:
        return json.dumps(v)[:4096]  # not OVSDB notation: keep a readable, bounded text
    except (TypeError, ValueError, RecursionError):
        return ""
