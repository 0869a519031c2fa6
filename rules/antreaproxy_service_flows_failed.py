"""AntreaProxy cannot install the flows of some Services (Service load-balancing broken).

Symptom
-------
Connections to some Services (ClusterIP, NodePort, LoadBalancer or external IPs) fail or hang
from Pods on a Node, while the Endpoints are healthy; the agent logs ``Error when installing
ClusterIP flows for Service`` (or NodePort / LoadBalancer / ExternalIP flows, group of
Endpoints, Endpoints flows).

Why it happens
--------------
AntreaProxy (on by default since v1.x) implements Services in OVS: one OpenFlow group per
Service port with a bucket per Endpoint, and flows matching the Service IP and port, plus
iptables/route configuration for NodePort and LoadBalancer with proxyAll. If installing the group
or the flows fails, that Service is not load-balanced on the Node until a later sync succeeds:
OVS rejected the flows or groups (see ``ovs-flows``), the OpenFlow connection to OVS was down, or
the host-side NodePort configuration failed.

Evidence
--------
``Error when installing ... for Service`` in the agent log (wording stable from v1.12 to HEAD),
with the Service in ``ServiceInfo=`` / ``ServicePortName=``; the quoted error of the last failure
names the cause. ``Error when uninstalling ...`` (a Service being removed) is not a load-balancing
failure.

Whether it lasted: the proxier does not retry a failed Service on a timer of its own; it tries
again at its next sync, run on any Service or EndpointSlice change and at the latest after an hour
(``BoundedFrequencyRunner`` maxInterval, pkg/agent/proxy/proxier.go, v1.12 to v2.7.0), and logs
nothing when the install then succeeds. So silence after a failure proves nothing for an hour in a
quiet cluster; what proves it over is a later run that is healthy, or ``Flow replay completed``
after an OVS restart under the agent (OpenFlow errors during the restart end with it).

Remediation
-----------
Fix what the error points at (OVS flows/groups, OpenFlow connection, iptables), then check the
Service's flows on the Node; restarting the agent reinstalls all Service flows.

References
----------
antrea-io/antrea pkg/agent/proxy/proxier.go; antrea-io/antrea docs/antrea-proxy.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import AGENT_LOG, Finding, Inputs, LogEvent, Outcome, Rule, RuleEvidence, Signature, Step


@dataclass
class Values:
    """The Services whose flows or groups AntreaProxy failed to install."""

    count: int  # failed installs seen
    services: list[str]  # the Services concerned, "namespace/name:port" or "ClusterIP:port/proto"
    error: str  # the error of the last failure, e.g. "group 31 install failed: message is timed out"
    kinds: list[str]  # what failed to install, e.g. ["ClusterIP flows", "group of Endpoints"]


_WHAT = """Service datapath state ({{ kinds | join(", ") }}) for {{ services | length }} Service{{ "s" if services |
    length != 1 }} ({{ services[:5] | join(", ") }}{{ ", ..." if services | length > 5 }})"""

RULE = Rule(
    id="ANT-PROXY-001",
    slug="antreaproxy-service-flows-failed",
    title="AntreaProxy cannot install Service flows",
    category="antreaproxy",
    severity="error",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/antrea-proxy.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/proxy/proxier.go",
    ),
    inputs=Inputs(needs=(AGENT_LOG,)),
    # OpenFlow errors while OVS restarts under the agent end with the replay of all flows.
    recovered_by=("core:flow_replay_completed",),
    retry_interval=3600,  # the proxier's next sync, at the latest (BoundedFrequencyRunner maxInterval)
    signatures=(
        Signature(
            "install_failed",
            r"Error when installing (?P<what>ClusterIP flows|NodePort flows and configurations|ExternalIP flows and "
            r"configurations|LoadBalancer flows and configurations|group of Endpoints|Endpoints flows) for Service",
            "Error when installing ",
            versions=">=1.12.0",
        ),
    ),
    lookalikes=("ovs-flows",),
    values=Values,
    outcomes=(
        Outcome(
            "failing",
            message="""
            On {{ where }} AntreaProxy failed {{ "once" if count == 1 else count ~ " times" }} to install """
            + _WHAT
            + """;
            last error: "{{ error }}". {{ "That Service is" if services | length == 1 else "Those Services are" }} not
            load-balanced from this Node until a sync succeeds.
        """,
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} AntreaProxy could not install """
            + _WHAT
            + """ for a while; last error: "{{ error }}".
            {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} an earlier antrea-agent run could not install """
            + _WHAT
            + """. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Check the Service and that its Endpoints are ready.",
            "kubectl get svc -A -o wide; kubectl get endpointslices -A",
        ),
        Step(
            "Look at the OVS group and flows of the Service on the Node (group IDs per Service port).",
            "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
            "ovs-ofctl -O OpenFlow15 dump-groups br-int | head -50",
        ),
        Step(
            "Once OVS/iptables accept the configuration, restart the agent on the Node to reinstall all Services.",
            "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        events = ev.hits("install_failed", node)
        if not events:
            continue
        last = events[-1]
        yield RULE.finding(
            "failing",
            nodes=[node.name],
            # The error says what OVS refused; whether the Service is still broken needs its flows.
            confidence=0.8,
            values=Values(
                count=len(events),
                services=sorted({_service(e) for e in events}),
                error=(last.kv.get("err") or "?")[:300],
                kinds=sorted({e.groups.get("what") or "?" for e in events}),
            ),
            evidence=events[:3] + ([last] if len(events) > 3 else []),
        )


def _service(e: LogEvent) -> str:
    info = e.kv.get("ServicePortName") or e.kv.get("ServiceInfo") or "?"
    return info.split(" ")[0][:120]
