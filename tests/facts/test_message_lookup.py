"""Log lines users posted in antrea-io/antrea issues (copied from the real cases, each cited by its
folder) matched to the Antrea source message that printed them."""

from __future__ import annotations

import pytest

from diagnose.facts import messages
from diagnose.facts.messages import lookup

# talos-iptables-wrapper-selects-legacy/antrea-agent.log (the error goes on past the line's end)
TALOS = (
    "E0123 17:13:14.128655    1 route_linux.go:314] Failed to initialize iptables: error checking if chain "
    "ANTREA-PREROUTING exists in table raw: running [/usr/sbin/iptables -t raw -S ANTREA-PREROUTING 1 --wait]: "
    "exit status 3: modprobe: FATAL: Module ip_tables not found in directory /lib/modules/6.18.2-talos"
)
# el8-iptables-legacy-ip_tables-module-missing/antrea-agent.log: the same failure without the klog header
EL8 = (
    "Failed to initialize iptables: error checking if chain ANTREA-PREROUTING exists in table raw: running "
    "[/usr/sbin/iptables -t raw -S ANTREA-PREROUTING 1 --wait]: exit status 3: modprobe: FATAL: Module ip_tables "
    "not found in directory /lib/modules/4.18.0-348.7.1.el8_5.x86_64"
)
# nodeipam-podcidr-not-yet-allocated/antrea-agent.log
PODCIDR_V1_7 = (
    'E0623 03:01:34.748636       1 agent.go:917] "Spec.PodCIDR is empty for Node. Please make sure '
    "--allocate-node-cidrs is enabled for kube-controller-manager and --cluster-cidr specifies a "
    'sufficient CIDR range" nodeName="ip-192-168-33-53.ec2.internal"'
)
# eks-new-node-apiserver-timeout-misreported-as-podcidr/antrea-agent.log
EKS_ERROR = (
    'E0909 08:16:33.116341       1 agent.go:917] "Spec.PodCIDR is empty for Node. Please make sure '
    "--allocate-node-cidrs is enabled for kube-controller-manager and --cluster-cidr specifies a sufficient "
    'CIDR range, or nodeIPAM is enabled for antrea-controller" err="failed to get Node with name '
    'ip-10-7-1-5.us-east-1.compute.internal from K8s: Get \\"[https://10.100.0.1:443/api/v1/nodes/'
    "ip-10-7-1-5.us-east-1.compute.internal](https://10.100.0.1/api/v1/nodes/ip-10-7-1-5.us-east-1.compute."
    'internal)\\": dial tcp 10.100.0.1:443: i/o timeout" nodeName="ip-10-7-1-5.us-east-1.compute.internal"'
)
EKS_FATAL = (
    "F0909 08:16:33.116880       1 main.go:53] Error running agent: error initializing agent: Spec.PodCIDR is "
    "empty for Node ip-10-7-1-5.us-east-1.compute.internal"
)
# 6448-secondary-network-primary-nic/fatal-errors.quoted-in-maintainer-comment.txt (bare messages)
BARE_TIMEOUT = (
    "Error running agent: error initializing agent: failed to get Node with name server4 from K8s: "
    'Get "https://10.43.0.1:443/api/v1/nodes/server4": dial tcp 10.43.0.1:443: i/o timeout'
)
# antreaproxy-bad-out-group-after-etp-change/antrea-agent.log
PROXY = (
    'E0210 00:49:39.457094       1 proxier.go:535] "Failed to install NodePort flows and configurations of '
    'Service" err="failed to install Service NodePort load balancing flows: one message in bundle failed" '
    'Service="default/nginx-nodeport-cluster:tcp-80"'
)
# flow-restore-wait-not-cleared/antrea-agent.log
POD_IFACE = (
    "W1123 12:01:35.119692       1 pod_configuration.go:450] Interface for Pod "
    "reviewboard/updatemirrors-1606132200-pzj5w not found in the interface store"
)
# npl-iptables-restore-xtables-lock-timeout/antrea-agent.log
NPL = (
    "E0806 05:13:30.313148       1 npl_controller.go:136] Error in getting Pods and generating rules: error "
    "executing iptables-restore: exit status 4"
)
# windows-hnsnetwork-virtual-uplink-parameter-incorrect/antrea-agent.log
WINDOWS = (
    "F0329 23:35:27.090421    3936 main.go:58] Error running agent: error initializing agent: failed during "
    "hnsCallRawResponse: hnsCall failed in Win32: The parameter is incorrect. (0x57)"
)


@pytest.mark.parametrize(
    "line, package, category, fmt",
    [
        (TALOS, "pkg/agent/route", "iptables-backend", "Failed to initialize iptables: %v - will retry in %v"),
        (EL8, "pkg/agent/route", "iptables-backend", "Failed to initialize iptables: %v - will retry in %v"),
        (PODCIDR_V1_7, "pkg/agent", "podcidr-not-allocated", None),
        (EKS_ERROR, "pkg/agent", "podcidr-not-allocated", None),
        (EKS_FATAL, "cmd/antrea-agent", "agent-crash", "Error running agent: %v"),
        (BARE_TIMEOUT, "cmd/antrea-agent", "agent-crash", "Error running agent: %v"),
        (PROXY, "pkg/agent/proxy", "antreaproxy", "Failed to install NodePort flows and configurations of Service"),
        (POD_IFACE, "pkg/agent/cniserver", "cni", "Interface for Pod %s/%s not found in the interface store"),
        (NPL, "pkg/agent/nodeportlocal/k8s", "nodeportlocal", "Error in getting Pods and generating rules: %v"),
    ],
    ids=[
        "talos-header-cut-line",
        "el8-bare",
        "podcidr-v1.7-structured",
        "eks-structured-err",
        "eks-fatal",
        "6448-bare-chain",
        "proxy-structured",
        "pod-iface-warning",
        "npl",
    ],
)
def test_real_lines_find_their_source(line, package, category, fmt):
    m = lookup(line)
    assert m is not None, line
    assert (m.package, m.category) == (package, category)
    if fmt:
        assert m.format == fmt
    assert m.component and m.locations and m.versions == (m.releases[0], m.releases[-1])


@pytest.mark.parametrize(
    "line",
    [
        # antrea-ca-missing-controller-pending: logged by k8s.io/apiserver inside the agent
        'E0101 11:27:00.186981       1 configmap_cafile_content.go:243] key failed with : configmap "antrea-ca" not found',
        # antreaproxy-bad-out-group-after-etp-change: logged by libOpenflow
        "E0210 00:49:39.456954       1 ofSwitch.go:353] Received Vendor error: OFPBFC_MSG_FAILED on ONFT_BUNDLE_CONTROL "
        "message",
        # docker-desktop-openvswitch-builtin-modprobe-fails/install-cni.log: a shell script's echo
        "Failed to load the OVS kernel module from the container, try running 'modprobe openvswitch' on your Nodes",
        "",
        "   ",
        "x" * 100_000,
    ],
)
def test_lines_antrea_does_not_print_match_nothing(line):
    assert lookup(line) is None


def test_the_message_tells_the_releases_and_links_the_line_of_the_version():
    m = lookup(PODCIDR_V1_7)
    # This wording (without "or nodeIPAM is enabled") is the one of v1.6 to v1.13: a version hint.
    assert m.versions == ("v1.6.0", "v1.13.0")
    assert m.structured and m.keys == ("nodeName",) and m.level == "E"
    # The line's own header says agent.go:917, which is where v1.7.0 has it.
    assert m.url("v1.7.2") == "https://github.com/antrea-io/antrea/blob/v1.7.0/pkg/agent/agent.go#L917"
    assert m.location("v1.7.0").line == 917
    assert m.location("v1.7.0-dev-6e00ebf").line == 917  # a dev build has (mostly) its release's code
    assert m.location("v1.6.9").line != 917
    assert m.url().startswith("https://github.com/antrea-io/antrea/blob/v1.13.0/pkg/agent/agent.go#L")


def test_quoting_case_and_header_do_not_change_the_match():
    plain = lookup("failed to get Node with name server4 from K8s: dial tcp: i/o timeout")
    quoted = lookup('failed to get Node with name "server4" from K8s: dial tcp: i/o timeout')
    capital = lookup("Failed to get Node with name server4 from K8s: dial tcp: i/o timeout")
    header = lookup("E0628 18:55:02.910334       1 agent.go:900] failed to get Node with name server4 from K8s: x")
    assert plain is not None and plain.package == "pkg/agent" and plain.category == "apiserver-unreachable"
    assert quoted == plain == capital
    assert header is not None and header.package == "pkg/agent"


def test_a_message_with_its_continuation_lines_is_matched_by_its_first_line():
    # wsl2-kernel-missing-notrack-target: v1.0 logged the stdin and stderr of iptables-restore
    m = lookup(
        "E0824 15:48:46.645110       1 iptables.go:225] Failed to execute iptables-restore: exit status 2\n"
        "stdin:\n*raw\n:ANTREA-PREROUTING - [0:0]\n"
    )
    assert m is not None and m.package == "pkg/agent/util/iptables" and m.format.startswith("Failed to execute %s: %v")


def test_a_structured_line_whose_message_is_not_quoted_ends_at_err():
    m = lookup('Failed to install NodePort flows and configurations of Service err="boom" Service="a/b"')
    assert m is not None and m.package == "pkg/agent/proxy"


def test_the_version_chooses_between_equal_matches():
    # `%s` (v1.x) and `%q` (v2.5+) wordings print the same text: the version picks the release's own.
    old = lookup("Spec.PodCIDR is empty for Node node2", version="v2.0.0")
    new = lookup("Spec.PodCIDR is empty for Node node2", version="v2.6.1")
    assert (old.format, old.versions) == ("Spec.PodCIDR is empty for Node %s", ("v1.14.0", "v2.4.0"))
    assert (new.format, new.versions) == ("Spec.PodCIDR is empty for Node %q", ("v2.5.0", "main"))


def test_an_error_chain_is_decoded_outermost_first_innermost_last():
    parts = messages.innermost(EKS_FATAL)
    assert [p.format for p in parts[:2]] == ["Error running agent: %v", "error initializing agent: %v"] or [
        p.format for p in parts[:2]
    ] == ["Error running agent: %v", "error initializing agent: %w"]
    assert parts[-1].format in ("Spec.PodCIDR is empty for Node %s", "Spec.PodCIDR is empty for Node %q")
    assert parts[-1].category == "podcidr-not-allocated" and parts[-1].level == "error"

    innermost = messages.innermost(BARE_TIMEOUT)[-1]
    assert innermost.format.startswith("failed to get Node with name ")
    assert innermost.category == "apiserver-unreachable"


def test_a_structured_line_gives_its_message_then_the_chain_in_err():
    parts = messages.innermost(EKS_ERROR)
    assert parts[0].keys == ("nodeName",) and parts[0].category == "podcidr-not-allocated"
    assert parts[-1].format.startswith("failed to get Node with name ")
    assert parts[-1].category == "apiserver-unreachable"


def test_a_chain_stops_where_antrea_hands_over_to_other_code():
    # The HNS error text comes from hcsshim: the innermost Antrea message is the agent's wrapper.
    assert [p.format for p in messages.innermost(WINDOWS)][0] == "Error running agent: %v"
    assert messages.innermost(WINDOWS)[-1].package == "cmd/antrea-agent"
    # A chain inside the first line of a message continued on the next lines.
    talos = messages.innermost(TALOS)
    assert talos[0].package == "pkg/agent/route"
    assert talos[-1].format == "error checking if chain %s exists in table %s: %v"
    assert talos[-1].package == "pkg/agent/util/iptables" and talos[-1].category == "iptables-backend"
    assert messages.innermost("no antrea words here at all") == []
    assert messages.innermost("a: " * 50_000) == []


def test_messages_of_one_run_narrow_the_version():
    hint = messages.version_range([lookup(PODCIDR_V1_7), lookup(POD_IFACE)])
    assert hint == ("v1.6.0", "v1.13.0")
    assert messages.version_range([]) is None


def test_a_missing_data_file_is_one_sentence(tmp_path):
    with pytest.raises(messages.CatalogueError, match="is missing; rebuild it with tools/build_message_catalogue.py"):
        messages.Catalogue.load(tmp_path / "nothing.json.gz")
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
    with pytest.raises(messages.CatalogueError, match="cannot be read"):
        messages.Catalogue.load(tmp_path / "bad.json.gz")
