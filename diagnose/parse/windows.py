"""Windows Node network commands: `ipconfig /all`, `route print`, `Get-NetAdapter`.

An antctl Windows agent bundle holds them as `ipconfig`, `routes` and `network-adapters`
(antrea-reference.md §1.3); users paste them too, often as UTF-16 (the reader transcodes).
This module recognises them; the parsers that read them live next to the sniffers.
"""

from __future__ import annotations

import re

from diagnose.parse.shell import split_prompt

_IPCONFIG = re.compile(r"^Windows IP Configuration\s*$", re.M)
_ROUTE_PRINT = re.compile(r"^(?:IPv4 Route Table|Interface List|Active Routes:)\s*$", re.M)
_ADAPTER_TABLE = re.compile(r"^Name\s+InterfaceDescription\s+ifIndex\s+Status", re.M)
_ADAPTER_LIST = re.compile(r"^(?:InterfaceDescription|ifIndex|MacAddress|LinkSpeed|MediaConnectionState)\s+: ", re.M)


def sniff_ipconfig(head: str) -> bool:
    _, body = split_prompt(head or "")
    return _IPCONFIG.search(body[:4096]) is not None


def sniff_route_print(head: str) -> bool:
    _, body = split_prompt(head or "")
    return len(set(_ROUTE_PRINT.findall(body[:16384]))) >= 2


def sniff_adapters(head: str) -> bool:
    _, body = split_prompt(head or "")
    return _ADAPTER_TABLE.search(body[:4096]) is not None or len(_ADAPTER_LIST.findall(body[:8192])) >= 3
