"""Windows host outputs: `ipconfig /all`, `route print`, `Get-NetAdapter` (diagnose.parse.win*).

The samples in data/windows are the shapes a Windows Node gives: the antctl bundle's capture
(`powershell.exe <command>`, CRLF), Windows Server 2019/2022 with Antrea's br-int/antrea-gw0 and
Hyper-V's vEthernet adapters, German/French/Japanese Windows, and pastes that lost their alignment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnose.parse import winadapters, windows, winipconfig, winroutes

DATA = Path(__file__).parent / "data" / "windows"
OTHER = Path(__file__).parent / "data"


def ipconfig(name: str) -> winipconfig.Ipconfig:
    return winipconfig.parse((DATA / name).read_text())


def addresses(cfg: winipconfig.Ipconfig) -> dict[str, list[tuple[str, str | None, str | None, bool]]]:
    return {a.name: [(ip.address, ip.mask, ip.status, ip.autoconfigured) for ip in a.ipv4] for a in cfg.adapters}


def test_bundle_capture_of_a_healthy_ws2019_node():
    cfg = ipconfig("ipconfig.ws2019.bundle.txt")
    assert (DATA / "ipconfig.ws2019.bundle.txt").read_bytes().count(b"\r\n") > 50  # the bundle's CRLF
    assert cfg.host_name == "win-worker-1"
    assert addresses(cfg) == {
        "vEthernet (HNS Internal NIC)": [("169.254.91.110", "255.255.0.0", "preferred", True)],
        "vEthernet (nat)": [("172.25.176.1", "255.255.240.0", "preferred", False)],
        "br-int": [("192.168.77.104", "255.255.255.0", "preferred", False)],
        "antrea-gw0": [("10.10.2.1", "255.255.255.0", "preferred", False)],
    }
    br_int = cfg.adapter("br-int")
    assert br_int is not None
    assert (br_int.mac, br_int.dhcp, br_int.dhcp_server, br_int.gateways) == (
        "00-50-56-8E-2A-11",
        True,
        "192.168.77.2",
        ["192.168.77.1"],
    )
    assert br_int.lease_obtained == "Tuesday, April 8, 2025 7:58:12 AM"
    assert br_int.virtual and br_int.usable_ipv4 and not br_int.apipa
    assert cfg.adapter("vEthernet (HNS Internal NIC)").apipa  # normal for kube-proxy's internal vNIC


def test_ws2022_vnic_without_lease_and_a_disconnected_nic():
    cfg = ipconfig("ipconfig.ws2022.apipa.txt")  # starts with the PowerShell prompt line
    vnic, spare = cfg.adapters
    assert vnic.name == "vEthernet (Ethernet 2)" and vnic.line == 11
    assert [ip.address for ip in vnic.apipa] == ["169.254.211.37"] and vnic.usable_ipv4 == []
    assert vnic.apipa[0].line == 19  # evidence points at the line in the user's file
    assert spare.name == "Ethernet 3" and spare.media_disconnected and spare.ipv4 == []
    assert not spare.virtual  # "Microsoft Hyper-V Network Adapter" is a VM's NIC, not a vSwitch vNIC


@pytest.mark.parametrize(
    "name,expected",
    [
        (
            "ipconfig.de.txt",
            {
                "vEthernet (HNS Internal NIC)": [("169.254.10.33", "255.255.0.0", "preferred", True)],
                "br-int": [("169.254.88.14", "255.255.0.0", "preferred", True)],
                "antrea-gw0": [("10.10.3.1", "255.255.255.0", "preferred", False)],
            },
        ),
        (
            "ipconfig.fr.txt",
            {
                "br-int": [("192.168.77.108", "255.255.255.0", "preferred", False)],
                "antrea-gw0": [("10.10.4.1", "255.255.255.0", "preferred", False)],
            },
        ),
        ("ipconfig.ja.txt", {"vEthernet (Ethernet0)": [("169.254.20.7", "255.255.0.0", "preferred", True)]}),
    ],
    ids=["german", "french", "japanese"],
)
def test_localised_windows(name, expected):
    cfg = ipconfig(name)
    assert addresses(cfg) == expected
    assert all(a.mac for a in cfg.adapters) and all(a.description for a in cfg.adapters)
    assert windows.sniff_ipconfig((DATA / name).read_text())


def test_localised_yes_no_and_gateways():
    de, fr, ja = ipconfig("ipconfig.de.txt"), ipconfig("ipconfig.fr.txt"), ipconfig("ipconfig.ja.txt")
    assert [a.dhcp for a in de.adapters] == [True, True, False]
    assert fr.adapter("br-int").dhcp is False
    assert fr.adapter("br-int").gateways == ["fe80::1%9", "192.168.77.1"]  # continued on the next line
    assert ja.adapters[0].dhcp is True and ja.host_name == "win-worker-3"


def test_flattened_paste_keeps_sections_and_the_duplicate():
    cfg = ipconfig("ipconfig.flattened.txt")
    assert addresses(cfg) == {
        "br-int": [
            ("192.168.77.110", "255.255.255.0", "duplicate", False),
            ("169.254.37.201", "255.255.0.0", "preferred", True),
        ],
        "antrea-gw0": [("10.10.5.1", "255.255.255.0", "preferred", False)],
    }
    assert cfg.adapter("br-int").usable_ipv4 == []  # a duplicate is not an address the Node can use


def test_routes_of_the_bundle():
    rp = winroutes.parse((DATA / "route-print.ws2019.bundle.txt").read_text())
    assert len(rp.routes) == 23 and [r.text for r in rp.defaults()] == [
        "0.0.0.0/0 via 192.168.77.1 on interface 192.168.77.104"
    ]
    assert [r.text for r in rp.persistent] == ["0.0.0.0/0 via 192.168.77.1"] and rp.persistent[0].metric is None
    on_link = next(r for r in rp.routes if r.destination == "10.10.2.0")
    assert (on_link.gateway, on_link.prefix, on_link.metric) == (None, "10.10.2.0/24", 271)
    assert [(i.index, i.mac) for i in rp.interfaces[:2]] == [(12, "7A-1D-3C-55-90-0E"), (9, "00-50-56-8E-2A-11")]
    assert rp.interfaces[-1].description == "Microsoft ISATAP Adapter #2" and rp.interfaces[-1].mac is None
    assert "192.168.77.104" in rp.interface_addresses


def test_routes_in_german_and_with_a_blank_line_inside_the_table():
    de = winroutes.parse((DATA / "route-print.de.txt").read_text())
    assert len(de.routes) == 9 and all(r.gateway is None for r in de.routes)  # "Auf Verbindung"
    assert de.defaults() == [] and de.persistent == []
    cut = winroutes.parse((DATA / "route-print.no-default.txt").read_text())
    assert len(cut.routes) == 8 and cut.defaults() == []
    assert [r.text for r in cut.persistent] == ["0.0.0.0/0 via 10.240.0.1"]


def test_a_default_route_over_an_apipa_address_does_not_count():
    rp = winroutes.parse("  0.0.0.0  0.0.0.0  169.254.0.1  169.254.3.4  25\n")
    assert rp.routes and rp.defaults() == []


def adapters(name: str) -> winadapters.Adapters:
    return winadapters.parse((DATA / name).read_text())


def test_adapter_table_of_the_bundle_with_a_cut_name():
    table = adapters("get-netadapter.ws2019.bundle.txt")
    assert [(a.name, a.if_index, a.status, a.mac) for a in table.adapters] == [
        ("antrea-gw0", 12, "Up", "7A-1D-3C-55-90-0E"),
        ("br-int", 9, "Up", "00-50-56-8E-2A-11"),
        ("vEthernet (HNS Intern...", 15, "Up", "00-15-5D-A8-C1-70"),
        ("vEthernet (nat)", 7, "Up", "00-15-5D-A8-C1-6E"),
        ("Ethernet0", 6, "Up", "00-50-56-8E-2A-11"),
    ]
    assert table.named("vEthernet (HNS Internal NIC)").if_index == 15  # PowerShell cut the name at 25 columns
    assert table.named("vEthernet (HNS Other)") is None and table.named("vEthernet") is None
    assert table.named("br-int").is_virtual and not table.named("Ethernet0").is_virtual
    assert table.adapters[4].description == "vmxnet3 Ethernet Adapter" and table.adapters[4].link_speed == "10 Gbps"


def test_adapter_states_cut_descriptions_and_flattened_rows():
    disabled = adapters("get-netadapter.uplink-disabled.txt").named("Ethernet0")
    assert disabled.status == "Disabled" and disabled.description == "Intel(R) Ethernet Connection (7) I2..."
    flat = adapters("get-netadapter.flattened.txt")
    assert [(a.name, a.description, a.status) for a in flat.adapters] == [
        ("vEthernet (nat)", "Hyper-V Virtual Ethernet Adapter", "Up"),
        ("br-int", "Hyper-V Virtual Ethernet Adapter #2", "Up"),
        ("Ethernet0", "vmxnet3 Ethernet Adapter", "Disconnected"),
    ]
    ws2022 = adapters("get-netadapter.ws2022.txt")
    assert ws2022.named("Ethernet 3").status == "Disconnected" and ws2022.named("Ethernet 2").line == 7


def test_format_list_gives_the_status_the_table_would_show():
    listed = adapters("get-netadapter.list.txt")
    assert [(a.name, a.status, a.media_state, a.if_index) for a in listed.adapters] == [
        ("Ethernet0", "Disconnected", "Disconnected", 6),
        ("br-int", "Up", "Connected", 9),
    ]
    down = winadapters.parse(
        "Name        : Ethernet0\nStatus      : Disabled\nVirtual     : False\nMacAddress  : 00-50-56-8E-2A-11\n"
    )
    assert down.adapters[0].status == "Disabled" and down.adapters[0].virtual is False


SNIFF = {
    "ipconfig": windows.sniff_ipconfig,
    "route-print": windows.sniff_route_print,
    "get-netadapter": windows.sniff_adapters,
}


@pytest.mark.parametrize("path", sorted(DATA.iterdir()), ids=lambda p: p.name)
def test_each_sample_is_recognised_as_its_own_kind_only(path):
    text = path.read_text()
    said = {kind for kind, sniff in SNIFF.items() if sniff(text)}
    assert said == {path.name.split(".")[0]}


@pytest.mark.parametrize("path", sorted(p for p in OTHER.iterdir() if p.is_file()), ids=lambda p: p.name)
def test_linux_and_ovs_outputs_are_none_of_them(path):
    text = path.read_text(errors="replace")
    assert not any(sniff(text) for sniff in SNIFF.values())


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ":" * 1000,
        "Ethernet adapter x:\n" * 5000,
        " . . . : 1.2.3.4\n" * 5000,
        "0.0.0.0 0.0.0.0 " * 1000,
        "\x00\xff",
        "1...." * 1000,
        "Name InterfaceDescription ifIndex Status\n" + "a 1 Up\n" * 999,
    ],
    ids=lambda g: f"{len(g)}-chars",
)
def test_garbage_never_raises(garbage):
    winipconfig.parse(garbage)
    winroutes.parse(garbage)
    winadapters.parse(garbage)
    for sniff in SNIFF.values():
        sniff(garbage)


KIND = {"ipconfig": "win-ipconfig", "route-print": "win-routes", "get-netadapter": "win-adapters"}


@pytest.mark.parametrize("path", sorted(DATA.iterdir()), ids=lambda p: p.name)
def test_the_registry_classifies_each_sample_by_content(path):
    from diagnose.bundle import classify

    assert classify.classify("attachment-3", path.read_bytes()[:65536]) == KIND[path.name.split(".")[0]]
