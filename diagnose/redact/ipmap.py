"""IP address pseudonyms that keep the topology (prefix-preserving, keyed).

The construction is Crypto-PAn's (Xu, Fan, Ammar, Moon 2002) with HMAC-SHA256 as the keyed
function: bit i of the pseudonym is bit i of the address, flipped or not by a keyed function of
the i bits before it. Two addresses that share their first k bits therefore share exactly their
first k pseudonym bits: a subnet maps onto one subnet of the same prefix length, its hosts stay
inside it, and overlaps and containment between CIDRs survive, which is what rules compare.

Some prefixes are never flipped, so what a reader must recognise stays recognisable:
- identity ranges are kept as they are: 0.0.0.0/8, loopback, link-local 169.254/16, multicast and
  240/4 (netmasks such as 255.255.255.0 live there), ::, ::1, ff00::/8;
- private ranges keep their prefix and only their host part is pseudonymised: 10/8, 172.16/12,
  192.168/16, 100.64/10 (CGNAT), fc00::/7, fe80::/64 (its interface id often embeds a MAC), and
  global unicast IPv6 stays in 2000::/3;
- the Kubernetes Service IP found in the evidence (10.96.0.1, 10.43.0.1, ...) is kept exactly.
  It is kept by cycle walking (an address whose pseudonym would land on a kept one takes the
  next pseudonym of the cycle), so the other pseudonyms do not depend on which Service IP a
  bundle has: bundles of a batch stay consistent under a shared key.

A consequence of prefix preservation: an address keeps the leading bits it shares with a kept
range's prefix (a public address may keep its first 3-7 bits).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from diagnose.redact.keys import digest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4_IDENTITY = ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4")
_V4_PREFIX_KEPT = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
_V6_IDENTITY = ("::/128", "::1/128", "ff00::/8")
_V6_PREFIX_KEPT = ("2000::/3", "fc00::/7", "fe80::/64", "64:ff9b::/96")


class _Tree:
    """Which prefixes of one address family are fixed (their next bit is never flipped)."""

    def __init__(self, width: int, identity: Iterable[str], prefix_kept: Iterable[str]):
        self.width = width
        self.fixed: set[tuple[int, int]] = set()
        self.identity: list[tuple[int, int]] = []
        for cidr, whole in [(c, True) for c in identity] + [(c, False) for c in prefix_kept]:
            net = ipaddress.ip_network(cidr)
            length, top = net.prefixlen, int(net.network_address) >> (width - net.prefixlen)
            for i in range(length):
                self.fixed.add((i, top >> (length - i)))
            if whole:
                self.identity.append((length, top))

    def in_identity(self, value: int) -> bool:
        return any(value >> (self.width - length) == top for length, top in self.identity)


_V4 = _Tree(32, _V4_IDENTITY, _V4_PREFIX_KEPT)
_V6 = _Tree(128, _V6_IDENTITY, _V6_PREFIX_KEPT)


class AddressMapper:
    """Maps addresses (ipaddress objects) to their pseudonyms under one key."""

    def __init__(self, key: bytes, keep: Iterable[str] = ()):
        self._key = key
        self._flips: dict[tuple[int, int, int], int] = {}
        self._done: dict[IPAddress, IPAddress] = {}
        self.kept: set[IPAddress] = set()
        for text in keep:
            self.keep(text)

    def keep(self, text: str) -> None:
        """Keep this address as it is (the cluster's Kubernetes Service IP)."""
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return
        if addr not in self.kept:
            self.kept.add(addr)
            self._done.clear()  # a cycle through the new kept address may change

    def map(self, addr: IPAddress) -> IPAddress:
        if addr in self.kept:
            return addr
        done = self._done.get(addr)
        if done is not None:
            return done
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            out: IPAddress = ipaddress.IPv6Address(int(addr) - int(addr.ipv4_mapped) + int(self.map(addr.ipv4_mapped)))
        else:
            out = self._permute(addr)
            while out in self.kept:  # cycle walking: never land on an address kept as it is
                out = self._permute(out)
        self._done[addr] = out
        return out

    def _permute(self, addr: IPAddress) -> IPAddress:
        tree, family = (_V4, 4) if addr.version == 4 else (_V6, 6)
        value = int(addr)
        if tree.in_identity(value):
            return addr
        width = tree.width
        out = 0
        for i in range(width):
            prefix = value >> (width - i)
            bit = (value >> (width - 1 - i)) & 1
            if (i, prefix) not in tree.fixed:
                bit ^= self._flip(family, i, prefix)
            out = (out << 1) | bit
        return type(addr)(out)

    def _flip(self, family: int, length: int, prefix: int) -> int:
        k = (family, length, prefix)
        bit = self._flips.get(k)
        if bit is None:
            bit = self._flips[k] = digest(self._key, f"ip{family}", f"{length}/{prefix:x}")[0] & 1
        return bit
