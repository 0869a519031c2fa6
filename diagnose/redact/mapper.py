"""The pseudonym of every kind of value, under one key, and the record of what became what.

`Mapper` is the one place a real value turns into its pseudonym: addresses (through
`ipmap.AddressMapper`, written back in the notation they came in), MAC addresses, names and
domains. It remembers each pair so that the private map file can translate reports back
(`antrea-diagnose unredact`). Secrets never go through here: they are replaced by markers and
cannot be restored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from diagnose.redact import names
from diagnose.redact.ipmap import AddressMapper, IPAddress
from diagnose.redact.keys import digest

# MACs that identify no machine: all zeros, broadcast, and Antrea's global virtual MACs
# (`GlobalVirtualMAC` in pkg/agent/openflow/pipeline.go, and the Multi-cluster one).
_KEEP_MACS = frozenset({"000000000000", "ffffffffffff", "aabbccddeeff", "aabbccddeef0"})
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class Mapper:
    def __init__(self, key: bytes, keep_classes: Iterable[str] = (), service_ips: Iterable[str] = ()):
        self.key = key
        self.addresses = AddressMapper(key, service_ips)
        self.keep_classes = frozenset(keep_classes)
        # kind -> {original: pseudonym}; kinds: ip, mac, node, host, pod, app, namespace, user, cluster,
        # domain, ifhead
        self.records: dict[str, dict[str, str]] = {}
        self._taken: dict[str, str] = {}  # pseudonym -> original, to detect (improbable) collisions
        # Pseudonyms of a map this input was already redacted with: left as they are.
        self.passthrough: frozenset[str] = frozenset()

    # -- addresses ----------------------------------------------------------------------------------

    def keep_address(self, text: str) -> None:
        self.addresses.keep(text)

    def ip(self, text: str) -> str:
        """An address as written (`10.1.2.3`, `fe80::1`, `::ffff:10.1.2.3`), or `text` if it is none."""
        known = self.records.get("ip", {}).get(text)
        if known is not None:
            return known
        if text in self.passthrough:
            return text
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return text
        out = self._format(self.addresses.map(addr), text)
        self._record("ip", text, out)
        return out

    def network(self, text: str, prefixlen: int) -> str:
        """The address part of `A/len`: a network address (host bits zero) stays the network
        address of its pseudonym subnet, an interface address (`10.1.2.3/24`) maps as itself."""
        if text in self.passthrough or f"{text}/{prefixlen}" in self.passthrough:
            return text
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return text
        width = addr.max_prefixlen
        if not 0 <= prefixlen <= width:
            return self.ip(text)
        host_mask = (1 << (width - prefixlen)) - 1
        if int(addr) & host_mask or prefixlen == width:
            return self.ip(text)
        mapped = self.addresses.map(addr)
        out = self._format(type(addr)(int(mapped) & ~host_mask & ((1 << width) - 1)), text)
        self._record("ip", f"{text}/{prefixlen}", f"{out}/{prefixlen}")
        self._record("net", text, out)  # also written with a dotted mask (`/255.255.255.0`)
        return out

    def hex_ip(self, text: str, version: int = 4) -> str:
        """An address written as an OpenFlow hex value: Antrea keeps the selected Service
        endpoint in reg3 (IPv4, `0xa2a0002`) or xxreg3 (IPv6)."""
        if text in self.passthrough:
            return text
        try:
            value = int(text, 16)
        except ValueError:
            return text
        width = 32 if version == 4 else 128
        if value >= 1 << width:
            return text
        addr = ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)
        out = f"0x{int(self.addresses.map(addr)):x}"
        self._record("ip", text, out)
        return out

    def decimal_ip(self, text: str) -> str:
        """An IPv4 address written as one decimal number (`167772161`, a URL host)."""
        value = int(text)
        if not 1 << 24 <= value < 1 << 32:
            return text
        out = str(int(self.addresses.map(ipaddress.IPv4Address(value))))
        self._record("ip", text, out)
        return out

    @staticmethod
    def _format(addr: IPAddress, original: str) -> str:
        if isinstance(addr, ipaddress.IPv6Address):
            if addr.ipv4_mapped is not None and "." in original:
                return original[: original.rfind(":") + 1] + str(addr.ipv4_mapped)
            return addr.compressed.upper() if original.isupper() else addr.compressed
        return str(addr)

    # -- MAC addresses --------------------------------------------------------------------------

    def mac(self, text: str) -> str:
        """A MAC address in any notation (`de:ad:..`, `DE-AD-..`, Cisco `dead.beef.1234`, bare
        `deadbeef1234`): its hex digits are replaced in place, separators and case kept."""
        if text in self.passthrough:
            return text
        known = self.records.get("mac", {}).get(text)
        if known is not None:
            return known
        raw = "".join(c for c in text if c in _HEX_DIGITS).lower()
        if len(raw) != 12 or raw in _KEEP_MACS or int(raw[:2], 16) & 1:  # multicast keeps its meaning
            return text
        d = digest(self.key, "mac", raw)
        first = (d[0] & 0xFC) | (int(raw[:2], 16) & 0x03)  # keep the multicast and locally-administered bits
        digits = iter(f"{first:02x}" + d[1:6].hex())
        out = "".join(next(digits) if c in _HEX_DIGITS else c for c in text)
        out = out.upper() if text.isupper() else out
        self._record("mac", text, out)
        return out

    def datapath_id(self, text: str) -> str:
        """An OVS datapath ID (16 hex digits; by default `0000` + the bridge's MAC): its last
        12 digits are pseudonymised as a MAC address."""
        mac = self.mac(text[4:])
        out = text[:4] + mac
        self._record("mac", text, out)
        return out

    # -- names ----------------------------------------------------------------------------------

    def name(self, cls: str, value: str) -> str:
        """The pseudonym of a Node, host, Pod, workload, Namespace, user or cluster name
        (`node-3f9a1c`); a class the user chose to keep (--keep-names) stays as it is."""
        if cls in self.keep_classes:
            return value
        key = value.lower()
        known = self.records.get(cls, {}).get(key)
        if known is None:
            known = self._pseudonym(cls, key)
            self._record(cls, key, known)
        # An upper-case name (a Windows host) gets an upper-case pseudonym, so `unredact` can
        # give it back as it was written.
        return known.upper() if value.isupper() else known

    def iface_head(self, head: str) -> str:
        """The first 8 characters of a Pod name as Antrea puts them in the Pod's interface name
        (`web-fron-87fe23`): the first 8 characters of a pseudonym of the same kind."""
        if "pod" in self.keep_classes:
            return head
        key = head.lower()
        known = self.records.get("ifhead", {}).get(key)
        if known is None:
            known = self._pseudonym("pod", "ifhead\0" + key)[:8]
            self._record("ifhead", key, known)
        return known

    def domain(self, value: str) -> str:
        """A DNS domain under RFC 2606's reserved `.example`, keeping its hierarchy:
        `acme.com` -> `domain-xxxxxx.example`, `corp.acme.com` -> `sub-yyyyyy.domain-xxxxxx.example`."""
        key = value.lower().rstrip(".")
        known = self.records.get("domain", {}).get(key)
        if known is not None:
            return known
        labels = key.split(".")
        registrable = ".".join(labels[-2:])
        subs = [self._pseudonym("sub", ".".join(labels[i:])) for i in range(len(labels) - 2)]
        out = ".".join([*subs, self._pseudonym("domain", registrable) + ".example"])
        self._record("domain", key, out)
        return out

    def _pseudonym(self, cls: str, key: str) -> str:
        # The hash does not depend on the class, so a name found as a Node in one bundle and as
        # a host in another keeps its hash; six hex digits with at least one digit, so that the
        # pseudonym still looks like a host name to the reader (letters and digits).
        h = digest(self.key, "name", key).hex()
        prefix = names.PREFIX[cls]
        for i in range(0, len(h) - 6):
            part = h[i : i + 6]
            candidate = f"{prefix}-{part}"
            if any(c.isdigit() for c in part) and self._taken.get(candidate, key) == key:
                return candidate
        return f"{prefix}-{h[:12]}"  # pragma: no cover - every window collided

    def record(self, kind: str, original: str, pseudonym: str) -> None:
        """Record a pair written in another notation than the mapper's (`ip-10-1-2-3`)."""
        self._record(kind, original, pseudonym)

    def _record(self, kind: str, original: str, pseudonym: str) -> None:
        if original == pseudonym:
            return
        self.records.setdefault(kind, {})[original] = pseudonym
        self._taken.setdefault(pseudonym, original)

    # -- for the map file ----------------------------------------------------------------------------

    def load_records(self, records: dict[str, dict[str, str]]) -> None:
        """Continue a map: its pairs are reused as they are."""
        for kind, pairs in records.items():
            for original, pseudonym in pairs.items():
                self._record(kind, original, pseudonym)

    def pseudonyms(self) -> frozenset[str]:
        return frozenset(p for pairs in self.records.values() for p in pairs.values())
