"""Package -> component and taxonomy category, over the whole packaged catalogue."""

from __future__ import annotations

import pytest

from diagnose.facts import components
from diagnose.facts.messages import catalogue
from diagnose.rules.rule import CATEGORIES

KNOWN = CATEGORIES


@pytest.mark.parametrize(
    "package, file, text, category",
    [
        ("pkg/agent/cniserver", "pkg/agent/cniserver/server.go", "Failed to configure interfaces", "cni"),
        ("pkg/agent/secondarynetwork/podwatch", "x.go", "Failed to add", "secondary-network-uplink"),
        ("pkg/ovs/ovsconfig", "pkg/ovs/ovsconfig/ovs_client.go", "Not connected yet", "ovs-not-running"),
        ("pkg/agent/controller/egress", "x.go", "Error syncing Egress", "egress"),
        ("pkg/agent/wireguard", "x.go", "failed to change WireGuard link MTU", "wireguard"),
        ("pkg/agent/multicast", "x.go", "x", "multicast"),
        ("pkg/agent/nodeportlocal/k8s", "x.go", "x", "nodeportlocal"),
        ("pkg/agent/controller/networkpolicy", "x.go", "x", "networkpolicy"),
        ("pkg/agent/proxy", "x.go", "x", "antreaproxy"),
        ("pkg/agent/util/winnet", "x.go", "x", "windows-hns"),
        # mixed packages: the message's topic decides
        ("pkg/agent/route", "pkg/agent/route/route_linux.go", "Failed to initialize iptables: %v", "iptables-backend"),
        (
            "pkg/agent/route",
            "pkg/agent/route/route_linux.go",
            "failed to install route to peer %s",
            "host-network-config",
        ),
        ("pkg/agent", "pkg/agent/agent.go", "Spec.PodCIDR is empty for Node %s", "podcidr-not-allocated"),
        (
            "pkg/agent",
            "pkg/agent/agent.go",
            "error when cleaning up flow-restore-wait config: %v",
            "ovs-flow-restore-wait",
        ),
        ("pkg/agent", "pkg/agent/agent.go", "failed to get Node with name %s from K8s: %w", "apiserver-unreachable"),
        ("pkg/agent", "pkg/agent/agent.go", "enableIPSecTunnel is deprecated", "ipsec"),
        (
            "pkg/agent/controller/noderoute",
            "x.go",
            "skipping addNodeRoute: podCIDR %s is duplicate with Node %s",
            "podcidr-conflict",
        ),
        ("cmd/antrea-agent", "cmd/antrea-agent/options.go", "TrafficEncapMode %s is unknown", "agent-config"),
        ("cmd/antrea-agent", "cmd/antrea-agent/main.go", "Error running agent: %v", "agent-crash"),
        ("pkg/apiserver/storage/ram", "x.go", "genEventFunc must be set to support watching", "agent-crash"),
        ("pkg/somethingnew", "x.go", "nothing known", "agent-crash"),
    ],
)
def test_category_of_a_message(package, file, text, category):
    assert components.category(package, file, text) == category


def test_the_most_specific_package_entry_names_the_component():
    assert components.component("pkg/agent/route").name == "antrea-agent route client (iptables/ipset/routes)"
    assert components.component("pkg/agent/util/iptables").category == "iptables-backend"
    assert components.component("pkg/agent/utility").prefix == "pkg/agent"  # whole path segments only


def test_every_catalogued_message_gets_a_known_category_and_a_component():
    cat = catalogue()
    found = {cat.message(i).category for i in range(len(cat))}
    assert found <= KNOWN, found - KNOWN
    assert all(cat.message(i).component for i in range(0, len(cat), 97))


def test_the_packaged_catalogue_spans_v1_0_to_main():
    cat = catalogue()
    assert cat.releases[0] == "v1.0.0" and cat.releases[-1] == "main"
    assert "v2.7.0" in cat.releases and len(cat.releases) >= 25
    assert len(cat) > 5000
