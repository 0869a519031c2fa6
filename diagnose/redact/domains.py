"""Which dotted names are DNS domains to hide.

A dotted token is a domain to hide when it ends with a suffix used for real hosts and is not
under a public project's domain that bundles are full of (`kubernetes.io` labels, `antrea.io`
and `github.com` Go import paths in stack traces, `cluster.local` Service names). Suffixes:

- the common generic and country TLDs, and the names of private networks (`.internal`, `.corp`,
  `.lan`, `.home.arpa` of RFC 8375...). File names (`agent.go`, `start_ovs.sh`, `x.log`) have
  extensions, not TLDs: the country codes that are also common extensions (`.sh`, `.py`, `.pl`,
  `.md`, `.rs`, `.cc`, `.in`, `.ar`, `.id`, ...) are left out;
- TLDs that are also words of code and field paths (`metadata.name`, `log.info`, `labels.app`)
  count only for a domain the bundle shows is one (`learnt`: a URL host, an e-mail domain, a
  Node's DNS address, a resolv.conf `search` list): `api.acme.dev` in `https://api.acme.dev/`;
- any private suffix learnt the same way (`node1.prod.acme` when `https://x.prod.acme` is seen).
"""

from __future__ import annotations

from collections.abc import Collection

TLDS = frozenset(
    """
com net org biz io eu edu gov mil
us uk de fr nl be ch at se no dk fi ie it es pt cz sk hu ro bg gr tr ru ua by kz cn jp kr tw hk sg th
vn ph au nz ca mx br pe za ng ke eg il ae sa ir lt lv ee si hr lu li
internal local lan corp home intranet intra private localdomain priv office
""".split()
)
# Real TLDs that are also common words of code, YAML paths and logs: domains only when learnt.
WEAK_TLDS = frozenset("name info app dev me pro tv int cc co ai site online tech cloud xyz mobi asia".split())
# Suffixes of several labels reserved for private networks.
PRIVATE_SUFFIXES = ("home.arpa",)

# Public domains whose names appear in every bundle and identify nobody.
KEEP = frozenset(
    """
kubernetes.io k8s.io x-k8s.io antrea.io github.com githubusercontent.com github.io gitlab.com golang.org go.dev
google.golang.org gopkg.in go.uber.org go.opentelemetry.io go.etcd.io docker.io docker.com quay.io gcr.io ghcr.io
pkg.dev mcr.microsoft.com microsoft.com openvswitch.org ovn.org vmware.com broadcom.com cncf.io k3s.io rke2.io
cattle.io rancher.com rancher.io helm.sh projectcalico.org cilium.io istio.io linkerd.io cert-manager.io
openshift.io redhat.com ubuntu.com canonical.com debian.org fedoraproject.org centos.org amazonaws.com
cloud.google.com prometheus.io grafana.com elastic.co
example.com example.net example.org cluster.local svc.cluster.local in-addr.arpa ip6.arpa
""".split()
)


def redactable(domain: str, learnt: Collection[str] = ()) -> bool:
    """`domain` (lower-case, no trailing dot) names hosts of someone's network. `learnt`: the
    domains (and suffixes) the bundle itself shows to be DNS names."""
    if len(domain) > 253:  # longer is no DNS name
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        return False
    # Kept and learnt domains have at most 4 labels: only the name's last 4 need looking at.
    suffixes = [".".join(labels[i:]) for i in range(max(0, len(labels) - 4), len(labels))]
    if any(s in KEEP for s in suffixes[:-1]):
        return False
    if labels[-1] in TLDS or domain.endswith(PRIVATE_SUFFIXES):
        return True
    return bool(learnt) and any(s in learnt for s in suffixes)


# Cloud providers' domains: their own names identify nobody, but the label a customer chose under
# them does (`acmestore.blob.core.windows.net`, `ec2-52-1-2-3.compute-1.amazonaws.com`).
PROVIDERS = frozenset(
    """
amazonaws.com amazonaws.com.cn cloudfront.net windows.net azure.com azurecr.io azurewebsites.net cloudapp.net
azmk8s.io googleapis.com appspot.com cloudfunctions.net run.app digitaloceanspaces.com ondigitalocean.app
herokuapp.com
""".split()
)


def provider(domain: str) -> str | None:
    """The cloud provider's domain `domain` is a customer's name under (None if it is not)."""
    labels = domain.split(".")
    for i in range(max(1, len(labels) - 3), len(labels)):  # providers' domains have at most 3 labels
        suffix = ".".join(labels[i:])
        if suffix in PROVIDERS:
            return suffix
    return None


def registrable(domain: str) -> str:
    """The part of a learnt DNS name that marks its siblings as DNS names too: its last two
    labels (`acme.dev` of `api.acme.dev`)."""
    return ".".join(domain.split(".")[-2:])
