"""Pods got a smaller MTU than this site's jumbo-frame underlay is built for.

Symptom
-------
Pod-to-Pod throughput across Nodes is far below the link speed and large transfers show many
small packets, although the datacenter network runs 9000-byte jumbo frames.

Why it happens
--------------
antrea-agent derives the Pod MTU from the MTU of the Node's transport interface minus the
tunnel overhead (50 bytes for Geneve over IPv4), unless ``defaultMTU`` / ``transportInterfaceMTU``
is set. A Node whose NIC was left at 1500 (a missed netplan or NetworkManager change, a
replaced NIC) gives its Pods 1450, and every Pod on it talks in small packets. This is a site
policy (our underlay is 9000 bytes everywhere), so it lives in our own rule pack.

Evidence
--------
The MTU the agent logged at start-up: ``"Got Interface MTU" MTU=<n>`` (v1.11+),
``"Setting Node MTU" MTU=<n>`` (v1.6 to v1.10) or ``Setting Node MTU=<n>`` (up to v1.5); else
the MTU of ``antrea-gw0`` in ``ip link`` (the agent gives the gateway the Pod MTU). When only
the uplink NIC's MTU is known the finding is inconclusive: a ``defaultMTU`` override may apply.

Remediation
-----------
Set the NIC back to 9000 bytes in the host network configuration, then restart the agent on
the Node so that it picks the new MTU.

References
----------
https://github.com/antrea-io/antrea/blob/main/docs/design/architecture.md,
antrea-io/antrea pkg/agent/agent.go (getInterfaceMTU).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    IP_ADDR,
    IP_LINK,
    IP_ROUTE,
    Finding,
    Inputs,
    Missing,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
)

SITE_POD_MTU = 8950  # 9000-byte underlay minus the Geneve overhead: what our Pods must get
GENEVE_OVERHEAD = 50


@dataclass
class Values:
    mtu: int  # the MTU that was read: the Pods' (logged, or antrea-gw0's) or the uplink's
    source: str  # where it was read: "agent log", "antrea-gw0 in ip link", "uplink ens3 in ip link"
    expected: int  # the Pod MTU this site wants


RULE = Rule(
    id="ANT-SITE-001",
    slug="pod-mtu-below-site-underlay",
    title="Pod MTU below the site's jumbo-frame underlay",
    category="mtu",
    severity="warning",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/design/architecture.md",),
    signatures=(
        Signature("mtu", r'"Got Interface MTU" MTU=(?P<mtu>\d{1,5})', '"Got Interface MTU" MTU=',
                  versions=">=1.11.0"),
        Signature("mtu_old", r'Setting Node MTU(?:=|" MTU=)(?P<mtu>\d{1,5})', "Setting Node MTU",
                  versions="<1.11.0"),
    ),
    inputs=Inputs(any_of=(AGENT_LOG, IP_LINK, IP_ADDR), optional=(IP_ROUTE,)),
    judge_outcome=False,  # an MTU is a setting the agent logged once, not a failure that may have passed
    values=Values,
    outcomes=(
        Outcome("pods_below_site", message="""
            antrea-agent on {{ where }} gives its Pods an MTU of {{ mtu }} ({{ source }}), below the
            {{ expected }} bytes this site's underlay is built for: Pod traffic from this Node uses
            small packets.
        """),
        Outcome("uplink_below_site", status="inconclusive", message="""
            The {{ source }} of {{ where }} has an MTU of {{ mtu }}, so its Pods get at most
            {{ mtu - 50 }} bytes instead of {{ expected }}, unless a defaultMTU override applies.
        """),
    ),
    remediation=(
        Step("Check the MTU of the Node's interfaces (the uplink should be 9000).", "ip link show"),
        Step("Set the uplink MTU back to 9000 in the host network configuration and apply it.",
             "netplan apply"),
        Step("Restart the agent on the Node so that it picks the new MTU.",
             "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}"),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        logged = ev.hits("mtu", node) + ev.hits("mtu_old", node)
        gateway = node.link("antrea-gw0")
        if logged:
            latest = logged[-1]  # the run the bundle ends with decides
            mtu, source, evidence = int(latest.groups["mtu"]), "agent log", [latest]
        elif gateway is not None and gateway.mtu:
            line = node.line_in((IP_LINK, IP_ADDR), "antrea-gw0:")
            mtu, source, evidence = gateway.mtu, "antrea-gw0 in ip link", [line] if line else []
        else:
            yield from _uplink_only(node)
            continue
        if mtu >= SITE_POD_MTU:
            continue
        yield RULE.finding(
            "pods_below_site", nodes=[node.name], confidence=0.9, evidence=evidence,
            values=Values(mtu=mtu, source=source, expected=SITE_POD_MTU),
            missing=() if node.links is not None else (Missing.of(IP_LINK, "which NIC is at 1500"),),
        )


def _uplink_only(node: NodeView) -> Iterator[Finding]:
    """Only `ip link` of the uplink: a hint, because a defaultMTU override may apply."""
    for nic in sorted(node.primary_nics()):
        link = node.link(nic)
        if link is None or not link.mtu or link.mtu - GENEVE_OVERHEAD >= SITE_POD_MTU:
            continue
        line = node.line_in((IP_LINK, IP_ADDR), f"{nic}:")
        yield RULE.finding(
            "uplink_below_site", nodes=[node.name], confidence=0.5, evidence=[line] if line else [],
            values=Values(mtu=link.mtu, source=f"uplink {nic} in ip link", expected=SITE_POD_MTU),
            missing=(Missing("the MTU antrea-agent chose for Pods",
                             "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent "
                             "| grep -E 'Interface MTU|Node MTU'"),),
        )
        return  # one finding per Node
