"""Tests for diagnose.parse.ovsdb (ovs-vsctl show/list, ovsdb-client dump text/json)."""

from pathlib import Path

import pytest

from diagnose.parse.ovsdb import (
    KINDS,
    OvsdbState,
    detect,
    parse_dump_json,
    parse_dump_text,
    parse_ovsdb,
    parse_value,
    parse_vsctl_list,
    parse_vsctl_show,
    sniff,
)

DATA = Path(__file__).parent / "data"


def read(name: str) -> str:
    return (DATA / name).read_text()


# --- the shared value parser ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        (
            '{flow-restore-wait="true", hw-offload="false", max-revalidator="200"}',
            {"flow-restore-wait": "true", "hw-offload": "false", "max-revalidator": "200"},
        ),
        ("{key=flow, remote_ip=flow}", {"key": "flow", "remote_ip": "flow"}),
        ("{}", {}),
        ("[]", []),
        ("[OpenFlow10, OpenFlow15]", ["OpenFlow10", "OpenFlow15"]),
        ("[4a53e8bd-1111-2222-3333-444455556666]", ["4a53e8bd-1111-2222-3333-444455556666"]),
        ('"3.1.0"', "3.1.0"),
        ('"enp0s1~"', "enp0s1~"),
        ('""', ""),
        ('"a \\"quoted\\" \\\\ value\\n\\u00e9"', 'a "quoted" \\ value\n\u00e9'),
        ('{error="could not open, really", x="a=b"}', {"error": "could not open, really", "x": "a=b"}),
        ('[" a", "b,c"]', [" a", "b,c"]),
        ("br-int", "br-int"),
        ("1", "1"),
        ("  true  ", "true"),
        ("", ""),
        # malformed input comes back as text, never raises
        ("{a=b", "{a=b"),
        ("[a, b", "[a, b"),
        ('"unterminated', '"unterminated'),
        ("{a}", "{a}"),
        ("[a] trailing", "[a] trailing"),
        ("{{{{[[[[", "{{{{[[[["),
    ],
)
def test_parse_value(raw: str, expected: object) -> None:
    assert parse_value(raw) == expected


# --- ovs-vsctl show ---------------------------------------------------------------------------


def test_show_reference_sample() -> None:
    st = parse_vsctl_show(read("ovs-vsctl-show.reference.txt"))
    assert st.db_uuid == "1652b44b-7609-4f9c-be2a-1da5e3bcd6b7"
    assert st.ovs_version == "3.1.0"
    assert list(st.bridges) == ["br-ext", "br-int"]
    ext = st.bridges["br-ext"]
    assert ext.datapath_type == "system"
    assert list(ext.ports) == ["enp0s1~", "enp0s1"]
    assert ext.ports["enp0s1~"].interfaces == ["enp0s1~"] and ext.ports["enp0s1~"].type is None
    assert ext.ports["enp0s1"].type == "internal"
    tun = st.bridges["br-int"].ports["antrea-tun0"]
    assert tun.type == "vxlan" and tun.options == {"key": "flow", "remote_ip": "flow"}
    assert tun.ofport is None  # show does not print ofport
    # show never shows other_config: flow-restore-wait is unknown.
    assert st.other_config is None and st.flow_restore_wait is None


def test_show_real_with_manager_controller_tag_error() -> None:
    st = parse_vsctl_show(read("ovs-vsctl-show.extra.txt"))
    assert st.ovs_version == "2.17.7"
    br = st.bridges["br-int"]
    assert br.fail_mode == "secure" and br.datapath_type == "system"
    assert list(br.ports) == ["coredns--f5b7e3", "antrea-gw0", "antrea-tun0", "antrea-tun1"]
    tun1 = br.ports["antrea-tun1"]
    assert tun1.tag == "10" and tun1.type == "geneve"
    assert tun1.options == {"csum": "true", "key": "flow", "remote_ip": "flow"}
    assert tun1.error == "could not add network device antrea-tun1 to ofproto (File exists)"
    assert st.find_port("enp0s1~") == ("br-ext", st.bridges["br-ext"].ports["enp0s1~"])


def test_show_old_quoting_bond_and_partial_copy() -> None:
    text = (
        '    Bridge "br-int"\n'
        '        Port "bond0"\n'
        '            Interface "eth1"\n'
        "                type: system\n"
        '            Interface "eth2"\n'
        "                type: dpdk\n"
        '        Port "antrea-tun0"\n'
        '            Interface "antrea-tun0"\n'
        "                type: geneve\n"
        '                options: {csum="true", key=flow, remote_ip=flow}\n'
        '    ovs_version: "2.17.7"\n'
    )
    st = parse_vsctl_show(text)
    bond = st.bridges["br-int"].ports["bond0"]
    assert bond.interfaces == ["eth1", "eth2"] and bond.type == "system"
    assert st.bridges["br-int"].ports["antrea-tun0"].options["csum"] == "true"
    assert st.ovs_version == "2.17.7" and st.db_uuid is None
    # Port lines without a Bridge (a copy from the middle) are kept as unattached.
    st = parse_vsctl_show("        Port gw\n            Interface gw\n                type: internal\n")
    assert st.unattached_ports["gw"].type == "internal"


# --- ovs-vsctl list ---------------------------------------------------------------------------


def test_list_open_vswitch_flow_restore_wait() -> None:
    st = parse_vsctl_list(read("ovs-vsctl-list-open_vswitch.txt"))
    assert st.other_config == {"flow-restore-wait": "true", "hw-offload": "false", "max-revalidator": "200"}
    assert st.flow_restore_wait is True
    assert st.ovs_version == "2.17.7"
    assert st.external_ids is not None and st.external_ids["hostname"] == "node2"
    assert st.external_ids["rundir"] == "/var/run/openvswitch"
    assert st.bridges == {}  # only uuids: the Bridge rows are not in this view
    cleared = parse_vsctl_list(read("ovs-vsctl-list-open_vswitch.cleared.txt"))
    assert cleared.other_config == {"hw-offload": "false", "max-revalidator": "200"}
    assert cleared.flow_restore_wait is False


def test_list_reference_one_liners_and_columns_option() -> None:
    on = 'other_config        : {flow-restore-wait="true", hw-offload="false", max-revalidator="200"}\n'
    off = 'other_config        : {hw-offload="false", max-revalidator="200"}\n'
    assert detect(on) == "ovs-vsctl-list" and detect(off) == "ovs-vsctl-list"
    assert detect("other_config: {a=b}\nname: x\n") is None  # YAML-like, no 20-column padding
    # Alone, other_config could be any table; the flag itself says Open_vSwitch.
    assert parse_vsctl_list(on).flow_restore_wait is True
    # With the prompt, the command names the table.
    assert parse_vsctl_list("$ ovs-vsctl --columns=other_config list open_vswitch\n" + off).flow_restore_wait is False
    assert parse_vsctl_list(off).flow_restore_wait is None  # table unknown
    assert parse_vsctl_list('other_config        : {flow-restore-wait="false"}\n').flow_restore_wait is False


def test_list_all_tables_resolved() -> None:
    st = parse_vsctl_list(read("ovs-vsctl-list-all.txt"))
    assert st.flow_restore_wait is True
    assert set(st.bridges) == {"br-int", "br-ext"}
    br = st.bridges["br-int"]
    assert br.fail_mode == "secure" and br.datapath_type == "system"
    assert set(br.ports) == {"antrea-tun0", "antrea-gw0", "coredns--f5b7e3"}
    tun = br.ports["antrea-tun0"]
    assert (tun.type, tun.ofport, tun.options) == ("vxlan", 1, {"key": "flow", "remote_ip": "flow"})
    assert tun.external_ids == {"antrea-type": "tunnel"}
    pod = br.ports["coredns--f5b7e3"]
    assert pod.ofport == 3 and pod.type is None
    assert pod.external_ids["antrea-type"] == "container"
    assert pod.external_ids["pod-name"] == "coredns-6799fbcd5-x7k2p"  # from the Interface row
    ext = st.bridges["br-ext"]
    assert ext.ports["enp0s1~"].external_ids == {"antrea-type": "uplink"} and ext.ports["enp0s1~"].ofport == 1
    assert ext.ports["enp0s1"].type == "internal" and ext.ports["enp0s1"].ofport == 2
    assert st.unattached_ports == {}


def test_list_port_without_bridge_and_ofport_minus_one() -> None:
    text = (
        "_uuid               : 11111111-2222-3333-4444-555555555555\n"
        "name                : antrea-tun0\n"
        "ofport              : -1\n"
        "type                : geneve\n"
        'error               : "could not open network device antrea-tun0 (Address family not supported)"\n'
    )
    st = parse_vsctl_list(text)
    port = st.unattached_ports["antrea-tun0"]
    assert port.ofport == -1 and port.type == "geneve" and "Address family" in (port.error or "")
    assert st.other_config is None and st.flow_restore_wait is None


# --- ovsdb-client dump (text) ------------------------------------------------------------------


def test_dump_text_open_vswitch_table() -> None:
    st = parse_dump_text(read("ovsdb-client-dump-open_vswitch.txt"))
    assert st.flow_restore_wait is True
    assert st.ovs_version == "2.17.7"
    assert st.db_uuid == "f26ad9b9-ff4f-4a87-8fbc-944c3c2627dc"
    assert st.external_ids == {
        "hostname": "node2",
        "rundir": "/var/run/openvswitch",
        "system-id": "3d2d5bb4-8c1c-4fcb-9f1d-6b2cf0c7a1a1",
    }


def test_dump_text_all_tables() -> None:
    st = parse_dump_text(read("ovsdb-client-dump.txt"))
    assert st.flow_restore_wait is True
    assert list(st.bridges) == ["br-int", "br-ext"]  # Open_vSwitch.bridges order
    tun = st.bridges["br-int"].ports["antrea-tun0"]
    assert (tun.type, tun.ofport, tun.external_ids) == ("vxlan", 1, {"antrea-type": "tunnel"})
    assert st.bridges["br-ext"].ports["enp0s1~"].external_ids["antrea-type"] == "uplink"
    assert st.unattached_ports == {}


def test_dump_text_misaligned_and_wide_rows() -> None:
    # Columns cut by the dash widths; the second row was re-spaced by a paste (falls back to
    # value tokenising) and the third is wider than the header.
    text = (
        "Open_vSwitch table\n"
        "_uuid bridges other_config                 ovs_version\n"
        "----- ------- ---------------------------- -----------\n"
        'u1    []      {flow-restore-wait="true"}   "3.1.0"\n'
    )
    assert parse_dump_text(text).flow_restore_wait is True
    respaced = text.replace(
        'u1    []      {flow-restore-wait="true"}   "3.1.0"', 'u1 [] {flow-restore-wait="true", a="b c"} "3.1.0"'
    )
    st = parse_dump_text(respaced)
    assert st.other_config == {"flow-restore-wait": "true", "a": "b c"} and st.ovs_version == "3.1.0"
    wide = text.replace('"3.1.0"', '"3.1.0"  extra-cell  more')
    assert parse_dump_text(wide).ovs_version == "3.1.0"


# --- ovsdb-client -f json dump ------------------------------------------------------------------


def test_dump_json_reference_sample() -> None:
    st = parse_dump_json(read("ovsdb-client-dump-open_vswitch.reference.json"))
    assert st.flow_restore_wait is True
    assert st.ovs_version == "3.1.0"
    assert st.db_uuid == "1652b44b-..."
    assert st.external_ids == {}


def test_dump_json_all_tables_resolved() -> None:
    st = parse_dump_json(read("ovsdb-client-dump.json"))
    text_st = parse_dump_text(read("ovsdb-client-dump.txt"))
    assert st == text_st  # both formats of the same database agree
    pod = st.bridges["br-int"].ports["coredns--f5b7e3"]
    assert pod.external_ids["ip"] == "10.42.1.2" and pod.ofport == 3


def test_dump_json_concatenated_and_garbage() -> None:
    one = read("ovsdb-client-dump-open_vswitch.reference.json").strip()
    text = "garbage {not json\n" + one + one.replace('"true"', '"false"') + "\n[1, 2]\n{}"
    st = parse_dump_json(text)
    assert st.other_config is not None and st.flow_restore_wait is True  # the first row wins
    assert parse_dump_json("{" * 50_000) == OvsdbState()
    assert (
        parse_dump_json(
            '[{"caption":"Open_vSwitch table","headings":["other_config"],"data":[[["map",[]]]]}]'
        ).flow_restore_wait
        is False
    )


# --- entry point, detection, garbage ---------------------------------------------------------


@pytest.mark.parametrize(
    "name, kind",
    [
        ("ovs-vsctl-show.reference.txt", "ovs-vsctl-show"),
        ("ovs-vsctl-show.node2.txt", "ovs-vsctl-show"),
        ("ovs-vsctl-show.extra.txt", "ovs-vsctl-show"),
        ("ovs-vsctl-list-open_vswitch.txt", "ovs-vsctl-list"),
        ("ovs-vsctl-list-open_vswitch.cleared.txt", "ovs-vsctl-list"),
        ("ovs-vsctl-list-all.txt", "ovs-vsctl-list"),
        ("ovsdb-client-dump.txt", "ovsdb-dump"),
        ("ovsdb-client-dump-open_vswitch.txt", "ovsdb-dump"),
        ("ovsdb-client-dump.json", "ovsdb-dump-json"),
        ("ovsdb-client-dump-open_vswitch.reference.json", "ovsdb-dump-json"),
    ],
)
def test_detect_and_parse_ovsdb(name: str, kind: str) -> None:
    text = read(name)
    assert detect(text[:4096]) == kind
    assert sniff(text[:4096])
    st = parse_ovsdb(text, kind)
    assert st.ovs_version in ("3.1.0", "2.17.7")


def test_garbage_and_empty() -> None:
    for kind in KINDS:
        assert parse_ovsdb("", kind) == OvsdbState()
        garbage = 'hello\n:::\n{["\n-----\n_uuid : {\n' + "\x00" * 100
        assert isinstance(parse_ovsdb(garbage, kind), OvsdbState)
    assert parse_ovsdb("whatever", "no-such-kind") == OvsdbState()
    assert detect("") is None and detect("hello world") is None
