"""An Antrea component exits with a fatal error, panics or crash-loops (the fallback for every fatal).

Symptom
-------
The antrea-agent (or antrea-controller) container restarts again and again (CrashLoopBackOff,
high RESTARTS), and its log ends with ``F... Error running agent: ...`` (or any other klog ``F``
line) followed by a goroutine dump, with ``Observed a panic``, or with a Go runtime
``panic: runtime error: ...`` and its stack (sometimes only the stack was pasted).

Why it happens
--------------
The agent exits with code 255 when its initialisation returns an error (``Error running agent``,
``Failed to complete``, ``Failed to validate``; the controller ``Error running controller``), and
crashes on a Go panic: a bug (nil pointer dereference, index out of range) reached with
unexpected input. The error is a chain of wrapped messages; its innermost part names the failing
step and, through the message catalogue generated from Antrea's source, the component and the
root-cause category. A more specific rule that explains the same fatal replaces this finding;
otherwise this is the place to start, so that a dead agent is never reported as healthy.

Evidence
--------
The fatal or panic line of a Node's latest run (the lifecycle lines every scan looks for), its
error chain decoded innermost first, the Antrea function a panic's stack names (the innermost frame
of a Python traceback), and pasted ``kubectl get pods`` / ``kubectl describe pod`` showing an
Antrea Pod in CrashLoopBackOff, restarted, or last terminated with OOMKilled or an exit code. An
``OOMKilled`` termination is the kubelet's own record of why the container died (confirmed); other
restarts seen only in ``kubectl`` output, without the log of a crashed run, are inconclusive. A
fatal or panic in an earlier run that a later healthy run superseded is history (the engine
reports it at ``info``). ``Observed a panic`` ends its run: apimachinery's ``HandleCrash`` panics
again after logging it (``ReallyCrash``, true by default; Antrea never unsets it).

Remediation
-----------
Read the innermost error or the panicking frame; collect the log of the crashed run
(``kubectl logs --previous``); for a panic, check for a fix in a newer patch release and report it
upstream with the stack.

References
----------
antrea-io/antrea cmd/antrea-agent/main.go, cmd/antrea-controller/main.go;
kubernetes/apimachinery pkg/util/runtime/runtime.go (HandleCrash); antrea-io/antrea
docs/troubleshooting.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import (
    AGENT_LOG,
    CLUSTER_INFO,
    CONTROLLER_LOG,
    CONTROLLER_NODE,
    KUBECTL_DESCRIBE_POD,
    KUBECTL_PODS,
    OTHER_CONTAINER_LOG,
    OVS_CONTAINER_LOG,
    OVS_LOG,
    PSEUDO_NODES,
    Finding,
    Inputs,
    Missing,
    Outcome,
    Rule,
    RuleEvidence,
    Step,
    crashes,
    errorchain,
)


@dataclass
class Values:
    """What crashed, how, and the Pod to look at."""

    component: str  # what crashed: "antrea-agent", "antrea-ipsec", "ovs-monitor-ipsec", "The antrea-agent Pod <name>"
    pod: str  # the Pod for the commands (a placeholder when the logs do not name it)
    container: str  # its container, for `kubectl logs -c`
    fatal: str = ""  # the fatal message (first 300 characters); "" when no run exited with one
    runs: int = 0  # runs that ended with a fatal line
    cause: str = ""  # the innermost error of the fatal's chain, when it says more than the message
    source: str = ""  # Antrea source of the innermost catalogued message: "file.go:N (package)"
    area: str = ""  # what the error or exception points at, e.g. "Windows HNS (the host network service)"
    panic: str = ""  # the panic value or the exception, e.g. "runtime error: index out of range [3] with length 3"
    frame: str = ""  # the first Antrea function of the panic's stack (the innermost Python frame); "" unknown
    panic_runs: int = 0  # runs that panicked
    oom: bool = False  # kubectl shows the last termination as OOMKilled
    pod_state: str = ""  # the Pod's state as kubectl shows it, e.g. "CrashLoopBackOff, 14 restarts"


_FATAL_DETAIL = """
    {% if cause %}The innermost error is "{{ cause }}"{% if source %}, logged by {{ source }}{% endif %}.{% endif %}
    {% if oom %}Its last termination was OOMKilled: it exceeded its memory limit.{% endif %}
"""
_AREA = """{% if area %}It points at {{ area }}; no more specific rule explains it{% else %}No more specific
    finding explains it{% endif %}"""

RULE = Rule(
    id="ANT-CRASH-001",
    slug="agent-crash",
    title="Antrea component exits with a fatal error or crashes",
    category="agent-crash",
    severity="error",
    fallback=True,
    inputs=Inputs(
        any_of=(
            AGENT_LOG,
            CONTROLLER_LOG,
            OTHER_CONTAINER_LOG,
            OVS_CONTAINER_LOG,
            OVS_LOG,
            KUBECTL_PODS,
            KUBECTL_DESCRIBE_POD,
            CLUSTER_INFO,
        )
    ),
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",
        "https://github.com/antrea-io/antrea/blob/main/cmd/antrea-agent/main.go",
        "https://github.com/kubernetes/apimachinery/blob/master/pkg/util/runtime/runtime.go",
    ),
    lookalikes=("apiserver-unreachable", "ovs-not-running", "iptables-backend", "podcidr-not-allocated"),
    values=Values,
    outcomes=(
        Outcome(
            "fatal",
            message="""
            {{ component }} on {{ where }} exited with a fatal error{% if runs > 1 %} in {{ runs }} runs{% endif %}:
            "{{ fatal }}". """
            + _FATAL_DETAIL
            + _AREA
            + ".",
        ),
        Outcome(
            "panic",
            message="""
            {{ component }} on {{ where }} panicked{% if frame %} in {{ frame }}{% endif %}{% if panic_runs > 1 %}
            in {{ panic_runs }} runs{% endif %}: "{{ panic }}"{% if fatal %}, and exited with a fatal error:
            "{{ fatal }}"{% endif %}. """
            + _FATAL_DETAIL
            + _AREA
            + """; a panic is a bug: look for a fix in a newer
            patch release.""",
        ),
        Outcome(
            "exception",
            message="""
            {{ component }} on {{ where }} crashed with an exception{% if frame %} in {{ frame }}{% endif %}{% if
            panic_runs > 1 %} in {{ panic_runs }} runs{% endif %}: "{{ panic }}"{% if fatal %}, and exited with a
            fatal error: "{{ fatal }}"{% endif %}. """
            + _FATAL_DETAIL
            + _AREA
            + ".",
        ),
        # The kubelet records why it killed the container: the crash and its reason are known, the
        # log of the killed run says what used the memory.
        Outcome(
            "oom_killed",
            message="""
            {{ component }} on {{ where }} was killed for exceeding its memory limit (OOMKilled; {{ pod_state }}).
            No more specific finding explains it: raise the container's memory limit or find what grows (its log
            before the kill, the number of Pods, policies and Services on the Node).
        """,
        ),
        Outcome(
            "crash_loop",
            status="inconclusive",
            message="""
            {{ component }} on {{ where }} keeps restarting ({{ pod_state }}). No more specific finding explains it.
            Only the Pod status is available: the log of the crashed run says why.
        """,
        ),
        # The engine's judgement: a crash of an earlier run that a healthy run followed.
        Outcome(
            "superseded",
            severity="info",
            message="""
            {{ component }} on {{ where }} {% if panic %}crashed ("{{ panic }}"){% else %}exited with a fatal
            error ("{{ fatal }}"){% endif %}. {{ outcome_text }}
        """,
        ),
    ),
    remediation=(
        Step(
            "Get the log of the run that crashed (the previous container) and read its last lines.",
            "kubectl -n kube-system logs {{ pod }} -c {{ container }} --previous | tail -100",
        ),
        Step(
            "Check the Pod's container states, restart count and last termination reason.",
            "kubectl -n kube-system describe pod {{ pod }}",
        ),
        Step(
            "For a panic, compare the version with the latest patch release and report the stack upstream "
            "(https://github.com/antrea-io/antrea/issues) if it is not fixed.",
            "kubectl -n kube-system get pods -l app=antrea -o jsonpath='{..image}'",
        ),
    ),
)

# The category of a crash of one of the agent Pod's other containers that its own words do not name.
_CONTAINER_CATEGORY = (
    ("ipsec", "ipsec"),
    ("antrea-ovs", "ovs-not-running"),
    ("ovs", "ovs-not-running"),
    ("install-cni", "cni"),
    ("sysctl", "host-network-config"),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    signs = dict(ev.view.pod_crash_signs)
    for node_name, crash in sorted(ev.view.crashes.items()):
        yield _from_logs(node_name, crash, signs.pop(node_name, None))
    for name, pod in sorted(signs.items()):  # Pods whose Node has no crash in the logs here
        if pod.crashing:
            yield _from_status(name, pod)


def _from_logs(node_name: str, crash: crashes.Crashes, pod: crashes.PodSigns | None) -> Finding:
    last_panic = crash.panics[-1] if crash.panics else None
    last_fatal = crash.fatals[-1] if crash.fatals else None
    panic = crashes.describe_panic(last_panic) if last_panic else None
    fatal = crashes.fatal_message(last_fatal) if last_fatal else ""
    chain = errorchain.decode(fatal if last_fatal else panic.text if panic else "")
    is_controller = node_name == CONTROLLER_NODE
    component = "antrea-controller" if is_controller else panic.who if panic and not fatal else "antrea-agent"
    # A Go panic is a bug of the component whatever words its value holds; a crash of one of the
    # agent Pod's other containers is that container's area, and its exception names it.
    if panic and not fatal:
        category = (chain.category if panic.exception else None) or _container_category(component) or "agent-crash"
    else:
        category = chain.category or "agent-crash"
    outcome = "fatal" if panic is None else "exception" if panic.exception else "panic"
    cause = chain.innermost[:300] if fatal else ""
    return RULE.finding(
        outcome,
        nodes=[node_name],
        category=category,
        confidence=0.75 if panic or category != "agent-crash" else 0.6,
        values=Values(
            component=component,
            pod=_pod_placeholder(node_name),
            container=panic.container if panic else component,
            fatal=fatal[:300],
            runs=len(crash.fatals),
            cause="" if cause == fatal[:300] else cause,
            source=chain.source,
            area=chain.area,
            panic=panic.text if panic else "",
            frame=panic.frame if panic else "",
            panic_runs=len({e.run for e in crash.panics if e.run is not None}),
            oom=bool(pod and pod.oom),
        ),
        evidence=[*([last_panic] if last_panic else []), *crash.fatals[-2:], *(pod.evidence[:1] if pod else [])],
    )


def _from_status(name: str, pod: crashes.PodSigns) -> Finding:
    return RULE.finding(
        "oom_killed" if pod.oom else "crash_loop",
        nodes=[name] if not name.startswith("(") else [],
        confidence=0.7 if pod.oom else 0.4,
        values=Values(
            component=f"The {pod.component} Pod {pod.name}",
            pod=pod.name,
            container=pod.component,
            oom=pod.oom,
            pod_state=f"{pod.state}, {pod.restarts} restarts",
        ),
        evidence=pod.evidence[:4],
        missing=(
            Missing(
                "the log of the crashed run of the container",
                "kubectl -n kube-system logs {{ pod }} --all-containers --previous | tail -100",
            ),
        ),
    )


def _pod_placeholder(node_name: str) -> str:
    if node_name == CONTROLLER_NODE:
        return "<antrea-controller pod>"
    return "<antrea-agent pod>" if node_name in PSEUDO_NODES else f"<antrea-agent pod on {node_name}>"


def _container_category(component: str) -> str | None:
    return next((category for word, category in _CONTAINER_CATEGORY if word in component), None)
