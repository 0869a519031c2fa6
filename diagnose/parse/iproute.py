"""Parser for ``ip route`` / ``ip route show table all`` output (iproute2 text format).

The agent bundle has ``route`` (``ip route``, main table) and, from Antrea v2.7,
``route-table-all`` (``ip route show table all``).  Users also paste ``ip route`` output into
issues, sometimes with the shell prompt line on top and trailing spaces kept.

Line shape, as printed by iproute2 ``print_route()``::

    [type] dst [from SRC] [nhid N] [encap ...] [tos T] [via [FAMILY] GW] [dev DEV] [table T]
        [proto P] [scope S] [src PREFSRC] [metric N] [flags...] [metrics...] [pref P]

Multipath routes print each hop on a continuation line (``\\tnexthop via X dev Y weight 1``),
or on the same line separated by ``\\`` with ``ip -o``.  Tokens are read as keyword/value pairs;
unknown tokens are skipped one at a time so new iproute2 keywords never break parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diagnose.parse.shell import split_prompt

# Routing table entries are short; a longer line is not a route and is not worth tokenising.
_MAX_LINE = 4096
# Bounded work on huge or hostile input: a real routing table rarely exceeds tens of thousands.
_MAX_ROUTES = 200_000

# Route types that iproute2 prints before the destination (rtnl_rtntype_n2a).
ROUTE_TYPES = frozenset(
    {
        "unicast",
        "local",
        "broadcast",
        "anycast",
        "multicast",
        "blackhole",
        "unreachable",
        "prohibit",
        "throw",
        "nat",
        "xresolve",
    }
)

# Keywords followed by exactly one value whose value we do not keep (skipped as a pair so the
# value is never mistaken for a keyword).
_SKIP_ONE = frozenset(
    {
        "from",
        "tos",
        "dsfield",
        "nhid",
        "expires",
        "pref",
        "weight",
        "realm",
        "realms",
        "error",
        "uid",
        "mark",
        "iif",
        "oif",
        "hoplimit",
        "initcwnd",
        "initrwnd",
        "rtt",
        "rttvar",
        "rto_min",
        "window",
        "cwnd",
        "ssthresh",
        "advmss",
        "reordering",
        "features",
        "quickack",
        "congctl",
        "fastopen_no_cookie",
        "ttl-propagate",
        "used",
        "age",
        "users",
        "ipid",
        "as",
    }
)

# Flags printed without a value (print_rt_flags and cache flags).
FLAG_WORDS = frozenset(
    {
        "onlink",
        "linkdown",
        "dead",
        "pervasive",
        "offload",
        "trap",
        "offload_failed",
        "rt_offload",
        "rt_trap",
        "rt_offload_failed",
        "notify",
        "cloned",
        "cache",
    }
)

# Keywords that end an ``encap ...`` description (whose own tokens include "src"/"dst"/"tos").
_ENCAP_END = frozenset({"via", "dev", "table", "proto", "scope", "metric", "nexthop", "onlink", "linkdown"})

# An address or prefix as iproute2 prints it (IPv4, IPv6, "0/N" for a zero-length dst).
_RE_ADDR = re.compile(r"^[0-9A-Fa-f:.]{1,45}(?:%[\w.-]{1,32})?(?:/\d{1,3})?$")
# A resolved host name (ip -r); only accepted when the line also names a device or gateway.
_RE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}(?:/\d{1,3})?$")


@dataclass
class Route:
    """One route.

    ``table`` is None when iproute2 did not print it (the main table); ``type`` is None for a
    plain unicast route (iproute2 prints the type only when it is not unicast).  For a
    multipath route ``via``/``dev`` are usually None and the hops are in ``nexthops`` as
    ``(via, dev)`` pairs.
    """

    dst: str
    dev: str | None = None
    via: str | None = None
    table: str | None = None
    proto: str | None = None
    scope: str | None = None
    src: str | None = None
    metric: int | None = None
    type: str | None = None
    nexthops: list[tuple[str | None, str | None]] = field(default_factory=list)
    raw: str = ""
    flags: list[str] = field(default_factory=list)  # onlink, linkdown, dead...

    @property
    def is_default(self) -> bool:
        return self.dst in ("default", "0.0.0.0/0", "::/0")

    @property
    def devices(self) -> list[str]:
        """Every output device of the route (its own and those of its nexthops)."""
        devs = [self.dev] if self.dev else []
        devs.extend(d for _, d in self.nexthops if d and d not in devs)
        return devs


def _to_int(s: str) -> int | None:
    try:
        return int(s, 0) if s.startswith("0x") else int(s)
    except ValueError:
        return None


def _apply_tokens(route: Route, toks: list[str], i: int) -> None:
    """Read keyword/value tokens from ``toks[i:]`` into ``route``.

    ``nexthop`` switches to a new hop: the ``via``/``dev`` that follow belong to it.
    """
    hop: list[str | None] | None = None  # [via, dev] of the hop being read

    def close_hop() -> None:
        if hop is not None:
            route.nexthops.append((hop[0], hop[1]))

    n = len(toks)
    while i < n:
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < n else None
        if t == "\\":  # ip -o separator between the route and its hops
            i += 1
        elif t == "nexthop":
            close_hop()
            hop = [None, None]
            i += 1
        elif t == "via" and nxt is not None:
            # "via inet6 fe80::1" (gateway of another family) or "via 10.0.0.1"
            if nxt in ("inet", "inet6") and i + 2 < n:
                gw, i = toks[i + 2], i + 3
            else:
                gw, i = nxt, i + 2
            if hop is not None:
                hop[0] = gw
            else:
                route.via = gw
        elif t == "dev" and nxt is not None:
            if hop is not None:
                hop[1] = nxt
            else:
                route.dev = nxt
            i += 2
        elif t == "table" and nxt is not None:
            route.table, i = nxt, i + 2
        elif t in ("proto", "protocol") and nxt is not None:
            route.proto, i = nxt, i + 2
        elif t == "scope" and nxt is not None:
            route.scope, i = nxt, i + 2
        elif t == "src" and nxt is not None:
            route.src, i = nxt, i + 2
        elif t in ("metric", "priority", "preference") and nxt is not None:
            route.metric, i = _to_int(nxt), i + 2
        elif t == "mtu" and nxt is not None:
            i += 3 if nxt == "lock" else 2
        elif t == "encap":
            i += 1
            while i < n and toks[i] not in _ENCAP_END:
                i += 1
        elif t in FLAG_WORDS:
            if t not in route.flags:
                route.flags.append(t)
            i += 1
        elif t in _SKIP_ONE and nxt is not None:
            i += 2
        else:
            i += 1  # unknown token: skip it alone
    close_hop()


def parse_route_line(line: str) -> Route | None:
    """Parse one route line (not a continuation line); None if it is not a route."""
    if len(line) > _MAX_LINE:
        return None
    toks = line.split()
    if not toks:
        return None
    i = 0
    if toks[0] == "Deleted":  # ip monitor route
        i = 1
    rtype = None
    if i < len(toks) and toks[i] in ROUTE_TYPES and i + 1 < len(toks):
        rtype = toks[i]
        i += 1
    if i >= len(toks):
        return None
    dst = toks[i]
    if dst in ROUTE_TYPES or "=" in dst:
        return None
    rest = toks[i + 1 :]
    if dst != "default" and not _RE_ADDR.match(dst):
        # A resolved name is only believable with a device or gateway on the line.
        if not (_RE_NAME.match(dst) and ("dev" in rest or "via" in rest)):
            return None
    if dst != "default" and _RE_ADDR.match(dst) and not any(c.isdigit() for c in dst.split("/")[0]):
        return None  # e.g. "cafe" or ":" alone: hex letters without digits are words, not addresses
    # A destination alone proves nothing; a typed route (blackhole 10/8) or a keyword does.
    known = {"dev", "via", "nexthop", "proto", "scope", "table", "metric", "src", "nhid", "encap"}
    if rtype is None and not known.intersection(rest):
        return None
    route = Route(dst=dst, type=rtype, raw=line.rstrip())
    _apply_tokens(route, rest, 0)
    return route


def parse_routes(text: str) -> list[Route]:
    """Parse ``ip route`` / ``ip [-6] route show table all`` output; lines that are not routes
    are skipped.  Never raises."""
    if not text:
        return []
    _, text = split_prompt(text)
    routes: list[Route] = []
    current: Route | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            # Continuation line: a multipath hop ("\tnexthop via ..."), or cache info.
            stripped = line.strip()
            if current is not None and len(line) <= _MAX_LINE:
                current.raw += "\n" + line.rstrip()
                if stripped.startswith("nexthop"):
                    _apply_tokens(current, stripped.split(), 0)
            continue
        route = parse_route_line(line)
        if route is None:
            current = None
            continue
        routes.append(route)
        current = route
        if len(routes) >= _MAX_ROUTES:
            break
    return routes


def default_routes(routes: list[Route]) -> list[Route]:
    """The usable default routes: dst ``default`` (or 0/0, ::/0), unicast type.

    Routes of every table are returned (see ``Route.table``; None = main table); typed
    defaults such as ``unreachable default`` from ``table all`` are not usable and left out.
    """
    return [r for r in routes if r.is_default and r.type in (None, "unicast")]


def sniff(head: str) -> bool:
    """True if ``head`` (the first few KB of a file) is ``ip route`` output."""
    if not head:
        return False
    _, head = split_prompt(head)
    good = bad = 0
    for line in head.splitlines()[:60]:
        if not line.strip() or line[0].isspace():
            continue  # continuation lines prove nothing either way
        if parse_route_line(line) is not None:
            good += 1
        else:
            bad += 1
    # The last line of a cut head may be partial, hence a ratio rather than "all lines".
    return good >= 1 and good >= 2 * bad
