"""Crashes of Antrea's processes: each Node's fatal and panic lines, what a panic says, and the
crash signs of Antrea Pods in pasted `kubectl` output.

Fatal lines (klog `F`, or `Error running agent: ...` quoted without its header) and panics
(`Observed a panic`, a Go runtime `panic:` and its goroutine dump, a dump pasted without its
`panic:` line, the traceback of a Python daemon of the agent Pod) are lifecycle lines every scan
finds (`diagnose.facts.lifecycle`), in the runs of the agent, the controller, the agent Pod's
other containers and OVS. A goroutine dump right under a fatal or panic line is that crash's
stack, not a second crash. Lines quoted from several Nodes in one file of no Node (an issue's
paste) go to the Node their message names.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from diagnose.bundle import model as m
from diagnose.bundle.model import EvidenceLine
from diagnose.facts import lifecycle
from diagnose.facts.runs import Run
from diagnose.parse.kubectl import DescribedPod, PodRow


class NodeRuns(Protocol):
    """What this module reads of a Node (diagnose.rules.evidence.NodeView): its runs."""

    name: str

    def runs_of(self, process: str) -> list[Run]: ...


PROCESSES = ("agent", "controller", "container", "ovs")
_DUMP_REACH = 60  # lines under a fatal or panic line that its goroutine dump may still be on
_FRAME = re.compile(r"^antrea\.io/antrea(?:/v2)?/\S+\(")
_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line \d+, in (?P<func>\S+)')
_PY_EXCEPTION = re.compile(r"^\s*(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))(?::\s*(?P<msg>.*))?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\S+ ")  # `kubectl logs --timestamps` prefixes every line
# Words of a log file's name -> (what crashed, its container in the antrea-agent Pod).
_CONTAINERS = (
    ("antrea-ipsec", "antrea-ipsec", "antrea-ipsec"),
    ("ipsec", "the ipsec container", "antrea-ipsec"),
    ("antrea-ovs", "antrea-ovs", "antrea-ovs"),
    ("install-cni", "the install-cni container", "install-cni"),
    ("sysctl-init", "the sysctl-init container", "sysctl-init"),
    ("antrea-controller", "antrea-controller", "antrea-controller"),
)


@dataclass
class Crashes:
    """One Node's crash lines, in run order."""

    fatals: list[m.LogEvent] = field(default_factory=list)
    panics: list[m.LogEvent] = field(default_factory=list)  # not counting the stacks of fatal lines


@dataclass(frozen=True)
class Panic:
    """What a panic line (or a Python traceback) says."""

    text: str  # "runtime error: index out of range [3] with length 3", or "FileNotFoundError: ..."
    frame: str  # the first Antrea function of the Go stack, or the innermost Python frame; "" unknown
    exception: bool  # a Python traceback, not a Go panic
    who: str  # what crashed, for a sentence: "antrea-agent", "antrea-ipsec", "ovs-monitor-ipsec"...
    container: str  # its container in the Pod, for `kubectl logs -c`


@dataclass
class PodSigns:
    """Crash signs of one Antrea Pod in pasted `kubectl get pods` / `kubectl describe pod`."""

    name: str
    component: str  # "antrea-agent" or "antrea-controller"
    crashloop: bool = False
    restarts: int = 0
    oom: bool = False  # the last termination of a container was OOMKilled
    state: str = ""  # as kubectl shows it, e.g. "CrashLoopBackOff" or "antrea-agent Running, last OOMKilled exit 137"
    evidence: list[EvidenceLine] = field(default_factory=list)

    @property
    def crashing(self) -> bool:
        """CrashLoopBackOff or OOMKilled, or repeated restarts of a Pod that is not running."""
        return self.crashloop or self.oom or (self.restarts >= 3 and self.state != "Running")


def by_node(nodes: Mapping[str, NodeRuns], cluster_nodes: Iterable[str] = ()) -> dict[str, Crashes]:
    """Fatal and panic lines per Node name, from every run of every process. `cluster_nodes`:
    the Node names clusterinfo lists (an unattributed fatal naming one is that Node's)."""
    known = {n for n in nodes if n not in m.PSEUDO_NODES} | set(cluster_nodes)
    out: dict[str, Crashes] = {}
    for node in nodes.values():
        runs = [r for p in PROCESSES for r in node.runs_of(p)]
        fatals = [r.fatal for r in runs if r.fatal]
        panics = [
            _with_stack(e, r)
            for r in runs
            for e in r.events
            if e.signature in lifecycle.PANICS and not _stack_of_a_crash(e, r)
        ]
        if node.name == m.UNATTRIBUTED and len(known) > 1:
            kept = []
            for e in fatals:
                named = _named_node(e.text, known)
                if named:
                    out.setdefault(named, Crashes()).fatals.append(e)
                else:
                    kept.append(e)
            fatals = kept
        if fatals or panics:
            found = out.setdefault(node.name, Crashes())
            found.fatals.extend(fatals)
            found.panics.extend(panics)
    return out


def _stack_of_a_crash(e: m.LogEvent, run: Run) -> bool:
    if e.signature != lifecycle.key("goroutine_dump"):
        return False
    return any(
        o is not e
        and (o.signature in lifecycle.FATALS or o.signature in lifecycle.PANICS)
        and o.artifact == e.artifact
        and 0 < e.line - o.line <= _DUMP_REACH
        for o in run.events
    )


def _with_stack(e: m.LogEvent, run: Run) -> m.LogEvent:
    """A panic line with the goroutine dump printed under it: Go separates `panic: ...` and its
    `[signal ...]` line from `goroutine N [running]:` with a blank line, which ends the panic's
    own continuation, so the frames are in the dump's event."""
    if e.signature == lifecycle.key("goroutine_dump"):
        return e
    dump_key = lifecycle.key("goroutine_dump")
    dumps = [
        o
        for o in run.events
        if o.signature == dump_key and o.artifact == e.artifact and 0 < o.line - e.line <= _DUMP_REACH
    ]
    if not dumps:
        return e
    dump = min(dumps, key=lambda o: o.line)
    if dump.text in e.following:  # no blank line cut it (e.g. `--timestamps`): the panic holds it
        return e
    return dataclasses.replace(e, following=[*e.following, dump.text, *dump.following])


def _named_node(text: str, known: set[str]) -> str | None:
    for name in sorted(known, key=len, reverse=True):
        if re.search(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])", text):
            return name
    return None


def fatal_message(e: m.LogEvent) -> str:
    """The message of a fatal line, without its klog header."""
    return e.groups.get("fatal") or e.message or e.text


def describe_panic(e: m.LogEvent) -> Panic:
    if e.signature == lifecycle.key("py_traceback"):
        exceptions = [x for line in e.following if (x := _PY_EXCEPTION.match(_TIMESTAMP.sub("", line)))]
        frames = [f for line in e.following if (f := _PY_FRAME.match(line))]
        last = exceptions[-1] if exceptions else None
        text = (f"{last['type']}: {last['msg']}" if last["msg"] else last["type"]) if last else e.text.strip('"')
        frame = f"{frames[-1]['func']} ({frames[-1]['file'].rsplit('/', 1)[-1]})" if frames else ""
        who, container = _container(e.artifact)
        if who == "antrea-agent":  # the file does not say: the daemon's own file does
            daemon = frames[0]["file"].rsplit("/", 1)[-1] if frames else ""
            who = daemon or "a Python daemon of the antrea-agent Pod"
            container = "antrea-ipsec" if "ipsec" in daemon else "antrea-ovs"
        return Panic(text[:300], frame, True, who, container)
    text = e.kv.get("panic") or e.groups.get("panic", "") or e.text
    inner = re.search(r"\((runtime error: [^)]*)\)", text)
    who, container = _container(e.artifact)
    return Panic((inner.group(1) if inner else text.strip('"'))[:200], _go_frame(e.following), False, who, container)


def _go_frame(stack: list[str]) -> str:
    for line in stack:
        line = _TIMESTAMP.sub("", line).strip()
        if _FRAME.match(line):
            # "antrea.io/antrea/pkg/agent/controller/egress.(*EgressController).syncEgress(0xc0..., ...)"
            return line.rsplit("(", 1)[0].rsplit("/", 1)[-1][:160]
    return ""


def _container(artifact: str) -> tuple[str, str]:
    """(what crashed, its container) from the log file's name, e.g. `antrea-ipsec.log`."""
    name = artifact.replace("!", "/").rsplit("/", 1)[-1].lower()
    for word, who, container in _CONTAINERS:
        if word in name:
            return who, container
    return "antrea-agent", "antrea-agent"


def pod_signs(pods: Iterable[PodRow], described_pods: Iterable[DescribedPod]) -> dict[str, PodSigns]:
    """Crash signs of the antrea-agent and antrea-controller Pods by Node name (by `(<pod>)` when
    the paste does not say the Node)."""
    out: dict[str, PodSigns] = {}

    def entry(node: str | None, name: str) -> PodSigns:
        component = "antrea-controller" if "controller" in name else "antrea-agent"
        return out.setdefault(node or f"({name})", PodSigns(name, component))

    for row in pods:
        if not row.name.startswith(("antrea-agent", "antrea-controller")):
            continue
        signs = entry(row.node or row.file_node, row.name)
        signs.crashloop |= "CrashLoopBackOff" in (row.status or "")
        signs.restarts = max(signs.restarts, row.restarts)
        signs.state = row.status or signs.state
        signs.evidence.append(EvidenceLine(row.source, row.line, None, row.text, row.node))
    for pod in described_pods:
        if not pod.name.startswith(("antrea-agent", "antrea-controller")):
            continue
        signs = entry(pod.node, pod.name)
        for c in pod.containers:
            signs.crashloop |= c.reason == "CrashLoopBackOff"
            signs.restarts = max(signs.restarts, c.restarts)
            signs.oom |= c.last_reason == "OOMKilled"
            if c.reason or c.last_reason:
                signs.state = f"{c.name} {c.reason or c.state}, last {c.last_reason} exit {c.last_exit_code}"
                signs.evidence.append(EvidenceLine(pod.source, None, None, f"{pod.name} {signs.state}", pod.node))
    for signs in out.values():
        signs.state = signs.state or "restarting"
    return out
