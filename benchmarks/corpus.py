"""Benchmark corpora: the `healthy` sample cluster scaled up, with a chosen share of noisy lines.

    python benchmarks/corpus.py /tmp/bench-2pct --log-mb 1000 --hit-pct 2
    python benchmarks/corpus.py /tmp/bench-rot --log-mb 1000 --hit-pct 10 --rotated 100

The normal activity is what `sample_bundles/generate.py` writes for a long-running cluster (CNI
ADD/DEL, NetworkPolicy updates, Node routes; informer syncs and PodCIDR waits only around each
start, as a real agent logs them). Into that stream go error and warning lines at `--hit-pct`
percent of all lines, drawn from messages Antrea v2.2.0 and client-go log (file:line from the
v2.2.0 sources) with their variable parts varied: API server timeouts, IPAM exhaustion,
controller watches refused, x509 failures, interfaces gone, ... About 40 % of them are lines a
rule signature matches, the rest only the "unexplained errors" catch-all. OVS logs get WARN/ERR
lines at the same rate. `--rotated N` cuts each agent's klog file every 1/N of its volume, so a
Node's logs arrive as N files.

Everything is deterministic (fixed seeds), like the generator it builds on.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "sample_bundles"))

import generate  # noqa: E402  (sample_bundles/generate.py)

API = "https://10.96.0.1:443"
CONTROLLER = "https://10.96.45.12:443"
PODS = [
    "default/web-frontend-6c9f7b8d4-",
    "shop/cart-6b8f9c7d5-",
    "shop/checkout-",
    "kube-system/coredns-5d78c9869d-",
    "monitoring/node-exporter-",
    "default/api-0",
]
KINDS = [
    ("v1", "Pod", "pods"),
    ("v1", "Node", "nodes"),
    ("v1", "Service", "services"),
    ("v1", "Namespace", "namespaces"),
    ("v1", "Endpoints", "endpoints"),
    ("discovery.k8s.io/v1", "EndpointSlice", "endpointslices"),
]


def _pod(rng: random.Random) -> str:
    prefix = rng.choice(PODS)
    return prefix + generate.hexid(rng, 5) if prefix.endswith("-") else prefix


def _iface(rng: random.Random) -> str:
    return f"{rng.choice(['web-fron', 'cart-6b8', 'checkout', 'coredns-'])}-{generate.hexid(rng, 6)}"


def _list_url(rng: random.Random) -> tuple[str, str]:
    group, kind, plural = rng.choice(KINDS)
    path = f"/api/v1/{plural}" if group == "v1" else f"/apis/{group}/{plural}"
    ver = group.rsplit("/", 1)[-1]
    return f"*{ver}.{kind}", f'Get "{API}{path}?limit=500&resourceVersion={rng.randrange(0, 99999)}"'


def _q(s: str) -> str:
    return generate.go_quote(s)


# (weight, level, file:line, message builder). Rule-matching lines first.
def _apiserver_list(rng: random.Random) -> str:
    kind, get = _list_url(rng)
    return (
        f"k8s.io/client-go/informers/factory.go:160: failed to list {kind}: {get}: dial tcp 10.96.0.1:443: i/o timeout"
    )


def _apiserver_watch(rng: random.Random) -> str:
    kind, get = _list_url(rng)
    inner = (
        f"k8s.io/client-go/informers/factory.go:160: Failed to watch {kind}: failed to list {kind}: {get}: "
        "dial tcp 10.96.0.1:443: i/o timeout"
    )
    return f'"Unhandled Error" err={_q(inner)} logger="UnhandledError"'


def _x509(rng: random.Random) -> str:
    kind = rng.choice(["AppliedToGroup", "AddressGroup", "NetworkPolicy"])
    inner = (
        f"antrea.io/antrea/pkg/agent/controller/networkpolicy: Failed to watch *v1beta2.{kind}: failed to list "
        f'*v1beta2.{kind}: Get "{CONTROLLER}/apis/controlplane.antrea.io/v1beta2/{kind.lower()}s": tls: failed '
        "to verify certificate: x509: certificate signed by unknown authority"
    )
    return f'"Unhandled Error" err={_q(inner)} logger="UnhandledError"'


def _ipam(rng: random.Random) -> str:
    return generate.structured(
        "Failed to request IP addresses for container",
        "container",
        generate.hexid(rng, 64),
        err="no IP addresses available in range set: 10.244.1.1-10.244.1.254",
    )


def _watch(rng: random.Random) -> str:
    kind = rng.choice(["AppliedToGroup", "AddressGroup", "NetworkPolicy"])
    return (
        f'Failed to start watch for {kind}: Get "{CONTROLLER}/apis/controlplane.antrea.io/v1beta2/'
        f'{kind.lower()}s?nodeName=worker-1&timeout={rng.randrange(300, 600)}s": dial tcp 10.96.45.12:443: '
        "connect: connection refused"
    )


def _resolve(rng: random.Random) -> str:
    return generate.structured(
        "Failed to resolve Service Endpoint, requeuing",
        "key",
        "kube-system/antrea",
        err=f'endpoints "antrea" not found (attempt {rng.randrange(1, 400)})',
    )


def _iface_config(rng: random.Random) -> str:
    return generate.structured("Failed to get interface config", "interface", _iface(rng), err="Link not found")


def _patch(rng: random.Random) -> str:
    return generate.structured(
        "Failed to patch Node annotation",
        "key",
        "node.antrea.io/mac-address",
        "value",
        generate.mac(rng),
        err=f'Patch "{API}/api/v1/nodes/worker-1": context deadline exceeded',
    )


def _arp(rng: random.Random) -> str:
    return f"Failed to send gratuitous ARP #{rng.randrange(1, 4)}: write: network is down"


def _pod_iface(rng: random.Random) -> str:
    return f"Interface for Pod {_pod(rng)} not found in the interface store"


def _ofid(rng: random.Random) -> str:
    return f"Cannot find NetworkPolicy or rule with {rng.choice(['ingress', 'egress'])}OfID {rng.randrange(1, 99999)}"


def _source_ip(rng: random.Random) -> str:
    return f"Source IP: 10.244.{rng.randrange(0, 9)}.{rng.randrange(2, 250)} doesn't exist in PodCIDRs"


KLOG_NOISE: list[tuple[int, str, str, Callable[[random.Random], str]]] = [
    (14, "W", "reflector.go:561", _apiserver_list),
    (10, "E", "reflector.go:158", _apiserver_watch),
    (4, "E", "reflector.go:158", _x509),
    (6, "E", "server.go:498", _ipam),
    (6, "W", "networkpolicy_controller.go:977", _watch),
    (10, "E", "endpoint_resolver.go:230", _resolve),
    (10, "E", "net_linux.go:507", _iface_config),
    (6, "E", "agent.go:1248", _patch),
    (8, "W", "interface_configuration_linux.go:327", _arp),
    (10, "W", "pod_configuration_linux.go:114", _pod_iface),
    (8, "W", "conntrack_connections.go:210", _ofid),
    (8, "W", "exporter.go:638", _source_ip),
]

OVS_NOISE: list[tuple[int, Callable[[random.Random], str]]] = [
    (
        3,
        lambda r: (
            f"dpif_netlink(handler{r.randrange(1, 9)})|WARN|system@ovs-system: lost packet on port channel "
            f"{r.randrange(0, 8)} of handler {r.randrange(1, 9)}"
        ),
    ),
    (
        3,
        lambda r: (
            f"netdev_linux|WARN|ethtool command ETHTOOL_GFLAGS on network device {_iface(r)} failed: No such device"
        ),
    ),
    (2, lambda r: f"bridge|ERR|could not open network device {_iface(r)} (No such device)"),
    (
        2,
        lambda r: (
            f"timeval|WARN|Unreasonably long {r.randrange(1000, 4000)}ms poll interval "
            f"({r.randrange(1, 90)}ms user, {r.randrange(1, 90)}ms system)"
        ),
    ),
    (1, lambda r: f"rconn|WARN|br-int<->unix#{r.randrange(1, 9)}: connection dropped (Broken pipe)"),
]


class _Noise:
    """Lines to mix into a bulk stream: a pool of rendered bodies, cycled (like the generator's
    activity groups), so that a 4 GB corpus costs no more to build per line than a small one."""

    def __init__(self, rng: random.Random, pool_size: int = 4096):
        weights = [w for w, *_ in KLOG_NOISE]
        self.klog = []
        for _ in range(pool_size):
            _, level, src, build = rng.choices(KLOG_NOISE, weights)[0]
            self.klog.append((level, f" {1:>7} {src}] {build(rng)}\n"))
        ovs_weights = [w for w, _ in OVS_NOISE]
        self.ovs = [f"|{rng.choices(OVS_NOISE, ovs_weights)[0][1](rng)}\n" for _ in range(pool_size)]


def noisy_bulk_class(rate: float, seed: str) -> type:
    """A `generate.Bulk` whose stream gets a noise line before each line with probability
    `rate` / (1 - rate): noise is then `rate` of all lines."""
    per_line = rate / (1 - rate) if rate < 1 else 1.0
    base = generate.Bulk

    class NoisyBulk(base):  # type: ignore[misc, valid-type]
        def __init__(self, inner: Callable[[], Iterator[tuple[int, str]]]) -> None:
            tag = f"{seed}/{id(self)}"

            def make() -> Iterator[tuple[int, str]]:
                rng = random.Random(tag)
                noise = _Noise(random.Random(seed))
                rnd, k = rng.random, 0
                for us, text in inner():
                    while rnd() < per_line:
                        k += 1
                        if text[:1].isdigit():  # an OVS vlog line: "<time>|<seq>|module|LEVEL|msg"
                            head = text.split("|", 2)
                            yield us, f"{head[0]}|{head[1]}{noise.ovs[k % len(noise.ovs)]}"
                        else:  # klog: "<L>mmdd hh:mm:ss.uuuuuu <tid> file:line] msg"
                            level, body = noise.klog[k % len(noise.klog)]
                            yield us, level + text[1:21] + body
                    yield us, text

            super().__init__(make)

    return NoisyBulk


def build(out: Path, log_mb: float, hit_pct: float, rotated: int | None = None) -> Path:
    """Write the corpus under `out`; returns the `support-bundles_*` directory."""
    saved_bulk, saved_new_log = generate.Bulk, generate.new_log
    generate.Bulk = noisy_bulk_class(hit_pct / 100, f"noise/{hit_pct}")
    if rotated:

        def new_log(c, node, start, tag, log_mb=None, share=1.0):  # type: ignore[no-untyped-def]
            log = saved_new_log(c, node, start, tag, log_mb, share)
            if log_mb:
                log.rotate_bytes = max(64 * 1024, int(log_mb * generate.MB * share / rotated))
            return log

        generate.new_log = new_log
    try:
        # `healthy` has three agents and a controller (which gets a fifth of an agent's share).
        generate.generate(out, ["healthy"], log_mb=max(1.0, log_mb / 3.2))
    finally:
        generate.Bulk, generate.new_log = saved_bulk, saved_new_log
    return next((out / "healthy").glob("support-bundles_*"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--log-mb", type=float, default=1000)
    ap.add_argument("--hit-pct", type=float, default=2.0, help="error/warning lines, percent of all lines")
    ap.add_argument("--rotated", type=int, help="klog files per agent run")
    args = ap.parse_args()
    print(build(args.out, args.log_mb, args.hit_pct, args.rotated))


if __name__ == "__main__":
    main()
