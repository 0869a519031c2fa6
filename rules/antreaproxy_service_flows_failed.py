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
with the Service in ``ServiceInfo=`` / ``ServicePortName=``. Failures of one Service in the latest
run are reported with that Service; the quoted error of the last failure names the cause.

Remediation
-----------
Fix what the error points at (OVS flows/groups, OpenFlow connection, iptables), then check the
Service's flows on the Node; restarting the agent reinstalls all Service flows.

References
----------
antrea-io/antrea pkg/agent/proxy/proxier.go; antrea-io/antrea docs/antrea-proxy.md.
"""

from __future__ import annotations

from diagnose.rule import Rule, Signature, Step

RULE = Rule(
    id="ANT-PROXY-001",
    slug="antreaproxy-service-flows-failed",
    title="AntreaProxy cannot install Service flows",
    category="antreaproxy",
    severity="error",
    # OpenFlow errors while OVS restarts under the agent end with the replay of all flows.
    recovered_by=("core:flow_replay_completed",),
    references=("https://github.com/antrea-io/antrea/blob/main/docs/antrea-proxy.md",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/proxy/proxier.go"),
    signatures=(
        Signature("install_failed",
                  r"Error when installing (?P<what>ClusterIP flows|NodePort flows and configurations|ExternalIP flows and "
                  r"configurations|LoadBalancer flows and configurations|group of Endpoints|Endpoints flows) for Service",
                  "Error when installing ", versions=">=1.12.0"),
    ),
    lookalikes=("ovs-flows",),
    message="""
        On {{ nodes | join(", ") }} AntreaProxy failed {{ count }} time{{ "s" if count != 1 }} to install Service
        datapath state ({{ kinds | join(", ") }}) for {{ services | length }} Service{{ "s" if services | length != 1 }}
        ({{ services[:5] | join(", ") }}{{ ", ..." if services | length > 5 }}); last error: "{{ error }}".
        Those Services are not load-balanced from this Node until a sync succeeds.
    """,
    remediation=(
        Step("Check the Service and that its Endpoints are ready.",
             "kubectl get svc -A -o wide; kubectl get endpointslices -A"),
        Step("Look at the OVS group and flows of the Service on the Node (group IDs per Service port).",
             "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
             "ovs-ofctl -O OpenFlow15 dump-groups br-int | head -50"),
        Step("Once OVS/iptables accept the configuration, restart the agent on the Node to reinstall all Services.",
             "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}"),
    ),
)


def check(ev):
    for node in ev.nodes:
        events = ev.hits("install_failed", node)
        if node.runs:
            latest = set(map(id, node.runs[-1].events))
            events = [e for e in events if id(e) in latest or e.time is None]
        if not events:
            continue
        services = sorted({_service(e) for e in events})
        last = events[-1]
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.8,
            values={"count": len(events), "services": services, "error": (last.kv.get("err") or "?")[:300],
                    "kinds": sorted({e.groups.get("what", "?") for e in events})},
            evidence=events[:3] + ([last] if len(events) > 3 else []),
        )


def _service(e) -> str:
    info = e.kv.get("ServicePortName") or e.kv.get("ServiceInfo") or "?"
    return info.split(" ")[0][:120]
