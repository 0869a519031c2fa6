"""Windows Node: Antrea's HNS network cannot be created or is not usable by OVS.

Symptom
-------
On a Windows Node antrea-agent fails at start-up (``error creating HNSNetwork``, ``failed to
create VM switch for interface``) or Pods get no network; the Node may briefly lose its own IP
while the agent moves it to the virtual adapter. ``Get-HNSNetwork`` shows no ``antrea-hnsnetwork``
or shows it with the ``Open vSwitch Extension`` not enabled.

Why it happens
--------------
The Windows agent creates a ``Transparent`` HNS network named ``antrea-hnsnetwork`` on the
uplink adapter (its vSwitch takes over the NIC and Windows moves the Node IP to a ``vEthernet``
adapter), then enables the OVS extension on that vSwitch so that OVS forwards Pod traffic.
Creation fails when the uplink is itself a virtual adapter (already used by another HNS network
or vSwitch), when DHCP gives the new adapter no IP in time (``Timeout acquiring IP for the
adapter``), or when the IP/gateway cannot be moved. A network left with the extension disabled
(after a failed start or a manual cleanup) carries no Pod traffic; Antrea's own preparation
script treats it as stale and cleans it up.

Evidence
--------
Agent log messages of antrea-io/antrea pkg/agent/agent_windows.go and pkg/agent/util/net_windows.go
(``error creating HNSNetwork`` and the virtual-uplink check from v1.2; up to v1.1 the creation error
is hcsshim's own, unwrapped: ``error initializing agent: failed during hnsCallRawResponse: hnsCall
failed in Win32: ...``, where ``The parameter is incorrect. (0x57)`` is HNS refusing a virtual
uplink, antrea-io/antrea#2013/#2213; ``Timeout acquiring IP`` from v2.0), ``failed to find HNSEndpoint`` / ``timeout when
deleting HNSEndpoint`` for Pod endpoints, and the ``HNSNetwork`` file of the Windows agent bundle
(``Get-HNSNetwork``; also recognised when pasted): the ``antrea-hnsnetwork`` entry, its ``Type`` and
whether the ``Open vSwitch Extension`` is enabled. PowerShell may cut the extension list after
four items (``...``); then the extension state is unknown and not reported. A Get-HNSNetwork
without ``antrea-hnsnetwork`` counts only on a Node whose agent logs are in the bundle (a
Windows host without Antrea has none). Pod endpoint errors (``failed to find HNSEndpoint``,
pkg/agent/cniserver/interface_configuration_windows.go) that stopped while the agent went on are
history. Only Windows Nodes are checked.

Remediation
-----------
Use a physical adapter as uplink (detach it from other HNS networks), enable the OVS extension on
the antrea-hnsnetwork vSwitch, or clean the stale network with Antrea's script and restart.

References
----------
antrea-io/antrea#2013, antrea-io/antrea#2213, antrea-io/antrea#2246 (v1.2: the virtual uplink check);
antrea-io/antrea docs/windows.md; antrea-io/antrea hack/windows/Prepare-AntreaAgent.ps1,
hack/windows/Clean-AntreaNetwork.ps1; pkg/agent/util/net_windows.go.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    HNS_NETWORK,
    WIN_ADAPTERS,
    WIN_IPCONFIG,
    EvidenceLine,
    Finding,
    Inputs,
    LogEvent,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
)


@dataclass
class Values:
    """What is wrong with Antrea's HNS network."""

    problems: list[str]  # what is wrong with Antrea's HNS network on the Node, one clause each


_ON = 'On Windows Node {{ nodes | join(", ") }}: {{ problems | join("; ") }}.'

RULE = Rule(
    id="ANT-WIN-001",
    slug="windows-hns-network-broken",
    title="Windows: the antrea-hnsnetwork HNS network is missing or unusable",
    category="windows-hns",
    severity="critical",
    platform="windows",
    inputs=Inputs(any_of=(AGENT_LOG, HNS_NETWORK), optional=(WIN_ADAPTERS, WIN_IPCONFIG)),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/windows.md",
        "https://github.com/antrea-io/antrea/blob/main/hack/windows/Prepare-AntreaAgent.ps1",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/util/net_windows.go",
    ),
    signatures=(
        Signature(
            "create_failed", r"error creating HNSNetwork: (?P<err>.*)", "error creating HNSNetwork", versions=">=1.2.0"
        ),
        # Up to v1.1 CreateHNSNetwork returned hcsshim's error unwrapped (pkg/agent/util/net_windows.go), so the
        # agent's fatal reads "error initializing agent: failed during hnsCallRawResponse: hnsCall failed in
        # Win32: ..."; the only HNS call of the initialisation that can fail so is the network's creation (POST).
        Signature(
            "create_failed_raw",
            r"error initializing agent: failed during hnsCallRawResponse: "
            r"(?P<err>hnsCall failed in Win32: [^\n]{1,300})",
            "failed during hnsCallRawResponse",
            versions="<1.2.0",
        ),
        Signature(
            "virtual_uplink",
            r"Transparent HNSNetwork requires a physical adapter while the uplink interface "
            r'\\?"(?P<adapter>[^"\\]{1,128})\\?" is virtual',
            "Transparent HNSNetwork requires a physical adapter",
        ),
        Signature(
            "vmswitch_failed",
            r"failed to create VM switch for interface (?P<iface>[^:]{1,100}): (?P<err>.{0,300})",
            "failed to create VM switch for interface",
        ),
        Signature(
            "ip_timeout",
            r'"Timeout acquiring IP for the adapter"',
            "Timeout acquiring IP for the adapter",
            versions=">=2.0.0",
        ),
        Signature(
            "ip_move_failed",
            r'"Failed to configure IP and gateway on the management virtual network adapter"',
            "Failed to configure IP and gateway on the management",
        ),
        Signature("endpoint_missing", r"failed to find HNSEndpoint:? (?P<ep>\S+)", "failed to find HNSEndpoint"),
        Signature(
            "endpoint_delete_timeout",
            r"timeout when deleting HNSEndpoint (?P<ep>\S+)",
            "timeout when deleting HNSEndpoint",
        ),
    ),
    explains=("agent-crash", "host-network-config"),
    values=Values,
    outcomes=(
        Outcome("not_created", message=_ON + " The agent cannot set up the Pod network of the Node."),
        Outcome(
            "network_missing",
            message=_ON
            + """
            Without Antrea's HNS network the Pods of the Node have no network.
        """,
        ),
        Outcome(
            "extension_disabled",
            severity="error",
            message=_ON
            + """
            The network exists but OVS does not see its traffic: Pods on the Node do not get working network
            endpoints.
        """,
        ),
        Outcome(
            "wrong_type",
            severity="error",
            message=_ON
            + """
            Pods on the Node do not get working network endpoints.
        """,
        ),
        Outcome(
            "endpoints_failing",
            severity="error",
            message=_ON
            + """
            Pods on the Node do not get working network endpoints.
        """,
        ),
        Outcome("recovered", severity="info", message=_ON + " {{ outcome_text }}"),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On Windows Node {{ nodes | join(", ") }} an earlier agent run failed: {{ problems | join("; ") }}.
            {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Show Antrea's HNS network, its adapter and whether the OVS extension is enabled.",
            'powershell -Command "Get-HNSNetwork | Where-Object Name -eq antrea-hnsnetwork | Format-List '
            'Name,Type,NetworkAdapterName,Extensions"   # on {{ node }}',
        ),
        Step(
            "Use a physical adapter as uplink (not one already attached to another HNS network or vSwitch).",
            'powershell -Command "Get-NetAdapter | Format-Table Name,InterfaceDescription,Status"   # on {{ node }}',
        ),
        Step(
            "Enable the OVS extension on the vSwitch, or clean the stale network and let the agent recreate it.",
            "powershell -Command \"Enable-VMSwitchExtension -Name 'Open vSwitch Extension' -VMSwitchName "
            'antrea-hnsnetwork"; or hack/windows/Clean-AntreaNetwork.ps1   # on {{ node }}',
        ),
    ),
)

_FATAL = ("create_failed", "create_failed_raw", "virtual_uplink", "vmswitch_failed", "ip_timeout", "ip_move_failed")
# HNS answers a Transparent network on an adapter another vSwitch already holds with ERROR_INVALID_PARAMETER
# (antrea-io/antrea#2013, #2213); v1.2+ checks the uplink first and logs "requires a physical adapter".
_INVALID_PARAMETER = "(0x57)"
_ENDPOINTS = ("endpoint_missing", "endpoint_delete_timeout")


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        hits = {s.name: found for s in RULE.signatures if (found := ev.hits(s.name, node))}
        problems: list[str] = []
        evidence: list[LogEvent | EvidenceLine] = [e for k in _FATAL for e in hits.get(k, [])[:2]]
        if "virtual_uplink" in hits:
            adapter = hits["virtual_uplink"][0].groups.get("adapter", "?")
            problems.append(f"the uplink adapter {adapter} is virtual (already attached to an HNS network or vSwitch)")
        for name in ("create_failed", "create_failed_raw"):
            if name in hits:
                err = hits[name][-1].groups.get("err", "")[:200]
                problems.append(f"creating the HNS network failed ({err})")
                if _INVALID_PARAMETER in err and "virtual_uplink" not in hits:
                    problems.append(
                        "HNS refuses a Transparent network with 'The parameter is incorrect' when the uplink "
                        "adapter is a virtual one (the Node IP is on a vEthernet adapter of another HNS "
                        "network or vSwitch)"
                    )
        if "vmswitch_failed" in hits:
            problems.append("creating the VM switch on the uplink failed")
        if "ip_timeout" in hits or "ip_move_failed" in hits:
            problems.append("the Node IP could not be moved to the vEthernet adapter of the new network")
        endpoints = [e for k in _ENDPOINTS for e in hits.get(k, [])]
        if endpoints:
            problems.append(f"{len(endpoints)} Pod HNS endpoint operation{'s' if len(endpoints) > 1 else ''} failed")
            evidence.extend(endpoints[:2])
        state, problem = _network_state(node, evidence)
        if problem:
            problems.append(problem)
        if not problems:
            continue
        if any(k in hits for k in _FATAL):
            outcome = "not_created"
        else:
            outcome = state or "endpoints_failing"
        yield RULE.finding(
            outcome,
            nodes=[node.name],
            # The agent's own errors or the HNS state read from Get-HNSNetwork.
            confidence=0.9,
            values=Values(problems=problems),
            evidence=evidence[:10],
        )


def _network_state(node: NodeView, evidence: list[LogEvent | EvidenceLine]) -> tuple[str, str]:
    """(outcome, problem) of what Get-HNSNetwork shows wrong: "network_missing", "extension_disabled",
    "wrong_type", or ("", "") when nothing (or no Get-HNSNetwork); adds the line that shows it to
    `evidence`."""
    networks = node.hns_networks
    if networks is None:
        return "", ""
    from diagnose.api import hns

    net = next((n for n in networks if n.name == hns.ANTREA_NETWORK), None)
    if net is None:
        if not node.has_agent_logs:
            return "", ""  # a Node without Antrea: nothing to say
        names = ", ".join(n.name or "?" for n in networks) or "none"
        line = node.note_on(HNS_NETWORK, f"Get-HNSNetwork names: {names}")
        evidence.extend([line] if line else [])
        return "network_missing", f"Get-HNSNetwork has no {hns.ANTREA_NETWORK} (networks: {names})"
    if net.extension_enabled(hns.OVS_EXTENSION) is False:
        line = node.line_in((HNS_NETWORK,), hns.OVS_EXTENSION) or node.note_on(
            HNS_NETWORK, f"Extensions: {net.props.get('Extensions')}"
        )
        evidence.extend([line] if line else [])
        return "extension_disabled", (
            f"the {hns.OVS_EXTENSION} is not enabled on {hns.ANTREA_NETWORK}, so OVS forwards nothing"
        )
    if net.type and net.type != "Transparent":
        line = node.line_in((HNS_NETWORK,), f": {net.type}")
        evidence.extend([line] if line else [])
        return "wrong_type", f"{hns.ANTREA_NETWORK} is of type {net.type}, not Transparent"
    return "", ""
