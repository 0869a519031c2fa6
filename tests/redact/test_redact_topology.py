"""Address pseudonyms keep the topology: subnets, prefix lengths, special ranges."""

from __future__ import annotations

import ipaddress
import random

import pytest

from diagnose.redact.mapper import Mapper

KEY = b"k" * 32


def common_prefix(a, b) -> int:
    width = a.max_prefixlen
    return width - (int(a) ^ int(b)).bit_length()


def test_two_hosts_of_one_24_stay_in_one_24_whose_network_maps_to_a_network():
    m = Mapper(KEY)
    net = m.network("10.42.1.0", 24)
    assert net.endswith(".0") and net != "10.42.1.0" and net.startswith("10.")
    subnet = ipaddress.ip_network(f"{net}/24")
    for host in ("10.42.1.1", "10.42.1.7", "10.42.1.254"):
        assert ipaddress.ip_address(m.ip(host)) in subnet
    assert ipaddress.ip_address(m.ip("10.42.2.7")) not in subnet
    # the /16 they belong to maps to one /16 holding both /24s
    sixteen = ipaddress.ip_network(f"{m.network('10.42.0.0', 16)}/16")
    assert subnet.subnet_of(sixteen) and ipaddress.ip_address(m.ip("10.42.200.9")) in sixteen


@pytest.mark.parametrize("version", [4, 6])
def test_the_shared_prefix_of_any_two_addresses_is_kept(version):
    rnd = random.Random(7)
    m = Mapper(KEY)
    base = ipaddress.ip_address("192.168.0.0" if version == 4 else "2a01:4f8::")
    width = base.max_prefixlen
    for _ in range(300):
        a = type(base)(int(base) + rnd.getrandbits(width // 2))
        b = type(base)(int(a) ^ (1 << rnd.randrange(width // 2)) ^ rnd.getrandbits(rnd.randrange(width // 2)))
        pa, pb = (ipaddress.ip_address(m.ip(str(x))) for x in (a, b))
        assert common_prefix(pa, pb) == common_prefix(a, b)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.5.6.7",
        "169.254.0.253",
        "0.0.0.0",
        "224.0.0.251",
        "255.255.255.0",
        "255.255.255.255",
        "::1",
        "::",
        "ff02::1:ff00:1",
    ],
)
def test_special_addresses_stay_as_they_are(address):
    assert Mapper(KEY).ip(address) == address


@pytest.mark.parametrize(
    ("address", "block"),
    [
        ("10.1.2.3", "10.0.0.0/8"),
        ("172.20.1.1", "172.16.0.0/12"),
        ("192.168.64.28", "192.168.0.0/16"),
        ("100.64.3.3", "100.64.0.0/10"),
        ("fe80::5284:e3ff:feb4:670a", "fe80::/64"),
        ("fd00:10:244::5", "fc00::/7"),
        ("2a01:4f8::17", "2000::/3"),
    ],
)
def test_private_link_local_and_global_ranges_keep_their_prefix_not_their_host(address, block):
    out = Mapper(KEY).ip(address)
    assert out != address and ipaddress.ip_address(out) in ipaddress.ip_network(block)


def test_the_service_ip_is_kept_and_no_other_address_takes_it():
    m = Mapper(KEY, service_ips=["10.96.0.1"])
    assert m.ip("10.96.0.1") == "10.96.0.1"
    outs = {m.ip(str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.96.0.0")) + i))) for i in range(2, 4096)}
    assert len(outs) == 4094 and "10.96.0.1" not in outs  # a bijection that avoids the kept address
    # The other pseudonyms do not depend on which Service IP a bundle has.
    assert Mapper(KEY, service_ips=["10.43.0.1"]).ip("10.42.1.5") == Mapper(KEY).ip("10.42.1.5")


def test_pseudonyms_depend_on_the_key_and_only_on_it():
    assert Mapper(KEY).ip("192.168.64.28") == Mapper(KEY).ip("192.168.64.28")
    assert Mapper(KEY).ip("192.168.64.28") != Mapper(b"x" * 32).ip("192.168.64.28")
    node = Mapper(KEY).name("node", "node2")
    assert node == Mapper(KEY).name("node", "NODE2").lower() != Mapper(b"x" * 32).name("node", "node2")
    assert Mapper(KEY).name("node", "NODE2").isupper()  # written as it came, so unredact gives it back so


def test_macs_keep_their_format_and_multicast_meaning():
    m = Mapper(KEY)
    out = m.mac("06:7b:b6:19:fb:49")
    assert out != "06:7b:b6:19:fb:49" and len(out) == 17 and int(out[:2], 16) & 0x3 == 0x2  # local, unicast
    assert m.mac("06-7B-B6-19-FB-49") == out.replace(":", "-").upper()
    for kept in (
        "ff:ff:ff:ff:ff:ff",
        "01:00:5e:00:00:fb",
        "33:33:00:00:00:01",
        "00:00:00:00:00:00",
        "aa:bb:cc:dd:ee:ff",
    ):
        assert m.mac(kept) == kept


def test_names_look_like_host_names_and_domains_keep_their_hierarchy():
    m = Mapper(KEY)
    node = m.name("node", "worker-1")
    assert node.startswith("node-") and any(c.isdigit() for c in node[5:])
    apex, sub = m.domain("acme.com"), m.domain("corp.acme.com")
    assert apex.endswith(".example") and sub.endswith("." + apex) and sub.startswith("sub-")
