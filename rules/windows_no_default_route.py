"""Windows Node: no active IPv4 default route.

Symptom
-------
A Windows Node reaches its own subnet but nothing beyond it: antrea-agent cannot reach an API
server on another subnet, Pods cannot reach anything outside the cluster. ``route print`` has no
active ``0.0.0.0  0.0.0.0`` route, and ``ipconfig /all`` shows no Default Gateway on the adapter
holding the Node IP (``br-int`` once Antrea runs).

Why it happens
--------------
When antrea-agent creates ``antrea-hnsnetwork``, Windows moves the uplink's IP configuration to
the new vNIC (renamed ``br-int``); Antrea copies the uplink's gateway only when it has to set the
IP itself (pkg/agent/util/net_windows.go ``AddNetAdapterIPAddress``), and its saved host routes
skip the default route, which it expects Windows to add back (pkg/agent/agent_windows.go
``saveHostRoutes``). A Node whose gateway was configured outside the adapter (a persistent route
of ``route -p``), whose uplink had no gateway (the agent logs ``No default gateway found on
interface``, v1.3+), or whose gateway was removed by hand ends up without a default route.

Evidence
--------
``route print`` (the bundle's ``routes``, or pasted; any language): no active IPv4 route to
0.0.0.0/0 over a non-APIPA address. A persistent default route that ``route print`` lists but
that is not active is quoted. Quiet when the Node has no usable address on the adapter Antrea
needs (``windows-adapter-without-lease``) or when that adapter is down
(``windows-uplink-adapter-down``): those explain the missing route. A cluster whose API server
and every destination share the Node's subnet would not need a default route; the finding is
therefore an error at 0.75, not critical.

Remediation
-----------
Add the default route on the adapter holding the Node IP (br-int), persistently, and restart the
agent if it is failing.

References
----------
antrea-io/antrea docs/windows.md; pkg/agent/agent_windows.go (saveHostRoutes); pkg/agent/util/net_windows.go.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from diagnose.api import (
    AGENT_LOG,
    WIN_ADAPTERS,
    WIN_IPCONFIG,
    WIN_ROUTES,
    EvidenceLine,
    Finding,
    Inputs,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
)

if TYPE_CHECKING:  # diagnose.api imports the Windows modules on first use: annotations only here
    from diagnose.api import winhost


@dataclass
class Values:
    """The adapter holding the Node IP, which has no active default route."""

    adapter: str | None  # the adapter holding the Node IP (br-int once Antrea runs), when known
    address: str | None  # its IPv4 address
    persistent: str | None  # a persistent default route that is not active, e.g. "0.0.0.0/0 via 10.240.0.1"
    agent_saw: bool  # the agent logged "No default gateway found on interface"


RULE = Rule(
    id="ANT-WIN-004",
    slug="windows-no-default-route",
    title="Windows: the Node has no active default route",
    category="host-network-config",
    severity="error",
    platform="windows",
    inputs=Inputs(needs=(WIN_ROUTES,), optional=(WIN_IPCONFIG, WIN_ADAPTERS, AGENT_LOG)),
    judge_outcome=False,  # a finding about the Node's state now, not about log lines
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/windows.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/agent_windows.go",
    ),
    signatures=(
        Signature(
            "no_gateway",
            r'"No default gateway found on interface" interface="?(?P<iface>[^"]{1,100})',
            "No default gateway found on interface",
            versions=">=1.3.0",
            role="context",
        ),
    ),
    explains=("apiserver-unreachable", "controller-unreachable", "agent-crash"),
    values=Values,
    outcomes=(
        Outcome(
            "no-default-route",
            message="""
            On {{ where }}, route print has no active default route{% if adapter %} and {{ adapter }}
            {%- if address %} ({{ address }}){% endif %} has no default gateway{% endif %}
            {%- if persistent %}; the persistent route {{ persistent }} is configured but not active{% endif %}.
            The Node reaches only its own subnet: an API server, DNS or registry elsewhere is unreachable, and
            Pods cannot leave the cluster.{% if agent_saw %} The agent logged "No default gateway found on
            interface" when it moved the uplink's configuration.{% endif %}
        """,
        ),
    ),
    remediation=(
        Step(
            "Add the default route on the adapter holding the Node IP, persistently.",
            "route -p add 0.0.0.0 mask 0.0.0.0 <gateway> if <index of {{ adapter or 'br-int' }}>   # on {{ node }}",
        ),
        Step("Check the routes again and restart antrea-agent if it is failing.", "route print -4   # on {{ node }}"),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        host = node.windows_host
        if host is None or host.routes is None or host.default_routes():
            continue
        if _explained_elsewhere(host):
            continue
        holder = next(iter(host.node_ip_holders()), None) or _route_holder(host)
        address = holder.usable_ipv4[0].address if holder and holder.usable_ipv4 else None
        persistent = next((r for r in host.routes.persistent if r.is_default), None)
        logged = ev.hits("no_gateway", node)
        evidence: list[EvidenceLine] = [line for line in _route_lines(node, host) if line is not None]
        yield RULE.finding(
            "no-default-route",
            nodes=[node.name],
            confidence=0.75,
            values=Values(
                adapter=holder.name if holder else None,
                address=address,
                persistent=persistent.text if persistent else None,
                agent_saw=bool(logged),
            ),
            evidence=[*evidence, *(EvidenceLine.of(e) for e in logged[:1])],
            ruled_out=["Every adapter Antrea needs has a usable address and is up: not a lost lease or a down link."],
        )


def _explained_elsewhere(host: winhost.WindowsHost) -> bool:
    """A lost lease or a down adapter removes the default route too; their rules say so."""
    needed = [r.adapter for r in host.needs_node_ip()] + [a for a in (host.uplink,) if a is not None]
    return any(a.down or a.without_lease for a in needed)


def _route_holder(host: winhost.WindowsHost) -> winhost.Adapter | None:
    """Without the Node IP: the adapter Antrea needs, when it has a usable address."""
    for role in host.needs_node_ip():
        if role.adapter.usable_ipv4:
            return role.adapter
    return None


def _route_lines(node: NodeView, host: winhost.WindowsHost) -> list[EvidenceLine | None]:
    routes = host.routes
    if routes is None:
        return []
    lines = [node.evidence_line(routes.source, r.line) for r in routes.persistent if r.is_default]
    own = [r for r in routes.routes if r.interface and not r.interface.startswith("127.")][:3]
    return lines + [node.evidence_line(routes.source, r.line) for r in own]
