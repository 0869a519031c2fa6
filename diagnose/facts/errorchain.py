"""Decode a Go error chain into its innermost cause, and name the component it comes from.

Antrea wraps errors as they climb: `Error running agent: error initializing agent: failed to
initialize iptables: error executing iptables-restore: exit status 1: iptables-restore: line 5
failed`. The outer parts name the phase, the inner ones the cause. `decode` splits the chain,
finds the innermost part that still says what failed, and names the component and root-cause
category: from the message catalogue generated from Antrea's source (`diagnose.facts.messages`,
package -> category) where a part matches an Antrea message, else from the words of the chain
(innermost first) against the table below, whose words are those of Antrea's and its
dependencies' messages (iptables, OVS, HNS, WireGuard, client-go...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diagnose.facts import apierrors

GENERIC = "agent-crash"  # the catalogue's category for messages that name no specific area

# (category, what it points at, words), tried on each part from the innermost outwards.
_AREAS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (category, area, re.compile(words))
    for category, area, words in (
        (
            "iptables-lock",
            "the xtables lock (another iptables writer)",
            r"xtables lock|holding the xtables|Resource temporarily unavailable",
        ),
        (
            "netfilter-feature",
            "a netfilter target or match missing from the kernel",
            r"Couldn't load (?:target|match)|No chain/target/match by that name"
            r"|Extension \S+ revision \d+ not supported",
        ),
        ("windows-hns", "Windows HNS (the host network service)", r"hnsCall|\bHNS\b|[Hh]nsNetwork|vEthernet|\bhcn\b"),
        ("wireguard", "WireGuard", r"[Ww]ire[Gg]uard|\bwg0\b|wgctrl"),
        ("ipsec", "IPsec", r"[Ii][Pp]sec|strongswan|charon|\bPSK\b"),
        ("multicast", "Multicast", r"[Mm]ulticast|\bIGMP\b|mroute"),
        ("egress", "Egress", r"\b[Ee]gress\b|memberlist|ExternalIPPool"),
        ("nodeportlocal", "NodePortLocal", r"NodePortLocal|nodeportlocal|\bNPL\b"),
        (
            "secondary-network-uplink",
            "the SecondaryNetwork OVS bridge",
            r"[Ss]econdary network|secondary OVS bridge|SecondaryNetwork|NetworkAttachmentDefinition",
        ),
        ("kernel-module", "a kernel module", r"modprobe|kernel module|[Mm]odule \S+ not found"),
        ("iptables-backend", "iptables on the Node", r"ip6?tables|\bipset\b|xtables|nftables|can't initialize ip"),
        (
            "ovs-datapath-feature",
            "a feature of the OVS kernel datapath",
            r"DP feature|datapath feature|conntrack zone|\bct_zone\b|\bct_nat\b|[Cc]onntrack is not supported",
        ),
        (
            "ovs-not-running",
            "Open vSwitch (OVSDB / ovs-vswitchd)",
            r"OVSDB|ovsdb|db\.sock|OpenFlow|openflow|ofctrl|\.mgmt\b|ovs-vswitchd|OVS bridge|datapath ID",
        ),
        ("tls-certificate", "certificates (TLS, CA bundle)", r"x509|certificate|\btls: "),
        (
            "controller-unreachable",
            "the connection to antrea-controller",
            r"antrea-controller|[Aa]ntrea [Ss]ervice|controlplane\.antrea\.io",
        ),
        ("podcidr-not-allocated", "the Node's PodCIDR", r"PodCIDR|CIDR string is empty"),
        ("ipam", "IP address management", r"\bIPAM\b|IP ?[Pp]ool|no IP addresses available|ipallocator"),
        ("cni", "the CNI server (Pod network setup)", r"\bCNI\b|cniserver|cni\.sock|network namespace|\bnetns\b"),
        ("mtu", "the MTU", r"\bMTU\b"),
        ("tunnel", "the tunnel port", r"[Tt]unnel"),
        (
            "host-network-config",
            "the Node's host network (routes, interfaces)",
            r"\broute\b|\broutes\b|netlink|[Ll]ink \S+ not found|[Ii]nterface \S+ not found|gateway interface",
        ),
        (
            # client-go's text for a 404 on an API group/resource: the CRDs (or the APIService) of
            # this Antrea release are not installed, or are older than the image.
            "agent-config",
            "an Antrea API the API server does not serve (CRDs or APIService missing or older than the image)",
            r"the server could not find the requested resource|no matches for kind",
        ),
        (
            "agent-config",
            "the component's configuration",
            r"Failed to (?:validate|complete)|[Ff]eature gate|unknown field|must be set|cannot be (?:empty|used)|"
            r"invalid (?:config|option|value|flag)",
        ),
    )
)
# The part of a chain that says what failed starts like this.
_CAUSE_START = re.compile(
    r"^(?:failed|error|unable|cannot|can't|could not|couldn't|invalid|no |not |unknown|"
    r"missing|timed out|timeout)",
    re.I,
)
_OUTER = re.compile(
    r"^(?:Error running (?:agent|controller)|error initializing agent|"
    r"Failed to (?:complete|validate))$"
)


@dataclass
class Chain:
    """An error message split into the errors it wraps, with the innermost one and what it points at."""

    parts: list[str]
    innermost: str  # the innermost part that says what failed, with what it wraps
    category: str | None  # taxonomy id, None when nothing says
    area: str = ""  # what it points at, for a person
    source: str = ""  # the Antrea source of the innermost matched message (file:line, package)
    url: str = ""  # a link to that line at the closest release


def split(text: str) -> list[str]:
    """The parts of `a: b: c`, not splitting inside quotes or URLs (`https://`)."""
    parts: list[str] = []
    depth_quote = False
    current: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            depth_quote = not depth_quote
        if not depth_quote and text.startswith(": ", i):
            parts.append("".join(current).strip())
            current = []
            i += 2
            continue
        current.append(c)
        i += 1
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def decode(text: str, version: str | None = None) -> Chain:
    parts = split(text[:4000])
    inner = [p for p in parts if not _OUTER.match(p)] or parts
    start = 0
    for i, part in enumerate(inner):
        if _CAUSE_START.match(part):
            start = i
    innermost = ": ".join(inner[start:])
    chain = Chain(parts, innermost, None)
    _name(chain, inner, text, version)
    return chain


# Categories of a feature: a configuration error that names the feature is that feature's problem.
_FEATURES = frozenset(
    {"secondary-network-uplink", "wireguard", "ipsec", "multicast", "egress", "nodeportlocal", "windows-hns"}
)


def _name(chain: Chain, parts: list[str], text: str, version: str | None) -> None:
    found = _catalogued(text, version)
    if found is not None:
        chain.category, chain.area, chain.source, chain.url = found
        if chain.category == "agent-config":
            feature = _by_words(parts, _FEATURES)
            if feature is not None:
                chain.category, chain.area = feature
        return
    if apierrors.is_api_failure(": ".join(parts)):
        chain.category, chain.area = "apiserver-unreachable", "the Kubernetes API server"
        return
    found_words = _by_words(parts)
    if found_words is not None:
        chain.category, chain.area = found_words


def _by_words(parts: list[str], only: frozenset[str] | None = None) -> tuple[str, str] | None:
    for part in reversed(parts):
        for category, area, words in _AREAS:
            if (only is None or category in only) and words.search(part):
                return category, area
    return None


def _catalogued(text: str, version: str | None) -> tuple[str, str, str, str] | None:
    """(category, component, source, link) of the innermost Antrea message of the chain that
    names a specific area. When the innermost Antrea message is only a generic wrapper (the text
    it wraps comes from iptables, HNS, the kernel...), None: the words decide."""
    from diagnose.facts import messages

    try:
        found = messages.innermost(text, version)
    except messages.CatalogueError:
        return None
    if not found or found[-1].category == GENERIC:
        return None
    inner = found[-1]
    return inner.category, inner.component, f"{inner.source} ({inner.package})", inner.url(version)


def message_format(text: str) -> str:
    """The format Antrea printed a message with (the catalogue's), else the message with its
    variable parts masked: the key under which repeats of one error are counted together."""
    from diagnose.diagnosis import unexplained
    from diagnose.facts import messages

    found = messages.lookup(text[:2000])
    return found.format if found is not None else unexplained.template_of(text)
