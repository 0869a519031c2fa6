"""Which Node a loose (pasted) file belongs to.

A bundle says it in its layout (`agent_<node>.tar.gz`); a paste says it, if at all, in one of
these places, tried in order for each file:

1. its own content: the klog header (`Running on machine:`), the shell prompt it starts with,
   the host of journald/syslog prefixes, the `hostname` in an OVSDB `external_ids`;
2. the Pod it is the log of (a `kubectl logs --prefix` prefix, the `kubectl logs POD` prompt, a
   file named after the Pod), mapped to its Node by a `kubectl get pods -o wide` table or a
   `kubectl describe pod` of the same paste;
3. the Node its agent names as its own (`nodeName=`, `failed to get Node with name X`), when
   the log names exactly one;
4. its path: a folder or file named after a known Node, or one that reads as a host name
   (`node2-logs/`, `ip-route.node2.txt`);
5. the paste as a whole: when the files name exactly one Node between them, the unnamed ones
   are that Node's too.

What is left belongs to "the Node of these files" (`model.UNATTRIBUTED`), which rules evaluate
like any Node: a paste of one Node's logs that names it nowhere is still diagnosed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from diagnose.bundle import model as m
from diagnose.parse import kubectl, shell

_NOT_A_HOST = frozenset(
    {
        "log",
        "logs",
        "txt",
        "info",
        "warning",
        "error",
        "fatal",
        "partial",
        "excerpt",
        "out",
        "output",
        "yaml",
        "yml",
        "json",
        "conf",
        "gz",
        "tar",
        "tgz",
        "zip",
        "root",
        "bundle",
        "bundles",
        "files",
        "dump",
        "dumps",
        "antrea",
        "agent",
        "ovs",
        "node",
        "nodes",
        "host",
        "hosts",
        "tmp",
        "data",
        "support",
        "collected",
        "kubectl",
        "ip",
    }
)
_HOSTLIKE = re.compile(r"^(?=.*[a-z])(?=.*\d)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DATE_LIKE = re.compile(r"^\d{8}(-\d{6})?$|^\d{4}-\d\d-\d\d")
# Tokens of pasted file names that carry a digit but name a ticket, not a host.
_NOT_A_HOST_RE = re.compile(
    r"^(?:issue|repro|case|ticket|pr|run|attempt|part|v|log|node-?log|from|before|after|"
    r"segment|excerpt|comment|test|try|step|sample|(?:antrea-)?(?:agent|controller|ovs)"
    r"(?:-logs?)?)[-_]?\d+$"
)
# A DaemonSet / Deployment Pod of Antrea: antrea-agent-x7k2p, antrea-controller-7999d9686-xzr27.
_ANTREA_POD = re.compile(r"antrea-(?:agent|controller)(?:-[a-z0-9]{5,10})?-[a-z0-9]{5}(?![a-z0-9])")
# /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log (kubelet's CRI log layout).
_CRI_POD_DIR = re.compile(
    r"^(?P<ns>[a-z0-9][-a-z0-9]{0,62})_(?P<pod>[a-z0-9][-a-z0-9.]{0,252})_"
    r"(?P<uid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
_KUBECTL_LOGS = re.compile(
    r"\bkubectl\b.*?\blogs\b(?:\s+(?:-\S+(?:\s+(?!antrea-)\S+)?))*"
    r"\s+(?:pod/)?(?P<pod>[a-z0-9][-a-z0-9.]+)"
)
# The agent's own Node in its start-up messages.
_OWN_NODE = (
    re.compile(r"Agent initialized NodeConfig=NodeName: (?P<n>[A-Za-z0-9][-A-Za-z0-9_.]{0,252}),"),
    re.compile(r'nodeName="?(?P<n>[A-Za-z0-9][-A-Za-z0-9_.]{0,252})'),
    re.compile(r'failed to get Node with name \\?"?(?P<n>[A-Za-z0-9][-A-Za-z0-9_.]{0,252})'),
    re.compile(
        r'(?:PodCIDR|CIDR string) is empty for Node \\?"?'
        r'(?P<n>[A-Za-z0-9][-A-Za-z0-9_.]{0,252}?)\\?"?(?:$|[\s"])'
    ),
)


@dataclass
class Loose:
    """What attribution needs to know of one file."""

    artifact: m.Artifact
    parts: tuple[str, ...]  # path components from the source root
    texts: list[str]  # lines it holds that may name its Node (hit lines of a log, head of the rest)


def attribute(files: list[Loose], known: set[str], pods: dict[str, str]) -> None:
    """Set `artifact.node` of every file that has none, following the module docstring."""
    for f in files:
        if f.artifact.node is None:
            f.artifact.node = _own_name(f, known, pods)
    named = {f.artifact.node for f in files if f.artifact.node} | (known - m.PSEUDO_NODES)
    named -= m.PSEUDO_NODES
    if len(named) == 1:
        only = next(iter(named))
        for f in files:
            if f.artifact.node is None:
                f.artifact.node = only


def known_names(files: Iterable[Loose]) -> set[str]:
    """Node names a paste states outright (hosts in content, `Node:` lines, the NODE column)."""
    out: set[str] = set()
    for f in files:
        a = f.artifact
        if a.meta.get("host"):
            out.add(a.meta["host"])
        if a.kind == m.KUBECTL_DESCRIBE_POD:
            out |= {p.node for p in kubectl.parse_describe(a.text()) if p.node and _is_antrea_pod(p.name)}
    return out


def pod_nodes(artifacts: Iterable[m.Artifact]) -> dict[str, str]:
    """Pod name -> Node, from pasted `kubectl get pods -o wide` tables and `kubectl describe pod`."""
    out: dict[str, str] = {}
    for a in artifacts:
        if a.kind == m.KUBECTL_PODS:
            out.update({r.name: r.node for r in kubectl.parse_pods_table(a.text()) if r.node})
        elif a.kind == m.KUBECTL_DESCRIBE_POD:
            out.update({p.name: p.node for p in kubectl.parse_describe(a.text()) if p.node})
    return out


def _own_name(f: Loose, known: set[str], pods: dict[str, str]) -> str | None:
    a = f.artifact
    host = a.meta.get("host")
    if host:
        return _match_known(host, known) or host
    pod = _pod_of(f)
    if pod and pod in pods:
        return pods[pod]
    if a.kind == m.KUBECTL_DESCRIBE_POD:
        nodes = {p.node for p in kubectl.parse_describe(a.text()) if p.node}
        if len(nodes) == 1:
            return nodes.pop()
    if a.kind in m.LOG_KINDS and a.kind != m.CONTROLLER_LOG:
        own = {
            n
            for text in f.texts
            for pattern in _OWN_NODE
            if (found := pattern.search(text))
            for n in [found["n"].rstrip(".\\")]
        }
        if len(own) == 1:
            return own.pop()
    # Longest names first so that "worker-10" is not taken for "worker-1".
    for name in sorted(known, key=len, reverse=True):
        if any(_contains_name(part, name) for part in reversed(f.parts)):
            return name
    # The folder the user gave names the ticket more often than a Node: it counts only when it
    # says so (`node2-logs/`); inner folders and file names count whenever they read as a host.
    for i, part in reversed(list(enumerate(f.parts))):
        token = host_token(part, labelled=i == 0 and len(f.parts) > 1)
        if token:
            return token
    return None


def line_node(text: str, known: set[str]) -> str | None:
    """The known Node a single line of an unattributed log names as its agent's own (a file
    quoting the fatal lines of several Nodes gives each line to its Node)."""
    for pattern in _OWN_NODE:
        found = pattern.search(text)
        if found:
            name = found["n"].rstrip(".\\")
            if name in known:
                return name
    return None


def _pod_of(f: Loose) -> str | None:
    """The Pod a pasted log is the log of: `--prefix`, the prompt's `kubectl logs POD`, the name."""
    a = f.artifact
    if a.meta.get("pod"):
        return a.meta["pod"]
    command = a.meta.get("command") or ""
    found = _KUBECTL_LOGS.search(command)
    if found:
        return found["pod"]
    for part in reversed(f.parts):
        cri = _CRI_POD_DIR.match(part)
        if cri:
            return cri["pod"]
    named = _ANTREA_POD.search(f.parts[-1])
    return named[0] if named else None


def _is_antrea_pod(name: str) -> bool:
    return name.startswith(("antrea-agent", "antrea-controller"))


_LABELLED = re.compile(r"^(?:logs?[-_](?P<a>.+)|(?P<b>.+?)[-_](?:logs?|bundle|files|output))$")


def host_token(part: str, labelled: bool = False) -> str | None:
    """A host name read from one path component: `ip-route.node2.txt` -> node2, `node2-logs` ->
    node2, `ip-10-0-2-235_logs` -> ip-10-0-2-235. Tokens that name tickets, dates, versions or
    Antrea Pods are not hosts. `labelled`: only a name with a `-logs`-like label counts."""
    if labelled:
        found = _LABELLED.match(part.lower())
        return host_token(found["a"] or found["b"]) if found else None
    if _ANTREA_POD.fullmatch(part.lower().split(".")[0]) or _CRI_POD_DIR.match(part):
        return None
    for piece in part.lower().split("."):
        words = [w for w in re.split(r"[_]|(?<=[a-z])-(?=logs?$)|(?<=\d)-(?=logs?$)", piece) if w]
        words = [w for w in words if w not in _NOT_A_HOST]
        for token in (*words, "-".join(words)):
            if _ANTREA_POD.search(token):
                continue
            token = re.sub(r"^(?:logs?|bundle)-|-(?:logs?|bundle|files|output)$", "", token)
            if (
                _HOSTLIKE.match(token)
                and token not in _NOT_A_HOST
                and not _DATE_LIKE.match(token)
                and not _NOT_A_HOST_RE.match(token)
                and not _ANTREA_POD.fullmatch(token)
                and not re.fullmatch(r"v?\d+(?:-\d+)*", token)
            ):
                return token
    return None


def _match_known(host: str, known: set[str]) -> str | None:
    if host in known:
        return host
    short = host.split(".")[0]
    return short if short in known else None


def _contains_name(part: str, name: str) -> bool:
    if part == name:
        return True
    pattern = r"(?:^|[-_.])" + re.escape(name) + r"(?:$|[-_.])"
    return re.search(pattern, part) is not None


def prompt_command(text: str) -> str | None:
    """The command a paste was made with, from its prompt line (`root@n2:~# kubectl logs ...`)."""
    return shell.prompt_command(text)
