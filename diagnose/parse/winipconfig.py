"""`ipconfig /all` (the `ipconfig` file of a Windows agent bundle, or pasted).

Hand-written, not jc's `ipconfig` parser. Measured on the outputs in `tests/parse/data/windows/`
(Windows Server 2019/2022 shapes with br-int, antrea-gw0 and vEthernet adapters, the bundle's CRLF
capture, German/French/Japanese Windows, a paste whose indentation a chat collapsed), jc 1.26.1
reads the English outputs right but: it recognises a property only on a line indented by three
spaces and an adapter only on a line containing the English word "adapter" (a French `Carte
Ethernet br-int :` section is lost with everything in it), and it files a property by its English
label (a German `Autokonfiguration IPv4-Adresse` or a Japanese `自動構成 IPv4 アドレス` goes to
`extras`, so the 169.254 address this tool looks for is not seen). `tools/measure_jc_windows.py`
prints the comparison.

So this parser reads the structure, which is the same in every language: a section title ends
with `:` at the start of a line; a property is `Label . . . . : value` (a dotted leader, or none
when the label fills the column); a value continues on lines holding only a value. Properties
are told apart by their values where the value says what it is (an IPv4 address, a mask, a MAC),
and by a few words of each language's label where it does not (gateway, DHCP, media state).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diagnose.parse.windows import IPV4, is_apipa, is_virtual_adapter, mac

_MAX_TEXT = 4 * 1024 * 1024
_MAX_LINE = 1024  # ipconfig lines are short; a longer one is not ipconfig (and would cost the regexes)
_MAX_LABEL = 128  # the colon after a label and its dotted leader comes before this column
# `Label . . . . : value`; a label never holds a colon, so the first one ends it (IPv6 values have more).
_PROP = re.compile(r"^(?P<indent>\s*)(?P<key>[^:\s.][^:]{0,80}?)(?:\s*\.)*\s*:(?:\s+(?P<value>.*?))?\s*$")
_ADDRESS = re.compile(rf"^(?P<ip>{IPV4})(?:\s*\((?P<status>[^()]*)\))*\s*$")
# A section title: "Ethernet adapter br-int:", "Ethernet-Adapter br-int:", "Carte Ethernet br-int :",
# "イーサネット アダプター br-int:", "以太网适配器 br-int:", "Adaptador de Ethernet br-int:".
_SECTION = re.compile(
    r"^(?:(?P<type>.*?)[ -]?(?:adapter|アダプター|适配器)|(?:Carte|Adaptador(?: de)?) (?P<type2>\S+))"
    r"\s+(?P<name>.+?)\s*:$",
    re.I,
)
_SECTION_WORDS = re.compile(r"adapter|アダプター|适配器|^Carte |^Adaptador ", re.I)

_YES = {"yes", "ja", "oui", "sí", "si", "sim", "はい", "是", "да", "tak", "evet"}
_NO = {"no", "nein", "non", "não", "いいえ", "否", "нет", "nie", "hayır"}
_STATUS = {
    "preferred": ("preferred", "bevorzugt", "préféré", "preferido", "優先", "首选", "предпочтительный"),
    "duplicate": ("duplicate", "doppelt", "dupliqué", "dupliquer", "duplicado", "重複", "重复"),
    "tentative": ("tentative", "vorläufig", "provisoire", "tentativo", "暫定", "暂定"),
    "deprecated": ("deprecated", "veraltet", "déconseillé", "desusado", "非推奨", "不推荐"),
}
# Label words, lower-cased, of the properties whose value does not say what it is.
_GATEWAY = ("gateway", "passerelle", "puerta de enlace", "ゲートウェイ", "网关", "шлюз")
_MEDIA = ("media state", "medienstatus", "statut du média", "estado de los medios", "メディアの状態", "媒体状态")
_DESCRIPTION = ("description", "beschreibung", "descripción", "説明", "描述", "описание")
_LEASE = ("lease", "bail ", "concesión", "リース", "租约")
_AUTO = ("auto", "自動", "自动")
_ADDRESS_LABEL = ("ipv4", "ip address", "ip-adresse", "adresse ip", "dirección ip")


@dataclass
class Ipv4:
    """An IPv4 address of an `ipconfig /all` adapter."""

    address: str
    mask: str | None = None
    status: str | None = None  # preferred, duplicate, tentative, deprecated (or the word printed)
    autoconfigured: bool = False  # labelled "Autoconfiguration IPv4 Address" (in any language)
    line: int = 0

    @property
    def apipa(self) -> bool:
        """169.254.x.x: Windows' own address for an adapter that got no DHCP lease."""
        return is_apipa(self.address)

    @property
    def usable(self) -> bool:
        return not self.apipa and self.status not in ("duplicate", "tentative")


@dataclass
class Adapter:
    """An adapter section of `ipconfig /all`."""

    name: str  # "br-int", "vEthernet (Ethernet0)", "Ethernet 2"
    title: str  # the whole section title, e.g. "Ethernet adapter br-int"
    line: int  # line of the title
    description: str | None = None
    mac: str | None = None  # "00-50-56-8E-2A-11"
    dhcp: bool | None = None  # DHCP Enabled
    media_disconnected: bool = False
    ipv4: list[Ipv4] = field(default_factory=list)
    gateways: list[str] = field(default_factory=list)
    dhcp_server: str | None = None
    lease_obtained: str | None = None
    props: dict[str, str] = field(default_factory=dict)  # every property as printed (label -> value)

    @property
    def usable_ipv4(self) -> list[Ipv4]:
        return [a for a in self.ipv4 if a.usable]

    @property
    def apipa(self) -> list[Ipv4]:
        return [a for a in self.ipv4 if a.apipa]

    @property
    def virtual(self) -> bool:
        return is_virtual_adapter(self.name, self.description)

    def has_ip(self, ip: str) -> bool:
        return any(a.address == ip for a in self.ipv4)


@dataclass
class Ipconfig:
    """An `ipconfig /all` output: the host name and its adapters."""

    host_name: str | None = None
    adapters: list[Adapter] = field(default_factory=list)
    source: str = ""  # the artifact it was read from (set by diagnose.rules.evidence, for evidence lines)

    def adapter(self, name: str) -> Adapter | None:
        return next((a for a in self.adapters if a.name == name), None)


def parse(text: str) -> Ipconfig:
    lines = (text or "")[:_MAX_TEXT].splitlines()
    # In a paste whose indentation survived, properties are indented and titles are not; in one
    # a chat flattened, a title is told by its words ("adapter", "Carte").
    flattened = not any(ln[:1] in (" ", "\t") and ":" in ln for ln in lines)
    out = Ipconfig()
    current: Adapter | None = None
    last: tuple[str, str] | None = None  # (role, label) of the property that may continue
    for i, raw in enumerate(lines, 1):
        line = raw.rstrip()
        if not line.strip() or len(line) > _MAX_LINE:
            continue
        if _is_section(line, flattened):
            current, last = _section(line, i), None
            out.adapters.append(current)
            continue
        colon = line.find(":")
        m = _PROP.match(line) if 0 < colon <= _MAX_LABEL else None
        if m and any(c.isalpha() for c in m["key"]) and not (m["indent"] and len(m["indent"]) > 12):
            key, value = m["key"].strip(), (m["value"] or "").strip()
            if current is None:
                if not out.host_name and _host_label(key) and value:
                    out.host_name = value
                last = None
                continue
            current.props[key] = value
            last = (_add(current, key, value, i), key)
        elif current is not None and last is not None:
            value = line.strip()
            current.props[last[1]] += " " + value
            _continue(current, last[0], value, i)
    return out


def _is_section(line: str, flattened: bool) -> bool:
    if line[:1].isspace() or not line.endswith(":") or re.search(r"\.\s*\.", line):
        return False
    return not flattened or _SECTION_WORDS.search(line) is not None


def _section(line: str, number: int) -> Adapter:
    title = line[:-1].strip()
    m = _SECTION.match(line)
    name = m["name"] if m else title
    return Adapter(name=name, title=title, line=number)


def _host_label(key: str) -> bool:
    k = key.lower()
    return k in ("host name", "hostname", "nom de l’hôte", "nom de l'hôte", "ホスト名", "主机名", "nombre de host")


def _add(adapter: Adapter, key: str, value: str, number: int) -> str:
    """File one property of an adapter; returns its role (for continuation lines)."""
    k = key.lower()
    address = _ADDRESS.match(value)
    if "ipv6" in k or "dhcpv6" in k:
        return "other"
    if any(w in k for w in _GATEWAY):
        adapter.gateways.extend(v for v in [_strip_status(value)] if v)
        return "gateway"
    if "dhcp" in k:
        word = value.lower()
        if word in _YES or word in _NO:
            adapter.dhcp = word in _YES
        elif address:
            adapter.dhcp_server = address["ip"]
        return "other"
    if (
        address
        and (any(w in k for w in _ADDRESS_LABEL) or address["ip"].startswith("169.254."))
        and "dns" not in k
        and "wins" not in k
    ):
        adapter.ipv4.append(
            Ipv4(
                address["ip"], status=_status(address["status"]), autoconfigured=any(w in k for w in _AUTO), line=number
            )
        )
        return "address"
    if address and _is_mask(address["ip"]) and adapter.ipv4 and adapter.ipv4[-1].mask is None:
        adapter.ipv4[-1].mask = address["ip"]
        return "other"
    if mac(value) and adapter.mac is None:
        adapter.mac = mac(value)
        return "other"
    if any(w in k for w in _MEDIA):
        adapter.media_disconnected = True  # ipconfig prints a media state only when it is disconnected
        return "other"
    if any(w in k for w in _DESCRIPTION) and adapter.description is None:
        adapter.description = value
        return "other"
    if any(w in k for w in _LEASE) and adapter.lease_obtained is None:
        adapter.lease_obtained = value or None
    return "other"


def _continue(adapter: Adapter, role: str, value: str, number: int) -> None:
    if role == "gateway":
        adapter.gateways.append(_strip_status(value))
    elif role == "address" and (address := _ADDRESS.match(value)):
        adapter.ipv4.append(Ipv4(address["ip"], status=_status(address["status"]), line=number))


def _strip_status(value: str) -> str:
    return re.sub(r"\s*\([^()]*\)\s*$", "", value).strip()


def _status(word: str | None) -> str | None:
    if not word:
        return None
    w = word.strip().lower()
    for name, words in _STATUS.items():
        if w in words:
            return name
    return w


def _is_mask(ip: str) -> bool:
    try:
        bits = "".join(f"{int(part):08b}" for part in ip.split("."))
    except ValueError:
        return False
    return ip.startswith("255.") and "01" not in bits
