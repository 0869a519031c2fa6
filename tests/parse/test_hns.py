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
        "antrea-hnsnetwork", "Transparent", "Ethernet0", ["10.244.4.0/24"])
    assert net.extension_enabled(hns.OVS_EXTENSION) is False
    assert net.extensions["Microsoft NDIS Capture"] is True
    assert hns.sniff(text)


def test_crlf_bundle_file_with_a_continued_value():
    text = ("Name                   : nat\r\n"
            "Extensions             : {@{Id=1; IsEnabled=True; Name=A},\r\n"
            "                         @{Id=2; IsEnabled=True; Name=Open vSwitch Extension}}\r\n"
            "Type                   : nat\r\n")
    [net] = hns.parse_networks(text)
    assert net.extension_enabled(hns.OVS_EXTENSION) is True


def test_a_cut_extension_list_leaves_the_state_unknown():
    text = (FIX / "quiet-extension-list-cut" / "Get-HNSNetwork.win-node-4.txt").read_text()
    [net] = hns.parse_networks(text)
    assert net.extensions_cut and net.extension_enabled(hns.OVS_EXTENSION) is None


@pytest.mark.parametrize("path", sorted(DATA.glob("*")), ids=lambda p: p.name)
def test_other_formats_are_not_hns(path):
    assert not hns.sniff(path.read_text(errors="replace"))


@pytest.mark.parametrize("garbage", ["", ":" * 1000, "Name : x\n" * 10000, "Extensions : {@{" * 1000, "\x00\xff"],
                         ids=lambda g: f"{len(g)}-chars")
def test_garbage_never_raises(garbage):
    hns.parse_networks(garbage)
    hns.sniff(garbage)
