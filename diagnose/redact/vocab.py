"""What was found in a bundle to be pseudonymised: names by class, and the Service IPs to keep."""

from __future__ import annotations

from dataclasses import dataclass, field

from diagnose.redact import names


@dataclass
class Vocabulary:
    """The names, Service IPs and domains a bundle shows, for the redaction to replace."""

    names: dict[str, str] = field(default_factory=dict)  # lower-case name -> class (names.CLASSES)
    service_ips: set[str] = field(default_factory=set)
    # DNS names the bundle shows to be DNS names (URL hosts, e-mail domains, a Node's DNS
    # addresses, resolv.conf), by registrable part: their siblings are domains too (`domains`)
    domains: set[str] = field(default_factory=set)
    node_names: set[str] = field(default_factory=set)  # as found, for "is this input already redacted?"

    def add(self, cls: str, value: str | None) -> None:
        """Add a name unless it is generic; a Node beats a host, a host a Pod, ... (names.CLASSES)."""
        if not value:
            return
        value = value.strip().strip("\"'").rstrip(".")
        if cls == "node":
            self.node_names.add(value)
        if not names.worth_hiding(value):
            return
        if cls in ("node", "host") and "." in value:  # an FQDN: its first label is the host name
            self.add(cls, value.split(".", 1)[0])
        low = value.lower()
        current = self.names.get(low)
        if current is None or names.CLASSES.index(cls) < names.CLASSES.index(current):
            self.names[low] = cls

    def add_pod(self, namespace: str | None, pod: str | None, cls: str = "pod") -> None:
        """A Pod (or workload) and its Namespace; both are kept in the platform's own Namespaces."""
        if namespace and names.is_system_namespace(namespace):
            return
        self.add("namespace", namespace)
        self.add(cls, pod)
