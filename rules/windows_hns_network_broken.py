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
(v1.12 to HEAD; ``Timeout acquiring IP`` from v2.0), ``failed to find HNSEndpoint`` / ``timeout when
deleting HNSEndpoint`` for Pod endpoints, and the ``HNSNetwork`` file of the Windows agent bundle
(``Get-HNSNetwork``; also recognised when pasted): the ``antrea-hnsnetwork`` entry, its ``Type`` and
whether the ``Open vSwitch Extension`` is enabled. PowerShell may cut the extension list after
four items (``...``); then the extension state is unknown and not reported.

Remediation
-----------
Use a physical adapter as uplink (detach it from other HNS networks), enable the OVS extension on
the antrea-hnsnetwork vSwitch, or clean the stale network with Antrea's script and restart.

References
----------
antrea-io/antrea docs/windows.md; antrea-io/antrea hack/windows/Prepare-AntreaAgent.ps1,
hack/windows/Clean-AntreaNetwork.ps1; pkg/agent/util/net_windows.go.
"""

from __future__ import annotations

import re

from diagnose.parse import hns
from diagnose.rule import EvidenceLine, Rule, Signature, Step

RULE = Rule(
    id="ANT-WIN-001",
    slug="windows-hns-network-broken",
    title="Windows: the antrea-hnsnetwork HNS network is missing or unusable",
    category="windows-hns",
    severity="critical",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/windows.md",
                "https://github.com/antrea-io/antrea/blob/main/hack/windows/Prepare-AntreaAgent.ps1",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/util/net_windows.go"),
    signatures=(
        Signature("create_failed", r"error creating HNSNetwork: (?P<err>.*)", "error creating HNSNetwork"),
        Signature("virtual_uplink", r'Transparent HNSNetwork requires a physical adapter while the uplink interface '
                  r'\\?"(?P<adapter>[^"\\]{1,128})\\?" is virtual', "Transparent HNSNetwork requires a physical adapter"),
        Signature("vmswitch_failed", r"failed to create VM switch for interface (?P<iface>[^:]{1,100}): (?P<err>.{0,300})",
                  "failed to create VM switch for interface"),
        Signature("ip_timeout", r'"Timeout acquiring IP for the adapter"', "Timeout acquiring IP for the adapter",
                  versions=">=2.0.0"),
        Signature("ip_move_failed", r'"Failed to configure IP and gateway on the management virtual network adapter"',
                  "Failed to configure IP and gateway on the management"),
        Signature("endpoint_missing", r"failed to find HNSEndpoint:? (?P<ep>\S+)", "failed to find HNSEndpoint"),
        Signature("endpoint_delete_timeout", r"timeout when deleting HNSEndpoint (?P<ep>\S+)",
                  "timeout when deleting HNSEndpoint"),
    ),
    explains=("agent-crash", "host-network-config"),
    message="""
        On Windows Node {{ nodes | join(", ") }}: {{ problems | join("; ") }}.
        {% if fatal %}The agent cannot set up the Pod network of the Node.{% else %}Pods on the Node do not get
        working network endpoints.{% endif %}
    """,
    remediation=(
        Step("Show Antrea's HNS network, its adapter and whether the OVS extension is enabled.",
             "powershell -Command \"Get-HNSNetwork | Where-Object Name -eq antrea-hnsnetwork | Format-List "
             "Name,Type,NetworkAdapterName,Extensions\"   # on {{ node }}"),
        Step("Use a physical adapter as uplink (not one already attached to another HNS network or vSwitch).",
             "powershell -Command \"Get-NetAdapter | Format-Table Name,InterfaceDescription,Status\"   # on {{ node }}"),
        Step("Enable the OVS extension on the vSwitch, or clean the stale network and let the agent recreate it.",
             "powershell -Command \"Enable-VMSwitchExtension -Name 'Open vSwitch Extension' -VMSwitchName "
             "antrea-hnsnetwork\"; or hack/windows/Clean-AntreaNetwork.ps1   # on {{ node }}"),
    ),
)

_FATAL = ("create_failed", "virtual_uplink", "vmswitch_failed", "ip_timeout", "ip_move_failed")


def check(ev):
    for node in ev.nodes:
        hits = {s.name: ev.hits(s.name, node) for s in RULE.signatures}
        hits = {k: v for k, v in hits.items() if v}
        problems, evidence = [], [e for k in _FATAL if k in hits for e in hits[k][:2]]
        if "virtual_uplink" in hits:
            adapter = hits["virtual_uplink"][0].groups.get("adapter", "?")
            problems.append(f"the uplink adapter {adapter} is virtual (already attached to an HNS network or vSwitch)")
        if "create_failed" in hits:
            problems.append(f"creating the HNS network failed ({hits['create_failed'][-1].groups.get('err', '')[:200]})")
        if "vmswitch_failed" in hits:
            problems.append("creating the VM switch on the uplink failed")
        if "ip_timeout" in hits or "ip_move_failed" in hits:
            problems.append("the Node IP could not be moved to the vEthernet adapter of the new network")
        endpoints = hits.get("endpoint_missing", []) + hits.get("endpoint_delete_timeout", [])
        if len(endpoints) >= 2:
            problems.append(f"{len(endpoints)} Pod HNS endpoint operations failed")
            evidence.extend(endpoints[:2])
        networks = node.hns_networks
        if networks is not None:
            problems.extend(_network_problems(node, networks, evidence))
        if not problems:
            continue
        down = any(k in hits for k in _FATAL) or (networks is not None and _antrea(networks) is None)
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.9,
            severity="critical" if down else "error",
            values={"problems": problems, "fatal": any(k in hits for k in _FATAL)},
            evidence=evidence[:10],
        )


def _antrea(networks):
    return next((n for n in networks if n.name == hns.ANTREA_NETWORK), None)


def _network_problems(node, networks, evidence) -> list[str]:
    net = _antrea(networks)
    if net is None:
        if not node.has_agent_logs:
            return []  # a Node without Antrea: nothing to say
        names = ", ".join(n.name or "?" for n in networks) or "none"
        evidence.append(EvidenceLine(_source(node), None, None, f"Get-HNSNetwork names: {names}", node.name))
        return [f"Get-HNSNetwork has no {hns.ANTREA_NETWORK} (networks: {names})"]
    out = []
    if net.type and net.type != "Transparent":
        out.append(f"{hns.ANTREA_NETWORK} is of type {net.type}, not Transparent")
    if net.extension_enabled(hns.OVS_EXTENSION) is False:
        out.append(f"the {hns.OVS_EXTENSION} is not enabled on {hns.ANTREA_NETWORK}, so OVS forwards nothing")
        line = _line(node, "Open vSwitch Extension")
        evidence.append(line or EvidenceLine(_source(node), net.line, None, f"Extensions: {net.props.get('Extensions')}",
                                             node.name))
    return out


def _hns_artifacts(node):
    return [a for a in node.data.artifacts
            if a.kind == "hns-network" or re.split(r"[/!]", a.path)[-1] == "HNSNetwork"]


def _source(node) -> str:
    arts = _hns_artifacts(node)
    return arts[0].path if arts else "HNSNetwork"


def _line(node, needle: str) -> EvidenceLine | None:
    """The first line of the Node's Get-HNSNetwork output containing `needle`."""
    for a in _hns_artifacts(node):
        for i, text in enumerate(a.text().splitlines(), 1):
            if needle in text:
                return EvidenceLine(a.path, i, None, text.strip()[:300], node.name)
    return None
