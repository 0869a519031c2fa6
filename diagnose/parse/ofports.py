"""OpenFlow port numbers from ``ovs-ofctl dump-ports-desc`` (the bundle's ``ovsports``) or ``show``.

Each port starts with `` <ofport>(<name>): addr:<mac>`` followed by indented ``config:``/
``state:``/``speed:`` lines (OVS ``ofputil_port_desc`` text); ``show`` and a pasted
``dump-ports-desc`` keep their ``OFPST_PORT_DESC reply`` / ``OFPT_FEATURES_REPLY`` header, the
bundle drops it. The local port is ``LOCAL(br-int)``.
"""

from __future__ import annotations

import re

from diagnose.parse.shell import split_prompt

_PORT = re.compile(r"^ {0,4}(\d{1,10}|LOCAL)\(([^()\s]{1,64})\): addr:([0-9a-fA-F:]{11,17})")
_HEADER = re.compile(r"^(?:OFPST_PORT_DESC reply|OFPT_FEATURES_REPLY)\b")
_DETAIL = re.compile(r"^ {3,}(?:config|state|speed|current|advertised|supported|peer): ")
_MAX_PORTS = 100_000


def parse_ports(text: str) -> dict[str, int]:
    """{port name: ofport}; the LOCAL port is left out (it has no number of its own here)."""
    out: dict[str, int] = {}
    _, body = split_prompt(text)
    for line in body.splitlines():
        m = _PORT.match(line)
        if m and m[1] != "LOCAL":
            out[m[2]] = int(m[1])
            if len(out) >= _MAX_PORTS:
                break
    return out


def port_macs(text: str) -> dict[str, str]:
    """{port name: MAC address} of every port (the LOCAL port under its bridge name), lower case."""
    out: dict[str, str] = {}
    _, body = split_prompt(text)
    for line in body.splitlines():
        m = _PORT.match(line)
        if m:
            out[m[2]] = m[3].lower()
            if len(out) >= _MAX_PORTS:
                break
    return out


def sniff(head: str) -> bool:
    """True when `head` is port-description output (with or without its header)."""
    _, body = split_prompt(head)
    lines = [ln for ln in body.splitlines()[:40] if ln.strip()]
    if not lines:
        return False
    ports = sum(1 for ln in lines if _PORT.match(ln))
    details = sum(1 for ln in lines if _DETAIL.match(ln))
    if _HEADER.match(lines[0].strip()):
        return True
    return ports >= 1 and ports + details >= 0.8 * len(lines)
