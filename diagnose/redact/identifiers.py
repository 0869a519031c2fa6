"""Identifiers in text: replaced by keyed pseudonyms (`mapper`), recorded in the private map,
restorable with `unredact`.

Each detector is a trigger (what the finder looks for) and a function that, at a hit, confirms
the form and returns the span and its pseudonym. `left` detectors begin before their trigger
(a domain is found from its TLD, an IPv6 address from its `::`): the scrubber moves their hits
to where the form begins before ordering them. Forms (samples in `catalogue.py`):
- IPv4 with `/len` or a dotted mask, a tcpdump `.port`, in `ip-10-1-2-3` host names, in reverse
  DNS (`3.2.1.10.in-addr.arpa`), in hex in OpenFlow registers (`reg3=0x..`, `set_field:0x..->reg3`,
  `load:0x..->NXM_NX_REG3[]`, and `xxreg3` for IPv6), as one decimal number (a URL host, `ip=`,
  `reg3=`);
- IPv6 in every notation: compressed, full, with an IPv4 tail, `::ffff:` mapped, after
  `set_field:`, tcpdump's `addr.port`, with `/len`;
- MAC addresses with `:` or `-`, Cisco's `dead.beef.0001`, bare 12 hex digits, `enx<mac>`
  interface names, OVS datapath IDs;
- DNS names and e-mail addresses (`domains`), and the names of the vocabulary (Nodes, hosts,
  Pods, Namespaces, users...), also where a URL encodes the characters around them
  (`fieldSelector=spec.nodeName%3Dnode2`, `%2Fhome%2Falice%2F`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from diagnose.redact import domains, names
from diagnose.redact.finder import Confirm, Row, Run, Span, Trigger
from diagnose.redact.mapper import Mapper
from diagnose.redact.vocab import Vocabulary

_OCT = rb"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_V4 = _OCT + rb"(?:\." + _OCT + rb"){3}"
_IPV4 = re.compile(
    rb"(?<![0-9])(?<![0-9]\.)(?<![vV])(?P<v4>" + _V4 + rb")"
    rb"(?:/(?P<len>3[0-2]|[12]?[0-9])(?![0-9])|/(?P<mask>" + _V4 + rb")(?![0-9]|\.[0-9]))?"
    rb"(?![0-9]|\.[0-9]{1,5}\.[0-9]|\.[0-9]{6})"
)
_DASHED = re.compile(rb"(?<![A-Za-z0-9_-])[iI][pP]-(?P<d>[0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3})(?![A-Za-z0-9_-])")
_REG = re.compile(
    rb"(?P<pre>(?P<xxa>xx)?reg3=|NXM_NX_(?P<xxb>XX)?REG3\[\]=)?"
    rb"0x(?P<hex>[0-9a-fA-F]{1,32})(?![0-9a-fA-FxX])"
    rb"(?P<post>->(?P<xxc>xx)?reg3(?![0-9A-Za-z])|->NXM_NX_(?P<xxd>XX)?REG3\[)?"
)
_REG_DECIMAL = re.compile(rb"reg3=(?P<n>[0-9]{8,10})(?![0-9xX])")
_DECIMAL_URL = re.compile(rb"://(?P<n>[0-9]{8,10}|0x[0-9a-fA-F]{8})(?=[:/?#\s\"']|$)")
_DECIMAL_KEY = re.compile(
    rb"(?i)(?<![A-Za-z0-9_])(?:ip|ipv4|addr|address)[\"']?[ \t]*[:=][ \t]*[\"']?"
    rb"(?P<n>[0-9]{8,10})"
    rb"(?![0-9.])"
)
_MAC = re.compile(
    rb"(?<![0-9A-Fa-f])[0-9A-Fa-f]{2}(?P<s>[:-])[0-9A-Fa-f]{2}(?:(?P=s)[0-9A-Fa-f]{2}){4}"
    rb"(?![0-9A-Fa-f]|[:-][0-9A-Fa-f])"
)
_CISCO = re.compile(rb"(?<![0-9A-Za-z.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![0-9A-Za-z]|\.[0-9A-Za-z])")
_BARE = re.compile(rb"[0-9A-Fa-f]{12}(?![0-9A-Za-z_-])")
_BARE_KEYS = re.compile(
    rb"(?i)(?:mac|hwaddr|lladdr|ether|macaddress|hardwareaddr|mac_address|mac-address)"
    rb"[\"']?[ \t]*[:=]?[ \t]*[\"']?$"
)
_ENX = re.compile(rb"(?<![A-Za-z0-9_-])enx(?P<m>[0-9a-fA-F]{12})(?![A-Za-z0-9_])")
_DPID = re.compile(
    rb"(?i)(?:datapath ID |dpid[:=][\"']?|datapath[-_]?id\"?,\""
    rb"|datapath[-_]?id[\"']?[ \t]*[:=][ \t]*[\"']?)"
    rb"(?P<id>[0-9A-Fa-f]{16})(?![0-9A-Fa-f])"
)
_INET_BRD = re.compile(
    rb"inet (?P<a>" + _V4 + rb")/(?P<len>3[0-2]|[12]?[0-9]) brd (?P<b>" + _V4 + rb")(?![0-9]|\.[0-9])"
)
_ARPA = re.compile(rb"(?P<ip>[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})\.in-addr\.arpa", re.I)
_V6_CHARS = frozenset(b"0123456789abcdefABCDEF:")
_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_DIGITS_DOT = frozenset(b"0123456789.")
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_STRICT_BAD = _ALNUM | frozenset(b"_-")
_HEX_CHARS = b"0123456789abcdefABCDEF"
_HEX_BYTES = frozenset(_HEX_CHARS)
_KEY_OR_QUOTE = _ALNUM | frozenset(b"\"'_")
_IFACE_HASH = re.compile(rb"[0-9a-fA-F]{6}(?![A-Za-z0-9_-])")
_V6_LEN = re.compile(rb"/(12[0-8]|1[01][0-9]|[1-9]?[0-9])(?![0-9])")
# Keys after which a name is a name even when it is also one of Antrea's words.
CONTEXT_KEYS = (
    "name",
    "nodeName",
    "NodeName",
    "node",
    "Node",
    "hostname",
    "hostName",
    "namespace",
    "Namespace",
    "pod",
    "Pod",
    "podName",
    "podNamespace",
    "pod-name",
    "pod-namespace",
    "user",
    "username",
    "K8S_POD_NAME",
    "K8S_POD_NAMESPACE",
    "machine",
)
_CONTEXT = re.compile(
    rb"(?:^|[^A-Za-z0-9_-])(?:"
    + b"|".join(re.escape(k.encode()) for k in CONTEXT_KEYS)
    + rb")(?:[\"']?[ \t]*[:=][ \t]*[\"']?|%3[dD])$",
    re.M,
)


def _literals(words: Iterable[str]) -> list[Trigger]:
    return [Trigger(w.encode("utf-8", "surrogateescape"), caseless=True, literal=True) for w in words]


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _out(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


class Identifiers:
    """The identifier detectors of one run: the mapper gives the pseudonyms, the vocabulary the
    names; `protected` names (words of rule signatures) only after a context key."""

    def __init__(self, mapper: Mapper, vocabulary: Vocabulary, signature_text: str = "", paths: bool = False):
        self.mapper = mapper
        self.vocab = vocabulary
        self.learnt = frozenset(vocabulary.domains)
        learnt = self.learnt
        hidden = {
            n: c
            for n, c in vocabulary.names.items()
            if c not in mapper.keep_classes and not domains.redactable(n, learnt)
        }
        protected = set() if paths else {n for n in hidden if n in signature_text}
        self.loose = [n for n in hidden if n not in protected and (paths or names.is_specific(n))]
        self.strict = [n for n in hidden if n not in protected and not paths and not names.is_specific(n)]
        self.protected = sorted(protected)
        self.heads = (
            sorted({n[:8].lstrip("-") for n, c in hidden.items() if c == "pod" and len(n) > 8})
            if "pod" not in mapper.keep_classes
            else []
        )
        self._memo = _Memo()
        self._heads: dict[bytes, bytes] = {}  # at most one entry per head of the vocabulary

    # -- the table ------------------------------------------------------------------------------

    def detectors(self) -> list[Row]:
        """(form, triggers, confirm, where it begins, whether the triggers are this run's own),
        in priority order."""
        hex2 = rb"[0-9A-Fa-f]{2}"
        tlds = b"|".join(t.encode() for t in sorted(domains.TLDS))
        rows: list[Row] = [
            (
                "reverse-dns",
                [Trigger(rb"[0-9]\.in-addr\.arpa", caseless=True, hints=(b"in-addr",))],
                self._arpa,
                _digits_left,
                False,
            ),
            ("email", [Trigger(rb"[A-Za-z0-9._%+-]@[A-Za-z0-9]", hints=(b"@",))], self._email, _local_left, False),
            (
                "domain",
                [
                    Trigger(rb"[A-Za-z0-9-]\.(?:" + tlds + rb")(?:[^A-Za-z0-9-]|$)", caseless=True),
                    Trigger(rb"\.home\.arpa", caseless=True, hints=(b"home.arpa",)),
                ],
                self._domain_hit,
                _label_left,
                False,
            ),
        ]
        if self.learnt:  # this bundle's own DNS suffixes (`prod.acme`)
            learnt = b"|".join(re.escape(d.encode()) for d in sorted(self.learnt))
            rows.append(
                (
                    "domain",
                    [Trigger(rb"[A-Za-z0-9-]\.(?:" + learnt + rb")", caseless=True)],
                    self._domain_hit,
                    _label_left,
                    True,
                )
            )
        fixed = [
            (
                "url-numeric-host",
                [Trigger(rb"://(?:[0-9]{8,10}|0x[0-9a-fA-F]{8})", hints=(b"://",))],
                self._numeric_url,
            ),
            (
                "register-ip",
                [
                    Trigger(p, caseless=c, hints=(b"reg3",))
                    for p, c in (
                        (rb"reg3=0x[0-9a-fA-F]", True),
                        (rb"reg3=[0-9]{8}", False),
                        (rb"0x[0-9a-fA-F]{1,32}->(?:xx)?reg3", False),
                        (rb"0x[0-9a-fA-F]{1,32}->NXM_NX_(?:XX)?REG3", False),
                        (rb"NXM_NX_(?:XX)?REG3\[\]=0x", False),
                    )
                ],
                self._register,
            ),
            (
                "datapath-id",
                [
                    Trigger(
                        rb"(?:datapath ID |dpid[:=][\"']?|datapath[-_]?id[\"',: \t=]{1,6})[0-9A-Fa-f]{16}",
                        caseless=True,
                        hints=(b"datapath", b"dpid"),
                    )
                ],
                self._dpid,
            ),
            (
                "ipv6",
                [
                    Trigger(rb"::", hints=(b"::",)),
                    Trigger(
                        rb"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){5}:[0-9A-Fa-f]",
                        stdlib=rb":[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:"
                        rb"[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]",
                    ),
                ],
                self._ipv6,
            ),
            (
                "ip-addr-broadcast",
                [Trigger(rb"inet [0-9.]{7,15}/[0-9]{1,2} brd [0-9]", hints=(b" brd ",))],
                self._broadcast,
            ),
            (
                "dashed-ipv4",
                [Trigger(rb"ip-[0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3}", caseless=True, hints=(b"ip-",))],
                self._dashed,
            ),
            (
                "ipv4",
                [
                    Trigger(
                        rb"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]",
                        stdlib=rb"(?<=[0-9])\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]",
                        back=b"0123456789",
                    )
                ],
                self._ipv4,
            ),
            (
                "decimal-ipv4",
                [
                    Trigger(
                        rb"(?:ip|ipv4|addr|address)[\"']?[:=][\"' ]?[0-9]{8}",
                        caseless=True,
                        stdlib=rb"[:=][\"' ]?[0-9]{8}",
                    )
                ],
                self._decimal_key,
            ),
            (
                "mac",
                [
                    Trigger(
                        sep.join([hex2] * 6),
                        stdlib=rb"(?<=[0-9A-Fa-f]{2})" + sep + sep.join([hex2] * 5),
                        back=_HEX_CHARS,
                    )
                    for sep in (b":", b"-")
                ],
                self._mac,
            ),
            (
                "mac-cisco",
                [
                    Trigger(
                        rb"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}",
                        stdlib=rb"(?<=[0-9A-Fa-f]{4})\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}",
                        back=_HEX_CHARS,
                    )
                ],
                self._cisco,
            ),
            ("mac-enx", [Trigger(rb"enx[0-9A-Fa-f]{12}", hints=(b"enx",))], self._enx),
            ("mac-bare", [Trigger(rb"(?:^|[^0-9A-Za-z_.:/+=-])[0-9A-Fa-f]{12}(?:[^0-9A-Za-z_-]|$)")], self._bare_mac),
        ]
        rows += [(form, trigs, confirm, _v6_left if form == "ipv6" else None, False) for form, trigs, confirm in fixed]
        # the names of this bundle's vocabulary, as literals (longer ones first at one place)
        if self.protected:
            in_context = self._name_confirm(_STRICT_BAD, context=True)
            rows.append(("name-in-context", _literals(self.protected), in_context, None, True))
        if self.loose:
            rows.append(("name", _literals(self.loose), self._name_confirm(_ALNUM), None, True))
        if self.strict:
            rows.append(("word-name", _literals(self.strict), self._name_confirm(_STRICT_BAD), None, True))
        if self.heads:
            rows.append(("pod-interface", _literals(h + "-" for h in self.heads), self._head_confirm, None, True))
        return rows

    # -- addresses ------------------------------------------------------------------------------

    def _ipv4(self, block: bytes, start: int, _end: int) -> Span | None:
        m = _IPV4.match(block, start)
        if m is None:
            return None
        out = self._memo.get(m[0])
        if out is None:
            out = self._memo.put(m[0], _out(self._ipv4_text(m)))
        return (start, m.end(), out)

    def _ipv4_text(self, m: re.Match[bytes]) -> str:
        mp = self.mapper
        v4 = _text(m["v4"])
        if m["len"]:
            out = f"{mp.network(v4, int(m['len']))}/{_text(m['len'])}"
        elif m["mask"]:
            out = f"{mp.network(v4, _mask_len(_text(m['mask'])))}/{_text(m['mask'])}"
        else:
            out = mp.ip(v4)
        return out

    def _broadcast(self, block: bytes, start: int, _end: int) -> Span | None:
        """`inet A/len brd B` (`ip addr`): B stays the broadcast address of A's pseudonym subnet."""
        m = _INET_BRD.match(block, start)
        if m is None:
            return None
        addr, length, brd = _text(m["a"]), int(m["len"]), _text(m["b"])
        mp = self.mapper
        net = ipaddress.ip_network(f"{addr}/{length}", strict=False)
        mapped = mp.network(addr, length)
        if length < 31 and brd == str(net.broadcast_address):
            out = str(ipaddress.ip_network(f"{mapped}/{length}", strict=False).broadcast_address)
            self.mapper.record("net", brd, out)
        else:
            out = mp.ip(brd)
        return (m.start("a"), m.end("b"), _out(f"{mapped}/{length} brd {out}"))

    def _dashed(self, block: bytes, start: int, _end: int) -> Span | None:
        m = _DASHED.match(block, start)
        if m is None:
            return None
        return (start, m.end(), block[start : start + 3] + _out(self._dashed_ip(_text(m["d"]))))

    def _dashed_ip(self, dashed: str) -> str:
        out = self.mapper.ip(dashed.replace("-", ".")).replace(".", "-")
        self.mapper.record("ip", dashed, out)  # the form written, for unredact
        return out

    def _arpa(self, block: bytes, start: int, _end: int) -> Span | None:
        m = _ARPA.match(block, start)
        if m is None or (start and block[start - 1] in _DIGITS_DOT):
            return None
        ip = ".".join(reversed(_text(m["ip"]).split(".")))
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            return None
        mapped = ".".join(reversed(self.mapper.ip(ip).split(".")))
        self.mapper.record("ip", _text(m["ip"]), mapped)
        return (start, m.end("ip"), _out(mapped))

    def _register(self, block: bytes, start: int, _end: int) -> Span | None:
        d = _REG_DECIMAL.match(block, start)
        if d is not None:  # `reg3=167772161`: the same endpoint written in decimal
            return (d.start("n"), d.end("n"), _out(self.mapper.decimal_ip(_text(d["n"]))))
        m = _REG.match(block, start)
        if m is None or not (m["pre"] or m["post"]):
            return None
        v6 = bool(m["xxa"] or m["xxb"] or m["xxc"] or m["xxd"])
        mapped = self.mapper.hex_ip("0x" + _text(m["hex"]), 6 if v6 else 4)
        return (m.start("hex") - 2, m.end("hex"), _out(mapped))

    def _numeric_url(self, block: bytes, start: int, _end: int) -> Span | None:
        m = _DECIMAL_URL.match(block, start)
        if m is None:
            return None
        n = _text(m["n"])
        if n.lower().startswith("0x"):
            value = int(n, 16)
            if not 1 << 24 <= value < 1 << 32:
                return None
            mapped = self.mapper.hex_ip(n, 4)
            return (m.start("n"), m.end("n"), _out(mapped))
        return (m.start("n"), m.end("n"), _out(self.mapper.decimal_ip(n)))

    def _decimal_key(self, block: bytes, start: int, _end: int) -> Span | None:
        key = start  # the hit starts at the key (Hyperscan) or at its separator (stdlib)
        while key > max(0, start - 10) and block[key - 1] in _KEY_OR_QUOTE:
            key -= 1
        m = _DECIMAL_KEY.match(block, key)
        if m is None:
            return None
        return (m.start("n"), m.end("n"), _out(self.mapper.decimal_ip(_text(m["n"]))))

    def _ipv6(self, block: bytes, start: int, _end: int) -> Span | None:
        if start and block[start - 1] in _V6_CHARS:
            return None  # a run of hex digits and colons longer than any address
        if start and block[start - 1] in _WORD:
            colon = block.find(b":", start)  # `set_field:fe80::1`: the word's last letters are no group
            if colon == -1:
                return None
            start = colon + 1 if block[colon + 1 : colon + 2] != b":" else colon
        end = _V6_TAIL_RUN.right(block, start)
        token = _text(block[start:end])
        addr, stop = _valid_v6(token)
        if addr is None:
            return None
        stop += start
        if stop < len(block) and block[stop] in _WORD:
            return None
        mp = self.mapper
        ln = _V6_LEN.match(block, stop)
        if ln:
            return (start, ln.end(), _out(f"{mp.network(addr, int(ln[1]))}/{_text(ln[1])}"))
        return (start, stop, _out(mp.ip(addr)))

    # -- MAC addresses --------------------------------------------------------------------------

    def _mac(self, block: bytes, start: int, _end: int) -> Span | None:
        m = _MAC.match(block, start)
        return (start, m.end(), _out(self.mapper.mac(_text(m[0])))) if m else None

    def _cisco(self, block: bytes, start: int, _end: int) -> Span | None:
        m = _CISCO.match(block, start)
        return (start, m.end(), _out(self.mapper.mac(_text(m[0])))) if m else None

    def _enx(self, block: bytes, start: int, _end: int) -> Span | None:
        m = _ENX.match(block, start)
        if m is None:
            return None
        out = self.mapper.mac(_text(m["m"]))
        self.mapper.record("mac", "enx" + _text(m["m"]), "enx" + out)  # the interface name, for unredact
        return (m.start("m"), m.end(), _out(out))

    def _bare_mac(self, block: bytes, start: int, _end: int) -> Span | None:
        if block[start] not in _V6_CHARS or (start and block[start - 1] != 10):  # a delimiter before it
            start += 1
        m = _BARE.match(block, start)
        if m is None:
            return None
        tok = m[0]
        has_letter = any(c in b"abcdefABCDEF" for c in tok)
        has_digit = any(48 <= c <= 57 for c in tok)
        if not (has_letter and has_digit) and not _BARE_KEYS.search(block, max(0, start - 24), start):
            return None
        return (start, m.end(), _out(self.mapper.mac(_text(tok))))

    def _dpid(self, block: bytes, start: int, _end: int) -> Span | None:
        m = _DPID.match(block, start)
        return (m.start("id"), m.end("id"), _out(self.mapper.datapath_id(_text(m["id"])))) if m else None

    # -- DNS names and e-mail addresses -----------------------------------------------------------

    def _email(self, block: bytes, start: int, _end: int) -> Span | None:
        at = block.find(b"@", start)
        dom_end = _LABEL_RUN.right(block, at + 1)
        while dom_end > at + 1 and block[dom_end - 1] in b".-":
            dom_end -= 1
        local, dom = _text(block[start:at]).strip("."), _text(block[at + 1 : dom_end])
        if (
            not local
            or not domains.redactable(dom.lower(), self.learnt)
            or dom_end < len(block)
            and block[dom_end] in _WORD
        ):
            return None
        if not local.startswith("REDACTED-") and names.worth_hiding(local):
            local = self.mapper.name("user", local)
        return (
            start + len(_text(block[start:at])) - len(_text(block[start:at]).lstrip(".")),
            dom_end,
            _out(f"{local}@{self.domain(dom)}"),
        )

    def _domain_hit(self, block: bytes, start: int, _end: int) -> Span | None:
        if start and block[start - 1] in _ALNUM:
            return None  # the run of labels goes on further back: longer than a DNS name can be
        end = _LABEL_RUN.right(block, start)  # a DNS name has at most 253 characters
        while end > start and block[end - 1] in b".-":
            end -= 1
        if end < len(block) and block[end] in b"_" or start and block[start - 1] in b"_":
            return None
        token = _text(block[start:end])
        low = token.lower()
        if names.PSEUDONYM.match(low) or low in domains.PROVIDERS:
            return None
        provider = domains.provider(low)
        if provider is not None:  # only the label the customer chose goes
            label = token.split(".")[0]
            if not names.worth_hiding(label):
                return None
            dashed = _DASHED.fullmatch(label.encode())
            out = label[:3] + self._dashed_ip(_text(dashed["d"])) if dashed else self.mapper.name("host", label)
            return (start, start + len(label), _out(out))
        if not domains.redactable(low, self.learnt):
            return None
        return (start, end, _out(self.domain(token)))

    def domain(self, token: str) -> str:
        """A DNS name's pseudonym: its host label as a name (a dashed IPv4 as an address) and
        the rest under `.example` (`mapper.domain`)."""
        low = token.lower()
        labels = token.split(".")
        if len(labels) == 2:
            return self.mapper.domain(low)
        first, rest = labels[0], ".".join(labels[1:])
        dashed = _DASHED.fullmatch(first.encode())
        if dashed:
            head = first[:3] + self._dashed_ip(_text(dashed["d"]))
        else:
            cls = self.vocab.names.get(first.lower()) or ("node" if self.vocab.names.get(low) == "node" else "host")
            head = self.mapper.name(cls, first) if names.worth_hiding(first) else first
        return f"{head}.{self.mapper.domain(rest)}"

    # -- names of the vocabulary ------------------------------------------------------------------

    def _name_confirm(self, bad: frozenset[int], context: bool = False) -> Confirm:
        """A name of the vocabulary (the literal the finder matched, in any case) where no
        character of `bad` touches it; a `%XX` escape before it is a separator."""
        vocab, mapper, memo = self.vocab.names, self.mapper, self._memo

        def confirm(block: bytes, start: int, end: int) -> Span | None:
            if start and block[start - 1] in bad and not _escaped(block, start):
                return None
            if end < len(block) and block[end] in bad:
                return None
            if context and not _CONTEXT.search(block, max(0, start - 40), start):
                return None
            word = block[start:end]
            out = memo.get(word)
            if out is None:
                value = _text(word)
                out = memo.put(word, _out(mapper.name(vocab.get(value.lower(), "host"), value)))
            return (start, end, out)

        return confirm

    def _head_confirm(self, block: bytes, start: int, end: int) -> Span | None:
        """`<first 8 characters of a Pod>-<6 hex>`: Antrea's name of the Pod's interface."""
        if start and block[start - 1] in _STRICT_BAD or _IFACE_HASH.match(block, end) is None:
            return None
        head = block[start : end - 1]
        out = self._heads.get(head)
        if out is None:
            out = self._heads[head] = _out(self.mapper.iface_head(_text(head)))
        return (start, end - 1, out)


def _escaped(block: bytes, start: int) -> bool:
    """A URL escape (`%3D`, `%2F`) just before `start`."""
    return start >= 3 and block[start - 3] == 37 and block[start - 2] in _HEX_BYTES and block[start - 1] in _HEX_BYTES


class _Memo:
    """Replacements already made, by the bytes they replace; cleared when they hold more than
    `budget` bytes (memory stays bounded whatever the number of distinct values)."""

    def __init__(self, budget: int = 8 << 20):
        self._d: dict[bytes, bytes] = {}
        self._size = 0
        self._budget = budget

    def get(self, key: bytes) -> bytes | None:
        return self._d.get(key)

    def put(self, key: bytes, value: bytes) -> bytes:
        self._size += len(key) + len(value) + 120  # the dict entry and two bytes objects
        if self._size > self._budget:
            self._d.clear()
            self._size = len(key) + len(value) + 120
        self._d[key] = value
        return value


# -- where left-extending forms begin ----------------------------------------------------------------

_LABEL_RUN = Run(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.", 253)
_LOCAL_RUN = Run(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-", 64)
_DIGITS_RUN = Run(b"0123456789.", 16)
_V6_RUN = Run(b"0123456789abcdefABCDEF:", 40)
_V6_TAIL_RUN = Run(b"0123456789abcdefABCDEF:.", 64)  # an address with a port is at most ~52 characters


def _label_left(block: bytes, start: int) -> int:
    pos = _LABEL_RUN.left(block, start + 1)
    while pos < start and block[pos] in b".-":
        pos += 1
    return pos


def _local_left(block: bytes, start: int) -> int:
    return _LOCAL_RUN.left(block, start + 1)


def _digits_left(block: bytes, start: int) -> int:
    return _DIGITS_RUN.left(block, start + 1)


def _v6_left(block: bytes, start: int) -> int:
    return _V6_RUN.left(block, start)


def _valid_v6(token: str) -> tuple[str | None, int]:
    """The IPv6 address at the start of `token` (hex digits, colons and dots), and its length:
    the whole token, or less a tcpdump `.port` or a trailing `:`."""
    if ":::" in token:
        return None, 0
    candidates = [token]
    if token.endswith(":") and not token.endswith("::"):
        candidates.append(token[:-1])
    for c in list(candidates):
        head, _, tail = c.rpartition(".")
        if head and tail.isdigit() and len(tail) <= 5 and head.count(".") in (0, 3):
            candidates.append(head)
    for c in candidates:
        if "::" not in c and c.count(":") < 6:
            continue
        try:
            ipaddress.IPv6Address(c)
        except ValueError:
            continue
        return c, len(c)
    return None, 0


def _mask_len(mask: str) -> int:
    """The prefix length of a dotted netmask; -1 (not a network) when it is not contiguous."""
    value = sum(int(o) << (24 - 8 * i) for i, o in enumerate(mask.split(".")))
    length = bin(value).count("1")
    return length if value == ((1 << 32) - 1) ^ ((1 << (32 - length)) - 1) else -1
