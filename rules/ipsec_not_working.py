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
certificate controller, v1.12 to v2.7.0), the antrea-ipsec container output of
``build/images/scripts/start_ovs_ipsec`` (in the fallback bundle ``logs/ipsec/`` or pasted), and
``ovs-monitor-ipsec.log`` lines (collected with the OVS logs; wording from openvswitch/ovs
``ipsec/ovs-monitor-ipsec.in`` 2.17 to 3.7). When the agent says the monitor is not running and
the container's output is missing, the cause is asked for. strongSwan's own ``charon.log`` is not
in the bundle and its messages are not matched. A Python traceback of ovs-monitor-ipsec is this
rule's when its exception is a missing file of the IKE daemon it configures (``No such file or
directory: '/etc/strongswan.d/ovs.conf'``: the image lacks that daemon, as the UBI image with
libreswan instead of strongSwan, antrea-io/antrea#4243); any other traceback is the
``agent-crash`` rule's.

Whether it lasted: the agent's IPsec checks run once at start and fail it, so the run's fatal
exit is the outcome; certificate syncs are retried (back-off 5 s to 60 s) until ``Created new
certificate and key for IPSec``; the container's start script exits on a missing ``ipsec`` command
or ``gcm`` plugin (the container restarts). The script's loop checks the daemons every 30 s and
logs ``OVS IPsec was stopped. Starting it again`` when it restarts them, and nothing while they
run: one restart is the loop doing its job (they stayed up at the next check, or it would say so
again), so only restarts within three check intervals of each other, the daemons dying again and
again, are a failure.

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

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from diagnose.api import (
    AGENT_LOG,
    OTHER_CONTAINER_LOG,
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
)

_CONTAINER = (OTHER_CONTAINER_LOG,)
_MONITOR = (OVS_LOG,)
# start_ovs_ipsec checks the daemons every 30 s: restarts closer than three checks are a loop.
_LOOP = timedelta(seconds=90)


@dataclass
class Values:
    """What IPsec lacks or fails on, and the tunnels concerned."""

    what: str  # what is missing or failing, e.g. "strongSwan's 'gcm' plugin"; "" when the outcome says it
    error: str  # the message or error quoted, e.g. "IPsec PSK environment variable 'ANTREA_IPSEC_PSK' ..."
    agent_exits: bool  # the agent's own start-up check failed on it (IPsec monitor not running)
    tunnels: list[str]  # tunnel ports ovs-monitor-ipsec rejects, e.g. ["antrea-tun0"]
    restarts: int  # restarts of the IPsec daemons by the container's loop


_CONTAINER_STEP = Step(
    "Check the antrea-ipsec container of the Node and its log.",
    "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-ipsec --tail=50",
)
_SAS = Step(
    "Look at the IPsec SAs ovs-monitor-ipsec negotiated.",
    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ipsec -- ipsec status",
)
_DROPPED = "Without IPsec SAs, encrypted tunnel traffic between Nodes is dropped."

RULE = Rule(
    id="ANT-IPSEC-001",
    slug="ipsec-not-working",
    title="IPsec encryption cannot work on the Node",
    category="ipsec",
    severity="critical",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/traffic-encryption.md",
        "https://github.com/antrea-io/antrea/blob/main/build/images/scripts/start_ovs_ipsec",
        "https://github.com/openvswitch/ovs/blob/main/ipsec/ovs-monitor-ipsec.in",
    ),
    inputs=Inputs(any_of=(AGENT_LOG, OTHER_CONTAINER_LOG, OVS_LOG)),
    platform="linux",  # IPsec through the antrea-ipsec container exists on Linux only
    signatures=(
        Signature(
            "monitor_down",
            r"IPsec was requested, but the OVS IPsec monitor does not seem to be running",
            "the OVS IPsec monitor does not seem to be running",
        ),
        Signature(
            "psk_missing",
            r"IPsec PSK environment variable '(?P<env>\w{1,64})' is not set or is empty",
            "IPsec PSK environment variable",
        ),
        Signature(
            "cert_sync_failed",
            r"Error syncing IPSec certificates, requeuing",
            "Error syncing IPSec certificates",
            versions=">=1.12.0",
        ),
        Signature(
            "cert_created",
            r"Created new certificate and key for IPSec",
            "Created new certificate and key for IPSec",
            versions=">=1.12.0",
            role="success",
        ),
        Signature("no_ipsec_cmd", r"'ipsec' command not available", "'ipsec' command not available", kinds=_CONTAINER),
        Signature(
            "no_gcm", r"Cannot detect 'gcm' plugin for StrongSwan", "Cannot detect 'gcm' plugin", kinds=_CONTAINER
        ),
        # The container's loop restarting the daemons (see Evidence: one restart is not a failure).
        Signature("restarted", r"OVS IPsec was stopped\. Starting it again", "OVS IPsec was stopped", kinds=_CONTAINER),
        Signature(
            "no_ike", r"IKE daemon is not installed in the system", "IKE daemon is not installed", kinds=_MONITOR
        ),
        # ovs-monitor-ipsec writes its IKE daemon's files at start (strongSwan: /etc/strongswan.d/ovs.conf,
        # /etc/ipsec.conf, /etc/ipsec.secrets; libreswan: /etc/ipsec.d/...); a traceback ending in a missing one
        # means the image lacks the daemon it is configured for (antrea-io/antrea#4243: UBI image, libreswan).
        Signature(
            "ike_conf_missing",
            r"No such file or directory: '(?P<path>[^'\s]{0,64}/etc/(?:strongswan\.d|ipsec\.d|"
            r"ipsec\.conf|ipsec\.secrets)[^'\s]{0,128})'",
            "No such file or directory: '",
            _CONTAINER + _MONITOR,
        ),
        # vlog.warn("%s contains invalid configuration%s" % (name, invalid_reason)), the tunnel port's name.
        Signature(
            "bad_tunnel",
            r"(?:^|[|\s])(?P<tunnel>[^|\s]{1,128}) contains invalid configuration(?P<why>[^|]{0,300})",
            "contains invalid configuration",
            kinds=_MONITOR,
        ),
        Signature(
            "bad_cert_conf",
            r"The cert and key configuration is not valid",
            "The cert and key configuration is not valid",
            kinds=_MONITOR,
        ),
    ),
    explains=("agent-crash",),
    lookalikes=("tunnel", "mtu"),
    values=Values,
    outcomes=(
        Outcome(
            "image-incomplete",
            message="""
            IPsec cannot work on {{ where }}: the antrea-ipsec container fails at start, {{ what }} is missing from
            its image ("{{ error }}"), so ovs-monitor-ipsec and strongSwan never run.{% if agent_exits %} The agent
            finds no IPsec monitor and exits at start-up, so the Node has no Pod network.{% else %} """
            + _DROPPED
            + """{% endif %}
        """,
            remediation=(
                _CONTAINER_STEP,
                Step(
                    "Use an antrea image with strongSwan and its standard plugins (the Ubuntu-based image), or add "
                    "the missing package to a custom one.",
                    "kubectl -n kube-system get ds antrea-agent -o jsonpath='{.spec.template.spec.containers[*].image}'",
                ),
            ),
        ),
        Outcome(
            "monitor-down",
            message="""
            antrea-agent on {{ where }} exits at start-up: IPsec is requested but ovs-monitor-ipsec is not running
            (the antrea-ipsec container is down or failing), so the Node has no Pod network.
        """,
            remediation=(_CONTAINER_STEP,),
        ),
        Outcome(
            "psk-missing",
            message="""
            antrea-agent on {{ where }} exits at start-up: the pre-shared key environment variable {{ what }} is not
            set (the antrea-ipsec Secret is missing or empty), so the Node has no Pod network.
        """,
            remediation=(
                Step(
                    "PSK mode: the antrea-ipsec Secret must exist and hold the key the agent reads as ANTREA_IPSEC_PSK.",
                    "kubectl -n kube-system get secret antrea-ipsec -o jsonpath='{.data}'",
                ),
            ),
        ),
        Outcome(
            "cert-failing",
            severity="error",
            message="""
            On {{ where }} antrea-agent cannot get or validate its IPsec certificate (certificate mode; last error:
            "{{ error }}"). """
            + _DROPPED,
            remediation=(
                Step(
                    "Check the agent's CertificateSigningRequests and that antrea-controller signs them.",
                    "kubectl get csr | grep antrea-agent-ipsec; kubectl -n kube-system logs deploy/antrea-controller | "
                    "grep -i ipsec",
                ),
                _SAS,
            ),
        ),
        Outcome(
            "no-ike-daemon",
            severity="error",
            message="""
            On {{ where }} ovs-monitor-ipsec finds no IKE daemon ("IKE daemon is not installed in the system"): no
            IPsec SA is negotiated. """
            + _DROPPED,
            remediation=(_CONTAINER_STEP, _SAS),
        ),
        Outcome(
            "config-rejected",
            severity="error",
            message="""
            On {{ where }} ovs-monitor-ipsec rejects the IPsec configuration{% if tunnels %} of
            {{ tunnels | join(", ") }}{% endif %} ("{{ error }}"): those tunnels get no IPsec SA. """
            + _DROPPED,
            remediation=(_SAS, _CONTAINER_STEP),
        ),
        Outcome(
            "daemons-restarting",
            severity="error",
            message="""
            On {{ where }} ovs-monitor-ipsec / strongSwan keep dying: the antrea-ipsec container restarted them
            {{ restarts }} times, within minutes of each other. IPsec SAs are torn down each time, so encrypted traffic
            between Nodes is dropped again and again.
        """,
            remediation=(_CONTAINER_STEP, _SAS),
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            IPsec on {{ where }} failed for a while{% if error %} ("{{ error }}"){% endif %}. {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            IPsec on {{ where }} failed in an earlier run{% if error %} ("{{ error }}"){% endif %}. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(_CONTAINER_STEP, _SAS),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        hits = {s.name: ev.hits(s.name, node) for s in RULE.signatures}
        down = hits["monitor_down"]
        image = hits["no_gcm"] + hits["no_ipsec_cmd"] + hits["ike_conf_missing"]
        if image:
            yield _finding(
                "image-incomplete",
                node,
                image + down,
                0.95 if len(image) > len(hits["ike_conf_missing"]) else 0.9,
                quoted=image[-1],
                what=_missing_from_image(hits),
                agent_exits=bool(down),
            )
        elif down:
            lacking = (
                []
                if node.has(OTHER_CONTAINER_LOG)
                else [
                    Missing.of(
                        OTHER_CONTAINER_LOG,
                        "the antrea-ipsec container's output says why ovs-monitor-ipsec is not running",
                    )
                ]
            )
            yield _finding("monitor-down", node, down, 0.9, missing=lacking, agent_exits=True)
        if hits["psk_missing"]:
            env = hits["psk_missing"][0].groups.get("env") or "ANTREA_IPSEC_PSK"
            yield _finding("psk-missing", node, hits["psk_missing"], 0.95, what=env, agent_exits=True)
        if hits["cert_sync_failed"]:
            yield _finding("cert-failing", node, hits["cert_sync_failed"], 0.8)
        if hits["no_ike"]:
            yield _finding("no-ike-daemon", node, hits["no_ike"], 0.85)
        rejected = hits["bad_tunnel"] + hits["bad_cert_conf"]
        if rejected:
            yield _finding(
                "config-rejected",
                node,
                rejected,
                0.85,
                tunnels=sorted({t for e in hits["bad_tunnel"] if (t := e.groups.get("tunnel"))}),
            )
        if _loop(hits["restarted"]):
            yield _finding("daemons-restarting", node, hits["restarted"], 0.8, restarts=len(hits["restarted"]))


def _finding(
    outcome: str,
    node: NodeView,
    events: list[LogEvent],
    confidence: float,
    *,
    what: str = "",
    agent_exits: bool = False,
    tunnels: list[str] | None = None,
    restarts: int = 0,
    missing: list[Missing] | None = None,
    quoted: LogEvent | None = None,
) -> Finding:
    return RULE.finding(
        outcome,
        nodes=[node.name],
        confidence=confidence,
        values=Values(
            what=what,
            error=_error(quoted or events[-1]),
            agent_exits=agent_exits,
            tunnels=tunnels or [],
            restarts=restarts,
        ),
        evidence=events[:3] + events[-1:] if len(events) > 3 else events,
        missing=missing or [],
    )


def _missing_from_image(hits: dict[str, list[LogEvent]]) -> str:
    if hits["no_gcm"]:
        return "strongSwan's 'gcm' plugin"
    if hits["no_ipsec_cmd"]:
        return "the 'ipsec' command (strongSwan)"
    path = hits["ike_conf_missing"][-1].groups.get("path", "")
    daemon = "strongSwan" if "strongswan" in path else "the IKE daemon ovs-monitor-ipsec is configured for"
    return f"{daemon} (ovs-monitor-ipsec cannot write {path})"


def _loop(restarts: list[LogEvent]) -> bool:
    """Restarts of the daemons closer together than three checks of the container's loop (undated
    restarts: more than one)."""
    times = sorted(e.time for e in restarts if e.time is not None)
    if len(times) < len(restarts):
        return len(restarts) > 1
    return any(b - a <= _LOOP for a, b in zip(times, times[1:], strict=False))


def _error(e: LogEvent) -> str:
    if e.groups.get("why"):
        return f"contains invalid configuration{e.groups['why']}".strip()[:300]
    text = e.kv.get("err") or e.message or e.text
    return text.rsplit("]: ", 1)[-1].strip()[:300]
