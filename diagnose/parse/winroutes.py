"""`route print` (the `routes` file of a Windows agent bundle, or pasted): the IPv4 routes.

Hand-written, not jc's `route_print` parser. Measured on the outputs in `tests/parse/data/windows/`,
jc 1.26.1 reads a complete English output right but finds nothing in a localised one (it looks
for the English titles `Interface List`, `IPv4 Route Table`, `Active Routes`), shifts the columns
where the gateway is a localised phrase of two words (German `Auf Verbindung`, French `Sur le
lien` for `On-link`), and raises IndexError on a blank or cut line inside a table, which a paste
often has (`tools/measure_jc_windows.py` prints the comparison).

This parser reads each row by its shape, the same in every language: an active IPv4 route is
`destination netmask gateway interface metric` with three dotted quads where the gateway may be
a phrase; a persistent route is `destination netmask gateway metric`; an interface list row is
`index...MAC ......description`. IPv6 routes are not read: Antrea on Windows is IPv4 only
(pkg/agent/agent_windows.go saveHostRoutes: "IPv6 is not supported on Windows currently").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diagnose.parse.windows import IPV4, is_apipa, mac

_MAX_TEXT = 4 * 1024 * 1024
_MAX_LINE = 1024  # rows are short; a longer line is not one (and would cost the regexes)
_ACTIVE = re.compile(
    rf"^\s*(?P<dst>{IPV4})\s+(?P<mask>{IPV4})\s+(?P<gw>{IPV4}|\S(?:.*?\S)?)\s+"
    rf"(?P<iface>{IPV4})\s+(?P<metric>\S+)\s*$"
)
_PERSISTENT = re.compile(rf"^\s*(?P<dst>{IPV4})\s+(?P<mask>{IPV4})\s+(?P<gw>{IPV4})\s+(?P<metric>\S.*?)\s*$")
_INTERFACE = re.compile(
    r"^\s*(?P<index>\d{1,6})\.\.\.(?P<mac>(?:[0-9A-Fa-f]{2} ){5,7}[0-9A-Fa-f]{2})?[\s.]*"
    r"(?P<desc>\S.*?)\s*$"
)
_MASK_BITS = {f"{(0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF:032b}": n for n in range(33)}


@dataclass
class Route:
    """An IPv4 route of `route print`."""

    destination: str
    netmask: str
    gateway: str | None  # None: on-link (printed "On-link" or its translation)
    interface: str | None  # the local address of the interface; None for a persistent route
    metric: int | None  # None: "Default"
    persistent: bool
    line: int

    @property
    def prefix(self) -> str:
        bits = "".join(f"{int(p):08b}" for p in self.netmask.split("."))
        return f"{self.destination}/{_MASK_BITS.get(bits, 32)}"

    @property
    def is_default(self) -> bool:
        return self.destination == "0.0.0.0" and self.netmask == "0.0.0.0"

    @property
    def text(self) -> str:
        via = f"via {self.gateway}" if self.gateway else "on-link"
        return f"{self.prefix} {via}" + (f" on interface {self.interface}" if self.interface else "")


@dataclass
class Interface:
    """An entry of `route print`'s interface list."""

    index: int
    mac: str | None  # "00-50-56-8E-2A-11"; None for loopback and tunnels
    description: str
    line: int


@dataclass
class RoutePrint:
    """A `route print` output: interfaces, active routes and persistent routes."""

    interfaces: list[Interface] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)  # active IPv4 routes
    persistent: list[Route] = field(default_factory=list)
    source: str = ""  # the artifact it was read from (set by diagnose.rules.evidence, for evidence lines)

    def defaults(self) -> list[Route]:
        """Active IPv4 default routes whose interface has a real address."""
        return [r for r in self.routes if r.is_default and not (r.interface and is_apipa(r.interface))]

    @property
    def interface_addresses(self) -> set[str]:
        """The local addresses that routes use (each adapter's IPv4 addresses show up here)."""
        return {r.interface for r in self.routes if r.interface}


def parse(text: str) -> RoutePrint:
    out = RoutePrint()
    for i, raw in enumerate((text or "")[:_MAX_TEXT].splitlines(), 1):
        line = raw.rstrip()
        if len(line) > _MAX_LINE:
            continue
        if m := _ACTIVE.match(line):
            out.routes.append(Route(m["dst"], m["mask"], _gateway(m["gw"]), m["iface"], _metric(m["metric"]), False, i))
        elif m := _PERSISTENT.match(line):
            out.persistent.append(Route(m["dst"], m["mask"], m["gw"], None, _metric(m["metric"]), True, i))
        elif m := _INTERFACE.match(line):
            hw = m["mac"]
            out.interfaces.append(
                Interface(int(m["index"]), mac(hw) if hw and len(hw) == 17 else None, m["desc"].lstrip(". "), i)
            )
    return out


def _gateway(text: str) -> str | None:
    return text if re.fullmatch(IPV4, text) and text != "0.0.0.0" else None


def _metric(text: str) -> int | None:
    return int(text) if text.isdigit() else None
