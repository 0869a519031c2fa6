"""Windows `Get-HNSNetwork` output (PowerShell list format)."""

from pathlib import Path

import pytest

from diagnose.parse import hns

DATA = Path(__file__).parent / "data"
FIX = Path(__file__).parents[1] / "rules" / "fixtures" / "windows_hns_network_broken"


def test_antrea_network_and_its_extensions():
    text = (FIX / "fires-pasted-ovs-extension-disabled" / "Get-HNSNetwork.win-node-2.txt").read_text()
    [net] = hns.parse_networks(text)
    assert (net.name, net.type, net.adapter, net.subnets) == (
        "antrea-hnsnetwork",
        "Transparent",
        "Ethernet0",
        ["10.244.4.0/24"],
    )
    assert net.extension_enabled(hns.OVS_EXTENSION) is False
    assert net.extensions["Microsoft NDIS Capture"] is True
    assert hns.sniff(text)


def test_crlf_bundle_file_with_a_continued_value():
    text = (
        "Name                   : nat\r\n"
        "Extensions             : {@{Id=1; IsEnabled=True; Name=A},\r\n"
        "                         @{Id=2; IsEnabled=True; Name=Open vSwitch Extension}}\r\n"
        "Type                   : nat\r\n"
    )
    [net] = hns.parse_networks(text)
    assert net.extension_enabled(hns.OVS_EXTENSION) is True


def test_a_cut_extension_list_leaves_the_state_unknown():
    text = (FIX / "quiet-extension-list-cut" / "Get-HNSNetwork.win-node-4.txt").read_text()
    [net] = hns.parse_networks(text)
    assert net.extensions_cut and net.extension_enabled(hns.OVS_EXTENSION) is None


def test_convert_to_json_reads_like_the_list():
    """`Get-HNSNetwork | ConvertTo-Json`, what the registry's collecting command asks for."""
    text = """[
    {
        "ActivityId":  "9B2E4D6F-8A1C-4E3B-B5D7-2F4A6C8E0B1D",
        "Extensions":  [
                           {"Id":  "E7C3B2F0-F3C5-48DF-AF2B-10FED6D72E7A", "IsEnabled":  false,
                            "Name":  "Microsoft Windows Filtering Platform"},
                           {"Id":  "583CC151-73EC-4A6A-8B47-578297AD7623", "IsEnabled":  true,
                            "Name":  "Open vSwitch Extension"}
                       ],
        "ManagementIP":  "192.168.77.104",
        "Name":  "antrea-hnsnetwork",
        "NetworkAdapterName":  "Ethernet0",
        "SourceMac":  "00-50-56-8E-2A-11",
        "State":  1,
        "Subnets":  [{"AddressPrefix":  "10.10.2.0/24", "GatewayAddress":  "10.10.2.1"}],
        "Type":  "Transparent"
    },
    {"Name":  "nat", "Type":  "nat", "Subnets":  [{"AddressPrefix":  "172.25.176.0/20"}]}
]"""
    assert hns.sniff(text)
    antrea, nat = hns.parse_networks(text)
    assert (antrea.name, antrea.type, antrea.adapter, antrea.subnets, antrea.management_ip, antrea.state) == (
        "antrea-hnsnetwork",
        "Transparent",
        "Ethernet0",
        ["10.10.2.0/24"],
        "192.168.77.104",
        "1",
    )
    assert antrea.extension_enabled(hns.OVS_EXTENSION) is True
    assert (antrea.line, antrea.lines["NetworkAdapterName"]) == (11, 12)
    assert nat.name == "nat" and nat.extension_enabled(hns.OVS_EXTENSION) is None  # no list: unknown
    assert hns.parse_networks("[{broken") == [] and hns.parse_networks('{"Name": 3}') == []


def test_list_properties_keep_their_lines():
    text = (FIX / "fires-pasted-ovs-extension-disabled" / "Get-HNSNetwork.win-node-2.txt").read_text()
    [net] = hns.parse_networks(text)
    assert net.lines["NetworkAdapterName"] == 15 and text.splitlines()[14].startswith("NetworkAdapterName")


@pytest.mark.parametrize("path", sorted(p for p in DATA.iterdir() if p.is_file()), ids=lambda p: p.name)
def test_other_formats_are_not_hns(path):
    assert not hns.sniff(path.read_text(errors="replace"))


@pytest.mark.parametrize(
    "garbage",
    ["", ":" * 1000, "Name : x\n" * 10000, "Extensions : {@{" * 1000, "\x00\xff"],
    ids=lambda g: f"{len(g)}-chars",
)
def test_garbage_never_raises(garbage):
    hns.parse_networks(garbage)
    hns.sniff(garbage)
