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

from diagnose.facts import lifecycle
from diagnose.rule import Rule, Signature, Step

EGRESS_DEVICE = "antrea-egress0"  # pkg/agent/controller/egress/egress_controller.go egressDummyDevice

RULE = Rule(
    id="ANT-BEN-001",
    slug="benign-states",
    title="Expected state that looks like a fault",
    category="benign",
    severity="info",
    judge_outcome=False,  # expected states, reported at info whatever happened after
    references=("https://github.com/antrea-io/antrea/blob/main/pkg/agent/ipassigner/ip_assigner_linux.go",
                "https://github.com/antrea-io/antrea/blob/main/docs/egress.md",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/client/client.go"),
    signatures=(
        # W klog.Warning in v2.1, InfoS on HEAD (antrea-reference.md §3.5).
        Signature("frw_not_true", r"flow-restore-wait was not true before the delete call was made, will retry",
                  "flow-restore-wait was not true before the delete call"),
        Signature("no_ca_yet", r"Didn't get CA certificate, skip updating Antrea Client", "Didn't get CA certificate"),
        Signature("ca_updated", r"Updating Antrea client with the new CA bundle", "Updating Antrea client with the new CA"),
    ),
    lookalikes=("host-network-config", "ovs-flow-restore-wait", "controller-unreachable"),
    message="""
        {% if state == "egress" %}{{ device }} is DOWN on {{ nodes | join(", ") }}: this is expected. It is the dummy
        device that holds the Egress IPs of the Node; Antrea never sets it up and the Egress IPs work while it is DOWN.
        {% elif state == "frw" %}"flow-restore-wait was not true before the delete call was made, will retry" on
        {{ nodes | join(", ") }} is a start-up race with the antrea-ovs container; the agent retried and cleaned up
        flow-restore-wait afterwards.{% else %}"Didn't get CA certificate" on {{ nodes | join(", ") }} was logged before the
        antrea-ca ConfigMap was read; the agent then built its client with the CA bundle.{% endif %}
        Not a fault.
    """,
    remediation=(
        Step("Nothing to fix for this state; look at the other findings for the cause of the reported symptom."),
        Step("To see for yourself: antrea-egress0 is of kind dummy and carries the Egress IPs of the Node, and the "
             "agent log shows flow-restore-wait cleaned up after the warning.",
             "ip -d addr show antrea-egress0; grep -E 'flow-restore-wait|CA bundle' /var/log/antrea/antrea-agent.INFO"
             "   # on {{ node }}"),
    ),
)


def check(ev):
    egress, frw, ca = [], [], []
    for node in ev.nodes:
        link = node.link(EGRESS_DEVICE)
        # The dummy driver marks its devices NOARP; any other device of that name is not Antrea's.
        if link is not None and not link.is_up and "NOARP" in link.flags:
            line = node.line_in(("ip-link", "ip-addr"), f"{EGRESS_DEVICE}:")
            egress.append((node.name, [line] if line else []))
        for run in node.runs:
            warned = run.first(ev.key("frw_not_true"))
            if warned and run.first(lifecycle.key("frw_cleaned"), after=warned):
                frw.append((node.name, [warned, run.first(lifecycle.key("frw_cleaned"), after=warned)]))
                break
        for run in node.runs:
            early = run.first(ev.key("no_ca_yet"))
            if early and run.first(ev.key("ca_updated"), after=early):
                ca.append((node.name, [early, run.first(ev.key("ca_updated"), after=early)]))
                break
    for state, found in (("egress", egress), ("frw", frw), ("ca", ca)):
        if found:
            yield RULE.finding(
                nodes=[n for n, _ in found],
                confidence=0.9,
                values={"state": state, "device": EGRESS_DEVICE},
                evidence=[e for _, evs in found for e in evs][:8],
            )
