"""antrea-controller exits at start-up: ``Error running controller``.

Symptom
-------
The antrea-controller Pod restarts again and again (CrashLoopBackOff); its log ends with ``F...
main.go:53] Error running controller: <reason>``. Agents keep running with the policies they
had, but no NetworkPolicy change, no new Node's PodCIDR (with NodeIPAM) and no ``antctl`` query
that goes through the controller works, and agents log that they cannot reach ``antrea``.

Why it happens
--------------
``run()`` of ``cmd/antrea-controller/controller.go`` returns an error before the controller
serves, and ``main.go`` exits with it: ``error creating K8s clients`` (the kubeconfig or the
in-cluster service account cannot be loaded), ``error applying server cert`` (the self-signed
certificate cannot be created or stored in the ``antrea-controller-tls`` Secret, or the configured
certificate files are missing), ``error creating API server`` (most often its port, 10349 by
default, is taken on the Node: it runs with ``hostNetwork``), ``failed to clean up the deprecated
APIServices`` (RBAC or API server reachability), ``failed to initialize node IPAM controller``
(NodeIPAM cluster CIDRs that conflict with the Service CIDR), ``error when writing loopback access
token`` / ``error generating Cipher Suite list``.

Evidence
--------
The fatal line ``Error running controller: ...`` of the controller's log (``cmd/antrea-controller/main.go:53``
since v1.15, every release since v1.0) and the error it wraps, matched to the step that returns
it. Configuration refused before ``run()`` (``Failed to validate``/``Failed to complete``) is
ANT-CFG-001's. Absent lines: the controller logs ``Starting Antrea Controller`` first in every
release, so a log without it may simply be cut; nothing here rests on its absence.

Remediation
-----------
Follow the step that failed: the Secret and its RBAC for certificates, the port on the Node for
the API server, the NodeIPAM CIDRs, the service account for the clients; then delete the Pod.

References
----------
antrea-io/antrea cmd/antrea-controller/controller.go, cmd/antrea-controller/main.go,
pkg/apiserver/certificate; antrea-io/antrea docs/securing-control-plane.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    CONTROLLER_LOG,
    CONTROLLER_NODE,
    Inputs,
    LogEvent,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
)
from diagnose.api import Finding as FindingT

RESTART = Step(
    "Delete the controller Pod once the cause is fixed.",
    "kubectl -n kube-system delete pod -l component=antrea-controller",
)
LOGS = Step(
    "Read the end of the crashed run's log.",
    "kubectl -n kube-system logs deploy/antrea-controller --previous | tail -50",
)


@dataclass
class Values:
    """The step at which antrea-controller failed to start, and the error."""

    step: str  # what run() was doing, e.g. "creating its API server"
    error: str  # the error it returned, without the "Error running controller: " prefix
    cause: str  # the innermost part, e.g. "listen tcp 0.0.0.0:10349: bind: address already in use"
    runs: int  # start attempts that ended with it


# Step wrapped by run() -> (outcome, what it was doing, category). Wording of controller.go, v1.0-v2.7.
_STEPS: tuple[tuple[re.Pattern[str], str, str, str], ...] = tuple(
    (re.compile(p), o, s, c)
    for p, o, s, c in (
        (r"^error creating K8s clients", "clients", "creating its Kubernetes clients", "agent-config"),
        (
            r"^(?:error creating API server config: )?(?:error applying server cert|.*(?:self-signed certificate|"
            r"TLS certificate and/or key|CA certificate))",
            "certificate",
            "setting up its serving certificate",
            "tls-certificate",
        ),
        (
            r"^(?:error creating API server config: )?error (?:when creating dirs of token file|when writing loopback "
            r"access token)",
            "other",
            "writing its loopback token",
            "agent-crash",
        ),
        (r"^error generating Cipher Suite list", "other", "reading tlsCipherSuites", "agent-config"),
        (r"^error creating API server(?: config)?:", "api_server", "creating its API server", "agent-config"),
        (
            r"^failed to clean up the deprecated APIServices",
            "apiservices",
            "cleaning up deprecated APIServices",
            "apiserver-unreachable",
        ),
        (r"^failed to initialize node IPAM controller", "node_ipam", "starting NodeIPAM", "podcidr-not-allocated"),
    )
)

RULE = Rule(
    id="ANT-CTLR-001",
    slug="controller-startup-failed",
    title="antrea-controller exits at start-up",
    category="agent-crash",
    severity="critical",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/cmd/antrea-controller/controller.go",
        "https://github.com/antrea-io/antrea/blob/main/docs/securing-control-plane.md",
    ),
    inputs=Inputs(needs=(CONTROLLER_LOG,)),
    signatures=(
        Signature(
            "run_failed", r"Error running controller: (?P<err>.+)$", "Error running controller: ", (CONTROLLER_LOG,)
        ),
    ),
    explains=("controller-unreachable", "networkpolicy"),
    lookalikes=("agent-config",),
    values=Values,
    outcomes=(
        Outcome(
            "certificate",
            message="""
            antrea-controller exits at start-up{% if runs > 1 %} ({{ runs }} attempts){% endif %} while
            {{ step }}: "{{ error }}". Without its certificate it serves nothing: agents cannot fetch
            NetworkPolicies and antctl cannot query it.
        """,
            remediation=(
                LOGS,
                Step(
                    "Check the controller's TLS Secret and that its service account may write it (self-signed mode).",
                    "kubectl -n kube-system get secret antrea-controller-tls -o yaml | head -20; "
                    "kubectl auth can-i update secrets -n kube-system --as=system:serviceaccount:kube-system:antrea-controller",
                ),
                RESTART,
            ),
        ),
        Outcome(
            "api_server",
            message="""
            antrea-controller exits at start-up{% if runs > 1 %} ({{ runs }} attempts){% endif %} while {{ step }}:
            "{{ error }}".{% if "address already in use" in cause %} Another process on its Node holds the
            controller's port (it runs with hostNetwork).{% endif %}
        """,
            remediation=(
                LOGS,
                Step(
                    "On the controller's Node, find what listens on the API port (10349 unless apiPort is set).",
                    "ss -ltnp | grep 10349   # on the controller's Node",
                ),
                RESTART,
            ),
        ),
        Outcome(
            "node_ipam",
            message="""
            antrea-controller exits at start-up{% if runs > 1 %} ({{ runs }} attempts){% endif %} while {{ step }}:
            "{{ error }}". New Nodes get no PodCIDR while it is down.
        """,
            remediation=(
                Step(
                    "Compare nodeIPAM.clusterCIDRs with the Service CIDR in antrea-controller.conf.",
                    "kubectl -n kube-system get configmap antrea-config -o yaml | grep -n -A8 'nodeIPAM:'",
                ),
                RESTART,
            ),
        ),
        Outcome(
            "clients",
            message="""
            antrea-controller exits at start-up{% if runs > 1 %} ({{ runs }} attempts){% endif %} while {{ step }}:
            "{{ error }}". Check its kubeconfig (clientConnection.kubeconfig) or, in-cluster, its service account
            token and KUBERNETES_SERVICE_HOST.
        """,
            remediation=(
                LOGS,
                Step(
                    "Check the service account token mounted in the Pod and the clientConnection of antrea-controller.conf.",
                    "kubectl -n kube-system get configmap antrea-config -o yaml | grep -n -A4 'clientConnection'",
                ),
                RESTART,
            ),
        ),
        Outcome(
            "apiservices",
            message="""
            antrea-controller exits at start-up{% if runs > 1 %} ({{ runs }} attempts){% endif %} while {{ step }}:
            "{{ error }}". The Kubernetes API refused or could not be reached for the APIService objects.
        """,
            remediation=(
                Step(
                    "Check the controller's RBAC for apiservices and the API server.",
                    "kubectl auth can-i delete apiservices --as=system:serviceaccount:kube-system:antrea-controller; "
                    "kubectl get apiservices | grep antrea",
                ),
                RESTART,
            ),
        ),
        Outcome(
            "other",
            message="""
            antrea-controller exits at start-up{% if runs > 1 %} ({{ runs }} attempts){% endif %}{% if step %} while
            {{ step }}{% endif %}: "{{ error }}"{% if cause and cause != error %}; the innermost error is
            "{{ cause }}"{% endif %}.
        """,
            remediation=(LOGS, RESTART),
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            antrea-controller exited at start-up in an earlier run ("{{ error }}"). {{ outcome_text }}
        """,
        ),
    ),
    remediation=(LOGS, RESTART),
)


def check(ev: RuleEvidence) -> Iterator[FindingT]:
    events: list[LogEvent] = ev.hits("run_failed")
    if not events:
        return
    events.sort(key=lambda e: (e.run if e.run is not None else -1, e.time is not None, e.time or 0, e.line))
    last = events[-1]
    error = (last.groups.get("err") or "").strip()
    outcome, step, category = "other", "", None
    for pattern, name, what, area in _STEPS:
        if pattern.search(error):
            outcome, step, category = name, what, area
            break
    parts = error.split(": ")
    cause = ": ".join(parts[1:]) if len(parts) > 1 else error
    yield RULE.finding(
        outcome,
        nodes=[CONTROLLER_NODE],
        confidence=0.9 if outcome != "other" else 0.7,
        values=Values(step=step, error=error[:300], cause=cause[:300], runs=len(events)),
        evidence=events[-2:],
        category=category,
    )
