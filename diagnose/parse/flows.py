"""Parser for ``ovs-ofctl dump-flows`` text (the bundle's ``flows`` file).

Antrea's bundle runs ``ovs-ofctl dump-flows br-int --names -O Openflow15``, trims the lines and
drops the ``OFPST_FLOW reply`` header; users paste the raw command output (leading space, header
kept, often OpenFlow 1.0 with ``idle_age``).  One flow, as printed by OVS
``ofputil_flow_stats_format()``::

    cookie=0x..., duration=377.321s, table=ARPSpoofGuard, n_packets=0, n_bytes=0,
    [idle_timeout=N, hard_timeout=N,] [send_flow_rem reset_counts ...] [importance=N,]
    [idle_age=N, hard_age=N,] [priority=N,]match actions=...

``priority`` is omitted when it is the default 32768, ``table`` when it is 0 without stats, and
``cookie`` when it is 0 without stats.  The match is kept as the comma-joined text after the
metadata (without ``priority``), the actions as the text after ``actions=``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from diagnose.parse.shell import split_prompt

OFP_DEFAULT_PRIORITY = 32768

_MAX_LINE = 1 << 20  # flows with huge conjunction/learn actions are long, but not megabytes
_MAX_FLOWS = 2_000_000

# Flow-mod flags printed as bare words (ofputil_flow_mod_flags_format).
_FLAG_WORDS = frozenset(
    {
        "send_flow_rem",
        "check_overlap",
        "reset_counts",
        "no_packet_counts",
        "no_byte_counts",
        "allow_hidden_fields",
        "no_readonly_table",
    }
)
# "actions=" at the start of the line or after a blank/comma (ovs-appctl bridge/dump-flows
# prints ",actions=").
_RE_ACTIONS = re.compile(r"(?:^|[\s,])actions=")
_RE_HEADER = re.compile(r"^(?:NXST|OFPST|ONFST)_FLOW reply\b")
_RE_SEP = re.compile(r"[,\s]+")
_RE_FIELDISH = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:\[\]-]{0,63}(?:=.*)?$")


@dataclass
class Flow:
    """An OpenFlow flow of `ovs-ofctl dump-flows`."""

    table: str  # name (with --names, e.g. "ServiceLB") or number, as printed; "0" if omitted
    priority: int | None
    cookie: str | None
    n_packets: int | None
    n_bytes: int | None
    match: str
    actions: str
    raw: str
    duration: float | None = None  # seconds
    idle_age: int | None = None
    hard_age: int | None = None
    idle_timeout: int | None = None
    hard_timeout: int | None = None
    flags: list[str] = field(default_factory=list)  # reset_counts, send_flow_rem...

    @property
    def match_fields(self) -> dict[str, str]:
        """The match as ``{field: value}`` (bare fields such as ``ip`` map to "")."""
        out: dict[str, str] = {}
        for tok in _split_fields(self.match):
            k, _, v = tok.partition("=")
            out[k] = v
        return out


def _split_fields(s: str) -> list[str]:
    """Split on commas/blanks outside quotes and parentheses (``packet_type=(0,0x800)``,
    ``in_port="a,b"``)."""
    if '"' not in s and "(" not in s:
        return [t for t in _RE_SEP.split(s) if t]  # the common case, without the char loop
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    quoted = False
    for c in s:
        if quoted:
            cur.append(c)
            if c == '"':
                quoted = False
            continue
        if c == '"':
            quoted = True
        elif c == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
        elif depth == 0 and (c == "," or c.isspace()):
            if cur:
                out.append("".join(cur))
                cur = []
            continue
        cur.append(c)
    if cur:
        out.append("".join(cur))
    return out


def _int(s: str) -> int | None:
    try:
        return int(s, 0)
    except ValueError:
        return None


def _seconds(val: str) -> float | None:
    try:
        return float(val.rstrip("s"))
    except ValueError:
        return None


# Flow metadata keys -> (Flow attribute, converter); `table_id` is the appctl spelling.
_META: dict[str, tuple[str | None, Callable[[str], object] | None]] = {
    "cookie": ("cookie", str),
    "table": ("table", str),
    "table_id": ("table", str),
    "priority": ("priority", _int),
    "n_packets": ("n_packets", _int),
    "n_bytes": ("n_bytes", _int),
    "duration": ("duration", _seconds),
    "idle_age": ("idle_age", _int),
    "hard_age": ("hard_age", _int),
    "idle_timeout": ("idle_timeout", _int),
    "hard_timeout": ("hard_timeout", _int),
    "importance": (None, None),  # metadata, not a match field, but not kept
}


def parse_flow_line(line: str) -> Flow | None:
    """Parse one flow line; None for headers and anything that is not a flow."""
    raw = line.rstrip("\r\n")
    s = raw.strip()
    if not s or len(s) > _MAX_LINE or _RE_HEADER.match(s):
        return None
    m = _RE_ACTIONS.search(s)
    if m is None:
        return None
    left = s[: m.start()]
    actions = s[m.end() :].strip()
    flow = Flow(
        table="0",
        priority=None,
        cookie=None,
        n_packets=None,
        n_bytes=None,
        match="",
        actions=actions,
        raw=raw,
    )
    match_toks: list[str] = []
    saw_meta = False
    for tok in _split_fields(left):
        key, eq, val = tok.partition("=")
        if not eq:
            if tok in _FLAG_WORDS:
                flow.flags.append(tok)
            else:
                match_toks.append(tok)
            continue
        if key not in _META:
            match_toks.append(tok)
            continue
        saw_meta = True
        field, convert = _META[key]
        if field is not None and convert is not None:
            setattr(flow, field, convert(val))
    if not saw_meta:
        # "--no-stats" output of a table-0, default-priority flow has no metadata at all; accept
        # it only when every token looks like a match field (groups/ports lines do not).
        if not match_toks or match_toks[0].startswith(("group_id=", "bucket")):
            return None
        if not all(_RE_FIELDISH.match(t) for t in match_toks):
            return None
    if flow.priority is None:
        flow.priority = OFP_DEFAULT_PRIORITY  # OVS omits priority=32768
    flow.match = ",".join(match_toks)
    return flow


def parse_flows(text: str) -> list[Flow]:
    """Parse ``ovs-ofctl dump-flows`` output (with or without header); never raises."""
    flows: list[Flow] = []
    if not text:
        return flows
    _, text = split_prompt(text)
    for line in text.splitlines():
        f = parse_flow_line(line)
        if f is not None:
            flows.append(f)
            if len(flows) >= _MAX_FLOWS:
                break
    return flows


_RE_SNIFF = re.compile(r"^\s?(?:cookie=0x[0-9a-fA-F]+, |duration=[0-9.]+s, |table=[^,\s]+, |priority=\d+)")


def sniff(head: str) -> bool:
    """True if ``head`` (the first few KB of a file) is ``ovs-ofctl dump-flows`` output."""
    if not head:
        return False
    _, head = split_prompt(head)
    good = bad = 0
    lines = head.splitlines()
    for i, line in enumerate(lines[:40]):
        if not line.strip():
            continue
        if _RE_HEADER.match(line.strip()):
            good += 1
        elif _RE_SNIFF.match(line) and ("actions=" in line or i == len(lines) - 1):
            good += 1  # the last line of a cut head may have lost its actions
        else:
            bad += 1
    return good >= 1 and good >= bad
