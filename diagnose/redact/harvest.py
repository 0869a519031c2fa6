"""Find the names to hide, the DNS domains a bundle shows, and the Service IP to keep.

The first pass over a bundle (and, for `scan --redact`, over what the diagnosis kept) collects
them here; the scrubber then replaces every occurrence. Names are taken from the places Antrea
and Kubernetes put them: `agent_<node>.tar.gz`, klog file names (`antrea-agent.<host>.<user>.log...`)
and headers (`Running on machine:`), clusterinfo Nodes/Pods/workloads, agentinfo `noderef`/`podref`,
key=value pairs of log lines (`nodeName=`, `pod="ns/name"`), OVSDB `external_ids` (`pod-name`),
CNI arguments (`K8S_POD_NAME=`), shell prompts (`user@host:~#`), `/home/<user>/` paths,
kubeconfig `users`/`clusters`/`contexts`, URL hosts, and the same places URL-encoded
(`fieldSelector=spec.nodeName%3Dnode2`, `%2Fhome%2Falice%2F`).

Domains: a URL's host, an e-mail's domain, a Node's DNS addresses and resolv.conf `search` lists
are DNS names by where they stand, whatever their TLD; their suffix is learnt (`prod.acme` of
`https://vault.prod.acme`) and hidden wherever it appears.

The pass has the scrubber's shape: one finder reports every trigger of a block, secrets
(`credentials`) claim their spans first, so no part of a secret is ever taken for a name and the
private map never holds one. Parsing never raises: the text is untrusted.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote_to_bytes

from diagnose.parse import clusterinfo as ci
from diagnose.parse import yamlsafe
from diagnose.redact import credentials, domains, names
from diagnose.redact.finder import Detectors, Row, Run, Trigger
from diagnose.redact.vocab import Vocabulary

_VALUE = rb"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}"
_AGENT_FILE = re.compile(r"^(?:agent|controller)_(?P<node>.+?)(?:\.tar\.gz|\.tgz|\.tar|\.zip)$")
_KLOG_FILE = re.compile(
    r"^antrea-[a-z-]+\.(?P<host>[^.]+(?:\.[^.]+)*?)\.(?P<user>[^.]+)\.log\."
    r"(?:INFO|WARNING|ERROR|FATAL)\."
)
_MACHINE = re.compile(rb"Running on machine: (\S+)")
_PROMPT = re.compile(
    rb"^\[?(?P<user>[a-z_][a-z0-9_-]{0,31})@(?P<host>" + _VALUE + rb")"
    rb"(?::[^\s#$]{0,200}|\s[^\]\n]{0,200}\])\s?[#$]",
    re.M,
)
_PROMPT_BYTES = 65536  # prompts are at the top of what was pasted (and of each command in it)
_HOME = re.compile(rb"/home/([a-z_][a-z0-9_.-]{0,31})(?=/|\b)")
_LINE_HEAD = re.compile(rb"[ \t]*(?:-[ \t]+)?")
# Keys whose value is a name, by class. Case matters: `node` and `Node` are keys, `NODE` a word.
_KEYS = {
    "node": (
        "nodeName",
        "NodeName",
        "node_name",
        "node-name",
        "node",
        "Node",
        "hostname",
        "hostName",
        "kubernetes.io/hostname",
    ),
    "pod": ("pod-name", "pod_name", "podName", "PodName", "K8S_POD_NAME"),
    "namespace": (
        "namespace",
        "Namespace",
        "pod-namespace",
        "pod_namespace",
        "podNamespace",
        "PodNamespace",
        "K8S_POD_NAMESPACE",
    ),
    "user": ("user", "username", "userName"),
}
_CLASS_OF = {k.encode(): cls for cls, keys in _KEYS.items() for k in keys}
_KEY_NAMES = b"|".join(re.escape(k) for k in sorted(_CLASS_OF, key=len, reverse=True))
# After a key: `=value`, `="value"` (klog, CNI), `": "value"` (JSON), `: value` (YAML), `","value"`
# (OVSDB JSON maps).
_KEYED = re.compile(
    rb"(?P<key>" + _KEY_NAMES + rb")(?:(?P<kv>=)\"?|(?P<json>\"[ \t]*:[ \t]*\")"
    rb"|(?P<yaml>[ \t]*:[ \t]*[\"']?)|(?P<ovs>\",\"))(?P<value>" + _VALUE + rb")"
)
_POD_REF = re.compile(rb"(?:pod|Pod|podKey)=\"?(?P<ns>" + _VALUE + rb")/(?P<name>" + _VALUE + rb")")
_REF = re.compile(
    rb"^(?P<ind>[ \t]*)(?P<kind>noderef|podref|nodeRef|podRef):[ \t]*\n"
    rb"(?P<body>(?:(?P=ind)[ \t]+\S.*\n?){1,12})",
    re.M,
)
_REF_FIELD = re.compile(rb"^[ \t]+(name|namespace):[ \t]*\"?(" + _VALUE + rb")", re.M)
_KUBECONFIG_SECTION = re.compile(rb"^(?P<ind>[ \t]*)(?P<sec>clusters|contexts|users):[ \t]*$", re.M)
_KUBECONFIG_NAME = re.compile(rb"^(?P<ind>[ \t]*)(?:-[ \t]+)?name:[ \t]*\"?(" + _VALUE + rb")", re.M)
# The Kubernetes Service: the first address of a private Service CIDR, on port 443.
_ADDRESS = rb"(\[?[0-9A-Fa-f:.]{2,45}?\]?)"
_SERVICE = re.compile(rb"(?:https://|dial tcp[46]? )" + _ADDRESS + rb":443(?![0-9])")
_SERVICE_ENV = re.compile(rb"KUBERNETES_SERVICE_HOST[=:]\s*\"?" + _ADDRESS + rb"\"?\s*$", re.M)
_URL_HOST = re.compile(
    rb"://(?:[^\s/@\"'<>]{0,256}@)?(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)(?=[:/?#\s\"'<>]|$)"
)
_EMAIL = re.compile(rb"@(?P<dom>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)")
_SEARCH = re.compile(rb"^(?:search|domain)[ \t]+(?P<list>[^\n#]+)", re.M)
_CLUSTER_DOMAIN = re.compile(rb"(?:clusterDomain|cluster-domain)[\"']?[ \t]*[:=][ \t]*[\"']?(?P<d>[A-Za-z0-9.-]+)")
_LABEL_RUN = Run(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.", 253)
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "ac", "gov", "edu", "ltd", "plc"})  # acme.co.uk
_PRIVATE = [
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
]
_KUBECONFIG_CLASS = {b"clusters": "cluster", b"contexts": "cluster", b"users": "user"}
# Suffixes that are never learnt: cluster-internal names (`kubernetes.default.svc`).
_NOT_LEARNT = frozenset({"svc", "cluster", "localhost", "localdomain", "default"})


def _line_at(block: bytes, start: int) -> bytes:
    end = block.find(b"\n", start)
    return block[start : len(block) if end == -1 else end]


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


class Harvester:
    def __init__(self, vocabulary: Vocabulary | None = None, engine: str = "auto"):
        self.vocabulary = vocabulary or Vocabulary()
        self._detectors = Detectors(self._table(), engine)
        self._structured: set[str] = set()  # block-level parsers a trigger asked for
        self._encoded_lines: set[int] = set()  # where the URL-encoded lines of the block start
        self._seen: set[bytes] = set()  # key=value pairs already harvested

    # -- file names -------------------------------------------------------------------------------

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

    # -- text -------------------------------------------------------------------------------------

    def text(self, text: str | bytes, head: bool = True) -> None:
        """Names in `text`; `head`: it is the start of a file (where shell prompts are)."""
        block = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        if head:
            for m in _PROMPT.finditer(block, 0, _PROMPT_BYTES):
                self.vocabulary.add("user", _text(m["user"]))
                self.vocabulary.add("host", _text(m["host"]))
        d = self._detectors
        hits = d.finder.hits(block)
        if not hits:
            return
        hits.sort()
        self._structured.clear()
        self._encoded_lines.clear()
        cursor = 0
        for start, trig, end in hits:
            if start < cursor:
                continue
            found = d.confirm[trig](block, start, end)
            if found is not None:  # a secret: nothing in it is a name
                cursor = max(cursor, found[1])
        if self._structured:
            self._block_level(block)
        if self._encoded_lines:
            lines = sorted(self._encoded_lines)
            decoded = b"\n".join(unquote_to_bytes(_line_at(block, s)) for s in lines)
            self.text(decoded.replace(b"%", b" "), head=False)  # decoded once: no second round

    def _table(self) -> list[Row]:
        rows: list[Row] = [(form, trigs, confirm, None, False) for form, trigs, confirm in credentials.detectors()]
        tlds = b"|".join(t.encode() for t in sorted(domains.TLDS))
        rows += [
            (
                "machine",
                [Trigger(rb"Running on machine: ", hints=(b"running on machine",))],
                self._machine,
                None,
                False,
            ),
            ("home", [Trigger(rb"/home/", hints=(b"/home/",))], self._home, None, False),
            ("url-encoded", [Trigger(rb"%(?:3[dD]|2[fF]|3[aA]|22)", hints=(b"%",))], self._encoded, None, False),
            ("keyed", [Trigger(rb"(?:" + _KEY_NAMES + rb")(?:=|\":|\" :|:|\",\")")], self._keyed, None, False),
            ("pod-ref", [Trigger(rb"(?:pod|Pod|podKey)=", hints=(b"pod",))], self._pod_ref, None, False),
            (
                "refs",
                [Trigger(rb"(?:noderef|podref|nodeRef|podRef):", hints=(b"ref:",))],
                self._ask("refs"),
                None,
                False,
            ),
            (
                "kubeconfig",
                [Trigger(rb"^[ \t]*(?:clusters|contexts|users):", hints=(b"clusters:", b"contexts:", b"users:"))],
                self._ask("kubeconfig"),
                None,
                False,
            ),
            (
                "resolv",
                [Trigger(rb"^(?:search|domain)[ \t]", hints=(b"search", b"domain"))],
                self._ask("resolv"),
                None,
                False,
            ),
            (
                "cluster-domain",
                [Trigger(rb"(?:clusterDomain|cluster-domain)[\"':= \t]", hints=(b"cluster",))],
                self._cluster_domain,
                None,
                False,
            ),
            (
                "service",
                [
                    Trigger(rb"https://", hints=(b"https://",)),
                    Trigger(rb"dial tcp", hints=(b"dial tcp",)),
                    Trigger(rb"KUBERNETES_SERVICE_HOST", hints=(b"kubernetes_service_host",)),
                ],
                self._service_hit,
                None,
                False,
            ),
            ("url-host", [Trigger(rb"://", hints=(b"://",))], self._url_host, None, False),
            ("email", [Trigger(rb"[A-Za-z0-9._%+-]@[A-Za-z0-9]", hints=(b"@",))], self._email, None, False),
            (
                "domain",
                [Trigger(rb"[A-Za-z0-9-]\.(?:" + tlds + rb")(?:[^A-Za-z0-9-]|$)", caseless=True)],
                self._tld,
                None,
                False,
            ),
        ]
        return rows

    # -- detectors: each records what it finds and claims nothing ----------------------------------

    def _ask(self, what: str):
        def ask(_block: bytes, _start: int, _end: int) -> None:
            self._structured.add(what)

        return ask

    def _machine(self, block: bytes, start: int, _end: int) -> None:
        m = _MACHINE.match(block, start)
        if m:
            self.vocabulary.add("host", _text(m[1]))

    def _home(self, block: bytes, start: int, _end: int) -> None:
        m = _HOME.match(block, start)
        if m:
            self.vocabulary.add("user", _text(m[1]))

    def _encoded(self, block: bytes, start: int, _end: int) -> None:
        """A URL-encoded line: harvested again once decoded (after the block)."""
        self._structured.add("encoded")
        self._encoded_lines.add(block.rfind(b"\n", 0, start) + 1)

    def _keyed(self, block: bytes, start: int, _end: int) -> None:
        m = _KEYED.match(block, start)
        if m is None:
            return
        seen = self._seen
        if m[0] in seen:  # this pair was taken already
            return
        before = block[start - 1] if start else 10
        if m["kv"]:
            ok = not (chr(before).isalnum() or before in b"_-")
        elif m["json"] or m["ovs"]:
            ok = before == ord('"')
        else:  # YAML: the key alone on its line with its value (bounded looks: a long line is no YAML)
            line = block.rfind(b"\n", max(0, start - 64), start) + 1
            end = block.find(b"\n", m.end(), m.end() + 64)
            rest = block[m.end() : min(len(block), m.end() + 64) if end == -1 else end]
            ok = (
                (line > 0 or start < 64)
                and _LINE_HEAD.fullmatch(block, line, start) is not None
                and not rest.strip(b" \t\r\"'")
            )
        if not ok:
            return
        if len(seen) > 100_000:  # bounded: a log of ever new values costs time, not memory
            seen.clear()
        seen.add(m[0])
        cls = _CLASS_OF[m["key"]]
        value = _text(m["value"])
        if cls == "namespace":
            self.vocabulary.add_pod(value, None)
        else:
            self.vocabulary.add(cls, value)

    def _pod_ref(self, block: bytes, start: int, _end: int) -> None:
        m = _POD_REF.match(block, start)
        if m and (not start or not (chr(block[start - 1]).isalnum() or block[start - 1] in b"_-")):
            self.vocabulary.add_pod(_text(m["ns"]), _text(m["name"]))

    def _cluster_domain(self, block: bytes, start: int, _end: int) -> None:
        m = _CLUSTER_DOMAIN.match(block, start)
        if m:
            self.learn(_text(m["d"]))

    def _service_hit(self, block: bytes, start: int, _end: int) -> None:
        m = _SERVICE.match(block, start) or _SERVICE_ENV.match(block, start)
        if m:
            self._service(_text(m[1]).strip("[]"))

    def _url_host(self, block: bytes, start: int, _end: int) -> None:
        m = _URL_HOST.match(block, start)
        if m is None:
            return
        host = _text(m["host"]).lower()
        try:
            ipaddress.ip_address(host)
            return
        except ValueError:
            pass
        if "." in host:
            self.learn(host)
            self.domain(host)
        elif names.worth_hiding(host) and not host.isdigit():
            self.vocabulary.add("host", host)

    def _email(self, block: bytes, start: int, _end: int) -> None:
        m = _EMAIL.match(block, start + 1)
        if m and b"." in m["dom"]:
            self.learn(_text(m["dom"]).lower())

    def _tld(self, block: bytes, start: int, end: int) -> None:
        first = _LABEL_RUN.left(block, start + 1)  # a DNS name has at most 253 characters
        if first and chr(block[first - 1]).isalnum():
            return  # longer than that: no DNS name
        self.domain(_text(block[first:end].rstrip(b"\n\r\t ,;:/\"')]}>")).strip(".-"))

    # -- what is recorded ----------------------------------------------------------------------

    def learn(self, name: str) -> None:
        """`name` is a DNS name (it stands where only DNS names do): its suffix is a domain."""
        name = name.lower().strip(".")
        labels = name.split(".")
        if (
            len(labels) < 2
            or labels[-1] in _NOT_LEARNT
            or not all(labels)
            or not labels[-1].isalpha()
            or len(labels[-1]) < 2
        ):
            return  # a TLD is letters (`pkg@v1.2.3` is a Go module version, not an e-mail)
        if domains.redactable(name) or any(
            ".".join(labels[i:]) in domains.KEEP | domains.PROVIDERS for i in range(len(labels))
        ):
            return  # found by its TLD anyway, or a public name
        self.vocabulary.domains.add(domains.registrable(name))

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
                if "." in line.strip():
                    self.learn(line.strip())

    def _block_level(self, block: bytes) -> None:
        v = self.vocabulary
        if "refs" in self._structured:
            for m in _REF.finditer(block):
                fields = {_text(k): _text(val) for k, val in _REF_FIELD.findall(m["body"])}
                if m["kind"].lower() == b"noderef":
                    v.add("node", fields.get("name"))
                else:
                    v.add_pod(fields.get("namespace"), fields.get("name"))
        if "kubeconfig" in self._structured:
            self._kubeconfig(block)
        if "resolv" in self._structured:
            for m in _SEARCH.finditer(block):
                for name in _text(m["list"]).split():
                    self.learn(name)

    def _kubeconfig(self, block: bytes) -> None:
        """`name:` of the items of kubeconfig `clusters`, `contexts` and `users` lists."""
        sections = list(_KUBECONFIG_SECTION.finditer(block))
        for i, sec in enumerate(sections):
            end = sections[i + 1].start() if i + 1 < len(sections) else len(block)
            body = block[sec.end() : end]
            indent = len(sec["ind"].expandtabs())
            for m in _KUBECONFIG_NAME.finditer(body):
                # an item's own name sits at most two columns deeper than the list ("- name:" or "  name:")
                if len(m["ind"].expandtabs()) <= indent + 2:
                    self.vocabulary.add(_KUBECONFIG_CLASS[sec["sec"]], _text(m[2]))

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
        meta = yamlsafe.child(obj, "metadata")
        name, ns = yamlsafe.string(meta, "name"), yamlsafe.string(meta, "namespace")
        v = self.vocabulary
        if section == "nodes":
            v.add("node", name)
            status = yamlsafe.child(obj, "status")
            for a in status.get("addresses") or []:
                if isinstance(a, dict) and a.get("type") in ("Hostname", "InternalDNS", "ExternalDNS"):
                    address = str(a.get("address") or "")
                    v.add("host", address)
                    if "." in address:
                        self.learn(address)
        elif section == "pods":
            v.add_pod(ns, name)
            spec = yamlsafe.child(obj, "spec")
            v.add("node", yamlsafe.string(spec, "nodeName"))
        elif section in ("deployments", "replicas", "daemonsets", "statefulsets"):
            v.add_pod(ns, name, cls="app")
