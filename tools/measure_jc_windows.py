"""Compare jc's Windows parsers with the tool's own on the sample outputs of tests/parse/data/windows.

    pip install jc && python tools/measure_jc_windows.py

For each `ipconfig /all` sample: the adapters found and the (adapter, IPv4 address) pairs read,
and whether the 169.254 address the lease rule looks for was seen; for each `route print`
sample: the active IPv4 routes and default routes read, or the exception jc raised. The tool's
parsers (diagnose.parse.winipconfig, winroutes) are the reference the samples were checked by
hand against. This is why those modules are hand-written (see their docstrings).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "parse" / "data" / "windows"


def ipconfig_row(path: Path) -> str:
    import jc

    from diagnose.parse import winipconfig

    text = path.read_text()
    ours = winipconfig.parse(text)
    want = {(a.name, ip.address) for a in ours.adapters for ip in a.ipv4}
    apipa = {ip.address for a in ours.adapters for ip in a.apipa}
    try:
        got = jc.parse("ipconfig", text, quiet=True)
        pairs = {(a["name"], ip["address"]) for a in got.get("adapters", []) for ip in a.get("ipv4_addresses", [])}
        seen = {ip for _, ip in pairs if ip.startswith("169.254.")}
        jc_text = (
            f"{len(got.get('adapters', []))} adapters, {len(pairs & want)}/{len(want)} addresses, "
            f"APIPA {len(seen & apipa)}/{len(apipa)}"
        )
    except Exception as e:  # noqa: BLE001 - what jc raises is the measurement
        jc_text = f"raised {type(e).__name__}: {e}"
    return f"| {path.name} | {jc_text} | {len(ours.adapters)} adapters, {len(want)} addresses, APIPA {len(apipa)} |"


def route_row(path: Path) -> str:
    import jc

    from diagnose.parse import winroutes

    text = path.read_text()
    ours = winroutes.parse(text)
    try:
        got = jc.parse("route_print", text, quiet=True)
        active = got.get("ipv4_route_table", {}).get("active_routes", [])
        defaults = [r for r in active if r["network_destination"] == "0.0.0.0" and r["netmask"] == "0.0.0.0"]
        jc_text = f"{len(active)} routes, {len(defaults)} default"
    except Exception as e:  # noqa: BLE001
        jc_text = f"raised {type(e).__name__}: {e}"
    return f"| {path.name} | {jc_text} | {len(ours.routes)} routes, {len(ours.defaults())} default |"


def main() -> None:
    print("| sample | jc | diagnose.parse |\n|---|---|---|")
    for path in sorted(DATA.glob("ipconfig*")):
        print(ipconfig_row(path))
    for path in sorted(DATA.glob("route-print*")):
        print(route_row(path))


if __name__ == "__main__":
    main()
