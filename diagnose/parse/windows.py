"""Windows Node network commands: `ipconfig /all`, `route print`, `Get-NetAdapter`.

An antctl Windows agent bundle holds them as `ipconfig`, `routes` and `network-adapters`
(antrea-io/antrea pkg/support/dump_windows.go: `powershell.exe <command>` with its combined output, CRLF line ends);
users paste them too, often as UTF-16 (the reader transcodes) and sometimes from a localised
Windows. This module recognises them and holds what their parsers share; the parsers are
`winipconfig`, `winroutes` and `winadapters`.

The sniffers look at the shape of each output, not only at its English titles: `ipconfig` has
its dotted ``Key . . . . : value`` leaders in every language, `route print` its `====` rules and
five-column IPv4 rows, `Get-NetAdapter` its fixed column names (PowerShell does not translate
property names).
"""

from __future__ import annotations

import ipaddress
import re

from diagnose.parse.shell import split_prompt

IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(?:[-: ][0-9A-Fa-f]{2}){5}$")
APIPA = ipaddress.ip_network("169.254.0.0/16")

_IPCONFIG = re.compile(
    r"^(?:Windows IP Configuration|Windows-IP-Konfiguration|Configuration IP de Windows|"
    r"Configuración IP de Windows|Windows IP 構成|Windows IP 配置)\s*$",
    re.M,
)
# `   IPv4 Address. . . . . . . . . . . : 10.0.0.5(Preferred)`: the dotted leader of ipconfig.
_DOTTED = re.compile(r"^\s*\S[^:\n]{0,60}?(?: ?\.){2,}\s?:", re.M)
_ROUTE_PRINT = re.compile(r"^(?:IPv4 Route Table|Interface List|Active Routes:)\s*$", re.M)
_RULE = re.compile(r"^={40,}\s*$", re.M)
_ROUTE_ROW = re.compile(rf"^\s*{IPV4}\s+{IPV4}\s+\S.*?\s+{IPV4}\s+\S+\s*$", re.M)
_ADAPTER_TABLE = re.compile(r"^Name\s+InterfaceDescription\s+ifIndex\s+Status", re.M)
_ADAPTER_LIST = re.compile(r"^(?:InterfaceDescription|ifIndex|MacAddress|LinkSpeed|MediaConnectionState)\s+: ", re.M)


def sniff_ipconfig(head: str) -> bool:
    _, body = split_prompt(head or "")
    body = body[:8192]
    return _IPCONFIG.search(body) is not None or len(_DOTTED.findall(body)) >= 5


def sniff_route_print(head: str) -> bool:
    _, body = split_prompt(head or "")
    body = body[:16384]
    if len(set(_ROUTE_PRINT.findall(body))) >= 2:
        return True
    return len(_RULE.findall(body)) >= 2 and len(_ROUTE_ROW.findall(body)) >= 2


def sniff_adapters(head: str) -> bool:
    _, body = split_prompt(head or "")
    return _ADAPTER_TABLE.search(body[:4096]) is not None or len(_ADAPTER_LIST.findall(body[:8192])) >= 3


def mac(text: str | None) -> str | None:
    """A MAC address as Windows prints it in ipconfig and Get-NetAdapter: `00-50-56-8E-2A-11`."""
    text = (text or "").strip()
    if not _MAC.match(text):
        return None
    return "-".join(re.split(r"[-: ]", text)).upper()


def is_apipa(ip: str) -> bool:
    """An IPv4 link-local (APIPA) address: what Windows gives an adapter that got no DHCP lease."""
    try:
        return ipaddress.ip_address(ip) in APIPA
    except ValueError:
        return False


def is_virtual_adapter(name: str | None, description: str | None) -> bool:
    """A Hyper-V virtual adapter: a vSwitch's host vNIC (`vEthernet (...)`, renamed `br-int` by
    Antrea) or an OVS internal port (`antrea-gw0`); their description is Hyper-V's."""
    return (description or "").startswith("Hyper-V Virtual Ethernet Adapter") or (name or "").startswith("vEthernet (")
