"""x509 certificate errors between Antrea components and antrea-controller or the API server.

Symptom
-------
The agent (or the controller) logs ``x509: certificate signed by unknown authority`` or
``x509: certificate has expired or is not yet valid`` inside failed watches or lists, e.g.
``Failed to start watch for NetworkPolicy: ... tls: failed to verify certificate: x509: ...``;
NetworkPolicies stop being updated on the Nodes concerned.

Why it happens
--------------
antrea-controller serves its API with a self-signed certificate unless one is provided; it
publishes the CA in the ``antrea-ca`` ConfigMap and regenerates the certificate before it expires
(``Generating self-signed cert``; ``Rotating self signed certificate`` up to v1.15). Each agent
watches that ConfigMap and rebuilds its client (``Updating Antrea client with the new CA
bundle``). Between a rotation and the agent picking up the new CA, connections fail with
``certificate signed by unknown authority``: that is expected and stops by itself. Errors that
persist mean the agent trusts a CA the server does not use (a certificate provided by the user
whose CA is not in ``antrea-ca``, a stale ConfigMap, a proxy intercepting TLS) or a certificate
really expired (clock skew on the Node, or a user-provided certificate never renewed).

Evidence
--------
``x509:`` in agent or controller log lines of the latest run (or a pasted excerpt), per Node; the
Go error text says which check failed: ``certificate signed by unknown authority`` (the CA),
``certificate has expired or is not yet valid`` (the dates, or the Node's clock), ``certificate
is valid for ..., not ...`` and the other host-name errors (the certificate's SANs: from v2.1 the
agent dials the controller's Endpoint IP and verifies the name ``antrea.<namespace>.svc``). The
engine judges whether they lasted: a later ``Started watch for`` / ``Caches are synced`` /
``Updating Antrea client with the new CA bundle`` in the same run, or minutes of normal logging
after the last error, is a recovery (info); when the agent logged the CA update (or the
controller regenerated its certificate) in between, it was the expected hiccup of a rotation.
The peer (antrea-controller or kube-apiserver) is read from the failing URL. Look-alike: a
missing CA bundle (``Didn't get CA certificate``, ``Antrea client is not ready``) has no x509
error and is ``controller-unreachable``.

Remediation
-----------
Compare the CA the agent trusts (``antrea-ca``) with the certificate the controller serves;
check the Node clock; after fixing, the agents pick up the CA by themselves.

References
----------
antrea-io/antrea pkg/apiserver/certificate (selfsignedcert_provider.go, cacert_controller.go),
pkg/agent/client/client.go; antrea-io/antrea docs/securing-control-plane.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    CONTROLLER_LOG,
    CONTROLLER_NODE,
    PSEUDO_NODES,
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


@dataclass
class Values:
    """Whose certificate fails to verify, for whom, and why."""

    who: str  # "antrea-agent on worker-1", or "antrea-controller"
    peer: str  # whose certificate fails: "antrea-controller", "the Kubernetes API server" or "its server"
    what: str  # the x509 error after "x509: ", e.g. "certificate signed by unknown authority"
    count: int  # x509 error lines
    rotation: bool  # the CA was rotated (client updated, certificate regenerated) after the first error


_KEEPS = """
    {{ who }} keeps failing TLS verification towards {{ peer }} until the end of the log ({{ count }} error{{ "s" if count != 1 }}: "x509: {{ what }}").
"""

RULE = Rule(
    id="ANT-TLS-001",
    slug="tls-certificate-error",
    title="x509 certificate errors towards antrea-controller or the API server",
    category="tls-certificate",
    severity="error",
    inputs=Inputs(any_of=(AGENT_LOG, CONTROLLER_LOG)),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/securing-control-plane.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/apiserver/certificate/selfsignedcert_provider.go",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/client/client.go",
    ),
    signatures=(
        # Go crypto/x509 error texts (golang/go src/crypto/x509/verify.go), inside klog err= or after ": ".
        Signature(
            "x509",
            r"x509: (?P<what>certificate signed by unknown authority|certificate has expired or is not yet valid"
            r"|[a-z][^\"\\]{0,160})",
            "x509: ",
            kinds=("agent-log", "controller-log"),
        ),
        Signature(
            "ca_updated",
            r"Updating Antrea client with the new CA bundle",
            "Updating Antrea client with the new CA",
            role="success",
        ),
        Signature("watch_started", r"Started watch for (?P<type>[A-Za-z]{1,40})", "Started watch for ", role="success"),
        Signature(
            "caches_synced",
            r"Caches are synced",
            "Caches are synced",
            kinds=("agent-log", "controller-log"),
            role="success",
        ),
        Signature(
            "cert_generated",
            r"Generating self-signed cert",
            "Generating self-signed cert",
            kinds=("controller-log",),
            versions=">=2.0.0",
            role="context",
        ),
        Signature(
            "cert_rotated",
            r"Rotating self signed certificate",
            "Rotating self signed certificate",
            kinds=("controller-log",),
            versions="<2.0.0",
            role="context",
        ),
    ),
    explains=("controller-unreachable", "networkpolicy"),
    lookalikes=("controller-unreachable",),
    values=Values,
    outcomes=(
        Outcome(
            "untrusted_ca",
            message=_KEEPS
            + """
            {% if peer == "antrea-controller" %}The CA it trusts does not sign the certificate the server presents: a
            user-provided certificate whose CA is not in the antrea-ca ConfigMap, a stale ConfigMap, or something
            intercepting TLS.{% else %}The cluster CA it trusts (its service account's ca.crt) does not sign the
            certificate the server presents: a cluster CA rotated without restarting the agents, or something
            intercepting TLS.{% endif %}""",
        ),
        Outcome(
            "expired",
            message=_KEEPS
            + """
            The certificate is expired or not yet valid: check the clock of {{ where }} and the certificate's
            validity.""",
        ),
        Outcome(
            "wrong_name",
            message=_KEEPS
            + """
            The certificate does not name the server the component dials (from v2.1 the agent verifies
            antrea.<namespace>.svc on the controller's Endpoint IP): a user-provided certificate without that
            SAN.""",
        ),
        Outcome("other_x509", message=_KEEPS),
        # The engine's judgement: the component reconnected (typically right after a CA rotation).
        Outcome(
            "recovered",
            severity="info",
            message="""
            {{ who }} logged {{ count }} x509 error{{ "s" if count != 1 }} ("{{ what }}") towards {{ peer }}{% if
            rotation %} right after the CA was rotated, then picked up the new CA bundle and reconnected. This is
            expected after a certificate rotation and needs no action.{% else %} and then reconnected; no CA
            rotation was seen in the logs, so watch for a recurrence.{% endif %} {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            {{ who }} logged {{ count }} x509 error{{ "s" if count != 1 }} ("{{ what }}") towards {{ peer }} in an
            earlier run. {{ outcome_text }}
        """,
        ),
        Outcome(
            "once",
            severity="warning",
            message="""
            {{ who }} logged one x509 error towards {{ peer }} ("{{ what }}"){% if
            what.startswith("certificate signed by unknown authority") %}: the CA it trusts did not sign the server's
            certificate (as right after a CA regeneration, until the new CA bundle is loaded){% endif %}.
            {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Show the CA bundle the agents trust and the certificate antrea-controller serves, and compare "
            "issuer and validity.",
            "kubectl -n kube-system get configmap antrea-ca -o jsonpath='{.data.ca\\.crt}' | "
            "openssl x509 -noout -subject -enddate; "
            "kubectl -n kube-system exec deploy/antrea-controller -- sh -c 'openssl s_client -connect 127.0.0.1:10349 "
            "</dev/null 2>/dev/null | openssl x509 -noout -issuer -enddate'",
        ),
        Step(
            "Check the clock of the Node (an expired or not-yet-valid certificate is often clock skew).",
            "date -u; timedatectl status   # on {{ node }}",
        ),
        Step(
            "If you provide the certificate yourself (selfSignedCert: false), put its CA in the antrea-ca ConfigMap; "
            "agents reload it without restart."
        ),
    ),
)

_CONTROLLER_URL = re.compile(r":10349\b|controlplane\.antrea\.io|Failed to start watch|antrea\.kube-system")
_APISERVER_URL = re.compile(r"/api/v1/|failed to list \*?v1|:6443\b|:443/api")
# Go crypto/x509 HostnameError texts (verify.go): the certificate does not name the dialled server.
_NAME_ERRORS = (
    "certificate is valid for",
    "certificate is not valid for any names",
    "cannot validate certificate for",
    "certificate relies on legacy Common Name field",
)


@dataclass
class _NodeErrors:
    """A Node's x509 errors of its latest run, and whether they persist."""

    node: str
    errors: list[LogEvent]  # x509 lines of the latest run, in order
    shown: list[LogEvent]  # the first and last errors, the rotation and the recovery
    rotation: bool
    current: bool  # still failing at the end of the logs (the engine's judgement)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    groups: dict[tuple[str, str, str, bool, bool], list[_NodeErrors]] = {}
    for found in _errors(ev):
        last = found.errors[-1]
        what = last.groups.get("what", "").rstrip(" .")[:120]
        key = (_kind(what), _peer(last.text), what, found.current, found.rotation)
        groups.setdefault(key, []).append(found)
    for (kind, peer, what, current, rotation), items in sorted(groups.items()):
        # An excerpt whose Node is unknown (pseudo-Node "(unattributed)") is reported without a Node.
        nodes = [f.node for f in items if f.node not in PSEUDO_NODES or f.node == CONTROLLER_NODE]
        yield RULE.finding(
            kind,
            nodes=nodes,
            confidence=0.85 if current else 0.8,
            values=Values(
                who=_who(nodes), peer=peer, what=what, count=sum(len(f.errors) for f in items), rotation=rotation
            ),
            evidence=[e for f in items for e in f.shown][:10],
            missing=()
            if not current or ev.view.configmaps is not None
            else (
                Missing(
                    "the CA bundle the agents trust (antrea-ca ConfigMap)",
                    "kubectl -n kube-system get configmap antrea-ca -o yaml",
                ),
            ),
        )


def _errors(ev: RuleEvidence) -> Iterator[_NodeErrors]:
    """The x509 errors of every Node's (and the controller's) latest run, with what followed them."""
    x509_key, ok_keys = ev.key("x509"), {ev.key("watch_started"), ev.key("caches_synced"), ev.key("ca_updated")}
    rotation_keys = {ev.key("ca_updated"), ev.key("cert_generated"), ev.key("cert_rotated")}
    controller_rotated = bool(ev.hits("cert_generated") or ev.hits("cert_rotated"))
    for node in ev.view.nodes.values():
        events = _latest(node)
        errors = [e for e in events if e.signature == x509_key]
        if not errors:
            continue
        after = events[events.index(errors[-1]) + 1 :]
        recovered = next((e for e in after if e.signature in ok_keys - {ev.key("ca_updated")}), None)
        rotation = next((e for e in events[events.index(errors[0]) :] if e.signature in rotation_keys), None)
        judged = node.outcome(errors, [e for e in after if e.signature in ok_keys])
        shown = errors[:2] + errors[-1:] if len(errors) > 2 else list(errors)
        shown += [e for e in (rotation, recovered) if e is not None]
        yield _NodeErrors(
            node.name, errors, shown, controller_rotated or rotation is not None, judged is None or judged.current
        )


def _latest(node: NodeView) -> list[LogEvent]:
    if node.runs:
        return node.runs[-1].events
    return sorted(node.undated_events, key=lambda e: (e.artifact, e.line))


def _who(nodes: list[str]) -> str:
    if nodes == [CONTROLLER_NODE]:
        return "antrea-controller"
    named = [n for n in nodes if n not in PSEUDO_NODES]
    return f"antrea-agent on {', '.join(named) if named else 'the Node of these files'}"


def _kind(what: str) -> str:
    if what.startswith("certificate signed by unknown authority"):
        return "untrusted_ca"
    if what.startswith("certificate has expired or is not yet valid"):
        return "expired"
    if what.startswith(_NAME_ERRORS):
        return "wrong_name"
    return "other_x509"


def _peer(text: str) -> str:
    if _CONTROLLER_URL.search(text):
        return "antrea-controller"
    if _APISERVER_URL.search(text):
        return "the Kubernetes API server"
    return "its server"
