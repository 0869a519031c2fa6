"""OVS rejects the OpenFlow flows or groups antrea-agent installs.

Symptom
-------
Services, NetworkPolicies or Pod connectivity are partly broken on one Node, and the agent
log has OpenFlow errors from OVS: ``Received OpenFlow1.5 error: OFPBAC_BAD_OUT_GROUP on
message OFPT_FLOW_MOD``, ``Received Vendor error: OFPGMFC_GROUP_EXISTS on
ONFT_BUNDLE_ADD_MESSAGE message``, or (v0.3-v0.8) ``Received bundle error msg: [...]``, often
with ``Error when installing group of Endpoints for Service``.

Why it happens
--------------
antrea-agent installs related flows and groups in one OpenFlow bundle; if OVS refuses one
message the whole bundle is rolled back and the feature it implements (a Service's load
balancing, a policy rule) is not realised. Group errors are the common case: a flow pointing
at a group OVS does not have (``OFPBAC_BAD_OUT_GROUP``; groups were not re-installed after
an OVS restart before antrea-io/antrea#2134), or adding a group whose id is still in use
(``OFPGMFC_GROUP_EXISTS`` after a bundle commit timed out but OVS applied it, fixed by
antrea-io/antrea#8190 in v2.7.0). Other codes (bad match, bad action) point at a flow OVS
cannot parse, e.g. an OVS version older than the one the agent was built for.

Evidence
--------
ofnet's OpenFlow error messages in the agent log (``Received OpenFlow1.3/1.5 error``,
``Received Vendor error``, ``Received ofp1.3 error msg, type: T, code: C`` before v0.9, and
the v0.3-v0.8 byte dumps, decoded to the rejected flow or group). Errors that say the
datapath lacks conntrack support (``NXBAC_CT_DATAPATH_SUPPORT``, or a rejected flow that uses
``ct``) belong to ``ovs-datapath-feature`` and are not counted here. The group errors name their
likely cause (a group id still in use, a flow pointing at a missing group); other codes only
say that OVS refused. Errors followed by ``Flow replay completed`` (pkg/agent/agent.go, after
the agent reconnects to a restarted OVS and re-installs all flows and groups) are over.

Remediation
-----------
Compare the rejected ids with the groups and flows OVS has, then restart the agent so it
replays all flows and groups; upgrade past the fixes named above.

References
----------
antrea-io/antrea#2134 (groups re-installed after OVS restart), antrea-io/antrea#8190 (group
recovery after a timed-out bundle commit, v2.7.0), antrea-io/ofnet ofctrl/ofErrors.go,
openvswitch/ovs include/openvswitch/ofp-errors.h.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    FLOWS,
    GROUPS,
    OTHER_CONTAINER_LOG,
    Finding,
    Inputs,
    LogEvent,
    Missing,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
    lifecycle_key,
    ofmsg,
)

_LOGS = (AGENT_LOG, OTHER_CONTAINER_LOG)
# ofnet ofErrors.go names of the OpenFlow 1.3 (type, code) pairs old agents log as numbers.
_OLD_NAMES = {
    (2, 4): "OFPBAC_BAD_OUT_PORT",
    (2, 9): "OFPBAC_BAD_OUT_GROUP",
    (6, 0): "OFPGMFC_GROUP_EXISTS",
    (6, 1): "OFPGMFC_INVALID_GROUP",
    (6, 8): "OFPGMFC_UNKNOWN_GROUP",
    (6, 7): "OFPGMFC_LOOP",
}
_DATAPATH = "_CT_DATAPATH_SUPPORT"
_MISSING_GROUP = ("OFPBAC_BAD_OUT_GROUP", "OFPGMFC_UNKNOWN_GROUP")


@dataclass
class Values:
    """The OpenFlow requests OVS rejected and the errors."""

    total: int  # rejected OpenFlow requests
    errors: str  # the error names with counts, e.g. "OFPBAC_BAD_OUT_GROUP x2"
    services: int  # "Error when installing ... Service" lines that followed
    rejected: str  # rejected requests decoded from old byte dumps ("" when none)


_REJECTED = """
    On {{ where }} OVS rejected {{ total }} OpenFlow request{{ "s" if total > 1 else "" }} from antrea-agent
    ({{ errors }}). A rejected message rolls back its whole bundle, so the flows that depend on it are not
    installed{% if services %} ({{ services }} Service group installation{{ "s" if services > 1 else "" }}
    failed){% endif %}.
"""
_DECODED = "{% if rejected %} Rejected: {{ rejected }}.{% endif %}"

RULE = Rule(
    id="ANT-OVS-004",
    slug="openflow-entries-rejected",
    title="OVS rejects OpenFlow flows or groups installed by antrea-agent",
    category="ovs-flows",
    severity="error",
    # OpenFlow errors while OVS restarts under the agent end with the replay of all flows.
    recovered_by=(lifecycle_key("flow_replay_completed"),),
    applies_to="all",
    inputs=Inputs(any_of=_LOGS, optional=(GROUPS, FLOWS)),
    references=(
        "antrea-io/antrea#2134",
        "antrea-io/antrea#8190",
        "https://github.com/antrea-io/ofnet/blob/main/ofctrl/ofErrors.go",
    ),
    signatures=(
        # antrea-io/ofnet ofctrl/ofSwitch.go: "Received OpenFlow1.3 error: %s on message %s" (v0.9-v1.11),
        # "Received OpenFlow1.5 error: %s on message %s" (v1.12+).
        Signature(
            "of_error",
            r"Received OpenFlow1\.[35] error: (?P<err>[A-Z][A-Z0-9_]+|unknown error[^\n]{0,60}?) on message (?P<msg>\S+)",
            "Received OpenFlow1.",
            _LOGS,
            versions=">=0.9.0",
        ),
        Signature(
            "vendor_error",
            r"Received Vendor error: (?P<err>[A-Z][A-Z0-9_]+|unknown error[^\n]{0,60}?)(?: on (?P<msg>\S{1,200}) message|\"|$)",
            "Received Vendor error: ",
            _LOGS,
            versions=">=0.9.0",
        ),
        Signature(
            "old_error",
            r"Received ofp1\.3 error msg, type: (?P<type>\d+), code: (?P<code>\d+)",
            "Received ofp1.3 error msg",
            _LOGS,
            versions=">=0.7.0,<0.9.0",
        ),
        Signature(
            "error_bytes",
            r"Received (?P<what>bundle|Vendor) error msg: (?P<bytes>\[[\d ]*\]?)",
            " error msg: [",
            _LOGS,
            versions=">=0.3.0,<0.9.0",
        ),
        # pkg/agent/proxy/proxier.go: the Service whose group could not be installed (what broke, not
        # a failure of its own).
        Signature(
            "service_group",
            r"Error when installing (?:group of Endpoints for Service|Endpoints groups|Group for Service)",
            "Error when installing ",
            _LOGS,
            role="context",
        ),
    ),
    explains=("antreaproxy", "networkpolicy"),
    lookalikes=("ovs-datapath-feature",),
    values=Values,
    outcomes=(
        Outcome(
            "group_exists",
            message=_REJECTED
            + """
            OFPGMFC_GROUP_EXISTS: the agent added a group whose id OVS still has, typically left behind by a
            bundle commit that timed out but was applied (antrea-io/antrea#8190, fixed in v2.7.0).
        """
            + _DECODED,
        ),
        Outcome(
            "missing_group",
            message=_REJECTED
            + """
            The rejected flows point at groups OVS does not have, e.g. groups lost when OVS restarted
            (antrea-io/antrea#2134).
        """
            + _DECODED,
        ),
        Outcome(
            "group_refused",
            message=_REJECTED
            + """
            OVS refused group messages: compare the agent's groups with dump-groups.
        """
            + _DECODED,
        ),
        Outcome("flows_refused", message=_REJECTED + _DECODED),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} OVS rejected {{ total }} OpenFlow request{{ "s" if total > 1 else "" }} from antrea-agent
            ({{ errors }}). {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} OVS rejected OpenFlow requests of an earlier agent run ({{ errors }}). {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Compare with the groups and flows OVS has on br-int.",
            "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
            "ovs-ofctl -O OpenFlow15 dump-groups br-int; kubectl -n kube-system exec <antrea-agent pod on {{ node }}> "
            "-c antrea-ovs -- ovs-ofctl -O OpenFlow15 dump-flows br-int | wc -l",
        ),
        Step(
            "Restart the agent: it deletes all groups and replays its flows and groups.",
            "kubectl -n kube-system delete pod -l app=antrea,component=antrea-agent "
            "--field-selector spec.nodeName={{ node }}",
        ),
        Step(
            "Upgrade Antrea: groups are re-installed after OVS restarts since antrea-io/antrea#2134 (v1.0.x/v1.1), "
            "and a group left by a timed-out bundle commit is cleaned up since v2.7.0 (antrea-io/antrea#8190)."
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        names: Counter[str] = Counter()
        evidence: list[LogEvent] = []
        rejected: list[str] = []
        for e in ev.hits("of_error", node) + ev.hits("vendor_error", node):
            err = e.groups.get("err", "").strip()
            if _DATAPATH in err:
                continue  # the datapath lacks conntrack support: ovs-datapath-feature
            names[err] += 1
            evidence.append(e)
        for e in ev.hits("old_error", node):
            pair = (int(e.groups.get("type", -1)), int(e.groups.get("code", -1)))
            names[_OLD_NAMES.get(pair, f"type {pair[0]} code {pair[1]}")] += 1
            evidence.append(e)
        for e in ev.hits("error_bytes", node):
            data = ofmsg.byte_list(e.groups.get("bytes", ""))
            msg = ofmsg.decode(data) if data else None
            if msg is not None and msg.uses_ct:
                continue  # a conntrack flow refused: docs/os-issues.md, ovs-datapath-feature
            names["rejected " + (msg.msg_type if msg else "message")] += 1
            evidence.append(e)
            if msg is not None:
                rejected.append(msg.describe())
        if not names:
            continue
        services = ev.hits("service_group", node)
        group_errors = sorted(n for n in names if "GROUP" in n)
        yield RULE.finding(
            _outcome(group_errors),
            nodes=[node.name],
            # OVS's own error is the evidence; the datapath look-alike is excluded by its code.
            confidence=0.85,
            values=Values(
                total=sum(names.values()),
                errors=", ".join(f"{n} x{c}" if c > 1 else n for n, c in names.most_common(4)),
                services=len(services),
                rejected="; ".join(dict.fromkeys(rejected[:3])),
            ),
            evidence=[*evidence[:6], *services[:2]],
            missing=[Missing.of(GROUPS, "the groups OVS has on br-int; a bundle has them from v2.0")]
            if group_errors and not node.has(GROUPS)
            else [],
        )


def _outcome(group_errors: list[str]) -> str:
    if "OFPGMFC_GROUP_EXISTS" in group_errors:
        return "group_exists"
    if any(n in group_errors for n in _MISSING_GROUP):
        return "missing_group"
    return "group_refused" if group_errors else "flows_refused"
