"""Harmless states that look like faults: reported as information so they stop being escalated.

Symptom
-------
A ticket quotes one of these as "the problem": ``antrea-egress0`` is ``state DOWN`` in ``ip
link``; the agent warns ``flow-restore-wait was not true before the delete call was made, will
retry``; the agent logs ``Didn't get CA certificate, skip updating Antrea Client`` at start-up.

Why it happens
--------------
``antrea-egress0`` is the dummy device on which the agent places the Egress IPs the Node holds
(so that the kernel answers for them); the agent creates it and never sets it up, it needs no
carrier, and the IPs work while it is DOWN (antrea-io/antrea pkg/agent/ipassigner, ``ensureDummyDevice``).
``flow-restore-wait was not true ... will retry``: the agent tried to clear the key before the
antrea-ovs container had set it (a start-up race); it retries and then logs ``Cleaned up
flow-restore-wait config``. ``Didn't get CA certificate``: the agent started before it read the
``antrea-ca`` ConfigMap; when the CA arrives it logs ``Updating Antrea client with the new CA
bundle`` and continues.

Evidence
--------
``ip link`` / ``ip addr`` showing ``antrea-egress0`` DOWN with the NOARP flag of a dummy device;
the warning followed by ``Cleaned up flow-restore-wait config`` in the same agent run; the CA
message followed by the client update in the same run. A DOWN
interface that is not Antrea's dummy (``antrea-gw0``, a NIC), a flow-restore-wait that is never
cleaned, or a CA that never arrives are not benign and are left to the rules that cover them.

Remediation
-----------
None: these states are expected. Look at the other findings for the cause of the symptom.

References
----------
antrea-io/antrea pkg/agent/ipassigner/ip_assigner_linux.go (``antrea-egress0``);
pkg/agent/agent.go (``FlowRestoreComplete``); pkg/agent/client/client.go; antrea-io/antrea docs/egress.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    IP_ADDR,
    IP_LINK,
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
    lifecycle,
)

EGRESS_DEVICE = "antrea-egress0"  # pkg/agent/controller/egress/egress_controller.go egressDummyDevice


@dataclass
class Values:
    """The benign state's device."""

    device: str  # the Egress dummy device's name, "antrea-egress0"


RULE = Rule(
    id="ANT-BEN-001",
    slug="benign-states",
    title="Expected state that looks like a fault",
    category="benign",
    severity="info",
    judge_outcome=False,  # expected states, reported at info whatever happened after
    inputs=Inputs(any_of=(AGENT_LOG, IP_LINK, IP_ADDR)),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/ipassigner/ip_assigner_linux.go",
        "https://github.com/antrea-io/antrea/blob/main/docs/egress.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/client/client.go",
    ),
    signatures=(
        # W klog.Warning up to v2.6, InfoS in v2.7 (pkg/agent/agent.go FlowRestoreComplete).
        Signature(
            "frw_not_true",
            r"flow-restore-wait was not true before the delete call was made, will retry",
            "flow-restore-wait was not true before the delete call",
        ),
        Signature("no_ca_yet", r"Didn't get CA certificate, skip updating Antrea Client", "Didn't get CA certificate"),
        Signature(
            "ca_updated", r"Updating Antrea client with the new CA bundle", "Updating Antrea client with the new CA"
        ),
    ),
    lookalikes=("host-network-config", "ovs-flow-restore-wait", "controller-unreachable"),
    values=Values,
    outcomes=(
        Outcome(
            "egress_dummy_down",
            message="""
            {{ device }} is DOWN on {{ where }}: this is expected. It is the dummy device that holds the Egress IPs of
            the Node; Antrea never sets it up and the Egress IPs work while it is DOWN. Not a fault.
        """,
        ),
        Outcome(
            "frw_start_race",
            message="""
            "flow-restore-wait was not true before the delete call was made, will retry" on {{ where }} is a start-up
            race with the antrea-ovs container; the agent retried and cleaned up flow-restore-wait afterwards. Not a
            fault.
        """,
        ),
        Outcome(
            "ca_arrived_late",
            message="""
            "Didn't get CA certificate" on {{ where }} was logged before the antrea-ca ConfigMap was read; the agent
            then built its client with the CA bundle. Not a fault.
        """,
        ),
    ),
    remediation=(
        Step("Nothing to fix for this state; look at the other findings for the cause of the reported symptom."),
        Step(
            "To see for yourself: antrea-egress0 is of kind dummy and carries the Egress IPs of the Node, and the "
            "agent log shows flow-restore-wait cleaned up after the warning.",
            "ip -d addr show antrea-egress0; grep -E 'flow-restore-wait|CA bundle' /var/log/antrea/antrea-agent.INFO"
            "   # on {{ node }}",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    found: dict[str, list[tuple[str, list[LogEvent | EvidenceLine]]]] = {
        "egress_dummy_down": [],
        "frw_start_race": [],
        "ca_arrived_late": [],
    }
    for node in ev.nodes:
        for outcome, evidence in (
            ("egress_dummy_down", _egress_dummy_down(node)),
            ("frw_start_race", _followed_by(node, ev.key("frw_not_true"), lifecycle.key("frw_cleaned"))),
            ("ca_arrived_late", _followed_by(node, ev.key("no_ca_yet"), ev.key("ca_updated"))),
        ):
            if evidence is not None:
                found[outcome].append((node.name, evidence))
    for outcome, items in found.items():
        if items:
            yield RULE.finding(
                outcome,
                nodes=[n for n, _ in items],
                confidence=0.9,
                values=Values(device=EGRESS_DEVICE),
                evidence=[e for _, evs in items for e in evs][:8],
            )


def _egress_dummy_down(node: NodeView) -> list[LogEvent | EvidenceLine] | None:
    """The Egress dummy device DOWN: the dummy driver marks its devices NOARP, so a device of that
    name without it is not Antrea's."""
    link = node.link(EGRESS_DEVICE)
    if link is None or link.is_up or "NOARP" not in link.flags:
        return None
    line = node.line_in((IP_LINK, IP_ADDR), f"{EGRESS_DEVICE}:")
    return [line] if line else []


def _followed_by(node: NodeView, first: str, then: str) -> list[LogEvent | EvidenceLine] | None:
    """The first run in which `first` was logged and `then` came after it in the same run."""
    for run in node.runs:
        early = run.first(first)
        later = run.first(then, after=early) if early else None
        if early and later:
            return [early, later]
    return None
