"""The kernel's OVS datapath lacks a conntrack feature Antrea's pipeline needs.

Symptom
-------
Pod networking does not work on the Node (Pods cannot even reach the local gateway). From
v1.3 antrea-agent exits with ``the required OVS DP feature 'CT zone' is not supported``;
older agents keep running and log OVS rejecting their flows: ``Received bundle error msg:
[4 4 0 120 ...]`` (v0.3-v0.6), ``Received Vendor error msg: [...]`` (v0.7-v0.8) or
``NXBAC_CT_DATAPATH_SUPPORT`` (v0.9+). ovs-vswitchd logs ``Datapath does not support
ct_zone`` at start and ``Rejecting ct action because datapath does not support ct zones``.

Why it happens
--------------
Antrea's OVS pipeline tracks connections with the ``ct`` action in dedicated conntrack
zones (``zone=65520`` and others), sets ct marks and labels, and uses ct NAT for AntreaProxy.
The kernel datapath provides these only when the kernel was built with them: a kernel
without ``CONFIG_NF_CONNTRACK_ZONES`` (Photon OS 3.0 before 4.19.87-4, antrea-io/antrea#591)
rejects every flow that uses a zone, so the pipeline is never programmed. Since v1.3 the
agent checks ``ovs-appctl dpif/show-dp-features`` at start (CT state, CT zone, CT mark, CT
label, and CT state NAT with AntreaProxy; antrea-io/antrea#2571) and refuses to run.

Evidence
--------
Told apart by how exact the source is. The agent's ``the required OVS DP feature '<name>' is
not supported`` (pkg/agent/agent.go ``validateSupportedDPFeatures``, v1.3+, returned up to the
fatal ``Error running agent``) and ovs-vswitchd's own feature probe (``Datapath does not support
ct_zone``, ofproto/ofproto-dpif.c at bridge creation) or ``Rejecting ct action because datapath
does not support ...`` warnings name the feature. OpenFlow errors for rejected flows that are
datapath-support errors only imply it: ``NXBAC_CT_DATAPATH_SUPPORT`` (v0.9+), or, for the older
byte-dump messages (v0.3-v0.8), a decoded rejected flow whose actions use ``ct`` (with a zone:
conntrack zones, docs/os-issues.md); then the feature list is asked for. OpenFlow errors about
anything else (groups, matches) are ``ovs-flows``. ``support is unknown`` (OVS did not report
the feature) is inconclusive. A run that refused to start before a later healthy run is history.

Remediation
-----------
Run a kernel that provides the feature (on Photon OS 3.0: ``tdnf upgrade linux-esx`` to
4.19.87-4 or later), confirm with the kernel config and OVS's feature list, then restart the
agent.

References
----------
antrea-io/antrea#591, antrea-io/antrea docs/os-issues.md (Photon OS 3.0), antrea-io/antrea#2571
(DP feature check, v1.3.0), openvswitch/ovs ofproto/ofproto-dpif.c (feature probes,
``check_actions``), antrea-io/ofnet ofctrl/ofSwitch.go (error messages).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    INCONCLUSIVE,
    OTHER_CONTAINER_LOG,
    OVS_CONTAINER_LOG,
    OVS_LOG,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    NodeView,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
    ofmsg,
    unique_lines,
)

_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
_OVS = (OVS_LOG, OVS_CONTAINER_LOG)
# OVS probe names (ofproto-dpif.c CHECK_FEATURE) and check_actions details -> Antrea's names
# (pkg/ovs/ovsctl DPFeature).
_PROBES = {
    "ct_state": "CT state",
    "ct_zone": "CT zone",
    "ct_mark": "CT mark",
    "ct_label": "CT label",
    "ct_state_nat": "CT state NAT",
}
_REJECT_DETAILS = {
    "ct action": "CT state",
    "ct zones": "CT zone",
    "nat": "CT state NAT",
    "setting mark and/or label": "CT mark / CT label",
}
# Only the option docs/os-issues.md names; the others are not guessed.
_KERNEL_OPTION = {"CT zone": "CONFIG_NF_CONNTRACK_ZONES"}

DP_FEATURES_CMD = (
    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
    "ovs-appctl dpif/show-dp-features br-int"
)


@dataclass
class Values:
    """The datapath features the kernel lacks and what showed it."""

    features: list[str]  # Antrea's names of the missing features, e.g. ["CT zone"]
    options: list[str]  # kernel options known to provide them, e.g. ["CONFIG_NF_CONNTRACK_ZONES"]
    basis: list[str]  # what showed it: the agent's check, the OVS probe, rejected flows
    rejected: str  # the rejected flows as decoded from old byte dumps ("" when none)


_MISSING = """
    On {{ where }} the kernel's OVS datapath does not support {{ features | join(", ") }}{% if options %}
    (kernel option {{ options | join(", ") }}){% endif %}: {{ basis | join("; ") }}.
"""
_REJECTS = """
    OVS rejects every flow that uses it, so Antrea's pipeline is not programmed and Pods on the Node have no
    connectivity{% if rejected %} (rejected: {{ rejected }}){% endif %}.
"""

RULE = Rule(
    id="ANT-OVS-003",
    slug="ovs-datapath-feature-missing",
    title="The kernel's OVS datapath lacks a conntrack feature Antrea needs",
    category="ovs-datapath-feature",
    severity="critical",
    applies_to="all",
    inputs=Inputs(any_of=(*_LOGS, *_OVS)),
    references=(
        "antrea-io/antrea#591",
        "https://github.com/antrea-io/antrea/blob/main/docs/os-issues.md",
        "antrea-io/antrea#2571",
        "https://github.com/openvswitch/ovs/blob/main/ofproto/ofproto-dpif.c",
    ),
    signatures=(
        Signature(
            "dp_feature",
            r"the required OVS DP feature '(?P<feature>[^']{1,40})' (?P<state>is not supported|support is unknown)",
            "the required OVS DP feature",
            _LOGS,
            versions=">=1.3.0",
        ),
        # ofnet with readable OpenFlow errors (Antrea v0.9+): the Nicira error for an action or
        # match the datapath cannot execute.
        Signature(
            "ct_dp_error", r"(?P<code>NXB[AM]C_CT_DATAPATH_SUPPORT)", "_CT_DATAPATH_SUPPORT", _LOGS, versions=">=0.9.0"
        ),
        # ofnet before readable errors: the rejected request as a byte list (Antrea v0.3-v0.8).
        Signature(
            "error_bytes",
            r"Received (?P<what>bundle|Vendor) error msg: (?P<bytes>\[[\d ]*\]?)",
            " error msg: [",
            _LOGS,
            versions=">=0.3.0,<0.9.0",
        ),
        # ovs-vswitchd feature probes at start and its refusal of ct actions.
        Signature(
            "dp_probe",
            r"Datapath does not support (?P<feature>ct_state_nat|ct_state|ct_zone|ct_mark|ct_label)\b",
            "Datapath does not support ct_",
            _OVS,
        ),
        Signature(
            "rejecting",
            r"Rejecting ct action because datapath does not support ?(?P<detail>ct action|ct zones|force commit|nat|setting mark and/or label)",
            "Rejecting ct action because datapath does not support",
            _OVS,
        ),
    ),
    explains=("ovs-flows", "agent-crash", "antreaproxy", "networkpolicy"),
    lookalikes=("ovs-flows", "kernel-module"),
    values=Values,
    outcomes=(
        Outcome(
            "agent_refuses",
            message=_MISSING
            + """
            antrea-agent refuses to start without it, so the Node has no Pod network.
        """,
        ),
        Outcome("ovs_rejects", message=_MISSING + _REJECTS),
        # Only OpenFlow errors: which feature is a reading of the rejected flows.
        Outcome(
            "ovs_rejects_inferred",
            message=_MISSING
            + _REJECTS
            + """
            Which feature is missing is inferred from the rejected flows; the datapath feature list confirms it.
        """,
        ),
        Outcome(
            "support_unknown",
            status=INCONCLUSIVE,
            message="""
            On {{ where }} antrea-agent could not tell whether the kernel's OVS datapath supports
            {{ features | join(", ") }} (OVS did not report it) and refuses to start.
        """,
        ),
        Outcome("recovered", severity="info", message=_MISSING + "{{ outcome_text }}"),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} an earlier run found the kernel's OVS datapath without {{ features | join(", ") }}:
            {{ basis | join("; ") }}. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step("Confirm which conntrack features the datapath has.", DP_FEATURES_CMD),
        Step(
            "Check the running kernel's configuration.", "uname -r; grep CONFIG_NF_CONNTRACK /boot/config-$(uname -r)"
        ),
        Step(
            "Run a kernel built with the missing option; on Photon OS 3.0 upgrade linux-esx to 4.19.87-4 or later "
            "and reboot.",
            "tdnf upgrade linux-esx",
        ),
        Step(
            "Restart the agent on the new kernel.",
            "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
            "--field-selector spec.nodeName={{ node }}",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        features: dict[str, list[LogEvent]] = defaultdict(list)  # feature -> evidence
        unknown: list[LogEvent] = []
        basis: list[str] = []
        refused = False
        for e in ev.hits("dp_feature", node):
            if e.groups.get("state") == "is not supported":
                features[e.groups["feature"]].append(e)
                refused = True
            else:
                unknown.append(e)
        if features:
            basis.append("antrea-agent's start-up check (ovs-appctl dpif/show-dp-features)")
        probes = ev.hits("dp_probe", node) + ev.hits("rejecting", node)
        for e in probes:
            name = _PROBES.get(e.groups.get("feature", "")) or _REJECT_DETAILS.get(e.groups.get("detail", "").strip())
            if name:
                features[name].append(e)
        if probes:
            basis.append("ovs-vswitchd's datapath feature probe")
        ct_errors = ev.hits("ct_dp_error", node)
        inferred = _ct_rejections(ev, node)
        if ct_errors:
            basis.append(f"OVS rejected {len(ct_errors)} flow(s) with {ct_errors[0].groups.get('code')}")
        rejected = ""
        if inferred:
            basis.append(f"OVS rejected {len(inferred)} flow bundle(s) whose flows use conntrack actions")
            rejected = "; ".join(dict.fromkeys(m.describe() for _, m in inferred[:3]))
            if not features:
                for e, m in inferred:
                    name = "CT zone" if m.uses_ct_zone else "CT state NAT" if m.uses_ct_nat else "CT state"
                    features[name].append(e)
        if not (features or ct_errors or unknown):
            continue
        exact = refused or bool(probes)
        if refused:
            outcome, confidence = "agent_refuses", 0.95
        elif probes:
            outcome, confidence = "ovs_rejects", 0.95
        elif features or ct_errors:
            outcome, confidence = "ovs_rejects_inferred", 0.85
        else:
            outcome, confidence = "support_unknown", 0.5
        names = sorted(features) or (
            ["conntrack (ct actions)"] if ct_errors else sorted({u.groups["feature"] for u in unknown})
        )
        evidence = [e for evs in features.values() for e in evs[:2]] + ct_errors[:2] + unknown[:2]
        evidence += [e for e, _ in inferred[:2] if e not in evidence]
        yield RULE.finding(
            outcome,
            nodes=[node.name],
            confidence=confidence,
            values=Values(
                features=names,
                options=sorted({_KERNEL_OPTION[f] for f in names if f in _KERNEL_OPTION}),
                basis=basis or ["OVS reported the feature's support as unknown"],
                rejected=rejected,
            ),
            evidence=unique_lines(evidence)[:8],
            missing=[] if exact else [Missing("the datapath's conntrack feature list", DP_FEATURES_CMD)],
        )


def _ct_rejections(ev: RuleEvidence, node: NodeView) -> list[tuple[LogEvent, ofmsg.RejectedMessage]]:
    """(event, decoded request) of byte-dump errors whose rejected flow uses a ct action."""
    out = []
    for e in ev.hits("error_bytes", node):
        data = ofmsg.byte_list(e.groups.get("bytes", ""))
        msg = ofmsg.decode(data) if data else None
        if msg is not None and msg.uses_ct:
            out.append((e, msg))
    return out
