"""IPsec encryption cannot work: the IKE daemon, its configuration or its credentials are missing.

Symptom
-------
With ``trafficEncryptionMode: ipsec``, antrea-agent exits at start-up (``IPsec was requested, but
the OVS IPsec monitor does not seem to be running`` or ``IPsec PSK environment variable ... is
not set``), or Pod traffic between Nodes is dropped while the antrea-ipsec container restarts
its daemons (``OVS IPsec was stopped. Starting it again``).

Why it happens
--------------
In IPsec mode the antrea-ipsec container runs ovs-monitor-ipsec and strongSwan's charon, which
negotiate an IPsec SA for each tunnel port the agent creates. The container's start script checks
that the ``ipsec`` command and strongSwan's ``gcm`` plugin exist and exits otherwise; the agent
checks that ovs-monitor-ipsec runs and that the pre-shared key (``ANTREA_IPSEC_PSK``, from the
``antrea-ipsec`` Secret) is set, or, in certificate mode, that its certificate can be issued
(``Error syncing IPSec certificates``). ovs-monitor-ipsec itself rejects tunnels whose IPsec
options are inconsistent (``contains invalid configuration``, ``The cert and key configuration
is not valid``) and cannot start without an IKE daemon.

Evidence
--------
The agent messages above (checked in antrea-io/antrea pkg/agent/agent.go and the IPsec
certificate controller, v1.12 to HEAD), the antrea-ipsec container output of
``build/images/scripts/start_ovs_ipsec`` (in the fallback bundle ``logs/ipsec/`` or pasted), and
``ovs-monitor-ipsec.log`` lines (collected with the OVS logs; wording from openvswitch/ovs
``ipsec/ovs-monitor-ipsec.in`` 2.17 to 3.7). strongSwan's own ``charon.log`` is not in the bundle
and its messages are not matched.

Remediation
-----------
Fix what the message names (PSK Secret, strongSwan packages, certificate signer), check that the
antrea-ipsec container runs on every Node, then look at the IPsec SAs.

References
----------
antrea-io/antrea docs/traffic-encryption.md; antrea-io/antrea build/images/scripts/start_ovs_ipsec;
openvswitch/ovs ipsec/ovs-monitor-ipsec.in.
"""

from __future__ import annotations

from diagnose.model import PSEUDO_NODES, UNATTRIBUTED
from diagnose.rule import Rule, Signature, Step

_AGENT_FATAL = ("monitor_down", "psk_missing")

RULE = Rule(
    id="ANT-IPSEC-001",
    slug="ipsec-not-working",
    title="IPsec encryption cannot work on the Node",
    category="ipsec",
    severity="critical",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/traffic-encryption.md",
                "https://github.com/antrea-io/antrea/blob/main/build/images/scripts/start_ovs_ipsec",
                "https://github.com/openvswitch/ovs/blob/main/ipsec/ovs-monitor-ipsec.in"),
    signatures=(
        Signature("monitor_down", r"IPsec was requested, but the OVS IPsec monitor does not seem to be running",
                  "the OVS IPsec monitor does not seem to be running"),
        Signature("psk_missing", r"IPsec PSK environment variable '(?P<env>\w{1,64})' is not set or is empty",
                  "IPsec PSK environment variable"),
        Signature("cert_sync_failed", r"Error syncing IPSec certificates, requeuing", "Error syncing IPSec certificates",
                  versions=">=1.12.0"),
        Signature("no_ipsec_cmd", r"'ipsec' command not available", "'ipsec' command not available",
                  kinds=("container-log",)),
        Signature("no_gcm", r"Cannot detect 'gcm' plugin for StrongSwan", "Cannot detect 'gcm' plugin",
                  kinds=("container-log",)),
        Signature("restarted", r"OVS IPsec was stopped\. Starting it again", "OVS IPsec was stopped",
                  kinds=("container-log",)),
        Signature("no_ike", r"IKE daemon is not installed in the system", "IKE daemon is not installed",
                  kinds=("ovs-log",)),
        Signature("bad_tunnel", r"(?P<tunnel>\S{1,128}) contains invalid configuration(?P<why>.{0,300})", "contains invalid configuration",
                  kinds=("ovs-log",)),
        Signature("bad_cert_conf", r"The cert and key configuration is not valid", "The cert and key configuration is not valid",
                  kinds=("ovs-log",)),
    ),
    explains=("agent-crash",),
    lookalikes=("tunnel", "mtu"),
    message="""
        IPsec cannot work on {{ nodes | join(", ") if nodes else "the Node" }}: {{ problems | join("; ") }}.
        {% if fatal %}The agent exits at start-up, so the Node has no Pod network.{% else %}Without IPsec SAs,
        encrypted tunnel traffic between Nodes is dropped.{% endif %}
    """,
    remediation=(
        Step("Check the antrea-ipsec container of the Node and its log.",
             "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-ipsec --tail=50"),
        Step("PSK mode: the antrea-ipsec Secret must exist and hold the key the agent reads as ANTREA_IPSEC_PSK.",
             "kubectl -n kube-system get secret antrea-ipsec -o jsonpath='{.data}'"),
        Step("Look at the IPsec SAs ovs-monitor-ipsec negotiated.",
             "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ipsec -- ipsec status"),
    ),
)

_TEXT = {
    "monitor_down": "the agent found no ovs-monitor-ipsec running (antrea-ipsec container down)",
    "psk_missing": "the pre-shared key environment variable {env} is not set (antrea-ipsec Secret)",
    "cert_sync_failed": "the agent cannot get or validate its IPsec certificate (certificate mode)",
    "no_ipsec_cmd": "the antrea-ipsec container has no 'ipsec' command (strongSwan not installed)",
    "no_gcm": "strongSwan's 'gcm' plugin is missing in the antrea-ipsec image",
    "restarted": "ovs-monitor-ipsec / strongSwan keep stopping and being restarted",
    "no_ike": "ovs-monitor-ipsec finds no IKE daemon",
    "bad_tunnel": "ovs-monitor-ipsec rejects the IPsec options of tunnel {tunnel}",
    "bad_cert_conf": "ovs-monitor-ipsec rejects the certificate/key configuration",
}


def check(ev):
    names = [s.name for s in RULE.signatures]
    by_node: dict[str, dict[str, list]] = {}
    for name in names:
        for e in ev.hits(name):
            by_node.setdefault(e.node or UNATTRIBUTED, {}).setdefault(name, []).append(e)
    for node, hits in sorted(by_node.items()):
        if set(hits) == {"restarted"} and len(hits["restarted"]) < 2:
            continue  # one restart of the daemons is routine
        problems = [_TEXT[n].format(env=hits[n][0].groups.get("env", "ANTREA_IPSEC_PSK"),
                                    tunnel=hits[n][0].groups.get("tunnel", "?")) for n in names if n in hits]
        fatal = any(n in hits for n in _AGENT_FATAL)
        yield RULE.finding(
            nodes=[node] if node not in PSEUDO_NODES else [],
            confidence=0.9 if fatal or len(hits) > 1 else 0.75,
            severity="critical" if fatal else "error",
            values={"problems": problems, "fatal": fatal},
            evidence=[e for n in names if n in hits for e in hits[n][:2]][:10],
        )
