"""A Service's OpenFlow group has no bucket: AntreaProxy drops the Service's traffic.

Symptom
-------
Connections to a Service's ClusterIP (or NodePort, LoadBalancer IP) from Pods of one Node time out
although the Service has ready Endpoints; ``ovs-ofctl dump-groups br-int`` shows the Service's
group as ``group_id=N,type=select,...`` with no ``bucket=``.

Why it happens
--------------
AntreaProxy installs one select group per Service port, with one bucket per Endpoint, and a
``ServiceLB`` flow that sends the Service's packets to it. Since v1.11 a Service without Endpoints
still gets one bucket that marks the packet for rejection (``serviceEndpointGroup`` in
``pkg/agent/openflow/pipeline.go``: ``SvcNoEpRegMark`` from v1.12, ``CustomReasonRejectSvcNoEp``
in v1.11), so a group without any bucket is not a state AntreaProxy leaves on purpose: its group
update failed or was lost (OVS restarted, a group message refused), and OVS drops every packet
sent to it.

Evidence
--------
The bundle's ``groups`` (``ovs-ofctl dump-groups br-int -O OpenFlow15``, v2.0+) or a pasted dump,
and the ``flows`` that send to the empty group (``actions=...group:N``) in table ``ServiceLB``
or with the Service cookie category. Versions before v1.11 leave an empty group for a Service
whose Endpoints went away, so the rule applies from v1.11. A group no flow sends to is ignored.

Remediation
-----------
Restart the agent on the Node (it deletes all groups and reinstalls them with the flows); look for
``OpenFlow`` errors in its log around the Service's last update.

References
----------
antrea-io/antrea pkg/agent/openflow/pipeline.go (serviceEndpointGroup), pkg/agent/proxy/proxier.go;
antrea-io/antrea docs/design/ovs-pipeline.md (ServiceLB).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import FLOWS, GROUPS, EvidenceLine, Inputs, Outcome, Rule, RuleEvidence, Step
from diagnose.api import Finding as FindingT

SERVICE_COOKIE_CATEGORY = 3  # pkg/agent/openflow/cookie: Service (v1.6+)
_GROUP_ACTION = re.compile(r"(?:^|[,:])group:(\d{1,10})\b")


@dataclass
class Values:
    """The empty groups that Service flows send to."""

    groups: list[int]  # the empty groups that flows send to
    services: list[str]  # the Services' matches (nw_dst, tp_dst) of the flows that use them, a few
    count: int  # empty groups in use


RULE = Rule(
    id="ANT-PROXY-002",
    slug="service-group-without-buckets",
    title="A Service's OpenFlow group has no bucket: its traffic is dropped",
    category="antreaproxy",
    severity="error",
    applies_to=">=1.11.0",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/openflow/pipeline.go",
        "https://github.com/antrea-io/antrea/blob/main/docs/design/ovs-pipeline.md",
    ),
    inputs=Inputs(needs=(GROUPS, FLOWS)),
    lookalikes=("ovs-flows",),
    judge_outcome=False,
    values=Values,
    outcomes=(
        Outcome(
            "empty_group",
            message="""
            On {{ where }} {{ count }} OpenFlow group{{ "s" if count != 1 }} that Service flows send to
            ({{ groups | join(", ") }}) {{ "have" if count != 1 else "has" }} no bucket: packets to
            {{ services | join("; ") }} are dropped. AntreaProxy always gives a Service's group at least one bucket
            (a reject bucket when there is no Endpoint), so the group update was lost.
        """,
        ),
    ),
    remediation=(
        Step(
            "See the group and the flows that use it.",
            "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- ovs-ofctl dump-groups "
            "br-int -O OpenFlow15 group_id={{ groups[0] }}",
        ),
        Step(
            "Restart the agent on the Node: it reinstalls every group and flow.",
            "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[FindingT]:
    for node in ev.nodes:
        groups, flows = node.groups, node.flows
        if not groups or not flows:
            continue
        empty = {g.id: (a, g) for a, g in groups if g.buckets == 0 and g.type == "select"}
        if not empty:
            continue
        users: dict[int, list] = {}
        for flow in flows:
            if not (flow.table == "ServiceLB" or _category(flow.cookie) == SERVICE_COOKIE_CATEGORY):
                continue
            for m in _GROUP_ACTION.finditer(flow.actions):
                if int(m[1]) in empty:
                    users.setdefault(int(m[1]), []).append(flow)
        if not users:
            continue
        evidence: list[EvidenceLine] = []
        services: list[str] = []
        for gid, used_by in sorted(users.items()):
            art, group = empty[gid]
            evidence.append(EvidenceLine(art.path, group.line, None, group.text, node.name))
            line = node.line_in((FLOWS,), used_by[0].raw.strip()[:120])
            if line:
                evidence.append(line)
            fields = used_by[0].match_fields
            services.append(
                ":".join(v for v in (fields.get("nw_dst") or fields.get("ipv6_dst"), fields.get("tp_dst")) if v)
                or f"group {gid}"
            )
        yield RULE.finding(
            "empty_group",
            nodes=[node.name],
            confidence=0.9,
            values=Values(groups=sorted(users), services=services[:5], count=len(users)),
            evidence=evidence[:8],
        )


def _category(cookie: str | None) -> int | None:
    """The cookie's category byte (pkg/agent/openflow/cookie: round 16 bits, category 8 bits)."""
    try:
        return (int(cookie or "", 16) >> 40) & 0xFF
    except ValueError:
        return None
