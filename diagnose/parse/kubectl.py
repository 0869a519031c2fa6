"""Pasted `kubectl get pods [-A] [-o wide]` tables and `kubectl describe pod` output.

Users paste these into tickets more often than anything else. Both are column layouts made by
kubectl's tabwriter, but a paste loses the header, the namespace column or the wide columns, and
RESTARTS may read ``32 (5m ago)``. So a table row is recognised by its shape (a name, then a
``ready/total`` count, a status and a restart count) rather than by fixed column offsets, and
every field that may be absent is optional. Parsers never raise; garbage yields nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from diagnose.parse.shell import split_prompt

_MAX_LINE = 4096
_MAX_ROWS = 200_000
_NAME = r"[a-z0-9](?:[-a-z0-9.]{0,252})"
# [NAMESPACE] NAME READY STATUS RESTARTS [(last restart)] AGE [IP NODE [NOMINATED READINESS]]
_ROW = re.compile(
    rf"^(?:(?P<ns>{_NAME})\s+)?(?P<name>{_NAME})\s+(?P<ready>\d{{1,3}}/\d{{1,3}})\s+(?P<status>[A-Za-z][\w:/-]{{0,63}})"
    r"\s+(?P<restarts>\d{1,9})(?:\s+\([^)]{0,40}\))?\s+(?P<age>[0-9][0-9a-z]{0,15}|<unknown>)"
    r"(?:\s+(?P<ip>[0-9a-fA-F.:]{2,45}|<none>)\s+(?P<node>[A-Za-z0-9][-A-Za-z0-9._]{0,252}|<none>))?(?:\s|$)"
)
_HEADER = re.compile(r"^(?:NAMESPACE\s+)?NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\b")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")

# Pods that are finished keep status.podIP; the IP may already belong to a new Pod.
TERMINATED = frozenset(
    {
        "Completed",
        "Succeeded",
        "Failed",
        "Error",
        "Evicted",
        "ContainerStatusUnknown",
        "OOMKilled",
        "Terminated",
        "Shutdown",
        "NodeShutdown",
    }
)


@dataclass
class PodRow:
    """A Pod as `kubectl get pods` or clusterinfo lists it."""

    name: str
    namespace: str | None = None
    ready: str | None = None
    status: str | None = None  # STATUS column, or status.phase from YAML
    restarts: int = 0
    ip: str | None = None
    node: str | None = None
    host_network: bool | None = None  # known only from the Pod spec (clusterinfo)
    source: str = ""  # artifact path
    line: int | None = None
    text: str = ""  # the row as pasted
    file_node: str | None = None  # the Node the pasted file was attributed to (a table may lack NODE)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def terminated(self) -> bool:
        return (self.status or "") in TERMINATED


def _clean(text: str) -> list[str]:
    _, body = split_prompt(text or "")
    return body.splitlines()[:_MAX_ROWS]


def parse_pods_table(text: str, source: str = "") -> list[PodRow]:
    """Rows of a `kubectl get pods` table; other lines are ignored."""
    rows: list[PodRow] = []
    for i, raw in enumerate(_clean(text), 1):
        line = raw.strip()[:_MAX_LINE]
        m = _ROW.match(line)
        if not m:
            continue
        ip = m["ip"] if m["ip"] and m["ip"] != "<none>" else None
        node = m["node"] if m["node"] and m["node"] != "<none>" else None
        if ip and not (_IPV4.match(ip) or ":" in ip):
            ip, node = None, None  # the wide columns were something else
        rows.append(
            PodRow(
                name=m["name"],
                namespace=m["ns"],
                ready=m["ready"],
                status=m["status"],
                restarts=int(m["restarts"]),
                ip=ip,
                node=node,
                source=source,
                line=i,
                text=line,
            )
        )
    return rows


def sniff_pods_table(head: str) -> bool:
    """A `kubectl get pods` header, or only table rows (a paste without its header)."""
    lines = [ln.strip() for ln in _clean(head)[:40] if ln.strip()]
    if not lines:
        return False
    if any(_HEADER.match(ln) for ln in lines[:3]):
        return True
    return all(_ROW.match(ln[:_MAX_LINE]) for ln in lines)


# -- kubectl describe pod ---------------------------------------------------------------------

_FIELD = re.compile(r"^(?P<indent> *)(?P<key>[A-Z][A-Za-z ]{0,40}):(?:\s+(?P<value>.*))?$")
_CONTAINER = re.compile(r"^  (?P<name>[a-z0-9][-a-z0-9.]{0,62}):\s*$")  # container names are DNS labels
_EVENT_HEADER = re.compile(r"^\s+Type\s+Reason\s+Age\s+From\s+Message\s*$")


@dataclass
class ContainerState:
    """A container of `kubectl describe pod`: its state, last state and restarts."""

    name: str
    state: str | None = None  # Running / Waiting / Terminated
    reason: str | None = None  # of the current state, e.g. CrashLoopBackOff
    last_state: str | None = None
    last_reason: str | None = None
    last_exit_code: int | None = None
    restarts: int = 0


@dataclass
class PodEvent:
    """An event of `kubectl describe pod`'s Events table."""

    type: str
    reason: str
    age: str
    source: str  # the "From" column
    message: str
    line: int


@dataclass
class DescribedPod:
    """A Pod of `kubectl describe pod`: its containers and events."""

    name: str
    namespace: str | None = None
    node: str | None = None
    status: str | None = None
    ip: str | None = None
    containers: list[ContainerState] = field(default_factory=list)
    events: list[PodEvent] = field(default_factory=list)
    source: str = ""


def parse_describe(text: str, source: str = "") -> list[DescribedPod]:
    """Pods of `kubectl describe pod` output (one or several, concatenated)."""
    pods: list[DescribedPod] = []
    pod: DescribedPod | None = None
    section = None
    container: ContainerState | None = None
    sub = None  # "State" or "Last State" while reading their indented Reason/Exit Code
    columns: list[int] | None = None
    for i, raw in enumerate(_clean(text), 1):
        line = raw.rstrip()[:_MAX_LINE]
        if not line.strip():
            continue
        if section == "Events" and pod is not None:
            if _EVENT_HEADER.match(line):
                columns = [line.index(h) for h in ("Type", "Reason", "Age", "From", "Message")]
                continue
            if line.lstrip().startswith("----"):
                continue
            if line.startswith(" "):
                event = _event(line, columns, i)
                if event:
                    pod.events.append(event)
                elif pod.events and line.startswith(" " * 10):  # a wrapped message
                    pod.events[-1].message += " " + line.strip()
                continue
        c = _CONTAINER.match(line)
        if c and pod is not None and section in ("Containers", "Init Containers"):
            container, sub = ContainerState(name=c["name"]), None
            pod.containers.append(container)
            continue
        m = _FIELD.match(line)
        if not m:
            continue
        key, value, indent = m["key"], (m["value"] or "").strip(), len(m["indent"])
        if indent == 0:
            section, container, sub = key, None, None
            if key == "Name":
                pod = DescribedPod(name=value, source=source)
                pods.append(pod)
            elif pod is not None:
                if key == "Namespace":
                    pod.namespace = value or None
                elif key == "Node":
                    pod.node = None if value in ("", "<none>") else value.split("/", 1)[0]
                elif key == "Status":
                    pod.status = value or None
                elif key == "IP":
                    pod.ip = value or None
            continue
        if pod is None or section not in ("Containers", "Init Containers"):
            continue
        if container is not None and indent == 4:
            sub = key if key in ("State", "Last State") else None
            if key == "State":
                container.state = value or None
            elif key == "Last State":
                container.last_state = value or None
            elif key == "Restart Count" and value.isdigit():
                container.restarts = int(value)
        elif container is not None and indent >= 6 and sub:
            if key == "Reason":
                if sub == "State":
                    container.reason = value or None
                else:
                    container.last_reason = value or None
            elif key == "Exit Code" and sub == "Last State" and re.fullmatch(r"-?\d{1,5}", value):
                container.last_exit_code = int(value)
    return pods


def _event(line: str, columns: list[int] | None, line_no: int) -> PodEvent | None:
    if columns and len(line) > columns[4]:
        kind, reason, age, source, message = (
            line[a:b].strip() for a, b in zip(columns, columns[1:] + [len(line)], strict=True)
        )
        if kind in ("Normal", "Warning"):
            return PodEvent(kind, reason, age, source, message, line=line_no)
    m = re.match(r"^\s+(Normal|Warning)\s+(\S+)\s+(.+?)\s{2,}(\S+(?:, \S+)?)\s{2,}(.*)$", line)
    if m:
        return PodEvent(m[1], m[2], m[3], m[4], m[5], line_no)
    return None


def sniff_describe(head: str) -> bool:
    lines = [ln for ln in _clean(head)[:40] if ln.strip()]
    keys = {m["key"] for ln in lines if (m := _FIELD.match(ln)) and not m["indent"]}
    # A custom resource's describe (`Kind:`, `API Version:`) has a Status too, but is no Pod.
    return (
        "Name" in keys
        and "Namespace" in keys
        and bool(keys & {"Node", "Containers", "Controlled By", "Status"})
        and not keys & {"Kind", "API Version"}
    )


def detect(head: str) -> str | None:
    """The artifact kind of pasted kubectl output, or None."""
    from diagnose.bundle import model

    if sniff_describe(head):
        return model.KUBECTL_DESCRIBE_POD
    if sniff_pods_table(head):
        return model.KUBECTL_PODS
    return None
