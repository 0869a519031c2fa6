"""Windows Node: the uplink, br-int or antrea-gw0 adapter is disabled, disconnected or gone.

Symptom
-------
A Windows Node loses its network (or its Pods lose theirs) while antrea-agent may still run:
``Get-NetAdapter`` shows the uplink of ``antrea-hnsnetwork`` (or ``br-int``) as ``Disabled`` or
``Disconnected``, ``ipconfig /all`` shows ``Media disconnected`` or a 169.254 address on
``br-int``, or the adapter the HNS network was built on is not listed any more.

Why it happens
--------------
On Windows all the Node's traffic goes through the uplink adapter that ``antrea-hnsnetwork`` is
bound to, and the host reaches it through the ``br-int`` vNIC; Pod traffic leaves through
``antrea-gw0``. Someone disabling the adapter, a cable or virtual NIC unplugged at the hypervisor,
or a NIC replaced or renamed (the HNS network still names the old one) cuts the Node off; a
disabled ``antrea-gw0`` cuts its Pods off from everything outside the Node. The agent enables
its own adapters only when it starts (pkg/agent/util/net_windows.go ``SetLinkUp``: ``Failed to
enable network adapter``).

Evidence
--------
``Get-NetAdapter`` (the bundle's ``network-adapters``, or pasted as a table or ``Format-List``):
the Status of the uplink (``Get-HNSNetwork``'s ``NetworkAdapterName`` of ``antrea-hnsnetwork``,
else the configured transportInterface, else the physical adapter whose MAC ``br-int`` took over,
else the one holding the Node IP), of ``br-int`` and of ``antrea-gw0``; ``ipconfig /all``'s
``Media disconnected`` where Get-NetAdapter is missing. An uplink named by the HNS network but
absent from a complete Get-NetAdapter list is reported as gone (PowerShell cuts long names with
``...``: a cut name counts as its prefix). Other adapters (a second NIC left unplugged) are not
reported.

Remediation
-----------
Enable or reconnect the adapter; if it was replaced or renamed, clean Antrea's network with its
script and restart the agent so that it builds the HNS network on the adapter that exists.

References
----------
antrea-io/antrea docs/windows.md (Known issues); pkg/agent/agent_windows.go; hack/windows/Clean-AntreaNetwork.ps1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from diagnose.api import (
    HNS_NETWORK,
    WIN_ADAPTERS,
    WIN_IPCONFIG,
    EvidenceLine,
    Finding,
    Inputs,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Step,
)

if TYPE_CHECKING:  # diagnose.api imports the Windows modules on first use: _gateway imports it to run
    from diagnose.api import winhost


@dataclass
class Values:
    """The Windows adapter that is down and what Antrea uses it for."""

    adapter: str  # the adapter, e.g. "Ethernet0"
    role: str  # what Antrea uses it for, e.g. "the uplink of antrea-hnsnetwork"
    status: str | None  # Get-NetAdapter's Status ("Disabled", "Disconnected") or ipconfig's media state
    others: list[str]  # the adapters that are listed, for a gone uplink


RULE = Rule(
    id="ANT-WIN-003",
    slug="windows-uplink-adapter-down",
    title="Windows: the uplink, br-int or antrea-gw0 adapter is disabled, disconnected or gone",
    category="host-network-config",
    severity="critical",
    platform="windows",
    inputs=Inputs(any_of=(WIN_ADAPTERS, WIN_IPCONFIG), optional=(HNS_NETWORK,)),
    judge_outcome=False,  # a finding about the Node's state now, not about log lines
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/windows.md",
        "https://github.com/antrea-io/antrea/blob/main/hack/windows/Clean-AntreaNetwork.ps1",
    ),
    explains=("apiserver-unreachable", "controller-unreachable", "agent-crash", "windows-hns"),
    values=Values,
    outcomes=(
        Outcome(
            "disabled",
            message="""
            On {{ where }}, {{ adapter }}, {{ role }}, is disabled (Get-NetAdapter Status {{ status }}): the
            Node's traffic has no way out, so antrea-agent cannot reach the API server and Pods have no network.
        """,
            remediation=(
                Step(
                    "Enable the adapter.",
                    "powershell -Command \"Enable-NetAdapter -Name '{{ adapter }}'\"   # on {{ node }}",
                ),
                Step(
                    "Check that the Node IP is back on br-int and restart antrea-agent if it stopped.",
                    "ipconfig /all; kubectl -n kube-system delete pod <antrea-agent pod on {{ node }}>",
                ),
            ),
        ),
        Outcome(
            "disconnected",
            message="""
            On {{ where }}, {{ adapter }}, {{ role }}, has no link ({{ status }}): a cable or virtual NIC is
            unplugged (at the switch or the hypervisor), so the Node's traffic has no way out.
        """,
            remediation=(
                Step(
                    "Reconnect the NIC (for a VM, its network adapter in the hypervisor) and check its link.",
                    "powershell -Command \"Get-NetAdapter -Name '{{ adapter }}' | Format-List Status,MediaConnectionState,"
                    'LinkSpeed"   # on {{ node }}',
                ),
            ),
        ),
        Outcome(
            "gone",
            message="""
            On {{ where }}, antrea-hnsnetwork is built on {{ adapter }}, which Get-NetAdapter does not list
            (adapters: {{ others | join(", ") }}): the NIC was replaced or renamed, and the HNS network and
            br-int no longer lead anywhere.
        """,
            remediation=(
                Step(
                    "Clean Antrea's network with its script, then restart the agent: it builds the HNS network on "
                    "the adapter holding the Node IP.",
                    "hack/windows/Clean-AntreaNetwork.ps1; kubectl -n kube-system delete pod <antrea-agent pod on {{ node }}>",
                ),
            ),
        ),
        Outcome(
            "gateway-down",
            severity="error",
            message="""
            On {{ where }}, antrea-gw0, the gateway of the Node's Pods, is {{ status | lower }} (Get-NetAdapter):
            Pods on the Node cannot reach anything outside the Node, and the Node cannot reach its Pods.
        """,
            remediation=(
                Step(
                    "Enable the adapter, or restart antrea-agent, which enables it at start-up.",
                    'powershell -Command "Enable-NetAdapter -Name antrea-gw0"   # on {{ node }}',
                ),
            ),
        ),
    ),
    remediation=(
        Step(
            "Show the Node's adapters and their state.",
            'powershell -Command "Get-NetAdapter | Format-Table Name,InterfaceDescription,Status,MacAddress"   # on {{ node }}',
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        host = node.windows_host
        if host is None:
            continue
        finding = _uplink(node, host) or _bridge(node, host) or _gateway(node, host)
        if finding is not None:
            yield finding


def _uplink(node: NodeView, host: winhost.WindowsHost) -> Finding | None:
    name = host.uplink_name
    if name is None:
        return None
    net = host.antrea_network
    role = "the uplink of antrea-hnsnetwork" if net is not None and net.adapter == name else "the Node's uplink"
    adapter = host.adapter(name)
    if adapter is None:
        if net is None or net.adapter != name or not host.have_adapter_list:
            return None
        others = [a.net.name for a in host.adapters if a.net is not None]
        hns_line = node.evidence_line(net.source, net.lines.get("NetworkAdapterName", net.line))
        return RULE.finding(
            "gone",
            nodes=[node.name],
            confidence=0.85,
            values=Values(adapter=name, role=role, status=None, others=others),
            evidence=[line for line in (hns_line, *_table(node)) if line is not None],
        )
    return _down(node, adapter, role)


def _bridge(node: NodeView, host: winhost.WindowsHost) -> Finding | None:
    mgmt = host.management
    if mgmt is None:
        return None
    return _down(node, mgmt, "the vNIC that holds the Node IP")


def _gateway(node: NodeView, host: winhost.WindowsHost) -> Finding | None:
    from diagnose.api import winhost

    gw = host.adapter(winhost.GATEWAY)
    if gw is None or not gw.down or gw.net is None:
        return None
    return RULE.finding(
        "gateway-down",
        nodes=[node.name],
        confidence=0.9,
        values=Values(adapter=gw.name, role="the Pods' gateway", status=gw.status, others=[]),
        evidence=_lines(node, gw),
    )


def _down(node: NodeView, adapter: winhost.Adapter, role: str) -> Finding | None:
    status = adapter.status
    if not adapter.down or status is None:
        return None
    outcome = "disabled" if status == "Disabled" else "disconnected"
    shown = status if adapter.net is not None else "ipconfig: Media disconnected"
    return RULE.finding(
        outcome,
        nodes=[node.name],
        confidence=0.9,
        values=Values(adapter=adapter.name, role=role, status=shown, others=[]),
        evidence=_lines(node, adapter),
    )


def _lines(node: NodeView, adapter: winhost.Adapter) -> list[EvidenceLine]:
    out = []
    if adapter.net is not None and node.net_adapters is not None:
        out.append(node.evidence_line(node.net_adapters.source, adapter.net.line))
    if adapter.ip is not None and node.ipconfig is not None:
        out.append(node.evidence_line(node.ipconfig.source, adapter.ip.line))
    return [line for line in out if line is not None]


def _table(node: NodeView) -> list[EvidenceLine | None]:
    arts = node.net_adapters
    if arts is None:
        return []
    return [node.evidence_line(arts.source, a.line) for a in arts.adapters[:6]]
