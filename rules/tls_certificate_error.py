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
``x509:`` in agent or controller log lines, per Node and in log order. Persisting: no successful
``Started watch for`` / ``Caches are synced`` after the last error of the latest run: severity
error. Transient after a CA rotation: a success follows the errors and the agent logged
``Updating Antrea client with the new CA bundle`` (or the controller regenerated its
certificate) in between: severity info, the state is harmless. Transient without a rotation
seen: warning. The peer (antrea-controller or kube-apiserver) is read from the failing URL.
Look-alike: a missing CA bundle (``Didn't get CA certificate``, ``Antrea client is not ready``)
has no x509 error and is ``controller-unreachable``.

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

from diagnose.model import CONTROLLER_NODE, PSEUDO_NODES
from diagnose.rule import Missing, Rule, Signature, Step

RULE = Rule(
    id="ANT-TLS-001",
    slug="tls-certificate-error",
    title="x509 certificate errors towards antrea-controller or the API server",
    category="tls-certificate",
    severity="error",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/securing-control-plane.md",
                "https://github.com/antrea-io/antrea/blob/main/pkg/apiserver/certificate/selfsignedcert_provider.go",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/client/client.go"),
    signatures=(
        # Go crypto/x509 error texts (antrea-reference.md §3.11), inside klog err= or after ": ".
        Signature("x509", r"x509: (?P<what>certificate signed by unknown authority|certificate has expired or is not yet valid"
                  r"|[a-z][^\"\\]{0,160})", "x509: ", kinds=("agent-log", "controller-log")),
        Signature("ca_updated", r"Updating Antrea client with the new CA bundle", "Updating Antrea client with the new CA", role="success"),
        Signature("watch_started", r"Started watch for (?P<type>[A-Za-z]{1,40})", "Started watch for ", role="success"),
        Signature("caches_synced", r"Caches are synced", "Caches are synced", kinds=("agent-log", "controller-log"), role="success"),
        Signature("cert_generated", r"Generating self-signed cert", "Generating self-signed cert",
                  kinds=("controller-log",), versions=">=2.0.0", role="context"),
        Signature("cert_rotated", r"Rotating self signed certificate", "Rotating self signed certificate",
                  kinds=("controller-log",), versions="<2.0.0", role="context"),
    ),
    explains=("controller-unreachable", "networkpolicy"),
    lookalikes=("controller-unreachable",),
    message="""
        {% if persisting %}{{ who }} on {{ nodes | join(", ") if nodes else "the Node" }} keep{{ "s" if nodes | length <= 1 }} failing TLS
        verification towards {{ peer }} until the end of the log ({{ count }} errors: "x509: {{ what }}").
        {% if what.startswith("certificate has expired") %}The certificate is expired or not yet valid: check the
        clock of {{ nodes | join(", ") if nodes else "the Node" }} and the certificate's validity.{% else %}The CA it trusts does not sign the
        certificate the server presents: a user-provided certificate whose CA is not in the antrea-ca ConfigMap, a
        stale ConfigMap, or something intercepting TLS.{% endif %}
        {% elif rotation %}{{ who }} on {{ nodes | join(", ") if nodes else "the Node" }} logged {{ count }} transient x509 errors
        ("{{ what }}") towards {{ peer }} right after the CA was rotated, then picked up the new CA bundle and
        reconnected. This is expected after a certificate rotation and needs no action.
        {% else %}{{ who }} on {{ nodes | join(", ") if nodes else "the Node" }} logged {{ count }} x509 errors ("{{ what }}") towards
        {{ peer }} and then reconnected; no CA rotation was seen in the logs, so watch for a recurrence.{% endif %}
    """,
    remediation=(
        Step("Show the CA bundle the agents trust and the certificate antrea-controller serves, and compare "
             "issuer and validity.",
             "kubectl -n kube-system get configmap antrea-ca -o jsonpath='{.data.ca\\.crt}' | "
             "openssl x509 -noout -subject -enddate; "
             "kubectl -n kube-system exec deploy/antrea-controller -- sh -c 'openssl s_client -connect 127.0.0.1:10349 "
             "</dev/null 2>/dev/null | openssl x509 -noout -issuer -enddate'"),
        Step("Check the clock of the Node (an expired or not-yet-valid certificate is often clock skew).",
             "date -u; timedatectl status   # on {{ node }}"),
        Step("If you provide the certificate yourself (selfSignedCert: false), put its CA in the antrea-ca ConfigMap; "
             "agents reload it without restart."),
    ),
)

_CONTROLLER_URL = re.compile(r":10349\b|controlplane\.antrea\.io|Failed to start watch|antrea\.kube-system")
_APISERVER_URL = re.compile(r"/api/v1/|failed to list \*?v1|:6443\b|:443/api")


def check(ev):
    groups: dict[tuple, list] = {}
    for node_name, state in _states(ev):
        key = (state["kind"], state["peer"], state["what"])
        groups.setdefault(key, []).append((node_name, state))
    for (kind, peer, what), items in sorted(groups.items(), key=lambda kv: kv[0]):
        # An excerpt whose Node is unknown (pseudo-Node "(unattributed)") is reported without a Node.
        nodes = [n for n, _ in items if n not in PSEUDO_NODES or n == CONTROLLER_NODE]
        states = [s for _, s in items]
        evidence = [e for s in states for e in s["evidence"]][:10]
        persisting = kind == "persisting"
        rotation = kind == "rotation"
        finding = RULE.finding(
            nodes=nodes,
            confidence=0.85 if persisting else 0.8,
            severity="error" if persisting else "info" if rotation else "warning",
            values={"persisting": persisting, "rotation": rotation, "peer": peer, "what": what,
                    "count": sum(s["count"] for s in states),
                    "who": "antrea-controller" if nodes == [CONTROLLER_NODE] else "antrea-agent"},
            evidence=evidence,
            missing=() if not persisting or ev.view.configmaps is not None else (
                Missing("the CA bundle the agents trust (antrea-ca ConfigMap)",
                        "kubectl -n kube-system get configmap antrea-ca -o yaml"),),
        )
        if not persisting:
            finding.explains = ()  # harmless: it must not absorb a real failure on the same Nodes
        yield finding


def _states(ev):
    """(node, state) for every Node (and the controller) whose logs hold x509 errors."""
    x509_key, ok_keys = ev.key("x509"), {ev.key("watch_started"), ev.key("caches_synced")}
    rotation_keys = {ev.key("ca_updated"), ev.key("cert_generated"), ev.key("cert_rotated")}
    controller_rotated = bool(ev.hits("cert_generated") or ev.hits("cert_rotated"))
    for node in ev.view.nodes.values():
        if node.runs:
            events = node.runs[-1].events
        else:
            events = sorted(node.undated_events, key=lambda e: (e.artifact, e.line))
        errors = [e for e in events if e.signature == x509_key]
        if not errors:
            continue
        after = events[events.index(errors[-1]) + 1:]
        recovered = next((e for e in after if e.signature in ok_keys), None)
        rotation = next((e for e in events[events.index(errors[0]):] if e.signature in rotation_keys), None)
        rotated = controller_rotated or rotation is not None
        kind = "persisting" if recovered is None else "rotation" if rotated else "transient"
        what = _what(errors[-1])
        shown = errors[:2] + errors[-1:] if len(errors) > 2 else list(errors)
        shown += [e for e in (rotation, recovered) if e is not None]
        yield node.name, {"kind": kind, "peer": _peer(errors[-1].text), "what": what, "count": len(errors),
                          "evidence": shown}


def _what(e) -> str:
    what = e.groups.get("what", "").rstrip(" .")
    return what[:120]


def _peer(text: str) -> str:
    if _CONTROLLER_URL.search(text):
        return "antrea-controller"
    if _APISERVER_URL.search(text):
        return "the Kubernetes API server"
    return "its server"
