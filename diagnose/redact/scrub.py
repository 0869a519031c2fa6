"""Find what to hide in arbitrary text and replace it: log lines, YAML, iptables-save, `ip`
output, OVSDB dumps, flows, file names.

One compiled alternation scans the text once, left to right, so every token is looked at once
and a replacement is never scanned again. What it replaces: e-mail addresses, DNS names
(`domains`), the names of the vocabulary (`names` says how strictly), Pod interface names
(Antrea names them `<first 8 characters of the Pod>-<6 hex>`), `ip-10-1-2-3` host names, MAC
addresses, IPv4/IPv6 addresses with their `/len` or dotted mask, and the Service endpoint IPs
Antrea keeps in hex in reg3/xxreg3 (EndpointDNAT flows and group buckets). Secrets go first
(`credentials`). What it keeps: interface names (`eth0`, `eth0~`, `antrea-gw0`, `enp0s1`), Antrea's
message text, versions (`v2.1.0`), times, UUIDs, numbers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable

from diagnose.redact import credentials, domains, names
from diagnose.redact.mapper import Mapper
from diagnose.redact.vocab import Vocabulary

_OCT = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_V4 = rf"{_OCT}(?:\.{_OCT}){{3}}"
_EMAIL = (r"(?<![\w.+%-])(?P<email>(?P<elocal>[A-Za-z0-9._%+-]{1,64})@"
          r"(?P<edom>(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}))(?![\w-])")
_FQDN = (r"(?<![\w.-])(?P<fqdn>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,62})"
         r"(?![\w-]|\.[\w-])")
_DASHED = r"(?<![\w-])ip-(?P<dashed>\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})(?![\w-])"
_MAC = (r"(?<![0-9A-Fa-f])(?P<mac>[0-9A-Fa-f]{2}(?P<msep>[:-])[0-9A-Fa-f]{2}(?:(?P=msep)[0-9A-Fa-f]{2}){4})"
        r"(?![0-9A-Fa-f]|[:-][0-9A-Fa-f])")
_IPV4 = (rf"(?<!\d)(?<!\d\.)(?<![vV])(?P<v4>{_V4})(?:/(?P<v4len>3[0-2]|[12]?\d)(?!\d)|/(?P<v4mask>{_V4})(?!\d|\.\d))?"
         r"(?!\d|\.\d)")
_H16 = r"[0-9A-Fa-f]{0,4}"
_IPV6 = (rf"(?<![0-9A-Za-z_.])(?<![0-9A-Fa-f:]:)(?P<v6>{_H16}(?::{_H16}){{1,6}}:{_V4}|{_H16}(?::{_H16}){{2,7}})"
         r"(?:/(?P<v6len>12[0-8]|1[01]\d|[1-9]?\d)(?!\d))?(?![0-9A-Za-z_:]|\.\d)")
# ovs-vswitchd: "using datapath ID 0000<MAC of the bridge>".
_DPID = r"(?<=datapath ID )(?P<dpid>[0-9a-fA-F]{16})(?![0-9a-fA-F])"
# Tokens are what lies between these (spaces, quotes, brackets, separators of key=value pairs).
_SEP = re.compile(r"""([\s"'`<>(){}\[\],;|=&*!?^]+)""")
_IS_V4 = re.compile(rf"{_V4}$")
_V4_CIDR = re.compile(rf"({_V4})/(3[0-2]|[12]?\d)$")
# Context keys after which a name is a name even when it is also one of Antrea's words.
_CTX_TOKENS = ("name", "nodeName", "NodeName", "node", "Node", "hostname", "hostName", "namespace", "Namespace",
               "pod", "Pod", "podName", "podNamespace", "pod-name", "pod-namespace", "user", "username",
               "K8S_POD_NAME", "K8S_POD_NAMESPACE", "machine")
_CROSS_KEYS = frozenset({"inet", "brd", "ID"})
_CACHE_MAX = 500_000


def _is_time(tok: str) -> bool:
    """`18:55:02.036608` or `2024-06-28T18:55:02.745Z`: the commonest token that is never news."""
    if (len(tok) >= 8 and tok[2] == ":" and tok[5] == ":" and tok[:2].isdigit() and tok[3:5].isdigit()
            and tok[6:8].isdigit() and (len(tok) == 8 or tok[8] in ".,Z+-")):  # not a MAC or IPv6 (more colons)
        return True
    return len(tok) >= 19 and tok[4] == "-" and tok[10] == "T" and tok[:4].isdigit() and tok[13] == ":"
_REG3 = re.compile(r"(?<=reg3=)0x[0-9a-f]{1,32}(?![0-9a-fx])|0x[0-9a-f]{1,32}(?=->x{0,2}reg3\b)")


def _trie(words: Iterable[str]) -> str:
    """A regex matching any of `words`, built as a trie (fast in `re`, unlike a flat alternation)."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    return build(root)


class Scrubber:
    """Replaces, in text and in file names, everything the mapper pseudonymises and every secret."""

    def __init__(self, mapper: Mapper, vocabulary: Vocabulary, signature_text: str = ""):
        self.mapper = mapper
        self.vocab = vocabulary
        for ip in vocabulary.service_ips:
            mapper.keep_address(ip)
        # DNS names are pseudonymised by the domain rule (host label + domain); other dotted names
        # (`alice.smith`) are names like any other.
        hidden = {n: c for n, c in vocabulary.names.items()
                  if c not in mapper.keep_classes and not domains.redactable(n)}
        protected = {n for n in hidden if n in signature_text}
        loose = [n for n in hidden if n not in protected and names.is_specific(n)]
        strict = [n for n in hidden if n not in protected and not names.is_specific(n)]
        self._heads: dict[str, str] = {}
        if "pod" not in mapper.keep_classes:
            for n, c in hidden.items():
                if c == "pod" and len(n) > 8:
                    head = n[:8].lstrip("-")
                    self._heads[head] = head
        self._cache: dict[str, str] = {}
        # Names looked up whole: plain words (a token of letters only), and the names that are
        # also Antrea's words, replaced only after a context key (see names).
        self._plain = {n: c for n, c in hidden.items() if n.isalpha() and n not in protected}
        self._ctx_names = {n: hidden[n] for n in protected}
        # The context keys as tokens: `name:` (YAML), `nodeName` (before `="`), `machine:` ...
        self._ctx_keys = frozenset(k + c for k in _CTX_TOKENS for c in ("", ":")) if protected else frozenset()
        parts = [_EMAIL, _FQDN]
        inner: list[str] = []
        if self._heads:
            inner.append(rf"(?<![\w-])(?P<ifhead>{_trie(self._heads)})-[0-9a-f]{{6}}(?![\w-])")
        text_names = list(inner)
        if loose:
            text_names.append(rf"(?<![A-Za-z0-9])(?P<loose>{_trie(loose)})(?![A-Za-z0-9])")
        if strict:
            text_names.append(rf"(?<![A-Za-z0-9_-])(?P<strict>{_trie(strict)})(?![A-Za-z0-9_-])")
        path_names = list(inner)
        if hidden:
            path_names.append(rf"(?<![A-Za-z0-9])(?P<loose>{_trie(hidden)})(?![A-Za-z0-9])")
        tail = [_DASHED, _MAC, _DPID, _IPV4, _IPV6]
        self._text = re.compile("|".join(parts + text_names + tail), re.I)
        self._inner = re.compile("|".join(text_names + tail), re.I)  # inside a dotted name
        self._path = re.compile("|".join(parts + path_names + tail), re.I)
        self._path_inner = re.compile("|".join(path_names + tail), re.I)

    # -- public ---------------------------------------------------------------------------------

    def text(self, text: str) -> str:
        """`text` with secrets replaced by markers and everything else pseudonymised."""
        text = credentials.scrub(text)
        if "reg3" in text and "EndpointDNAT" in text:
            text = "".join(_REG3.sub(self._reg3, line) if "EndpointDNAT" in line else line
                           for line in text.splitlines(keepends=True))
        return self._tokens(text)

    def _tokens(self, text: str) -> str:
        """The scan, token by token: the text is split at spaces, quotes and brackets (in C),
        each distinct token is matched once (logs repeat them), and the tokens are replaced in
        one pass. Three patterns look across tokens: a name after a context key, `inet A/len
        brd B` and `datapath ID X`; they are handled where such a key is present."""
        parts = _SEP.split(text)
        tokens = parts[0::2]
        distinct = set(tokens)
        cache = self._cache
        for tok in distinct:
            if tok not in cache:
                out = self._token(tok)
                if len(cache) >= _CACHE_MAX:
                    cache.clear()
                cache[tok] = out
        out_tokens = [cache[t] for t in tokens]
        keys = distinct & (_CROSS_KEYS | self._ctx_keys)
        if keys:
            self._across(tokens, out_tokens, keys)
        parts[0::2] = out_tokens
        return "".join(parts)

    def _token(self, tok: str) -> str:
        if not tok or tok.isdigit() or _is_time(tok):
            return tok
        if tok.isalpha():
            cls = self._plain.get(tok.lower())
            return self.mapper.name(cls, tok) if cls else tok
        return self._text.sub(self._replace, tok)

    def _across(self, tokens: list[str], out: list[str], keys: set[str]) -> None:
        """Replacements that depend on the token before: `inet A/len brd B` (B is the broadcast
        of A's pseudonym subnet), `datapath ID X`, and names that are Antrea's words after a key."""
        inet: tuple[str, int] | None = None
        for i in range(1, len(tokens)):
            prev = tokens[i - 1]
            if prev not in keys:
                continue
            tok = tokens[i]
            if prev == "inet":
                m = _V4_CIDR.match(tok)
                inet = (m[1], int(m[2])) if m else None
            elif prev == "brd" and inet is not None and _IS_V4.match(tok):
                out[i] = self._broadcast(inet, tok)
                inet = None
            elif prev == "ID" and i >= 2 and tokens[i - 2] == "datapath":
                out[i] = self._text.sub(self._replace, "datapath ID " + tok)[len("datapath ID "):]
            elif tok.lower() in self._ctx_names:
                out[i] = self.mapper.name(self._ctx_names[tok.lower()], tok)

    def path(self, value: str) -> str:
        """A display path (`a/agent_node2.tar.gz!logs/x.log`) with each name redacted by `path_part`."""
        return "!".join("/".join(self.path_part(p) for p in part.split("/")) for part in value.split("!"))

    def path_part(self, name: str) -> str:
        """One file or directory name (`agent_node2.tar.gz`, `antrea-agent.node2.root.log...`)."""
        if name in names.LAYOUT:
            return name
        return self._path.sub(lambda m: self._replace(m, path=True), name)

    # -- replacements -------------------------------------------------------------------------------

    def _replace(self, m: re.Match[str], path: bool = False) -> str:
        g = m.groupdict()
        mp = self.mapper
        if g.get("email"):
            local, dom = g["elocal"], g["edom"]
            if not local.startswith("REDACTED-") and names.worth_hiding(local):
                local = mp.name("user", local)
            return f"{local}@{self._domain(dom, path)}"
        if g.get("fqdn"):
            return self._domain(g["fqdn"], path)
        if g.get("ifhead"):
            head = g["ifhead"]
            return mp.iface_head(head) + m[0][len(head):]
        for group in ("loose", "strict"):
            if g.get(group):
                return mp.name(self.vocab.names.get(g[group].lower(), "host"), g[group])
        if g.get("dashed"):
            return "ip-" + mp.ip(g["dashed"].replace("-", ".")).replace(".", "-")
        if g.get("mac"):
            return mp.mac(g["mac"])
        if g.get("dpid"):
            return mp.datapath_id(g["dpid"])

        if g.get("v4"):
            if g.get("v4len"):
                return f"{mp.network(g['v4'], int(g['v4len']))}/{g['v4len']}"
            if g.get("v4mask"):
                return f"{mp.network(g['v4'], _mask_len(g['v4mask']))}/{g['v4mask']}"
            return mp.ip(g["v4"])
        if g.get("v6"):
            cand = g["v6"]
            if "::" not in cand and cand.count(":") != 7 and not (cand.count(":") == 6 and "." in cand):
                return m[0]
            if g.get("v6len"):
                return f"{mp.network(cand, int(g['v6len']))}/{g['v6len']}"
            return mp.ip(cand) + m[0][len(cand):]
        return m[0]

    def _domain(self, token: str, path: bool) -> str:
        low = token.lower()
        inner = self._path_inner if path else self._inner
        if len(token) > 253 or names.PSEUDONYM.match(low) or not domains.redactable(low):  # 253: DNS's limit
            return inner.sub(lambda m: self._replace(m, path), token)
        labels = token.split(".")
        if len(labels) == 2:
            return self.mapper.domain(low)
        first, rest = labels[0], ".".join(labels[1:])
        cls = self.vocab.names.get(first.lower()) or ("node" if self.vocab.names.get(low) == "node" else "host")
        head = self.mapper.name(cls, first) if names.worth_hiding(first) else first
        return f"{head}.{self.mapper.domain(rest)}"

    def _broadcast(self, inet: tuple[str, int], brd: str) -> str:
        """`brd` of `inet A/len brd B`: the broadcast of A's pseudonym subnet when B was A's."""
        addr, length = inet
        net = ipaddress.ip_network(f"{addr}/{length}", strict=False)
        if length < 31 and brd == str(net.broadcast_address):
            mapped = self.mapper.network(addr, length)
            return str(ipaddress.ip_network(f"{mapped}/{length}", strict=False).broadcast_address)
        return self.mapper.ip(brd)

    def _reg3(self, m: re.Match[str]) -> str:
        before = m.string[max(0, m.start() - 7) : m.start()]
        v6 = before.endswith("xxreg3=") or m.string.startswith("->xxreg3", m.end())
        return self.mapper.hex_ip(m[0], 6 if v6 else 4)


def _mask_len(mask: str) -> int:
    """The prefix length of a dotted netmask; -1 (not a network) when it is not contiguous."""
    value = sum(int(o) << (24 - 8 * i) for i, o in enumerate(mask.split(".")))
    length = bin(value).count("1")
    return length if value == ((1 << 32) - 1) ^ ((1 << (32 - length)) - 1) else -1


def scrub_stream(read: Callable[[int], bytes], write: Callable[[bytes], None], scrub: Callable[[str], str],
                 block: int = 1 << 20, max_carry: int = 8 << 20) -> None:
    """Scrub a text stream in blocks of whole lines, with bounded memory.

    A block ends before its last two lines (an env entry's `- name: X_TOKEN` / `value:` pair
    stays together) and before a PEM block that has not ended yet; what is held back goes with
    the next block, up to `max_carry` bytes (then it is scrubbed as it is: an unended PEM block
    of that size is cut into pieces that each lose their base64 to the key/value rules or not at
    all, which is why PEM bodies are also matched line by line by `credentials`).
    """
    carry = ""
    while True:
        data = read(block)
        text = carry + data.decode("utf-8", "surrogateescape") if data else carry
        if not data:
            if text:
                write(scrub(text).encode("utf-8", "surrogateescape"))
            return
        cut = text.rfind("\n", 0, text.rfind("\n") if "\n" in text else 0) + 1
        pem = credentials.open_pem_start(text[:cut]) if "-----BEGIN" in text else None
        if pem is not None:
            cut = text.rfind("\n", 0, pem) + 1
        if cut == 0 and len(text) > max_carry:  # no line end, or a PEM block that never ends
            cut = text.rfind("\n") + 1 or _safe_cut(text)
        carry = text[cut:]
        if cut:
            write(scrub(text[:cut]).encode("utf-8", "surrogateescape"))


def _safe_cut(text: str) -> int:
    """Where to cut a huge line-less text: after the last whitespace, so no token is split."""
    for i in range(len(text) - 1, max(0, len(text) - 65536), -1):
        if text[i] in " \t\n,;":
            return i + 1
    return len(text)
