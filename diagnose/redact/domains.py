"""Which dotted names are DNS domains to hide.

A dotted token is a domain to hide when its last label is a top-level domain used for real
hosts (the common generic and country TLDs, and the suffixes of private networks such as
`.internal`, `.corp`, `.lan`) and it is not under a public project's domain that bundles are
full of (`kubernetes.io` labels, `antrea.io` and `github.com` Go import paths in stack traces,
`cluster.local` Service names). File names (`agent.go`, `start_ovs.sh`, `x.log`) have
extensions, not TLDs: the country codes that are also common extensions (`.sh`, `.py`, `.pl`,
`.md`, `.rs`, `.cc`, `.in`, `.ar`, `.id`, ...) are left out.
"""

from __future__ import annotations

TLDS = frozenset("""
com net org info biz io ai app dev cloud tech online site xyz me tv cc co name pro mobi asia eu edu gov mil int
us uk de fr nl be ch at se no dk fi ie it es pt cz sk hu ro bg gr tr ru ua by kz cn jp kr tw hk sg th
vn ph au nz ca mx br pe za ng ke eg il ae sa ir lt lv ee si hr lu li
internal local lan corp home intranet intra private localdomain priv office
""".split())

# Public domains whose names appear in every bundle and identify nobody.
KEEP = frozenset("""
kubernetes.io k8s.io x-k8s.io antrea.io github.com githubusercontent.com github.io gitlab.com golang.org go.dev
google.golang.org gopkg.in go.uber.org go.opentelemetry.io go.etcd.io docker.io docker.com quay.io gcr.io ghcr.io
pkg.dev mcr.microsoft.com microsoft.com openvswitch.org ovn.org vmware.com broadcom.com cncf.io k3s.io rke2.io
cattle.io rancher.com rancher.io helm.sh projectcalico.org cilium.io istio.io linkerd.io cert-manager.io
openshift.io redhat.com ubuntu.com canonical.com debian.org fedoraproject.org centos.org amazonaws.com
cloud.google.com googleapis.com azure.com windows.net prometheus.io grafana.com elastic.co
example.com example.net example.org cluster.local svc.cluster.local
""".split())


def redactable(domain: str) -> bool:
    """`domain` (lower-case, no trailing dot) names hosts of someone's network."""
    if len(domain) > 253:  # longer is no DNS name
        return False
    labels = domain.split(".")
    if len(labels) < 2 or labels[-1] not in TLDS:
        return False
    return not any(".".join(labels[i:]) in KEEP for i in range(len(labels) - 1))
