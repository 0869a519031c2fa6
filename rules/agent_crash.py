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
error chain decoded innermost first, the Antrea function a panic's stack names, and pasted
``kubectl get pods`` / ``kubectl describe pod`` showing an Antrea Pod in CrashLoopBackOff,
restarted, or last terminated with OOMKilled or an exit code. A fatal in an earlier run that a
later healthy run superseded is history (the engine reports it at ``info``). Restarts seen only
in ``kubectl`` output, without the log of a crashed run, are inconclusive.

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

import re

from diagnose.facts import errorchain, lifecycle
from diagnose.model import CONTROLLER_NODE, PSEUDO_NODES, UNATTRIBUTED
from diagnose.rule import INCONCLUSIVE, EvidenceLine, Missing, Rule, Step

RULE = Rule(
    id="ANT-CRASH-001",
    slug="agent-crash",
    title="Antrea component exits with a fatal error or crashes",
    category="agent-crash",
    severity="error",
    fallback=True,
    references=("https://github.com/antrea-io/antrea/blob/main/docs/troubleshooting.md",
                "https://github.com/antrea-io/antrea/blob/main/cmd/antrea-agent/main.go",
                "https://github.com/kubernetes/apimachinery/blob/master/pkg/util/runtime/runtime.go"),
    lookalikes=("apiserver-unreachable", "ovs-not-running", "iptables-backend", "podcidr-not-allocated"),
    message="""
        {{ component }} on {{ where }}
        {%- if panic %} {{ "crashed with an exception" if exception else "panicked" }}{% if frame %} in
        {{ frame }}{% endif %}{% if panic_runs > 1 %} in {{ panic_runs }}
        runs{% endif %}: "{{ panic }}"{% endif %}
        {%- if panic and fatal %}, and{% endif %}
        {%- if fatal %} exited with a fatal error{% if runs > 1 %} in {{ runs }} runs{% endif %}: "{{ fatal }}"{% endif %}
        {%- if not panic and not fatal %} keeps restarting ({{ restarts }}){% endif %}.
        {% if cause and cause != fatal %}The innermost error is "{{ cause }}"{% if source %}, logged by
        {{ source }}{% endif %}.{% endif %}
        {% if oom %}Its last termination was OOMKilled: it exceeded its memory limit.{% endif %}
        {% if area %}It points at {{ area }}; no more specific rule explains it{% else %}No more specific
        finding explains it{% endif %}{% if panic and not exception %}; a panic is a bug: look for a fix in a
        newer patch release{% endif %}.
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
_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line \d+, in (?P<func>\S+)')
_PY_EXCEPTION = re.compile(r"^\s*(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))(?::\s*(?P<msg>.*))?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\S+ ")
_PROCESSES = ("agent", "controller", "container", "ovs")
# The category of a crash of an Antrea container that its own words do not name.
_CONTAINER_CATEGORY = (("ipsec", "ipsec"), ("antrea-ovs", "ovs-not-running"), ("ovs", "ovs-not-running"),
                       ("install-cni", "cni"), ("sysctl", "host-network-config"))


def check(ev):
    status = _pod_status(ev)
    for node_name, (fatals, panics) in sorted(_crashes(ev).items()):
        pod = status.pop(node_name, None)
        panic = panics[-1] if panics else None
        fatal = fatals[-1] if fatals else None
        is_controller = node_name == CONTROLLER_NODE
        component = "antrea-controller" if is_controller else _component(panic) if panic and not fatal \
            else "antrea-agent"
        chain = errorchain.decode(_fatal_text(fatal) if fatal else _panic_text(panic))
        # A Go panic is a bug of the component whatever words its value holds; a crash of one of
        # the agent Pod's other containers is that container's area, and its exception names it.
        if panic and not fatal:
            category = (chain.category if panic.signature == lifecycle.key("py_traceback") else None) \
                or _container_category(component) or "agent-crash"
        else:
            category = chain.category or "agent-crash"
        pod_ref = ("<antrea-controller pod>" if is_controller else "<antrea-agent pod>" if node_name in PSEUDO_NODES
                   else f"<antrea-agent pod on {node_name}>")
        yield RULE.finding(
            nodes=[node_name],
            category=category,
            confidence=0.75 if panic or category != "agent-crash" else 0.6,
            values={"component": component,
                    "panic": _panic_text(panic) if panic else "", "frame": _frame(panic) if panic else "",
                    "fatal": _fatal_text(fatal)[:300] if fatal else "",
                    "cause": chain.innermost[:300] if fatal else "", "source": chain.source,
                    "area": chain.area,
                    "exception": bool(panic and panic.signature == lifecycle.key("py_traceback")),
                    "runs": len(fatals), "panic_runs": len({e.run for e in panics if e.run is not None}),
                    "restarts": "", "oom": bool(pod and pod["oom"]), "confirmed": True,
                    "pod": pod_ref, "container": component},
            evidence=([panic] if panic else []) + fatals[-2:] + (pod["evidence"][:1] if pod else []),
        )
    for name, pod in sorted(status.items()):  # Pods whose Node has no crash in the logs here
        if _crashing(pod):
            yield _from_status(name, pod)


def _crashes(ev) -> dict[str, tuple[list, list]]:
    """(fatal events, panic events) per Node name, from every run of the agent and controller."""
    known = {n for n in ev.view.nodes if n not in PSEUDO_NODES}
    known |= set(ev.clusterinfo.nodes) if ev.clusterinfo else set()
    out: dict[str, tuple[list, list]] = {}
    for node in ev.view.nodes.values():
        runs = [r for p in _PROCESSES for r in node.runs_of(p)]
        fatals = [r.fatal for r in runs if r.fatal]
        panics = [e for r in runs for e in r.events if e.signature in lifecycle.PANICS
                  and not _part_of_a_fatal_dump(e, r)]
        if node.name == UNATTRIBUTED and len(known) > 1:
            # Lines quoted from several Nodes: a fatal line goes to the Node its message names.
            kept = []
            for e in fatals:
                named = _named_node(e.text, known)
                if named:
                    out.setdefault(named, ([], []))[0].append(e)
                else:
                    kept.append(e)
            fatals = kept
        if fatals or panics:
            found = out.setdefault(node.name, ([], []))
            found[0].extend(fatals)
            found[1].extend(panics)
    return out


def _part_of_a_fatal_dump(e, run) -> bool:
    """A goroutine dump right after a fatal line or a panic line is that crash's stack."""
    if e.signature != lifecycle.key("goroutine_dump"):
        return False
    return any(o is not e and (o.signature in lifecycle.FATALS or o.signature in lifecycle.PANICS)
               and o.artifact == e.artifact and 0 < e.line - o.line <= 60 for o in run.events)


def _crashing(pod) -> bool:
    """CrashLoopBackOff or OOMKilled now, or repeated restarts of a Pod that is not running."""
    return pod["crashloop"] or pod["oom"] or (pod["restarts"] >= 3 and pod["state"] != "Running")


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
                "cause": "", "source": "", "area": "", "exception": False,
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


def _fatal_text(e) -> str:
    return e.groups.get("fatal") or e.message or e.text


def _component(e) -> str:
    """The container whose log holds a crash: from the file name (`antrea-ipsec.log`)."""
    name = e.artifact.replace("!", "/").rsplit("/", 1)[-1].lower()
    for word in ("antrea-ipsec", "ipsec", "antrea-ovs", "install-cni", "sysctl-init", "antrea-controller"):
        if word in name:
            return word if word.startswith("antrea-") else f"the {word} container"
    if e.signature == lifecycle.key("py_traceback"):
        daemon = next((m["file"].rsplit("/", 1)[-1] for line in e.following if (m := _PY_FRAME.match(line))), "")
        return daemon or "a Python daemon of the antrea-agent Pod"
    return "antrea-agent"


def _container_category(component: str) -> str | None:
    return next((category for word, category in _CONTAINER_CATEGORY if word in component), None)


def _panic_text(e) -> str:
    if e.signature == lifecycle.key("py_traceback"):
        exception = [m for line in e.following if (m := _PY_EXCEPTION.match(_TIMESTAMP.sub("", line)))]
        if exception:
            last = exception[-1]
            return f"{last['type']}: {last['msg']}"[:300] if last["msg"] else last["type"]
    text = e.kv.get("panic") or e.groups.get("panic", "") or e.text
    inner = re.search(r"\((runtime error: [^)]*)\)", text)
    return (inner.group(1) if inner else text.strip('"'))[:200]


def _frame(e) -> str:
    """The first Antrea function in the stack that follows the panic line (for a Python
    traceback, its innermost frame)."""
    if e.signature == lifecycle.key("py_traceback"):
        frames = [m for line in e.following if (m := _PY_FRAME.match(line))]
        return f"{frames[-1]['func']} ({frames[-1]['file'].rsplit('/', 1)[-1]})" if frames else ""
    for line in e.following:
        line = _TIMESTAMP.sub("", line).strip()  # `kubectl logs --timestamps` prefixes every line
        if _FRAME.match(line):
            # "antrea.io/antrea/pkg/agent/controller/egress.(*EgressController).syncEgress(0xc0..., ...)"
            return line.rsplit("(", 1)[0].rsplit("/", 1)[-1][:160]
    return ""
