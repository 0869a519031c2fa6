"""antrea-agent or antrea-controller panics or exits with a fatal error (no more specific cause).

Symptom
-------
The antrea-agent (or antrea-controller) container restarts again and again (CrashLoopBackOff,
high RESTARTS), and its log ends with ``F... Error running agent: ...`` followed by a goroutine
dump, with ``Observed a panic`` or with a Go runtime ``panic: runtime error: ...``.

Why it happens
--------------
The agent exits with code 255 when its initialisation returns an error (``Error running agent``,
``Failed to complete``, ``Failed to validate``; the controller ``Error running controller``), and
crashes on a Go panic: a bug (nil pointer dereference, index out of range) reached with
unexpected input. Most fatal errors have a specific cause that another finding explains (API
server, OVS, iptables, PodCIDR...); this finding stands on its own only when none does, and is
then the place to start: the fatal message or the panicking function names the failing step.

Evidence
--------
Agent runs that end with a fatal line (the timeline's fatal markers), ``Observed a panic`` lines
of apimachinery's crash handler (``Observed a panic: %s`` up to client-go v0.30, ``"Observed a
panic" panic=...`` from v0.31) and Go runtime ``panic:`` lines with their stack (in container logs
only), controller fatal lines, and pasted ``kubectl get pods`` / ``kubectl describe pod`` showing
an Antrea Pod in CrashLoopBackOff, restarted, or last terminated with OOMKilled or an exit code.
Restarts seen only in ``kubectl`` output, without the log of a crashed run, are inconclusive.
Other rules list ``agent-crash`` among the symptoms they explain, so this finding is attached
under them when they account for it.

Remediation
-----------
Read the fatal message or the panicking frame; collect the log of the crashed run
(``kubectl logs --previous``); for a panic, check for a fix in a newer patch release and report it
upstream with the stack.

References
----------
antrea-io/antrea cmd/antrea-agent/main.go, cmd/antrea-controller/main.go;
kubernetes/apimachinery pkg/util/runtime/runtime.go (HandleCrash); antrea-io/antrea
docs/troubleshooting.md.
"""

from __future__ import annotations

import re

from diagnose import timeline
from diagnose.model import CONTROLLER_NODE, PSEUDO_NODES, UNATTRIBUTED
from diagnose.rule import INCONCLUSIVE, EvidenceLine, Missing, Rule, Signature, Step

_LOGS = ("agent-log", "controller-log", "container-log")

RULE = Rule(
    id="ANT-CRASH-001",
    slug="agent-crash",
    title="Antrea component panics or exits with a fatal error",
    category="agent-crash",
    severity="error",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",
                "https://github.com/antrea-io/antrea/blob/main/cmd/antrea-agent/main.go",
                "https://github.com/kubernetes/apimachinery/blob/master/pkg/util/runtime/runtime.go"),
    signatures=(
        Signature("observed_panic", r'Observed a panic(?:: |" panic=")(?P<panic>.*)', "Observed a panic", kinds=_LOGS,
                  follow=40),
        # Go runtime, on stderr only (container logs): "panic: runtime error: ..." then the goroutine dump.
        Signature("runtime_panic", r"^(?:\d{4}-\d\d-\d\dT\S+ )?panic: (?P<panic>.+)$", "panic: ", kinds=_LOGS, follow=40),
        Signature("controller_fatal", r"(?:^|\s)F\d{4} [\d:.]{1,20}\s{1,10}\d{1,10} [^\]]{1,200}\] (?P<fatal>Error running controller: .*)$",
                  "Error running controller", kinds=("controller-log",), follow=20),
    ),
    lookalikes=("apiserver-unreachable", "ovs-not-running", "iptables-backend", "podcidr-not-allocated"),
    message="""
        {{ component }} on {{ nodes | join(", ") if nodes else "the Node" }}
        {%- if panic %} panicked{% if frame %} in {{ frame }}{% endif %}{% if panic_runs > 1 %} in {{ panic_runs }}
        runs{% endif %}: "{{ panic }}"{% endif %}
        {%- if panic and fatal %}, and{% endif %}
        {%- if fatal %} exited with a fatal error{% if runs > 1 %} in {{ runs }} runs{% endif %}: "{{ fatal }}"{% endif %}
        {%- if not panic and not fatal %} keeps restarting ({{ restarts }}){% endif %}.
        {% if oom %}Its last termination was OOMKilled: it exceeded its memory limit.{% endif %}
        No more specific finding explains it{% if panic %}; a panic is a bug: look for a fix in a newer patch
        release{% endif %}.
        {% if not confirmed %}Only the Pod status is available: the log of the crashed run says why.{% endif %}
    """,
    remediation=(
        Step("Get the log of the run that crashed (the previous container) and read its last lines.",
             "kubectl -n kube-system logs {{ pod }} -c {{ container }} --previous | tail -100"),
        Step("Check the Pod's container states, restart count and last termination reason.",
             "kubectl -n kube-system describe pod {{ pod }}"),
        Step("For a panic, compare the version with the latest patch release and report the stack upstream "
             "(https://github.com/antrea-io/antrea/issues) if it is not fixed.",
             "kubectl -n kube-system get pods -l app=antrea -o jsonpath='{..image}'"),
    ),
)

_FRAME = re.compile(r"^antrea\.io/antrea(?:/v2)?/\S+\(")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\S+ ")


def check(ev):
    status = _pod_status(ev)
    for node_name, (fatals, panics) in sorted(_crashes(ev).items()):
        pod = status.pop(node_name, None)
        panic = panics[-1] if panics else None
        is_controller = node_name == CONTROLLER_NODE
        pod_ref = ("<antrea-controller pod>" if is_controller else "<antrea-agent pod>" if node_name in PSEUDO_NODES
                   else f"<antrea-agent pod on {node_name}>")
        yield RULE.finding(
            # A panic in an excerpt whose Node is unknown is still reported, without a Node.
            nodes=[node_name] if node_name not in PSEUDO_NODES or is_controller else [],
            confidence=0.75 if panic else 0.6,
            values={"component": "antrea-controller" if is_controller else "antrea-agent",
                    "panic": _panic_text(panic) if panic else "", "frame": _frame(panic) if panic else "",
                    "fatal": (fatals[-1].groups.get("fatal") or fatals[-1].message or fatals[-1].text)[:300]
                    if fatals else "",
                    "runs": len(fatals), "panic_runs": len({e.run for e in panics if e.run is not None}),
                    "restarts": "", "oom": bool(pod and pod["oom"]), "confirmed": True,
                    "pod": pod_ref,
                    "container": "antrea-controller" if is_controller else "antrea-agent"},
            evidence=(panics[-1:] + fatals[-2:] + (pod["evidence"][:1] if pod else []))[:6],
        )
    for name, pod in sorted(status.items()):  # Pods whose Node has no crash in the logs here
        if _crashing(pod):
            yield _from_status(name, pod)


def _crashing(pod) -> bool:
    """CrashLoopBackOff or OOMKilled now, or repeated restarts of a Pod that is not running."""
    return pod["crashloop"] or pod["oom"] or (pod["restarts"] >= 3 and pod["state"] != "Running")


def _crashes(ev) -> dict[str, tuple[list, list]]:
    """(fatal events, panic events) per Node name."""
    fatal_keys = {timeline.key("fatal"), timeline.key("fatal_bare"), timeline.key("fatal_init")}
    known = {n for n in ev.view.nodes if n not in PSEUDO_NODES}
    known |= set(ev.clusterinfo.nodes) if ev.clusterinfo else set()
    out: dict[str, tuple[list, list]] = {}
    for node in ev.view.nodes.values():
        fatals = [r.fatal for r in node.runs if r.fatal] + [e for e in node.undated_events if e.signature in fatal_keys]
        fatals += ev.hits("controller_fatal", node)
        panics = ev.hits("observed_panic", node) + ev.hits("runtime_panic", node)
        if node.name == UNATTRIBUTED:
            # Lines quoted from several Nodes: a fatal line goes to the Node its message names; one that
            # names none is left to the specific rules (it cannot be attached to their finding without a Node).
            for e in fatals:
                named = _named_node(e.text, known)
                if named:
                    out.setdefault(named, ([], []))[0].append(e)
            fatals = []
        if fatals or panics:
            found = out.setdefault(node.name, ([], []))
            found[0].extend(fatals)
            found[1].extend(panics)
    return out


def _named_node(text: str, known: set[str]) -> str | None:
    for name in sorted(known, key=len, reverse=True):
        if re.search(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])", text):
            return name
    return None


def _from_status(node_name, pod):
    nodes = [node_name] if node_name and not node_name.startswith("(") else []
    return RULE.finding(
        nodes=nodes,
        confidence=0.4,
        status=INCONCLUSIVE,
        values={"component": f"The {pod['component']} Pod {pod['name']}", "panic": "", "frame": "", "fatal": "",
                "runs": 0, "panic_runs": 0, "restarts": f"{pod['state']}, {pod['restarts']} restarts", "oom": pod["oom"],
                "confirmed": False, "pod": pod["name"], "container": pod["component"]},
        evidence=pod["evidence"][:4],
        missing=(Missing("the log of the crashed run of the container",
                         "kubectl -n kube-system logs {{ pod }} --all-containers --previous | tail -100"),),
    )


def _pod_status(ev) -> dict[str, dict]:
    """Crash signs of Antrea Pods in pasted kubectl output, by Node (or by Pod when the Node is unknown)."""
    out: dict[str, dict] = {}

    def entry(node, name):
        key = node or f"({name})"
        return out.setdefault(key, {"name": name, "component": "antrea-controller" if "controller" in name
                                    else "antrea-agent", "crashloop": False, "restarts": 0, "oom": False,
                                    "state": "", "evidence": []})

    for row in ev.view.pods:
        if not row.name.startswith(("antrea-agent", "antrea-controller")):
            continue
        e = entry(row.node or row.file_node, row.name)
        e["crashloop"] |= "CrashLoopBackOff" in (row.status or "")
        e["restarts"] = max(e["restarts"], row.restarts)
        e["state"] = row.status or e["state"]
        e["evidence"].append(EvidenceLine(row.source, row.line, None, row.text, row.node))
    for pod in ev.view.described_pods:
        if not pod.name.startswith(("antrea-agent", "antrea-controller")):
            continue
        e = entry(pod.node, pod.name)
        for c in pod.containers:
            e["crashloop"] |= c.reason == "CrashLoopBackOff"
            e["restarts"] = max(e["restarts"], c.restarts)
            e["oom"] |= c.last_reason == "OOMKilled"
            if c.reason or c.last_reason:
                e["state"] = f"{c.name} {c.reason or c.state}, last {c.last_reason} exit {c.last_exit_code}"
                e["evidence"].append(EvidenceLine(pod.source, None, None, f"{pod.name} {e['state']}", pod.node))
    for e in out.values():
        if not e["state"]:
            e["state"] = "restarting"
    return out


def _panic_text(e) -> str:
    text = e.kv.get("panic") or e.groups.get("panic", "")
    inner = re.search(r"\((runtime error: [^)]*)\)", text)
    return (inner.group(1) if inner else text.strip('"'))[:200]


def _frame(e) -> str:
    """The first Antrea function in the stack that follows the panic line."""
    for line in e.following:
        line = _TIMESTAMP.sub("", line).strip()  # `kubectl logs --timestamps` prefixes every line
        if _FRAME.match(line):
            # "antrea.io/antrea/pkg/agent/controller/egress.(*EgressController).syncEgress(0xc0..., ...)"
            return line.rsplit("(", 1)[0].rsplit("/", 1)[-1][:160]
    return ""
