"""Tests for diagnose.parse.shell (prompt lines in pasted output)."""

from pathlib import Path

import pytest

from diagnose.parse.shell import match_prompt, prompt_command, split_prompt

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    "line, host, command",
    [
        ("root@node2:~# ip addr", "node2", "ip addr"),
        ("[root@worker-1 ~]# ip route", "worker-1", "ip route"),
        ("$ ip r", None, "ip r"),
        ("node2$ ovs-vsctl show", "node2", "ovs-vsctl show"),
        (
            "ubuntu@k8s-node-1:/var/log$ sudo ovs-vsctl list open_vswitch",
            "k8s-node-1",
            "sudo ovs-vsctl list open_vswitch",
        ),
        ("bash-5.1# ovs-ofctl dump-flows br-int", None, "ovs-ofctl dump-flows br-int"),
        ("# ip link", None, "ip link"),
    ],
)
def test_prompt_shapes(line: str, host: str | None, command: str) -> None:
    text = line + "\noutput line\n"
    assert split_prompt(text) == (host, "output line\n")
    assert prompt_command(text) == command


@pytest.mark.parametrize(
    "line",
    [
        "# this is a comment",
        "default via 192.168.64.1 dev enp0s1 proto dhcp src 192.168.64.28 metric 100 ",
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN",
        "_uuid               : 1652b44b-7609-4f9c-be2a-1da5e3bcd6b7",
        "2021-08-01T12:58:47.506Z|00004|reconnect|INFO|unix:/var/run/openvswitch/db.sock: connecting...",
        " cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, priority=0 actions=drop",
        'I0615 08:59:26.439778       1 agent.go:107] "Starting Antrea agent" version="v2.1.0"',
        "1652b44b-7609-4f9c-be2a-1da5e3bcd6b7",
        "root@node2:~#",
    ],
)
def test_not_a_prompt(line: str) -> None:
    text = line + "\nmore\n"
    assert split_prompt(text) == (None, text)
    assert prompt_command(text) is None


def test_real_case_prompt_and_later_prompts_removed() -> None:
    text = (DATA / "ip-addr.node2.partial.txt").read_text()
    host, body = split_prompt(text)
    assert host == "node2"
    assert prompt_command(text) == "ip addr"
    assert body.startswith("1: lo: <LOOPBACK,UP,LOWER_UP>")
    # A second command pasted after the first one, and the final empty prompt, are dropped too.
    both = text + "root@node2:~# ip route\ndefault via 192.168.64.1 dev enp0s1\nroot@node2:~# \n"
    _, body = split_prompt(both)
    assert "root@node2" not in body
    assert "default via 192.168.64.1 dev enp0s1" in body


def test_leading_blank_lines_and_garbage() -> None:
    assert split_prompt("\n\n$ ip r\ndefault dev eth0\n") == (None, "default dev eth0\n")
    assert split_prompt("") == (None, "")
    assert split_prompt("\n \n") == (None, "\n \n")
    assert prompt_command("") is None
    assert match_prompt("x" * 10_000 + "$ ip r") is None
    # A prompt without a command is not "prompt followed by a command".
    assert split_prompt("root@node2:~# \nfoo\n") == (None, "root@node2:~# \nfoo\n")
