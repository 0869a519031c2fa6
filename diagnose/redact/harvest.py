"""Find the names to hide and the Service IP to keep, in file names and text.

The first pass over a bundle (and, for `scan --redact`, over what the diagnosis kept) collects
them here; the scrubber then replaces every occurrence. Names are taken from the places Antrea
and Kubernetes put them: `agent_<node>.tar.gz`, klog file names (`antrea-agent.<host>.<user>.log...`)
and headers (`Running on machine:`), clusterinfo Nodes/Pods/workloads, agentinfo `noderef`/`podref`,
key=value pairs of log lines (`nodeName=`, `pod="ns/name"`), OVSDB `external_ids` (`pod-name`),
CNI arguments (`K8S_POD_NAME=`), shell prompts (`user@host:~#`), `/home/<user>/` paths and
kubeconfig `users`/`clusters`/`contexts`. Parsing never raises: the text is untrusted.
"""

from __future__ import annotations

import ipaddress
import re

from diagnose.parse import clusterinfo as ci
from diagnose.parse import yamlsafe
from diagnose.redact import domains
from diagnose.redact.vocab import Vocabulary

_VALUE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}"
_AGENT_FILE = re.compile(r"^(?:agent|controller)_(?P<node>.+?)(?:\.tar\.gz|\.tgz|\.tar|\.zip)$")
_KLOG_FILE = re.compile(r"^antrea-[a-z-]+\.(?P<host>[^.]+(?:\.[^.]+)*?)\.(?P<user>[^.]+)\.log\."
                        r"(?:INFO|WARNING|ERROR|FATAL)\.")
_MACHINE = re.compile(r"Running on machine: (\S+)")
_PROMPT = re.compile(rf"^\[?(?P<user>[a-z_][a-z0-9_-]{{0,31}})@(?P<host>{_VALUE})"
                     r"(?::[^\s#$]{0,200}|\s[^\]\n]{0,200}\])\s?[#$]", re.M)
_PROMPT_BYTES = 65536  # prompts are at the top of what was pasted (and of each command in it)
_HOME = re.compile(r"/home/([a-z_][a-z0-9_.-]{0,31})(?=/|\b)")
# After a key: `=value`, `="value"` (klog, CNI), `": "value"` (JSON), `: value` (YAML), `","value"`
# (OVSDB JSON maps). Each key is its own pattern so that the regex engine can jump from one
# occurrence of the key's literal to the next: these run over every line of every log.
_KEY_TAIL = (rf"(?:(?P<kv>=)\"?|(?P<json>\"[ \t]*:[ \t]*\")|(?P<yaml>[ \t]*:[ \t]*[\"']?)|(?P<ovs>\",\"))"
             rf"(?P<value>{_VALUE})")
_LINE_HEAD = re.compile(r"[ \t]*(?:-[ \t]+)?")


class _Keyed:
    """The value of one of `keys` as klog/CNI (`key="value"`), JSON (`"key": "value"`), YAML (`key:
    value` alone on its line) and OVSDB JSON (`["key","value"]`) write it; never across lines and
    never a word after "Node:" in a sentence."""

    def __init__(self, *keys: str):
        self._patterns = [(len(k), re.compile(re.escape(k) + _KEY_TAIL)) for k in keys]

    def values(self, text: str) -> list[str]:
        out = []
        for _, pattern in self._patterns:
            for m in pattern.finditer(text):
                start = m.start()
                before = text[start - 1] if start else "\n"
                if m["kv"]:
                    ok = not (before.isalnum() or before in "_-")
                elif m["json"] or m["ovs"]:
                    ok = before == '"'
                else:
                    line = text.rfind("\n", 0, start) + 1
                    end = text.find("\n", m.end())
                    rest = text[m.end() : len(text) if end == -1 else end]
                    ok = _LINE_HEAD.fullmatch(text, line, start) is not None and not rest.strip(" \t\r\"'")
                if ok:
                    out.append(m["value"])
        return out


_NODE_KEY = _Keyed("nodeName", "NodeName", "node_name", "node-name", "node", "Node", "hostname", "hostName",
                   "kubernetes.io/hostname")
_POD_KEYS = [re.compile(re.escape(k) + rf"=\"?({_VALUE})/({_VALUE})") for k in ("pod", "Pod", "podKey")]
_POD_NAME = _Keyed("pod-name", "pod_name", "podName", "PodName", "K8S_POD_NAME")
_NAMESPACE = _Keyed("namespace", "Namespace", "pod-namespace", "pod_namespace", "podNamespace", "PodNamespace",
                    "K8S_POD_NAMESPACE")
_USER_KEY = _Keyed("user", "username", "userName")
_REF = re.compile(r"^(?P<ind>[ \t]*)(?P<kind>noderef|podref|nodeRef|podRef):[ \t]*\n"
                  r"(?P<body>(?:(?P=ind)[ \t]+\S.*\n?){1,12})", re.M)
_REF_FIELD = re.compile(rf"^[ \t]+(name|namespace):[ \t]*\"?({_VALUE})", re.M)
_KUBECONFIG_SECTION = re.compile(r"^(?P<ind>[ \t]*)(?P<sec>clusters|contexts|users):[ \t]*$", re.M)
_KUBECONFIG_NAME = re.compile(rf"^(?P<ind>[ \t]*)(?:-[ \t]+)?name:[ \t]*\"?({_VALUE})", re.M)
# The Kubernetes Service: the first address of a private Service CIDR, on port 443.
_ADDRESS = r"(\[?[0-9A-Fa-f:.]{2,45}?\]?)"
_SERVICE = [re.compile(r"https://" + _ADDRESS + r":443\b"), re.compile(r"dial tcp[46]? " + _ADDRESS + r":443\b"),
            re.compile(r"KUBERNETES_SERVICE_HOST[=:]\s*\"?" + _ADDRESS + r"\"?\s*$", re.M)]
# A DNS name is found from its TLD (`.com`, `.internal`): the engine jumps from dot to dot.
_TLD_HIT = re.compile(r"\.(?:" + "|".join(sorted(domains.TLDS, key=len, reverse=True)) + r")(?![\w-]|\.[\w-])",
                      re.I)
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "ac", "gov", "edu", "ltd", "plc"})  # acme.co.uk
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                                               "fc00::/7")]
_KUBECONFIG_CLASS = {"clusters": "cluster", "contexts": "cluster", "users": "user"}


class Harvester:
    def __init__(self, vocabulary: Vocabulary | None = None):
        self.vocabulary = vocabulary or Vocabulary()

    def path(self, parts: tuple[str, ...]) -> None:
        """Names in file and directory names (`agent_node2.tar.gz`, klog file names)."""
        v = self.vocabulary
        for part in parts:
            m = _AGENT_FILE.match(part)
            if m:
                v.add("node", m["node"])
            m = _KLOG_FILE.match(part)
            if m:
                v.add("host", m["host"])
                v.add("user", m["user"])

    def text(self, text: str, head: bool = True) -> None:
        """Names in `text`; `head`: it is the start of a file (where shell prompts are)."""
        v = self.vocabulary
        for m in _MACHINE.finditer(text):
            v.add("host", m[1])
        if head:
            for m in _PROMPT.finditer(text, 0, _PROMPT_BYTES):
                v.add("user", m["user"])
                v.add("host", m["host"])
        if "/home/" in text:
            for m in _HOME.finditer(text):
                v.add("user", m[1])
        for value in _NODE_KEY.values(text):
            v.add("node", value)
        for pattern in _POD_KEYS:
            for m in pattern.finditer(text):
                if not m.start() or not (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_-"):
                    v.add_pod(m[1], m[2])
        for value in _POD_NAME.values(text):
            v.add("pod", value)
        for value in _NAMESPACE.values(text):
            v.add_pod(value, None)
        for value in _USER_KEY.values(text):
            v.add("user", value)
        if any(k in text for k in ("noderef:", "podref:", "nodeRef:", "podRef:")):
            for m in _REF.finditer(text):
                fields = {k: val for k, val in _REF_FIELD.findall(m["body"])}
                if m["kind"].lower() == "noderef":
                    v.add("node", fields.get("name"))
                else:
                    v.add_pod(fields.get("namespace"), fields.get("name"))
        if "clusters:" in text or "users:" in text or "contexts:" in text:
            self._kubeconfig(text)
        for pattern in _SERVICE:
            for m in pattern.finditer(text):
                self._service(m[1].strip("[]"))
        for m in _TLD_HIT.finditer(text):
            start, stop = m.start(), max(0, m.start() - 253)  # a DNS name has at most 253 characters
            while start > stop and text[start - 1] in _LABEL_CHARS:
                start -= 1
            self.domain(text[start : m.end()].strip(".-"))

    def domain(self, name: str) -> None:
        """The organisation label of a DNS name to hide (`acme-bank` of `k8s.acme-bank.com`): it
        also names folders and clusters (`ticket-acme-bank/`)."""
        low = name.lower()
        if not domains.redactable(low):
            return
        labels = low.split(".")
        org = labels[-2] if len(labels) < 3 or labels[-2] not in _SECOND_LEVEL else labels[-3]
        self.vocabulary.add("org", org)

    def failed_nodes(self, text: str) -> None:
        """antctl's `failed_nodes`: one Node name per line."""
        for line in text.splitlines():
            if line.strip() and " " not in line.strip():
                self.vocabulary.add("node", line.strip())

    def _kubeconfig(self, text: str) -> None:
        """`name:` of the items of kubeconfig `clusters`, `contexts` and `users` lists."""
        sections = list(_KUBECONFIG_SECTION.finditer(text))
        for i, sec in enumerate(sections):
            end = sections[i + 1].start() if i + 1 < len(sections) else len(text)
            body = text[sec.end() : end]
            indent = len(sec["ind"].expandtabs())
            for m in _KUBECONFIG_NAME.finditer(body):
                # an item's own name sits at most two columns deeper than the list ("- name:" or "  name:")
                if len(m["ind"].expandtabs()) <= indent + 2:
                    self.vocabulary.add(_KUBECONFIG_CLASS[sec["sec"]], m[2])

    def _service(self, text: str) -> None:
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return
        last = int(addr) & 0xFF if addr.version == 4 else int(addr) & 0xFFFF
        if last == 1 and any(addr in net for net in _PRIVATE if net.version == addr.version):
            self.vocabulary.service_ips.add(str(addr))

    def clusterinfo(self, text: str) -> None:
        """Nodes, Pods and workloads of antctl's `clusterinfo`, parsed as the YAML it is."""
        self.text(text)
        for section, body in ci.sections(text).items():
            for doc in yamlsafe.split_documents(body):
                obj = yamlsafe.load(doc)
                if isinstance(obj, dict):
                    self._object(section, obj)

    def _object(self, section: str, obj: dict) -> None:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        name, ns = meta.get("name"), meta.get("namespace")
        name = name if isinstance(name, str) else None
        ns = ns if isinstance(ns, str) else None
        v = self.vocabulary
        if section == "nodes":
            v.add("node", name)
            status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
            for a in status.get("addresses") or []:
                if isinstance(a, dict) and a.get("type") in ("Hostname", "InternalDNS", "ExternalDNS"):
                    v.add("host", str(a.get("address") or ""))
        elif section == "pods":
            v.add_pod(ns, name)
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            if isinstance(spec.get("nodeName"), str):
                v.add("node", spec["nodeName"])
        elif section in ("deployments", "replicas", "daemonsets", "statefulsets"):
            v.add_pod(ns, name, cls="app")

