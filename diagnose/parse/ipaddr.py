"""Parser for ``ip address`` and ``ip link`` output (iproute2 text format).

The agent bundle has ``address`` (``ip address``) and ``link`` (``ip link``).  Users paste the
same output into issues, often copied from an 80-column terminal, so long lines arrive WRAPPED:
``... master o`` / ``vs-system state UP ...``.  Such continuation lines are rejoined before
parsing (see ``_unwrap``).

Shape of one link::

    2: enp0s1~: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast master ovs-system \
       state UP group default qlen 1000
        link/ether 06:7b:b6:19:fb:49 brd ff:ff:ff:ff:ff:ff [link-netnsid 0] [promiscuity ...]
        [veth|dummy|geneve|openvswitch|... details]     (ip -d only)
        altname enp0s1f0                                 (newer iproute2)
        inet 192.168.64.28/24 brd 192.168.64.255 scope global dynamic enp0s1
           valid_lft 85841sec preferred_lft 85841sec
        inet6 fe80::47b:b6ff:fe19:fb49/64 scope link
           valid_lft forever preferred_lft forever

``ip link`` prints the same header (with ``mode DEFAULT``) and the ``link/`` line, no ``inet``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diagnose.parse.shell import split_prompt

_MAX_LINE = 8192
# Terminals are at least this wide; a shorter line was not wrapped, so what follows it is not
# its continuation (protects against gluing unrelated text after the output).
_MIN_WRAP_WIDTH = 40
_MAX_LINKS = 100_000
_MAX_ADDRS_PER_LINK = 10_000

# "2: enp0s1~: <BROADCAST,...> rest" — name may carry "@peer" (veth peer ifindex, VLAN parent).
_RE_HEADER = re.compile(r"^(\d{1,10}):\s+([^\s:]{1,64}):\s+<([A-Za-z0-9_,-]{0,256})>(.*)$")
# A new link starts with "N: " at column 0; any other column-0 line is a wrapped continuation.
_RE_INDEX = re.compile(r"^\d{1,10}:\s")
_RE_MAC = re.compile(r"^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5,19}$")

# Interface kinds printed first on an ``ip -d link`` detail line (rtnl link kinds).
_KINDS = frozenset(
    {
        "veth",
        "vxlan",
        "geneve",
        "gre",
        "gretap",
        "ip6gre",
        "ip6gretap",
        "erspan",
        "ipip",
        "sit",
        "ip6tnl",
        "dummy",
        "bridge",
        "bond",
        "team",
        "vlan",
        "macvlan",
        "macvtap",
        "ipvlan",
        "ipvtap",
        "vrf",
        "tun",
        "openvswitch",
        "wireguard",
        "ifb",
        "nlmon",
        "vti",
        "vti6",
        "xfrm",
        "bareudp",
        "netdevsim",
        "hsr",
        "can",
        "vcan",
    }
)

# Address flags printed before the label on an inet line (iproute2 ifa_flags).
_ADDR_FLAGS = frozenset(
    {
        "secondary",
        "temporary",
        "dynamic",
        "noprefixroute",
        "deprecated",
        "tentative",
        "permanent",
        "home",
        "nodad",
        "mngtmpaddr",
        "optimistic",
        "dadfailed",
        "autojoin",
        "stable-privacy",
        "primary",
    }
)

# Well-known names → kind, for plain ``ip link``/``ip addr`` output that has no ``-d`` line.
_NAME_KINDS = (
    (re.compile(r"^genev_sys_\d+$"), "geneve"),
    (re.compile(r"^vxlan_sys_\d+$"), "vxlan"),
    (re.compile(r"^gre_sys$"), "gre"),
    (re.compile(r"^stt_sys_\d+$"), "stt"),
    (re.compile(r"^ovs-system$"), "openvswitch"),
    (re.compile(r"^antrea-gw\d+$"), "openvswitch"),  # OVS internal port
    (re.compile(r"^antrea-egress\d+$"), "dummy"),  # Egress/ServiceExternalIP IP holder
    (re.compile(r"^antrea-ipsec\d+$"), "ipsec"),
    (re.compile(r"^antrea-wg\d+$"), "wireguard"),
    (re.compile(r"^lo$"), "loopback"),
)


@dataclass
class Address:
    """One ``inet``/``inet6`` line.  ``cidr`` is the local address as printed (with /len)."""

    family: str  # "inet" | "inet6"
    cidr: str
    scope: str | None = None
    label: str | None = None  # IPv4 only: the label (interface name or alias like eth0:1)
    flags: list[str] = field(default_factory=list)  # dynamic, secondary, noprefixroute...
    peer: str | None = None  # point-to-point peer address ("peer X/N")


@dataclass
class Link:
    """One network interface.

    ``peer`` is the part after ``@`` in the name (``if5`` for a veth whose peer is ifindex 5 in
    another netns, ``eth0`` for a VLAN on eth0); ``NONE`` (e.g. ``sit0@NONE``) becomes None.
    ``kind_hint`` is the ``ip -d`` kind when printed, else a guess from well-known names.
    """

    index: int
    name: str
    peer: str | None = None
    flags: list[str] = field(default_factory=list)
    mtu: int | None = None
    master: str | None = None
    state: str | None = None
    link_type: str | None = None
    mac: str | None = None
    kind_hint: str | None = None
    altnames: list[str] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    qdisc: str | None = None
    link_netnsid: str | None = None  # set on veth whose peer lives in another netns
    # False for the last interface of a paste that stops right after its header line: what it
    # holds (addresses, link layer) is unknown, not absent.
    complete: bool = True

    @property
    def is_up(self) -> bool:
        return "UP" in self.flags

    @property
    def ipv4(self) -> list[str]:
        return [a.cidr for a in self.addresses if a.family == "inet"]

    @property
    def ipv6(self) -> list[str]:
        return [a.cidr for a in self.addresses if a.family == "inet6"]

    @property
    def renamed_uplink(self) -> str | None:
        """``enp0s1`` for ``enp0s1~``: Antrea renames a NIC it moves into an OVS bridge this way."""
        if len(self.name) > 1 and self.name.endswith("~"):
            return self.name[:-1]
        return None


def _unwrap(lines: list[str]) -> list[str]:
    """Rejoin lines that a terminal wrapped (e.g. at 80 columns).

    Real iproute2 output only has two kinds of lines: link headers starting with ``N: `` at
    column 0, and detail lines indented by 4 (or 7) spaces.  So a line that starts at column 0
    without ``N: `` — or with 1-3 spaces, which iproute2 never prints — is the tail of the
    previous line, glued back without a separator (the wrap cut inside a word).
    """
    out: list[str] = []
    prev_len = 0  # length of the previous physical line: only a full-width line wraps
    for line in lines:
        if not line.strip():
            prev_len = 0
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        is_cont = False
        if out and prev_len >= _MIN_WRAP_WIDTH:
            if indent == 0 and not _RE_INDEX.match(line):
                is_cont = True
            elif 1 <= indent <= 3 and "\t" not in line[:indent]:
                is_cont = True
        prev_len = len(line.rstrip("\r\n"))
        if is_cont and len(out[-1]) + len(line) <= _MAX_LINE:
            out[-1] = out[-1].rstrip("\r\n") + line
        else:
            out.append(line)
    return out


def _parse_header(m: re.Match[str]) -> Link:
    index = int(m.group(1))
    name = m.group(2)
    peer = None
    if "@" in name:
        name, _, peer = name.partition("@")
        if peer == "NONE" or not peer:
            peer = None
    flags = [f for f in m.group(3).split(",") if f]
    link = Link(index=index, name=name, peer=peer, flags=flags)
    toks = m.group(4).split()
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is None:
            break
        if t == "mtu":
            link.mtu = int(nxt) if nxt.isdigit() else None
        elif t == "master":
            link.master = nxt
        elif t == "state":
            link.state = nxt
        elif t == "qdisc":
            link.qdisc = nxt
        elif t == "link-netnsid":
            link.link_netnsid = nxt
        else:
            i += 1  # flag-like word or a key we do not keep; resync on the next token
            continue
        i += 2
    return link


def _parse_linklayer(link: Link, toks: list[str]) -> None:
    """``link/ether MAC brd BRD [link-netnsid N] [promiscuity ...]``."""
    link.link_type = toks[0][5:] or None
    if len(toks) > 1 and _RE_MAC.match(toks[1]):
        link.mac = toks[1].lower()
    for i, t in enumerate(toks[:-1]):
        if t in ("link-netnsid", "link-netns"):
            link.link_netnsid = toks[i + 1]


def _parse_addr(link: Link, toks: list[str]) -> None:
    family = toks[0]
    if len(toks) < 2 or len(link.addresses) >= _MAX_ADDRS_PER_LINK:
        return
    addr = Address(family=family, cidr=toks[1])
    i = 2
    rest_words: list[str] = []
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t == "scope" and nxt is not None:
            addr.scope = nxt
            i += 2
        elif t == "peer" and nxt is not None:
            addr.peer = nxt
            i += 2
        elif t in ("brd", "metric", "proto", "valid_lft", "preferred_lft") and nxt is not None:
            i += 2
        elif t in _ADDR_FLAGS:
            addr.flags.append(t)
            i += 1
        else:
            rest_words.append(t)
            i += 1
    # iproute2 prints the label last on IPv4 lines only (ifa_label).
    if family == "inet" and rest_words:
        addr.label = rest_words[-1]
    link.addresses.append(addr)


def parse_links(text: str) -> list[Link]:
    """Parse ``ip address`` or ``ip link`` output (plain, ``-d``, or terminal-wrapped).

    Lines that fit nothing are skipped; never raises.
    """
    if not text:
        return []
    _, text = split_prompt(text)
    links: list[Link] = []
    cur: Link | None = None
    for line in _unwrap(text.splitlines()):
        if len(line) > _MAX_LINE:
            continue
        if not line[0].isspace():
            m = _RE_HEADER.match(line.rstrip())
            if m is None:
                cur = None  # unknown top-level line: detail lines after it are not ours
                continue
            cur = _parse_header(m)
            links.append(cur)
            if len(links) >= _MAX_LINKS:
                break
            continue
        if cur is None:
            continue
        toks = line.split()
        first = toks[0]
        if first.startswith("link/"):
            _parse_linklayer(cur, toks)
        elif first in ("inet", "inet6"):
            _parse_addr(cur, toks)
        elif first == "altname" and len(toks) > 1:
            cur.altnames.append(toks[1])
        elif first in _KINDS:
            cur.kind_hint = first
        # valid_lft lines, *_slave lines, "addrgenmode ...", vf lines... carry nothing we use.
    for link in links:
        if link.kind_hint is None:
            link.kind_hint = _guess_kind(link)
    if links and links[-1].link_type is None and not links[-1].addresses:
        links[-1].complete = False  # every interface prints a link/ line: the paste was cut
    return links


def _guess_kind(link: Link) -> str | None:
    if link.link_type == "loopback":
        return "loopback"
    for rx, kind in _NAME_KINDS:
        if rx.match(link.name):
            return kind
    if link.peer and link.peer.startswith("if") and link.peer[2:].isdigit():
        return "veth"  # "@ifN": peer in another netns — veth in practice
    return None


def links_by_name(links: list[Link]) -> dict[str, Link]:
    return {link.name: link for link in links}


def detect(head: str) -> str | None:
    """``'ip-addr'``, ``'ip-link'`` or None for the first few KB of a file.

    ``ip addr`` has ``inet``/``inet6``/``valid_lft`` lines; ``ip link`` has none and prints
    ``mode DEFAULT`` in its headers.  Output with link headers but no address line is taken as
    ``ip link``.
    """
    if not head:
        return None
    _, head = split_prompt(head)
    lines = _unwrap(head.splitlines()[:400])
    headers = 0
    other_top = 0
    has_linklayer = has_addr = False
    for line in lines:
        if not line[0].isspace():
            if _RE_HEADER.match(line.rstrip()[:_MAX_LINE]):
                headers += 1
            else:
                other_top += 1
            continue
        first = line.split(None, 1)[0]
        if first.startswith("link/"):
            has_linklayer = True
        elif first in ("inet", "inet6", "valid_lft"):
            has_addr = True
    if headers == 0 or other_top > headers:
        return None
    if not has_linklayer and headers < 2 and not has_addr:
        return None  # one header-looking line alone is weak evidence
    return "ip-addr" if has_addr else "ip-link"


def sniff(head: str) -> bool:
    """True for ``ip addr`` output (see ``detect``)."""
    return detect(head) == "ip-addr"


def sniff_link_only(head: str) -> bool:
    """True for ``ip link`` output (see ``detect``)."""
    return detect(head) == "ip-link"
