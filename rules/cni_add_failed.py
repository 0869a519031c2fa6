"""Pods cannot get their network: the CNI ADD (or DEL) of antrea fails.

Symptom
-------
New Pods stay in ``ContainerCreating`` with ``FailedCreatePodSandBox`` events: ``Failed to create
pod sandbox: ... failed to setup network for sandbox "<id>": plugin type="antrea" failed (add):
<error>``; deleted Pods hang in ``Terminating`` with ``plugin type="antrea" failed (delete)``. On
the Node, antrea-agent logs ``Failed to configure interfaces for container``, ``Cannot process
CmdAdd request for container because network is not ready`` or ``Failed to remove interfaces for
container``.

Why it happens
--------------
The container runtime runs the ``antrea`` CNI binary, which forwards every ADD/DEL over gRPC to
the agent's CNI server on ``/var/run/antrea/cni.sock``. What the runtime reports is the agent's
answer, so the inner error says which step failed:

- ``dial unix /var/run/antrea/cni.sock: connect: no such file or directory`` (or ``connection
  refused``): no agent listens on the Node: antrea-agent is not running, crash-loops or is still
  starting. This is a symptom: the agent's own failure on that Node is the cause.
- ``Server is busy, please retry later`` (agent: ``Cannot process CmdAdd request for container
  because network is not ready``): the agent runs but has not finished initialising (flow
  restoration, the NetworkPolicy and route syncs) within the CNI server's wait.
- ``no IP addresses available in range set`` / ``all IPPools exhausted``: IPAM has no free
  address (``ipam``).
- ``failed to Statfs "/var/run/netns/..."`` / ``is not a valid network namespace``: the sandbox's
  network namespace was gone before the agent got to it (the runtime removed the sandbox, e.g.
  after a timeout or a runtime restart).
- ``failed to create veth devices`` / ``already exists`` / ``failed to configure IP address``:
  the Pod's interfaces cannot be created (a stale interface of an earlier sandbox).
- ``failed to add OVS port`` / ``failed to connect to ovs`` / ``failed to add Openflow entries``:
  OVS refused the Pod's port or flows.
- a DEL that fails leaves the sandbox, its veth and its IP behind until it succeeds.

Evidence
--------
The agent's CNI server lines (printf up to v1.13, structured ``"..." err= container=`` from
v1.14; ``pkg/agent/cniserver/server.go``), the runtime's ``plugin type="antrea" failed
(add|delete): ...`` (containernetworking/cni ``libcni/api.go``, which names the plugin since
v0.8.1/v1.0) in kubelet logs, ``kubectl get events`` and ``kubectl describe pod``, and the gRPC
dial error of the antrea CNI binary (``pkg/cni/client.go``). An agent-side IPAM exhaustion and
the same in ``kubectl describe pod`` are ANT-IPAM-001's (this rule stays silent on them).
``CmdAdd for container succeeded`` after the failures, in the same run, proves the CNI server
works again (the engine then reports the failures as recovered). The Pod of a failed container
is named by the call's ``Received CmdAdd request`` (CNI_ARGS ``K8S_POD_NAMESPACE``/``K8S_POD_NAME``),
recalled from the lines just before the failure rather than matched on every call. Absent lines: the agent logs
nothing for a request it never received (the ``cni.sock`` dial errors), so those rest on the
kubelet side only; the agent's ``Received CmdAdd request`` is logged at every level since v1.14
but ``CmdAdd for container succeeded`` is the only success line that every version prints.

Remediation
-----------
For a missing socket, fix the agent on that Node first (its crash, OVS or API finding); for a
not-ready network, find what blocks the agent's initialisation; for the rest, follow the inner
error (stale interfaces, the netns, OVS), then delete the stuck Pod so that a new sandbox is made.

References
----------
antrea-io/antrea pkg/agent/cniserver/server.go, pkg/cni/client.go; antrea-io/antrea#832;
containernetworking/cni libcni/api.go; antrea-io/antrea docs/troubleshooting.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from diagnose.api import (
    AGENT_LOG,
    HOST_LOG,
    KUBECTL_DESCRIBE_POD,
    KUBECTL_EVENTS,
    OTHER_CONTAINER_LOG,
    PSEUDO_NODES,
    EvidenceLine,
    Inputs,
    LogEvent,
    Missing,
    NodeView,
    Outcome,
    Recall,
    Rule,
    RuleEvidence,
    Signature,
    Step,
)
from diagnose.api import Finding as FindingT

_AGENT = (AGENT_LOG, OTHER_CONTAINER_LOG)

# `Received CmdAdd request %v` (v1.0-v1.13), `"Received CmdAdd request" request=` (v1.14+) names the
# Pod of a container id (CNI_ARGS K8S_POD_NAMESPACE / K8S_POD_NAME). The request of a failed call is
# logged just before its failure, so it is recalled from there rather than matched on every line
# (a quarter of a busy agent's log).
_REQUEST = Recall(
    key=r'\bcontainer[= ]\\?"?(?P<key>[0-9a-f]{12,64})',
    pattern=r"Received Cmd(?:Add|Del) request\b.*?"
    r"K8S_POD_NAMESPACE=(?P<ns>[-a-z0-9.]{1,253});K8S_POD_NAME=(?P<pod>[-a-z0-9.]{1,253})",
    literal="Received Cmd",
)


@dataclass
class Values:
    """The failed CNI calls, their Pods and what the agent did meanwhile."""

    where_text: str  # "on worker-2" or "" when the Node is not known
    pods: list[str]  # the Pods (namespace/name) or containers whose sandbox failed, a few
    count: int  # failed ADD/DEL calls seen
    error: str  # the innermost error of the last failure
    agent_state: str  # what the agent on the Node did: "" or e.g. 'exited: "Error running agent: ..."'
    sources: list[str] = field(default_factory=list)  # where it was seen: agent log, kubelet log, events...


# What the inner error of a failed CNI call means, tried in order (words of Antrea's, the CNI
# plugins' and gRPC's messages; see the docstring).
_CLASSES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(words))
    for name, words in (
        (
            "agent_unreachable",
            r"cni\.sock\S*:? connect: (?:no such file or directory|connection refused)|"
            r"cni\.sock: (?:no such file or directory|connection refused)",
        ),
        ("network_not_ready", r"Server is busy, please retry later|because network is not ready"),
        ("ipam_exhausted", r"no IP addresses available in range set|all IPPools exhausted|Pool \S+ is exh?austed"),
        ("netns_gone", r"failed to Statfs|is not a valid network namespace|[Nn]etns \S* ?(?:does not exist|not found)"),
        (
            "ovs_port",
            r"failed to (?:add OVS port|connect to ovs|add Openflow entries|get of_port)|"
            r"OpenFlow port is not ready",
        ),
        (
            "interface_setup",
            r"veth|failed to configure IP address for container|failed to set MTU|already exists|"
            r"failed to (?:find|set) .*interface",
        ),
        ("ipam_failed", r"IPAM|[Ii][Pp] ?[Pp]ool|failed to allocate|allocated IP address not found"),
    )
)

REMEDIATION_STUCK_POD = Step(
    "When the cause is fixed, delete the Pods stuck in ContainerCreating so that the runtime makes new sandboxes.",
    "kubectl get pods -A -o wide --field-selector spec.nodeName={{ node }} | grep -E 'ContainerCreating|Terminating'",
)

RULE = Rule(
    id="ANT-CNI-001",
    slug="cni-add-failed",
    title="CNI ADD/DEL of antrea fails: Pods cannot get their network",
    category="cni",
    severity="error",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/cniserver/server.go",
        "https://github.com/antrea-io/antrea/blob/main/pkg/cni/client.go",
        "antrea-io/antrea#832",
        "https://github.com/containernetworking/cni/blob/main/libcni/api.go",
        "https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",
    ),
    inputs=Inputs(any_of=(AGENT_LOG, HOST_LOG, KUBECTL_EVENTS, KUBECTL_DESCRIBE_POD)),
    signatures=(
        # server.go: printf `Failed to ... for container %s: %v` up to v1.13, ErrorS from v1.14.
        Signature(
            "add_failed",
            r"Failed to (?P<what>request IP addresses|configure interfaces|check IPAM configuration) "
            r"for container\b(?P<rest>.*)",
            " for container",
            _AGENT,
            recall=_REQUEST,
        ),
        Signature(
            "del_failed",
            r"Failed to (?P<what>remove interfaces|delete IP addresses) for container\b(?P<rest>.*)",
            " for container",
            _AGENT,
            recall=_REQUEST,
        ),
        Signature(
            "not_ready",
            r"Cannot process CmdAdd request for container\b(?P<rest>.*)",
            "Cannot process CmdAdd request",
            _AGENT,
            recall=_REQUEST,
        ),
        # `CmdAdd for container %v succeeded` (v1.0-v1.13), `"CmdAdd for container succeeded"` (v1.14+).
        Signature(
            "add_ok",
            r"CmdAdd for container (?:\S+ )?succeeded",
            "CmdAdd for container",
            _AGENT,
            role="success",
            busy=True,
        ),
        # The runtime's view in kubelet / containerd / CRI-O logs (libcni; the quotes are escaped
        # inside a structured err="...").
        Signature(
            "runtime_failed",
            r'plugin type=\\?"antrea\\?"(?: name=\\?"[^"\\]{0,63}\\?")? failed '
            r"\((?P<op>add|delete|del|check)\): (?P<err>.*)",
            "plugin type=",
            (HOST_LOG,),
        ),
        # The antrea CNI binary's gRPC dial error without libcni's prefix (older runtimes).
        Signature(
            "socket_missing",
            r"dial unix (?P<sock>\S{0,200}antrea/cni\.sock): connect: "
            r"(?P<err>no such file or directory|connection refused)",
            "antrea/cni.sock",
            (HOST_LOG,),
        ),
    ),
    lookalikes=("ipam", "agent-crash"),
    values=Values,
    outcomes=(
        Outcome(
            "agent_unreachable",
            severity="error",
            message="""
            The container runtime cannot reach antrea-agent's CNI server {{ where_text }}: {{ count }} sandbox
            set-up{{ "s" if count != 1 }} failed with "{{ error }}" ({{ pods | join(", ") }}). No agent listens on
            /var/run/antrea/cni.sock, so no new Pod there gets a network.
            {% if agent_state %}The agent on that Node {{ agent_state }}: that is the cause, this is its
            symptom.{% else %}The agent is not running or still starting: its own log says why.{% endif %}
        """,
            remediation=(
                Step(
                    "Check the antrea-agent Pod of the Node and the log of its last run.",
                    "kubectl -n kube-system get pods -l component=antrea-agent -o wide --field-selector "
                    "spec.nodeName={{ node }}; kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent "
                    "--previous | tail -50",
                ),
                Step(
                    "On the Node, check that the socket exists once the agent runs.",
                    "ls -l /var/run/antrea/cni.sock   # on {{ node }}",
                ),
                REMEDIATION_STUCK_POD,
            ),
        ),
        Outcome(
            "network_not_ready",
            severity="error",
            message="""
            antrea-agent {{ where_text }} refuses CNI ADDs because its network is not ready ({{ count }}
            time{{ "s" if count != 1 }}, {{ pods | join(", ") }}): it runs but has not finished initialising
            (flow restoration, the initial NetworkPolicy and route syncs).
            {% if agent_state %}The agent {{ agent_state }}.{% endif %}
        """,
            remediation=(
                Step(
                    "Find where the agent's start-up stopped: the last lines before the first refusal.",
                    "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent | grep -nE "
                    "'Waiting for|Flow restoration|flow-restore-wait|Failed|Error' | tail -30",
                ),
                REMEDIATION_STUCK_POD,
            ),
        ),
        Outcome(
            "ipam_exhausted",
            severity="error",
            message="""
            Sandbox set-up {{ where_text }} fails because IPAM has no free address ({{ count }}
            time{{ "s" if count != 1 }}, {{ pods | join(", ") }}): "{{ error }}".
        """,
            remediation=(
                Step(
                    "Compare the Node's running Pods with the size of its PodCIDR (or the IPPool).",
                    "kubectl get node {{ node }} -o jsonpath='{.spec.podCIDR}'; kubectl get pods -A -o wide "
                    "--field-selector spec.nodeName={{ node }},status.phase=Running | wc -l",
                ),
                Step(
                    "Leaked IPs: restart the agent on the Node (v1.15+ releases IPs of Pods that no longer exist).",
                    "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}",
                ),
            ),
        ),
        Outcome(
            "netns_gone",
            severity="warning",
            message="""
            CNI ADD {{ where_text }} failed {{ count }} time{{ "s" if count != 1 }} because the sandbox's
            network namespace no longer existed ({{ pods | join(", ") }}): "{{ error }}". The runtime removed the
            sandbox before the agent configured it (a timeout or a runtime restart); kubelet retries with a new one.
        """,
            remediation=(
                Step(
                    "Check the runtime for sandboxes torn down during set-up (timeouts, restarts).",
                    "journalctl -u containerd -u crio -u kubelet --since -1h | grep -iE 'sandbox|netns' | tail -30"
                    "   # on {{ node }}",
                ),
                REMEDIATION_STUCK_POD,
            ),
        ),
        Outcome(
            "ovs_port",
            severity="error",
            message="""
            antrea-agent {{ where_text }} cannot attach Pods to OVS ({{ count }} failed ADD{{ "s" if count != 1 }},
            {{ pods | join(", ") }}): "{{ error }}". OVS refuses the Pod's port or its flows.
        """,
            remediation=(
                Step(
                    "Check OVS on the Node: its ports, its log and the agent's OpenFlow connection.",
                    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- ovs-vsctl show; "
                    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-ovs -- "
                    "tail -50 /var/log/openvswitch/ovs-vswitchd.log",
                ),
                REMEDIATION_STUCK_POD,
            ),
        ),
        Outcome(
            "interface_setup",
            severity="error",
            message="""
            antrea-agent {{ where_text }} cannot create the Pods' network interfaces ({{ count }} failed
            ADD{{ "s" if count != 1 }}, {{ pods | join(", ") }}): "{{ error }}".
            {% if "already exists" in error %}An interface of an earlier sandbox of the Pod is still there.{% endif %}
        """,
            remediation=(
                Step(
                    "On the Node, look for stale veth interfaces of the Pod (named after the Pod).",
                    "ip -d link show type veth | grep -B1 -A2 '<pod name prefix>'   # on {{ node }}",
                ),
                REMEDIATION_STUCK_POD,
            ),
        ),
        Outcome(
            "ipam_failed",
            severity="error",
            message="""
            The IPAM call of the CNI server {{ where_text }} fails ({{ count }} time{{ "s" if count != 1 }},
            {{ pods | join(", ") }}): "{{ error }}".
        """,
            remediation=(
                Step(
                    "Check the IPAM configuration the agent uses (host-local on the PodCIDR, or AntreaIPAM IPPools).",
                    "kubectl get node {{ node }} -o jsonpath='{.spec.podCIDR}'; kubectl get ippools.crd.antrea.io -o wide",
                ),
                REMEDIATION_STUCK_POD,
            ),
        ),
        Outcome(
            "add_failed",
            severity="error",
            message="""
            CNI ADD of antrea fails {{ where_text }} ({{ count }} time{{ "s" if count != 1 }},
            {{ pods | join(", ") }}): "{{ error }}".
        """,
            remediation=(
                Step(
                    "Read the agent's CNI server lines around the failure.",
                    "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent | grep -nE "
                    "'CmdAdd|for container' | tail -30",
                ),
                REMEDIATION_STUCK_POD,
            ),
        ),
        Outcome(
            "delete_failed",
            severity="warning",
            message="""
            CNI DEL of antrea fails {{ where_text }} ({{ count }} time{{ "s" if count != 1 }},
            {{ pods | join(", ") }}): "{{ error }}". The sandbox's interfaces and IP are not released, and the Pod
            may hang in Terminating until a DEL succeeds.
        """,
            remediation=(
                Step(
                    "Read the agent's CNI server lines around the failure.",
                    "kubectl -n kube-system logs <antrea-agent pod on {{ node }}> -c antrea-agent | grep -nE "
                    "'CmdDel|for container' | tail -30",
                ),
            ),
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            CNI calls of antrea failed {{ where_text }} ({{ count }} time{{ "s" if count != 1 }}:
            "{{ error }}"). {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            CNI calls of antrea failed {{ where_text }} in an earlier agent run ({{ count }} time{{ "s" if count != 1 }}:
            "{{ error }}"). {{ outcome_text }}
        """,
        ),
    ),
    remediation=(REMEDIATION_STUCK_POD,),
)

_CONTAINER = re.compile(r'container="?(?P<id>[0-9a-f]{12,64})')
_PRINTF = re.compile(r"^ (?P<id>\S+): (?P<err>.*)$")
_SANDBOX = re.compile(r'sandbox \\?"(?P<id>[0-9a-f]{12,64})')
_ASSIGNED = re.compile(
    r"Successfully assigned (?:[-a-z0-9.]{1,253}/)?(?P<pod>[-a-z0-9.]{1,253}) to (?P<node>[-A-Za-z0-9._]{1,253})"
)
_POD_KV = re.compile(r' pod="(?P<pod>[-a-z0-9.]{1,253}/[-a-z0-9.]{1,253})"')
_TRAILING_KV = re.compile(r'\\?"(?:\s+[A-Za-z]\w{0,40}=.*)?$')
_PLUGIN = re.compile(
    r'plugin type=\\?"antrea\\?"(?: name=\\?"[^"\\]{0,63}\\?")? failed \((?P<op>add|delete|del|check)\): '
    r"(?P<err>.*)"
)


@dataclass
class _Failure:
    """One failed CNI call, from any side."""

    outcome: str
    error: str
    pod: str  # namespace/name, or the container id
    node: str | None
    source: str  # "agent log", "kubelet log", "events", "kubectl describe pod"
    evidence: LogEvent | EvidenceLine


def check(ev: RuleEvidence) -> Iterator[FindingT]:
    failures = _agent_failures(ev) + _runtime_failures(ev) + _kubectl_failures(ev)
    groups: dict[tuple[str | None, str], list[_Failure]] = {}
    for f in failures:
        groups.setdefault((f.node, f.outcome), []).append(f)
    for (node_name, outcome), items in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        node = ev.view.nodes.get(node_name) if node_name else None
        state = _agent_state(node) if node is not None else ""
        nodes = [node_name] if node_name and node_name not in PSEUDO_NODES else []
        last = items[-1]
        direct = any(f.source == "agent log" for f in items)
        confidence = 0.9 if direct else 0.85
        missing: list[Missing] = []
        if outcome == "agent_unreachable":
            # A symptom: the agent's own failure is the root cause when it is in the bundle.
            confidence = 0.5 if state else 0.8
            if node is None or not node.has_agent_logs:
                missing.append(Missing.of(AGENT_LOG, "why no agent listens on the CNI socket"))
        yield RULE.finding(
            outcome,
            nodes=nodes,
            confidence=confidence,
            values=Values(
                where_text=f"on {', '.join(nodes)}" if nodes else "on the Node of these files",
                pods=_pods(items),
                count=len(items),
                error=_inner(last.error)[:300],
                agent_state=state,
                sources=sorted({f.source for f in items}),
            ),
            evidence=[f.evidence for f in (items[:2] + items[-1:] if len(items) > 3 else items)],
            missing=missing,
            category="ipam" if outcome == "ipam_exhausted" else None,
        )


def _agent_failures(ev: RuleEvidence) -> list[_Failure]:
    out = []
    for name, op in (("add_failed", "add"), ("del_failed", "delete"), ("not_ready", "add")):
        for e in ev.hits(name):
            error = _agent_error(e)
            outcome = "network_not_ready" if name == "not_ready" else _classify(error, op)
            if outcome == "ipam_exhausted":
                continue  # ANT-IPAM-001 reads these lines and tells a full range from leaked IPs
            m = _CONTAINER.search(e.text) or _PRINTF.match(e.groups.get("rest", ""))
            if e.groups.get("pod"):  # recalled from the call's request line
                pod = f"{e.groups['ns']}/{e.groups['pod']}"
            else:
                pod = f"container {m['id'][:12]}" if m else "a container"
            out.append(_Failure(outcome, error or "network is not ready", pod, _node_of(e), "agent log", e))
    return out


def _runtime_failures(ev: RuleEvidence) -> list[_Failure]:
    """One failure per sandbox: kubelet logs the same runtime error at several levels
    (`RunPodSandbox from runtime service failed`, `Failed to create sandbox for pod`, ...)."""
    by_sandbox: dict[str, _Failure] = {}
    for e in ev.hits("runtime_failed") + ev.hits("socket_missing"):
        if e.signature.endswith(":socket_missing") and "plugin type=" in e.text:
            continue  # the same line, already read through libcni's prefix
        op = e.groups.get("op", "add")
        error = (
            _unescape(e.groups.get("err", ""))
            if "op" in e.groups
            else f"dial unix {e.groups.get('sock')}: connect: {e.groups.get('err')}"
        )
        sandbox = _SANDBOX.search(e.text)
        key = sandbox["id"] if sandbox else f"{e.artifact}:{e.line}"
        named = _POD_KV.search(e.text)
        pod = e.kv.get("pod") or (named["pod"] if named else None)
        seen = by_sandbox.get(key)
        if seen is None:
            by_sandbox[key] = _Failure(
                _classify(error, op), error, pod or f"sandbox {key[:12]}", _node_of(e), "kubelet log", e
            )
        elif pod and seen.pod.startswith("sandbox "):
            seen.pod = pod
    return list(by_sandbox.values())


def _kubectl_failures(ev: RuleEvidence) -> list[_Failure]:
    # The scheduler's event names the Node of a Pod: `Successfully assigned <ns>/<pod> to <node>`.
    scheduled = {
        m["pod"]: m["node"]
        for event in ev.view.k8s_events
        if event.reason == "Scheduled" and (m := _ASSIGNED.search(event.message))
    }
    out = []
    for event in ev.view.k8s_events:
        m = _PLUGIN.search(event.message)
        if m is None or event.object_kind != "pod":
            continue
        error = m["err"].strip()
        node = ev.view.pod_node(event.namespace, event.object_name) or scheduled.get(event.object_name)
        pod = f"{event.namespace}/{event.object_name}" if event.namespace else event.object_name
        line = EvidenceLine(event.source, event.line, None, event.text, node)
        out.append(_Failure(_classify(error, m["op"]), error, pod, node, "events", line))
    for described in ev.view.described_pods:
        for pe in described.events:
            m = _PLUGIN.search(pe.message)
            if m is None:
                continue
            error = m["err"].strip()
            outcome = _classify(error, m["op"])
            if outcome == "ipam_exhausted":
                continue  # ANT-IPAM-001 reads `kubectl describe pod` events
            pod = f"{described.namespace}/{described.name}" if described.namespace else described.name
            line = EvidenceLine(described.source, pe.line, None, f"{pe.type} {pe.reason} {pe.message}", described.node)
            out.append(_Failure(outcome, error, pod, described.node, "kubectl describe pod", line))
    return out


def _classify(error: str, op: str) -> str:
    for name, words in _CLASSES:
        if words.search(error):
            if op != "add" and name not in ("agent_unreachable",):
                return "delete_failed"
            return name
    return "add_failed" if op == "add" else "delete_failed"


_ERR_KV = re.compile(r'\berr="(?P<err>(?:[^"\\]|\\.){0,4000})"')
_GRPC_PREFIX = re.compile(
    r'^(?:rpc error: code = \w+ desc = (?:connection error: desc = )?"?(?:transport: Error while '
    r"dialing:? )?)+"
)


def _inner(error: str) -> str:
    """The error without gRPC's wrapping (`rpc error: code = Unavailable desc = ...`)."""
    return _GRPC_PREFIX.sub("", error).rstrip('"').strip()


def _agent_error(e: LogEvent) -> str:
    if e.kv.get("err"):
        return e.kv["err"]
    m = _PRINTF.match(e.groups.get("rest", ""))
    if m:
        return m["err"].strip()
    quoted = _ERR_KV.search(e.text)  # a structured line pasted without its klog header
    return quoted["err"].replace('\\"', '"') if quoted else ""


def _unescape(text: str) -> str:
    """The error as the runtime wrote it: inside a structured `err="..."` its quotes are escaped
    and other key=value pairs follow."""
    if '\\"' in text:
        text = _TRAILING_KV.sub("", text).replace('\\"', '"')
    return text.strip()


def _node_of(e: LogEvent) -> str | None:
    """The Node of the file (the unattributed pseudo-Node for a paste that names none)."""
    return e.node


def _pods(items: list[_Failure]) -> list[str]:
    seen: list[str] = []
    for f in items:
        if f.pod not in seen:
            seen.append(f.pod)
    return seen[:4] + ([f"{len(seen) - 4} more"] if len(seen) > 4 else [])


def _agent_state(node: NodeView) -> str:
    """What the agent did on the Node, when its logs say it is not serving: died, or never got ready."""
    if node.failed_reason:
        return f"could not be reached by antctl ({node.failed_reason[:120]})"
    runs = node.runs
    if not runs:
        return ""
    last = runs[-1]
    if last.fatal is not None:
        return f'exited: "{(last.fatal.groups.get("fatal") or last.fatal.message or last.fatal.text)[:200]}"'
    if last.ended == "panic":
        return "panicked"
    if last.ready is None and last.start is not None and last.dated:
        return "never finished initialising in its latest run"
    return ""
