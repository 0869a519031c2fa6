"""For every root-cause category of the taxonomy (docs/taxonomy.md, except `benign`), the most common
fatal or error message Antrea's source prints for it, at the release(s) named.

An entry is the log call (a `Site` found at that tag, with its arguments) and the chain of error
formats it wraps, outermost first, down to a leaf: the text of the failing library or program
(Go's net package, netlink, iptables, host-local IPAM, ...), copied from the issue or library that
prints it (`leaf_source`). `extract_release_facts.py` resolves each site at the entry's tag (so a
format that does not exist there is an error, not a guess), renders the message with the same Go
formatting the corpus generator uses, and writes `tests/corpus/data/fatal_messages.json`.

`origin="container"` marks a message that is not a klog line: script output of an Antrea container
(install-cni) or the Go runtime's own panic on stderr; its site is the script line.

Left out, with the reason: `duplicate-pod-ip` (Antrea logs nothing when two Pods get the same IP:
the evidence is `kubectl get pods -o wide`, antrea-io/antrea#119 and #3468), and `benign`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from release_sites import A, Site

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corpus"))

from corpusgen.golog import Raw, render  # noqa: E402

INNER = "\x00inner"  # placeholder for the rendered wrapped error


@dataclass
class Entry:
    id: str
    category: str
    release: str
    log: Site | None  # None: no call site (the Go runtime's own panic text)
    args: tuple = ()
    kv: dict = field(default_factory=dict)
    err: object = None  # for ErrorS: the error argument (INNER allowed)
    chain: list[tuple[Site, tuple]] = field(default_factory=list)  # outermost first
    leaf: str = ""
    leaf_source: str = ""
    note: str = ""
    origin: str = "klog"


FATAL = A("fatal_run", "Error running agent: %v", hint="cmd/antrea-agent/main.go")
VALIDATE = A("fatal_validate", "Failed to validate: %v", hint="cmd/antrea-agent/main.go")
INIT = A("err_init", "error initializing agent: %", hint="cmd/antrea-agent/agent.go")
API = 'Get "https://10.96.0.1:443/api/v1/nodes/k8s-node-worker-1": dial tcp 10.96.0.1:443: connect: connection refused'
WATCH_URL = (
    'Get "https://192.168.77.102:10349/apis/controlplane.antrea.io/v1beta2/networkpolicies?allowWatchBookmarks='
    'true&nodeName=k8s-node-worker-1&resourceVersion=0&timeoutSeconds=498&watch=true"'
)
STACK = (
    "goroutine 512 [running]:\n"
    "antrea.io/antrea/pkg/agent/controller/networkpolicy.(*Controller).syncRule(0xc000a1c000, {0xc0012e4a80, 0x10})\n"
    "\tantrea.io/antrea/pkg/agent/controller/networkpolicy/networkpolicy_controller.go:921 +0x5b0\n"
    "antrea.io/antrea/pkg/agent/controller/networkpolicy.(*Controller).processNextWorkItem(0xc000a1c000)\n"
    "\tantrea.io/antrea/pkg/agent/controller/networkpolicy/networkpolicy_controller.go:889 +0x1b5\n"
    "created by antrea.io/antrea/pkg/agent/controller/networkpolicy.(*Controller).Run in goroutine 1\n"
    "\tantrea.io/antrea/pkg/agent/controller/networkpolicy/networkpolicy_controller.go:667 +0x4c5\n"
)
CID = "4b1e2c3d5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"


def init_fatal(ident: str, category: str, release: str, cause: Site, args: tuple = (), **kw: object) -> Entry:
    """`Error running agent: error initializing agent: <cause>`: how most start-up failures end."""
    return Entry(ident, category, release, FATAL, (INNER,), chain=[(INIT, (INNER,)), (cause, args)], **kw)


ENTRIES: list[Entry] = [
    Entry(
        "secondary-nic-missing",
        "secondary-network-uplink",
        "v2.2.0",
        FATAL,
        (INNER,),
        chain=[
            (A("x", "failed to initialize secondary network: %v", hint="cmd/antrea-agent/agent.go"), (INNER,)),
            (A("x", "failed to get interface %s: %v", hint="secondarynetwork/init_linux.go"), ("eth1", INNER)),
        ],
        leaf="Link not found",
        leaf_source="vishvananda/netlink LinkByName (LinkNotFoundError)",
        note="physicalInterfaces names a NIC the Node does not have; Initialize runs after flow restoration",
    ),
    Entry(
        "secondary-config-invalid",
        "secondary-network-uplink",
        "v2.7.0",
        VALIDATE,
        (INNER,),
        chain=[
            (A("x", "failed to validate secondary network config: %v", hint="cmd/antrea-agent/options.go"), (INNER,))
        ],
        leaf="only one OVS bridge can be specified for secondary network",
        leaf_source="cmd/antrea-agent/options.go (same file)",
        note="config validation (main.go:50)",
    ),
    Entry(
        "flow-restore-wait-not-cleared",
        "ovs-flow-restore-wait",
        "v2.2.0",
        FATAL,
        (INNER,),
        chain=[
            (
                A(
                    "x",
                    "error when cleaning up flow-restore-wait config: delete calls failed to take effect",
                    hint="pkg/agent/agent.go",
                ),
                (),
            )
        ],
        note="antrea-io/antrea#1600: the flag stays true after the delete call",
    ),
    init_fatal(
        "apiserver-refused",
        "apiserver-unreachable",
        "v2.2.0",
        A(
            "x",
            "failed to get Node with name",
            r"failed to get Node with name %[sq] from K8s",
            hint="pkg/agent/agent.go",
        ),
        ("k8s-node-worker-1", INNER),
        leaf=API.split(": ", 1)[0] + ": " + API.split(": ", 1)[1],
        leaf_source="client-go / Go net (dial error)",
    ),
    init_fatal(
        "apiserver-timeout",
        "apiserver-unreachable",
        "v2.7.0",
        A("x", "K8s API did not become available: %w", hint="pkg/agent/agent.go"),
        (INNER,),
        leaf="context deadline exceeded",
        leaf_source="Go context (DeadlineExceeded)",
        note="v2.5+: 60 s of `Waiting for K8s API to become available`",
    ),
    Entry(
        "controller-refused",
        "controller-unreachable",
        "v2.7.0",
        A("np_watch_fail_s", '"Failed to start watch"', hint="networkpolicy_controller.go"),
        kv={"objectType": "NetworkPolicy"},
        err=f"{WATCH_URL}: dial tcp 192.168.77.102:10349: connect: connection refused",
        leaf_source="client-go REST watch / Go net",
    ),
    init_fatal(
        "podcidr-empty",
        "podcidr-not-allocated",
        "v2.2.0",
        A("x", "Spec.PodCIDR is empty for Node %", hint="pkg/agent/agent.go"),
        ("k8s-node-worker-1",),
    ),
    init_fatal(
        "podcidr-empty-v1",
        "podcidr-not-allocated",
        "v1.11.0",
        A("x", "CIDR string is empty for Node %s", hint="pkg/agent/agent.go"),
        ("k8s-node-worker-1",),
        note="wording up to v1.13",
    ),
    Entry(
        "podcidr-duplicate",
        "podcidr-conflict",
        "v2.2.0",
        A("x", "Error syncing Node %s, requeuing. Error: %v", hint="node_route_controller.go"),
        ("k8s-node-worker-2", INNER),
        chain=[
            (
                A("x", "because podCIDR %s is duplicate with Node %s", hint="node_route_controller.go"),
                ("k8s-node-worker-2", "10.10.1.0/24", "k8s-node-worker-1"),
            )
        ],
        note="NodeRouteController refuses a peer whose PodCIDR another Node already has (antrea-io/antrea#7893)",
    ),
    init_fatal(
        "openflow-connect",
        "ovs-not-running",
        "v2.2.0",
        A("x", "failed to connect to OpenFlow switch after", hint="ofctrl_bridge.go"),
        (5,),
        note="ovs-vswitchd not running: br-int.mgmt never accepts the OpenFlow connection",
    ),
    init_fatal(
        "dp-feature",
        "ovs-datapath-feature",
        "v2.2.0",
        A("x", "the required OVS DP feature '%s' is not supported", hint="pkg/agent/agent.go"),
        ("CT state NAT",),
        note="kernel without conntrack NAT (antrea-io/antrea#1652)",
    ),
    Entry(
        "ovs-module",
        "kernel-module",
        "v2.2.0",
        A("x", "Failed to load the OVS kernel module", hint="build/images/scripts/install_cni"),
        origin="container",
        note="install-cni init container (build/images/scripts/install_cni); the line "
        "before it is modprobe's `FATAL: Module openvswitch not found`",
    ),
    Entry(
        "iptables-legacy-raw",
        "iptables-backend",
        "v2.2.0",
        A("x", "Failed to initialize iptables: %v - will retry in %v", hint="route_linux.go"),
        (INNER, "2s"),
        chain=[
            (
                A("x", "error checking if chain %s exists in table %s: %v", hint="util/iptables/iptables.go"),
                ("ANTREA-PREROUTING", "raw", INNER),
            )
        ],
        leaf="running [/usr/sbin/iptables -t raw -S ANTREA-PREROUTING 1 --wait]: exit status 3: modprobe: FATAL: "
        "Module ip_tables not found in directory /lib/modules/4.18.0-348.7.1.el8_5.x86_64",
        leaf_source="coreos/go-iptables error text, verbatim from antrea-io/antrea#3243",
    ),
    Entry(
        "xtables-lock",
        "iptables-lock",
        "v2.2.0",
        A("x", "Failed to execute iptables command", hint="util/iptables/iptables.go"),
        kv={
            "iptablesCmd": "iptables-restore",
            "stdin": "*nat\n:ANTREA-NODE-PORT-LOCAL - [0:0]\nCOMMIT\n",
            "stderr": "Another app is currently holding the xtables lock. Stopped waiting after 10s.\n",
        },
        err="exit status 4",
        leaf_source="iptables-restore (xtables lock), antrea-io/antrea#2554",
    ),
    Entry(
        "notrack-target",
        "netfilter-feature",
        "v2.2.0",
        A("x", "Failed to execute iptables command", hint="util/iptables/iptables.go"),
        kv={
            "iptablesCmd": "iptables-restore",
            "stdin": "*raw\n:ANTREA-PREROUTING - [0:0]\n:ANTREA-OUTPUT - [0:0]\n"
            '-A ANTREA-PREROUTING -m comment --comment "Antrea: do not track incoming encapsulation packets" '
            "-m udp -p udp --dport 6081 -m addrtype --dst-type LOCAL -j NOTRACK\nCOMMIT\n",
            "stderr": "iptables-restore v1.8.5 (legacy): Couldn't load target `NOTRACK':No such file or directory\n\n"
            "Error occurred at line: 4\nTry `iptables-restore -h' or 'iptables-restore --help' for more "
            "information.\n",
        },
        err="exit status 2",
        leaf_source="iptables-restore, verbatim from antrea-io/antrea#2635",
    ),
    Entry(
        "route-sync",
        "host-network-config",
        "v2.2.0",
        A("x", '"Failed to sync route"', r'"Failed to sync route", "Route"', hint="route_linux.go"),
        kv={"Route": Raw("{Ifindex: 5 Dst: 10.10.1.0/24 Src: <nil> Gw: 10.10.1.1 Flags: [onlink] Table: 0 Realm: 0}")},
        err="no such device",
        leaf_source="netlink RouteReplace (ENODEV: antrea-gw0 removed by something else)",
    ),
    init_fatal(
        "mtu-fetch",
        "mtu",
        "v2.2.0",
        A("x", "Failed to fetch Node MTU : %v", hint="pkg/agent/agent.go"),
        (0,),
        note="the transport NIC reports MTU 0",
    ),
    Entry(
        "tunnel-port",
        "tunnel",
        "v2.2.0",
        A("x", '"Failed to create tunnel port on OVS bridge"', hint="pkg/agent/agent.go"),
        kv={"port": "antrea-tun0", "type": "geneve"},
        err="could not add network device antrea-tun0 to ofproto (Address family not supported by protocol)",
        leaf_source="ovs-vswitchd bridge.c error text surfaced through the OVSDB Interface error",
    ),
    init_fatal(
        "default-flows",
        "ovs-flows",
        "v2.2.0",
        A("x", "failed to install default flows: %w", hint="pkg/agent/openflow/client.go"),
        (INNER,),
        leaf="one message in bundle failed",
        leaf_source="antrea-io/ofnet bundle error (antrea-io/antrea#3301)",
    ),
    Entry(
        "ip-range-exhausted",
        "ipam",
        "v2.2.0",
        A("x", '"Failed to request IP addresses for container"', hint="cniserver/server.go"),
        kv={"container": CID},
        err="failed to allocate for range 0: no IP addresses available in range set: 10.10.1.1-10.10.1.254",
        leaf_source="containernetworking/plugins host-local IPAM",
    ),
    Entry(
        "rule-sync",
        "networkpolicy",
        "v2.2.0",
        A("x", "Error syncing rule %q, retrying. Error: %v", hint="networkpolicy_controller.go"),
        ("8ea4c1b2f0d3e5a7", INNER),
        chain=[(A("x", "error installing ofRule %v: %v", hint="pod_reconciler.go"), (17, INNER))],
        leaf="one message in bundle failed",
        leaf_source="antrea-io/ofnet bundle error",
    ),
    Entry(
        "service-flows",
        "antreaproxy",
        "v2.2.0",
        A("x", '"Error when installing ClusterIP flows for Service"', hint="pkg/agent/proxy/proxier.go"),
        kv={"ServiceInfo": "10.96.76.15:80/TCP"},
        err="one message in bundle failed",
        leaf_source="antrea-io/ofnet bundle error (antrea-io/antrea#3301)",
    ),
    Entry(
        "unknown-authority",
        "tls-certificate",
        "v2.7.0",
        A("np_watch_fail_s", '"Failed to start watch"', hint="networkpolicy_controller.go"),
        kv={"objectType": "AddressGroup"},
        err=f"{WATCH_URL.replace('networkpolicies', 'addressgroups')}: tls: failed to verify certificate: x509: "
        "certificate signed by unknown authority",
        leaf_source="Go crypto/tls, crypto/x509 (antrea-io/antrea#2684)",
    ),
    init_fatal(
        "ipsec-monitor",
        "ipsec",
        "v2.2.0",
        A(
            "x",
            "IPsec was requested, but the OVS IPsec monitor does not seem to be running",
            hint="pkg/agent/agent.go",
        ),
        (),
    ),
    init_fatal(
        "wireguard-module",
        "wireguard",
        "v2.2.0",
        A("x", "WireGuard not supported by the Linux kernel", hint="wireguard/client_linux.go"),
        (INNER,),
        leaf="operation not supported",
        leaf_source="netlink LinkAdd (EOPNOTSUPP)",
    ),
    Entry(
        "egress-ip-rule",
        "egress",
        "v2.2.0",
        A("x", "Error syncing Egress %s, requeuing. Error: %v", hint="egress_controller.go"),
        ("egress-prod-web", INNER),
        chain=[(A("x", "error adding ip rule for mark %v: %w", hint="egress_controller.go"), (1, INNER))],
        leaf="file exists",
        leaf_source="netlink RuleAdd (EEXIST)",
    ),
    Entry(
        "multicast-socket",
        "multicast",
        "v2.2.0",
        FATAL,
        (INNER,),
        chain=[(A("x", "failed to create multicast socket", hint="cmd/antrea-agent/agent.go"), ())],
    ),
    Entry(
        "npl-no-port",
        "nodeportlocal",
        "v2.2.0",
        A("x", "Error syncing Pod %s, requeuing. Error: %v", hint="npl_controller.go"),
        ("default/web-7975b4c6f7-274540", INNER),
        chain=[
            (
                A("x", "failed to add rule for Pod %s: %v", hint="npl_controller.go"),
                ("default/web-7975b4c6f7-274540", INNER),
            ),
            (A("x", "no free port found", hint="port_table_others.go"), ()),
        ],
    ),
    Entry(
        "selinux-install",
        "selinux",
        "v2.2.0",
        A("x", "/host/etc/cni/net.d/10-antrea.conflist", hint="build/images/scripts/install_cni"),
        leaf="install: cannot create regular file '/host/etc/cni/net.d/10-antrea.conflist': Permission denied",
        leaf_source="coreutils install, run by install_cni (antrea-io/antrea#4604)",
        origin="container",
    ),
    init_fatal(
        "hns-network",
        "windows-hns",
        "v1.11.0",
        A("x", "error creating HNSNetwork: %v", hint="util/net_windows.go"),
        (INNER,),
        leaf="failed during hnsCallRawResponse: hnsCall failed in Win32: The parameter is incorrect. (0x57)",
        leaf_source="microsoft/hcsshim, verbatim from antrea-io/antrea#2013",
    ),
    Entry(
        "veth-exists",
        "cni",
        "v2.2.0",
        A("x", '"Failed to configure interfaces for container"', hint="cniserver/server.go"),
        kv={"container": CID},
        err=INNER,
        chain=[
            (
                A("x", "failed to create veth devices for container %s: %v", hint="interface_configuration_linux.go"),
                (CID, INNER),
            )
        ],
        leaf="container veth name provided (eth0) already exists",
        leaf_source="containernetworking/plugins ip.SetupVeth",
    ),
    Entry(
        "observed-panic-v029",
        "agent-crash",
        "v2.1.0",
        Site("x", "Observed a panic: %#v (%v)", repo="apimachinery", under=("pkg",)),
        (
            '"invalid memory address or nil pointer dereference"',
            "runtime error: invalid memory address or nil pointer dereference",
            STACK.rstrip("\n"),
        ),
        note="apimachinery HandleCrash (printf up to v0.30): a panic recovered in a controller goroutine",
    ),
    Entry(
        "observed-panic-v031",
        "agent-crash",
        "v2.2.0",
        Site("x", '"Observed a panic"', r'"Observed a panic", "panic", fmt', repo="apimachinery", under=("pkg",)),
        kv={
            "panic": "runtime error: invalid memory address or nil pointer dereference",
            "panicGoValue": '"invalid memory address or nil pointer dereference"',
            "stacktrace": Raw("<\n" + "".join(f"\t{ln}\n" for ln in STACK.splitlines()) + " >"),
        },
        note="apimachinery HandleCrash (structured from v0.31)",
    ),
    Entry(
        "runtime-panic",
        "agent-crash",
        "v2.7.0",
        None,
        origin="container",
        leaf="panic: runtime error: invalid memory address or nil pointer dereference\n"
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x30 pc=0x1d8c0f2]\n\n" + STACK,
        leaf_source="Go runtime (stderr only: kubectl logs --previous, never the klog files)",
    ),
    # Categories the message catalogue showed Antrea's source has, beyond the first taxonomy table.
    Entry(
        "encap-mode-unknown",
        "agent-config",
        "v2.2.0",
        VALIDATE,
        (INNER,),
        chain=[(A("x", "TrafficEncapMode %s is unknown", hint="cmd/antrea-agent/options.go"), ("vxlan",))],
        note="trafficEncapMode given the tunnel type: config validation (main.go:50)",
    ),
    Entry(
        "mc-gateway-flows",
        "multicluster",
        "v2.2.0",
        A(
            "x",
            '"Failed to install Multi-cluster flows for Pod"',
            hint="pkg/agent/multicluster/pod_route_controller.go",
        ),
        kv={"podIP": "10.10.1.7", "nodeIP": "192.168.77.103"},
        err="one message in bundle failed",
        note="member cluster agent: Pod flows towards the Gateway",
    ),
    Entry(
        "flow-exporter-init",
        "flow-export",
        "v2.2.0",
        A("x", '"Error when initializing flow exporter"', hint="pkg/agent/flowexporter/exporter/exporter.go"),
        err="error when starting exporter: dial tcp 10.96.8.210:4739: connect: connection refused",
        note="the flow-aggregator Service does not answer",
    ),
    Entry(
        "bgp-policy-sync",
        "bgp",
        "v2.2.0",
        A("x", '"Syncing BGPPolicy failed, requeue"', hint="pkg/agent/controller/bgp/controller.go"),
        err="failed to start BGP server: listen tcp :179: bind: address already in use",
        note="another BGP speaker holds the port on the Node",
    ),
    Entry(
        "supportbundle-collection",
        "diagnostics",
        "v2.2.0",
        A(
            "x",
            '"Error syncing SupportBundleCollection"',
            hint="pkg/agent/supportbundlecollection/support_bundle_controller.go",
        ),
        kv={"name": "sbc-ticket-1234"},
        err="failed to upload file: ssh: handshake failed: ssh: unable to authenticate",
        note="the file server credentials of the collection are wrong",
    ),
]


def _args(values: tuple | list, inner: str) -> list:
    return [inner if v == INNER else v for v in values]


def _container_site(git_dir: str, tag: str, site: Site, cache: dict, resolve_line) -> tuple[dict, str | None]:
    """The script line that prints (or runs the command that prints) an install-cni message."""
    path = site.hint or ""
    text = cache.get((git_dir, tag, path)) or resolve_line(git_dir, tag, path)
    for i, line in enumerate(text.split("\n"), start=1):
        if site.fixed in line:
            m = re.search(r'echo "([^"]*)"', line)
            return {
                "file": path.rsplit("/", 1)[-1],
                "line": i,
                "path": path,
                "func": "echo",
                "style": "shell",
                "level": "-",
                "format": m.group(1) if m else "",
            }, (m.group(1) if m else None)
    raise LookupError(f"{path}: {site.fixed!r} not found at {tag}")


def resolve_all(repos: dict[str, str], refs_of, cache: dict, problems: list[str], resolve, show) -> list[dict]:
    """Resolve every entry at its release; `refs_of(tag)` maps a repo name to the ref to read it at."""
    out = []
    for e in ENTRIES:
        try:
            out.append(_resolve(e, repos, refs_of(e.release), cache, resolve, show))
        except Exception as exc:  # noqa: BLE001 - reported, the rest of the catalogue still resolves
            problems.append(f"fatal {e.id} @{e.release}: {exc}")
    return out


def _resolve(e: Entry, repos: dict[str, str], refs: dict[str, str], cache: dict, resolve, show) -> dict:
    inner = e.leaf
    formats = []
    for site, args in reversed(e.chain):
        s = resolve(site, repos[site.repo], refs[site.repo], cache)
        formats.append(f"{s['file']}:{s['line']} {s['format']}")
        inner = render(s, _args(args, inner))
    entry = {
        "id": e.id,
        "category": e.category,
        "release": e.release,
        "origin": e.origin,
        "wrapped_formats": list(reversed(formats)),
        "leaf": e.leaf,
        "leaf_source": e.leaf_source,
        "note": e.note,
    }
    if e.origin == "container":
        if e.log is None:
            top, text = (
                {"file": "-", "line": 0, "path": "", "func": "panic", "style": "runtime", "level": "-", "format": ""},
                None,
            )
        else:
            top, text = _container_site(repos["antrea"], refs["antrea"], e.log, cache, show)
        message = text or inner
        entry.update(
            level=top["level"], file=top["file"], line=top["line"], path=top["path"], func=top["func"], message=message
        )
        return entry
    top = resolve(e.log, repos[e.log.repo], refs[e.log.repo], cache)
    err = inner if e.err == INNER else e.err
    message = render(top, _args(e.args, inner), e.kv, err)
    entry.update(
        level=top["level"], file=top["file"], line=top["line"], path=top["path"], func=top["func"], message=message
    )
    return entry
