"""antrea-agent or antrea-controller refuses its configuration and exits at start-up.

Symptom
-------
The antrea-agent (or antrea-controller) container exits within a second of starting, over and over
(CrashLoopBackOff), and its log holds little more than ``F... main.go:50] Failed to validate:
<reason>`` or ``F... main.go:47] Failed to complete: <reason>``. No Pod on the Node gets a
network (the agent), or no NetworkPolicy is computed (the controller).

Why it happens
--------------
Both programs load their configuration file (``antrea-agent.conf`` / ``antrea-controller.conf``
of the ``antrea-config`` ConfigMap, rendered by the Helm chart or the manifest) before anything
else. ``complete()`` reads the file and applies the feature gates (``failed to decode config file``;
from k8s.io/component-base ``unrecognized feature gate``, ``cannot set feature gate ... feature is
locked``); ``validate()`` checks the options together (``cmd/antrea-agent/options.go``,
``cmd/antrea-controller/options.go``): an unknown ``TrafficEncapMode`` or ``tunnelType``, an
encryption mode that needs ``encap``, a feature that needs another feature gate (``SecondaryNetwork
feature requires the AntreaIPAM feature gate`` from v2.5, ``HostNetworkMode nftables requires
feature gate NFTablesHostNetworkMode`` from v2.5, ``LoadBalancerMode DSR requires feature gate``
from v1.13, the controller's ``ClusterNetworkPolicy`` / ``AdminNetworkPolicy`` gates that need
``AntreaPolicy`` from v2.7), invalid CIDRs of NodeIPAM. Typical causes: a ConfigMap edited by
hand, a values file from another release, an upgrade that made a combination invalid.

Evidence
--------
The fatal line ``Failed to validate: ...`` / ``Failed to complete: ...`` of ``cmd/antrea-agent/main.go``
and ``cmd/antrea-controller/main.go`` (lines 47/50 since v1.15, every release since v1.0), in the
klog file or the container log, with or without its header. The reason is matched to the option
check that returns it (message catalogue). A reason that names a feature (SecondaryNetwork,
Multicast, IPsec, WireGuard, Egress, NodePortLocal, Multi-cluster) is reported in that feature's
category. Absent lines: nothing else is logged before these fatals except the log-file lines, so
no other rule can explain them.

Remediation
-----------
Fix the option the message names in the ``antrea-config`` ConfigMap (or the Helm values and
re-render), then restart the Pods; check the option's valid values in the release's
``antrea-agent.conf`` / ``antrea-controller.conf``.

References
----------
antrea-io/antrea cmd/antrea-agent/options.go, cmd/antrea-controller/options.go,
cmd/antrea-agent/main.go; k8s.io/component-base featuregate; antrea-io/antrea docs/feature-gates.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    CONTROLLER_LOG,
    CONTROLLER_NODE,
    OTHER_CONTAINER_LOG,
    PSEUDO_NODES,
    Inputs,
    LogEvent,
    Missing,
    Outcome,
    Rule,
    RuleEvidence,
    Signature,
    Step,
    errorchain,
)
from diagnose.api import Finding as FindingT

_KINDS = (AGENT_LOG, CONTROLLER_LOG, OTHER_CONTAINER_LOG)


@dataclass
class Values:
    """The option the program rejected at start-up, and why."""

    component: str  # "antrea-agent" or "antrea-controller"
    where_text: str  # "on worker-2" ("" for the controller)
    step: str  # "validate" (options checked together) or "complete" (file read, feature gates applied)
    reason: str  # the reason the program gave, e.g. "TrafficEncapMode vxlan is unknown"
    option: str  # the option it names, e.g. "trafficEncapMode", or ""
    runs: int  # start attempts that ended with it (one fatal line each)
    configured: str  # what the bundle's antrea-agent.conf sets for that option, or ""
    config_file: str  # antrea-agent.conf or antrea-controller.conf


# Option named by a reason -> its key in antrea-agent.conf / antrea-controller.conf.
_OPTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), key)
    for p, key in (
        (r"TrafficEncapMode|noSNAT", "trafficEncapMode"),
        (r"TrafficEncryptionMode|IPSec encyption|IPsec tunnel|WireGuard is not applicable", "trafficEncryptionMode"),
        (r"[Tt]unnel type|tunnelPort", "tunnelType"),
        (r"OVS datapath type|OVSDatapathType", "ovsDatapathType"),
        (r"Service CIDR|[Ss]ervice CIDR", "serviceCIDR"),
        (r"cluster CIDR|Node IPv[46] CIDR|node IPv[46] CIDR", "nodeIPAM"),
        (r"LoadBalancerMode|proxy config", "antreaProxy"),
        (r"secondary network|secondary OVS bridge|SecondaryNetwork", "secondaryNetwork"),
        (r"HostNetworkMode|host network mode", "hostNetworkMode"),
        (r"[Bb]ridging mode", "enableBridgingMode"),
        (r"AntreaIPAM", "antreaIPAM"),
        (r"[Mm]ulticast|igmpQueryVersions", "multicast"),
        (r"[Ee]gress", "egress"),
        (r"nodePortLocal|NodePortLocal", "nodePortLocal"),
        (r"flow exporter|FlowExportTimeout", "flowExporter"),
        (r"[Mm]ulti-?cluster|StretchedNetworkPolicy", "multicluster"),
        (r"IPsec AuthenticationMode", "ipsec"),
        (r"policyBypassRule", "policyBypassRules"),
        (r"dnsServerOverride", "dnsServerOverride"),
        (r"kubeAPIServerOverride", "kubeAPIServerOverride"),
        (r"apiPort", "apiPort"),
        (r"TLSCipherSuites|TLSMinVersion", "tlsCipherSuites"),
        (r"nodeType", "nodeType"),
    )
)
_GATE = re.compile(r"[Ff]eature gate|feature is locked|requires the \w+ feature")
_FILE = re.compile(r"failed to decode config file|error (?:converting|unmarshaling) YAML|unknown field|yaml: ")
_GATE_NAME = re.compile(r"(?:unrecognized feature gate: |cannot set feature gate |feature gate `?)(?P<gate>[A-Z]\w+)")

RULE = Rule(
    id="ANT-CFG-001",
    slug="config-rejected-at-startup",
    title="antrea-agent or antrea-controller refuses its configuration at start-up",
    category="agent-config",
    severity="critical",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/cmd/antrea-agent/options.go",
        "https://github.com/antrea-io/antrea/blob/main/cmd/antrea-controller/options.go",
        "https://github.com/antrea-io/antrea/blob/main/docs/feature-gates.md",
    ),
    inputs=Inputs(any_of=(AGENT_LOG, CONTROLLER_LOG, OTHER_CONTAINER_LOG)),
    signatures=(
        # cmd/antrea-{agent,controller}/main.go: klog.Fatalf("Failed to validate: %v") / ("Failed to complete: %v").
        Signature("validate", r"(?:^|\] |\s)Failed to validate: (?P<err>.+)$", "Failed to validate: ", _KINDS),
        Signature("complete", r"(?:^|\] |\s)Failed to complete: (?P<err>.+)$", "Failed to complete: ", _KINDS),
    ),
    lookalikes=("agent-crash",),
    values=Values,
    outcomes=(
        Outcome(
            "feature_gates",
            message="""
            {{ component }} {{ where_text }} refuses its feature gates and exits at start-up{% if runs > 1 %}
            ({{ runs }} attempts){% endif %}: "{{ reason }}". The gates set in {{ config_file }} do not fit together
            in this release (or name a gate it does not know).
        """,
            remediation=(
                Step(
                    "Read the feature gates the ConfigMap sets and compare them with the release's list.",
                    "kubectl -n kube-system get configmap antrea-config -o yaml | grep -n -A40 'featureGates:'",
                ),
                Step(
                    "Enable the gate the message requires (or disable the one that needs it), then restart the Pods.",
                    "kubectl -n kube-system rollout restart daemonset/antrea-agent deployment/antrea-controller",
                ),
            ),
        ),
        Outcome(
            "config_file",
            message="""
            {{ component }} {{ where_text }} cannot read {{ config_file }} and exits at start-up{% if runs > 1 %}
            ({{ runs }} attempts){% endif %}: "{{ reason }}". The file is not valid YAML for this release (a typo,
            wrong indentation, or a key of another release).
        """,
            remediation=(
                Step(
                    "Check the file as the Pod sees it.",
                    "kubectl -n kube-system get configmap antrea-config -o jsonpath='{.data.{{ config_file }}}' | "
                    "python3 -c 'import sys, yaml; yaml.safe_load(sys.stdin)'",
                ),
                Step(
                    "Fix the key the error names and restart the Pods.",
                    "kubectl -n kube-system rollout restart daemonset/antrea-agent deployment/antrea-controller",
                ),
            ),
        ),
        Outcome(
            "invalid_option",
            message="""
            {{ component }} {{ where_text }} rejects its configuration and exits at start-up{% if runs > 1 %}
            ({{ runs }} attempts){% endif %}: "{{ reason }}"{% if option %} (option {{ option }}{% if configured %},
            set to {{ configured }}{% endif %}){% endif %}. Nothing else starts until {{ config_file }} is fixed.
        """,
            remediation=(
                Step(
                    "Find the option in the ConfigMap.",
                    "kubectl -n kube-system get configmap antrea-config -o yaml | grep -n -B2 -A6 "
                    "'{{ option or 'featureGates' }}'",
                ),
                Step(
                    "Set it to a value this release accepts (see the release's {{ config_file }}), then restart the Pods.",
                    "kubectl -n kube-system rollout restart daemonset/antrea-agent deployment/antrea-controller",
                ),
            ),
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            {{ component }} {{ where_text }} refused its configuration in an earlier run ("{{ reason }}").
            {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Read the option in the ConfigMap the Pods use.",
            "kubectl -n kube-system get configmap antrea-config -o yaml",
        ),
        Step(
            "Fix it and restart the Pods.",
            "kubectl -n kube-system rollout restart daemonset/antrea-agent deployment/antrea-controller",
        ),
    ),
)


def check(ev: RuleEvidence) -> Iterator[FindingT]:
    per_node: dict[str, list[LogEvent]] = {}
    for name in ("validate", "complete"):
        for e in ev.hits(name):
            per_node.setdefault(e.node or "", []).append(e)
    for node_name, events in sorted(per_node.items()):
        events.sort(key=lambda e: (e.run if e.run is not None else -1, e.time is not None, e.time or 0, e.line))
        last = events[-1]
        reason = (last.groups.get("err") or "").strip()
        controller = node_name == CONTROLLER_NODE or "antrea-controller" in last.artifact
        step = "complete" if last.signature.endswith(":complete") else "validate"
        option = _option(reason)
        chain = errorchain.decode(f"Failed to {step}: {reason}")
        category = chain.category if chain.category and chain.category != "agent-config" else None
        if category in ("agent-crash", "apiserver-unreachable", "host-network-config", "mtu", "tunnel"):
            category = None  # words of an option check, not that area's failure
        outcome = (
            "config_file" if _FILE.search(reason) else "feature_gates" if _GATE.search(reason) else "invalid_option"
        )
        nodes = [node_name] if node_name and node_name not in PSEUDO_NODES else []
        if controller:
            nodes = [CONTROLLER_NODE]
        missing = (
            []
            if ev.config is not None or controller
            else [
                Missing(
                    "the antrea-agent.conf the agent read (clusterinfo #configs)",
                    "kubectl -n kube-system get configmap antrea-config -o yaml",
                )
            ]
        )
        yield RULE.finding(
            outcome,
            nodes=nodes,
            confidence=0.95,
            values=Values(
                component="antrea-controller" if controller else "antrea-agent",
                where_text="" if controller or not nodes else f"on {', '.join(nodes)}",
                step=step,
                reason=reason[:300],
                option=option,
                runs=len(events),
                configured=_configured(ev, option, controller),
                config_file="antrea-controller.conf" if controller else "antrea-agent.conf",
            ),
            evidence=events[-2:],
            missing=missing,
            category=category,
        )


def _option(reason: str) -> str:
    gate = _GATE_NAME.search(reason)
    if gate:
        return f"featureGates.{gate['gate']}"
    return next((key for pattern, key in _OPTIONS if pattern.search(reason)), "")


def _configured(ev: RuleEvidence, option: str, controller: bool) -> str:
    """The agent config's value of the option, when the bundle has the config and the value is one of those read."""
    cfg = ev.config
    if cfg is None or controller:
        return ""
    known = {
        "trafficEncapMode": cfg.traffic_encap_mode,
        "tunnelType": cfg.tunnel_type,
        "trafficEncryptionMode": cfg.traffic_encryption_mode,
        "enableBridgingMode": str(cfg.enable_bridging_mode).lower(),
    }
    if option.startswith("featureGates."):
        gate = option.split(".", 1)[1]
        return str(cfg.feature_gates[gate]).lower() if gate in cfg.feature_gates else ""
    return known.get(option, "")
