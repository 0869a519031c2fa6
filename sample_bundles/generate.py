#!/usr/bin/env python3
"""Generate the sample Antrea support bundles in `sample_bundles/`.

Each scenario is a directory shaped like what a user attaches to a ticket: the output directory
of `antctl supportbundle` (`support-bundles_<time>/` with `clusterinfo`, `controller.tar.gz`,
`agent_<node>.tar.gz`, `failed_nodes`) and, for antrea-io/antrea#6448, the files the maintainer
asked for by hand. Layout and message strings follow Antrea's source at the version each
scenario runs (6e00ebf, v2.1.0, v2.2.0): antctl `pkg/antctl/raw/supportbundle/command.go`, the
agent dumper `pkg/support/dump.go`, and the klog call sites quoted beside each line.

    python sample_bundles/generate.py                      # all scenarios next to this script
    python sample_bundles/generate.py --scenario healthy   # one scenario
    python sample_bundles/generate.py --out /tmp/b --log-mb 50   # big logs (benchmarks)

Everything is deterministic: fixed random seeds, timestamps derived from each scenario's fixed
collection time (never the wall clock), tar members with fixed mtime/uid/gid/owner, gzip mtime 0.
Standard library only.

To add a scenario: write a `scenario_<name>(out, log_mb)` function that builds a `Cluster`, the
agent runs of each Node (`AgentLog` + the `*_run` helpers) and calls `write_antctl_dir`; then add
it to `SCENARIOS`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import random
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
MB = 1024 * 1024
UTC = timezone.utc
TAR_MTIME = 1719600000  # fixed member mtime (2024-06-28T18:40:00Z)

# ---------------------------------------------------------------------------------------------
# Versions: wording and `file:line` of the log calls differ between builds (reference §3).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    full: str  # what "Starting Antrea agent" prints
    tag: str  # release line used for config/chart text
    go: str
    client_go: str  # "0.29" or "0.31": reflector error wording
    agent_start_word: str  # "agent" (<= v2.1) / "Agent" (v2.2+)
    controller_start_structured: bool
    src: dict[str, str]
    ovs: str = "2.17.7"


_SRC_21 = {
    "log_max": "log_file.go:93",
    "feature_gates": "feature_gate.go:249",
    "start": "agent.go:108",
    "kubeconfig": "client.go:89",
    "antrea_kubeconfig": "client.go:86",
    "ovsdb": "ovs_client.go:70",
    "setup": "agent.go:389",
    "podcidr_wait": "agent.go:904",
    "podcidr_err": "agent.go:911",
    "mtu": "agent.go:1008",
    "br_created": "ovs_client.go:137",
    "br_exists": "ovs_client.go:129",
    "tun_port": "agent.go:865",
    "gw_port": "agent.go:682",
    "gw_exists": "agent.go:687",
    "ipt_init": "route_linux.go:211",
    "ipt_done": "route_linux.go:223",
    "initialized": "agent.go:482",
    "fatal": "main.go:53",
    "frw_wait": "agent.go:883",
    "frw_done": "agent.go:888",
    "frw_retry": "agent.go:622",
    "frw_clean": "agent.go:642",
    "frw_cleaned": "agent.go:655",
    "sec_br": "init.go:107",
    "rename": "net_linux.go:279",
    "local_port": "net_linux.go:442",
    "phy_added": "init_linux.go:90",
    "np_wait_client": "networkpolicy_controller.go:608",
    "np_client_ready": "networkpolicy_controller.go:618",
    "np_client_stop": "networkpolicy_controller.go:616",
    "np_full_wait": "networkpolicy_controller.go:634",
    "np_full_done": "networkpolicy_controller.go:636",
    "np_workers": "networkpolicy_controller.go:641",
    "watch_start": "networkpolicy_controller.go:968",
    "watch_fail": "networkpolicy_controller.go:971",
    "watch_started": "networkpolicy_controller.go:983",
    "watch_fallback": "networkpolicy_controller.go:946",
    "np_init_events": "networkpolicy_controller.go:1013",
    "np_applied": "networkpolicy_controller.go:364",
    "np_reconcile": "pod_reconciler.go:298",
    "cni_start": "server.go:676",
    "cni_listen": "server.go:686",
    "cni_reconcile": "server.go:754",
    "cni_add": "server.go:430",
    "cni_alloc": "server.go:500",
    "cni_add_ok": "server.go:529",
    "cni_del": "server.go:569",
    "cni_del_ok": "server.go:563",
    "route_reconcile": "node_route_controller.go:304",
    "route_start": "node_route_controller.go:352",
    "route_add": "node_route_controller.go:541",
    "informer_wait": "shared_informer.go:311",
    "informer_synced": "shared_informer.go:318",
    "reflector_w": "reflector.go:547",
    "reflector_e": "reflector.go:150",
    "informer_factory": "k8s.io/client-go/informers/factory.go:159",
    "endpoint_selected": "endpoint_resolver.go:276",
    "ca_update": "client.go:178",
    "ctrl_start": "controller.go:125",
}
# 6e00ebf (2024-06-14, the #6448 build): the secondary network was initialized before flow
# restoration (pkg/agent/secondarynetwork/init_linux.go Initialize).
_SRC_6E = dict(
    _SRC_21,
    **{
        "start": "agent.go:107",
        "setup": "agent.go:383",
        "podcidr_wait": "agent.go:898",
        "podcidr_err": "agent.go:905",
        "mtu": "agent.go:1002",
        "tun_port": "agent.go:859",
        "gw_port": "agent.go:676",
        "ipt_init": "route_linux.go:194",
        "ipt_done": "route_linux.go:206",
        "initialized": "agent.go:476",
        "frw_wait": "agent.go:853",
        "frw_done": "agent.go:858",
        "frw_retry": "agent.go:616",
        "frw_clean": "agent.go:636",
        "frw_cleaned": "agent.go:649",
        "sec_br": "init_linux.go:122",
        "phy_added": "init_linux.go:145",
        "gw_exists": "agent.go:681",
    },
)
_SRC_22 = dict(
    _SRC_21,
    **{
        "start": "agent.go:110",
        "frw_wait": "agent.go:915",
        "frw_done": "agent.go:920",
        "ipt_init": "route_linux.go:224",
        "ipt_done": "route_linux.go:236",
        "local_port": "net_linux.go:444",
        "phy_added": "init_linux.go:91",
        "watch_start": "networkpolicy_controller.go:974",
        "watch_fail": "networkpolicy_controller.go:977",
        "watch_started": "networkpolicy_controller.go:989",
        "informer_wait": "shared_informer.go:313",
        "informer_synced": "shared_informer.go:320",
        "reflector_w": "reflector.go:561",
        "reflector_e": "reflector.go:158",
        "informer_factory": "k8s.io/client-go/informers/factory.go:160",
        "ctrl_start": "controller.go:126",
    },
)

V6E = Version("v2.1.0-dev-6e00ebf", "6e", "go1.21.11", "0.29", "agent", False, _SRC_6E)
V210 = Version("v2.1.0", "210", "go1.21.12", "0.29", "agent", False, _SRC_21)
V220 = Version("v2.2.0", "220", "go1.23.2", "0.31", "Agent", True, _SRC_22)

# ---------------------------------------------------------------------------------------------
# Text formatting: Go quoting, klog lines and headers, OVS vlog lines.
# ---------------------------------------------------------------------------------------------


def go_quote(s: str) -> str:
    """strconv.Quote for the characters that occur in log values."""
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def kv_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, Raw):
        return v.text
    return go_quote(str(v))


class Raw:
    """A value klog prints without quotes (e.g. `<nil>`)."""

    def __init__(self, text: str) -> None:
        self.text = text


def structured(msg: str, *pairs: object, err: str | None = None) -> str:
    """klog InfoS/ErrorS text: quoted message, `err=` first for ErrorS, then key=value pairs."""
    parts = [go_quote(msg)]
    if err is not None:
        parts.append(f"err={go_quote(err)}")
    for k, v in zip(pairs[::2], pairs[1::2], strict=False):
        parts.append(f"{k}={kv_value(v)}")
    return " ".join(parts)


def klog_line(sev: str, t: datetime, src: str, msg: str, tid: int = 1) -> str:
    """`Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg` (threadid right-aligned 7 wide)."""
    return f"{sev}{t:%m%d %H:%M:%S}.{t.microsecond:06d} {tid:>7} {src}] {msg}"


def klog_header(created: datetime, host: str, go: str, arch: str) -> str:
    return (
        f"Log file created at: {created:%Y/%m/%d %H:%M:%S}\n"
        f"Running on machine: {host}\n"
        f"Binary: Built with gc {go} for linux/{arch}\n"
        "Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg\n"
    )


def vlog_line(t: datetime, seq: int, module: str, level: str, msg: str) -> str:
    """OVS vlog file format `%D{%Y-%m-%dT%H:%M:%S.###Z}|%05N|%c|%p|%m`."""
    return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z|{seq % 100000:05d}|{module}|{level}|{msg}"


def antrea_ovs_line(t: datetime, msg: str, level: str = "INFO") -> str:
    """antrea-ovs container stdout (build/images/scripts/logging, with its ANSI colours)."""
    colour = {"INFO": "\033[0;32m", "WARNING": "\033[0;33m", "ERROR": "\033[0;31m"}[level]
    return f"[\033[1;34m{t:%Y-%m-%dT%H:%M:%SZ} {colour}{level} \033[0;36mantrea-ovs\033[0m]: {msg}"


def hexid(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def uuid4(rng: random.Random) -> str:
    h = hexid(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[rng.randrange(4)]}{h[17:20]}-{h[20:]}"


def mac(rng: random.Random, local: bool = True) -> str:
    first = (rng.randrange(256) & 0xFC) | (0x02 if local else 0)
    return ":".join([f"{first:02x}"] + [f"{rng.randrange(256):02x}" for _ in range(5)])


def link_local(m: str) -> str:
    b = [int(x, 16) for x in m.split(":")]
    b[0] ^= 0x02
    words = [(b[0] << 8) | b[1], (b[2] << 8) | 0xFF, (0xFE << 8) | b[3], (b[4] << 8) | b[5]]
    return "fe80::" + ":".join(f"{w:x}" for w in words) + "/64"


# ---------------------------------------------------------------------------------------------
# klog runs
# ---------------------------------------------------------------------------------------------

SEVERITIES = ("INFO", "WARNING", "ERROR", "FATAL")
_RANK = {"I": 0, "W": 1, "E": 2, "F": 3}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_us(t: datetime) -> int:
    return (t - _EPOCH) // _US


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class SecondCache:
    """`strftime(fmt)` of a second + "SS.", with the minute part cached (bulk lines are hot)."""

    def __init__(self, fmt: str) -> None:  # fmt ends with the minute, e.g. "%m%d %H:%M:"
        self.fmt, self.minute, self.text = fmt, -1, ""

    def __call__(self, sec: int) -> str:
        minute, s = divmod(sec, 60)
        if minute != self.minute:
            self.minute, self.text = minute, from_us(minute * 60_000_000).strftime(self.fmt)
        return f"{self.text}{s:02d}."


@dataclass
class LogLine:
    sev: str
    t: datetime
    src: str
    msg: str
    extra: str = ""  # text printed after the line (goroutine dump after a fatal)
    _text: str | None = field(default=None, repr=False, compare=False)

    def render(self) -> str:
        if self._text is None:
            self._text = klog_line(self.sev, self.t, self.src, self.msg) + "\n" + self.extra
        return self._text


@dataclass
class Bulk:
    """Normal activity generated on demand: identical on every pass, never all in memory.

    `make()` yields (time in µs since the epoch, rendered line); all lines are INFO.
    """

    make: Callable[[], Iterator[tuple[int, str]]]


@dataclass
class AgentLog:
    """One run of a klog program: its lines, and how it was cut into files."""

    host: str
    version: Version
    start: datetime
    rng: random.Random
    arch: str = "amd64"
    program: str = "antrea-agent"
    pid: int = 1
    lines: list[LogLine | Bulk] = field(default_factory=list)
    rotate_bytes: int | None = None  # klog --log_file_max_size (None: never rotates here)

    def __post_init__(self) -> None:
        self.t = self.start

    # -- clock --------------------------------------------------------------------------------
    def step(self, lo_ms: float = 0.05, hi_ms: float = 3.0) -> datetime:
        self.t += timedelta(microseconds=int(self.rng.uniform(lo_ms, hi_ms) * 1000))
        return self.t

    def at(self, t: datetime) -> None:
        self.t = max(self.t, t)

    def wait(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)

    # -- writers ------------------------------------------------------------------------------
    def add(self, sev: str, key: str, msg: str, extra: str = "", lo: float = 0.05, hi: float = 3.0) -> None:
        self.step(lo, hi)
        src = self.version.src.get(key, key)
        self.lines.append(LogLine(sev, self.t, src, msg, extra))

    def info(self, key: str, msg: str, **kw: float) -> None:
        self.add("I", key, msg, **kw)

    def infos(self, key: str, msg: str, *pairs: object, **kw: float) -> None:
        self.add("I", key, structured(msg, *pairs), **kw)

    def warning(self, key: str, msg: str, **kw: float) -> None:
        self.add("W", key, msg, **kw)

    def errors(self, key: str, err: str | None, msg: str, *pairs: object, **kw: float) -> None:
        self.add("E", key, structured(msg, *pairs, err=err), **kw)

    def error(self, key: str, msg: str, **kw: float) -> None:
        self.add("E", key, msg, **kw)

    def fatal(self, key: str, msg: str, stack: str) -> None:
        self.add("F", key, msg, extra=stack, lo=0.05, hi=0.3)

    def signal_lines(self) -> list[LogLine]:
        return [ln for ln in self.lines if isinstance(ln, LogLine)]

    # -- output -------------------------------------------------------------------------------
    def file_name(self, sev: str, created: datetime) -> str:
        return f"{self.program}.{self.host}.root.log.{sev}.{created:%Y%m%d-%H%M%S}.{self.pid}"

    def stream(self, rank: int = 0) -> Iterator[tuple[int, str]]:
        """(µs, text) of the lines that go to the file of severity rank `rank` (0 = INFO: all)."""
        for ln in self.lines:
            if isinstance(ln, Bulk):
                if rank == 0:
                    yield from ln.make()
            elif _RANK[ln.sev] >= rank:
                yield to_us(ln.t), ln.render()

    def write_files(self, dest: Path) -> list[str]:
        """Write the klog files of this run into `dest`: cumulative severities, each file named
        after its creation time, INFO rotated into new files past `rotate_bytes`."""
        dest.mkdir(parents=True, exist_ok=True)
        names: list[str] = []
        for rank, sev in enumerate(SEVERITIES):
            f = None
            size = 0
            for us, text in self.stream(rank):
                if f is None or (self.rotate_bytes and size + len(text) > self.rotate_bytes):
                    if f is not None:
                        f.close()
                    created = from_us(us).replace(microsecond=0)
                    while self.file_name(sev, created) in names:
                        created += timedelta(seconds=1)
                    name = self.file_name(sev, created)
                    names.append(name)
                    f = open(dest / name, "w", encoding="utf-8", newline="", buffering=1 << 20)  # noqa: SIM115
                    header = klog_header(created, self.host, self.version.go, self.arch)
                    f.write(header)
                    size = len(header)
                f.write(text)
                size += len(text)
            if f is not None:
                f.close()
        return names

    def first_file(self, sev: str = "INFO") -> str:
        first = next(ln for ln in self.signal_lines() if _RANK[ln.sev] >= SEVERITIES.index(sev))
        return self.file_name(sev, first.t)

    def container_log(self) -> str:
        """What `kubectl logs` prints for this run: every line (stderr), no file header."""
        return "".join(text for _, text in self.stream(0))


def klog_bulk(
    groups: list[list[tuple[int, str, str]]], start: datetime, until: datetime, n_groups: int, seed: str
) -> Bulk:
    """Bulk lines: `n_groups` activity groups (cycling through `groups`) spread from `start` to `until`.

    A group is [(offset µs, severity letter, text after the timestamp)], e.g. the three lines of a CNI ADD.
    """
    start_us, until_us = to_us(start), to_us(until)
    gap = (until_us - start_us) / (n_groups + 1)

    def make() -> Iterator[tuple[int, str]]:
        rng = random.Random(seed)
        ts = SecondCache("%m%d %H:%M:")
        t = last = start_us
        n = len(groups)
        for i in range(n_groups):
            t = max(t + int(gap * (0.2 + 1.6 * rng.random())), last + 1000)
            if t >= until_us:
                return
            for off, sev, body in groups[i % n]:
                last = u = t + off
                yield u, f"{sev}{ts(u // 1_000_000)}{u % 1_000_000:06d}{body}"

    return Bulk(make)


def goroutine_dump(rng: random.Random, program: str = "antrea-agent", arch: str = "amd64") -> str:
    """The stack dump klog writes after a Fatal line (shape of the real #6448 FATAL file)."""
    a = "0x4" if arch == "arm64" else "0xc"

    def p() -> str:
        return f"{a}{hexid(rng, 9)}"

    main_pkg = "antrea.io/antrea/cmd/" + program
    g1 = [
        "goroutine 1 [running]:",
        "k8s.io/klog/v2/internal/dbg.Stacks(0x1)",
        "\tk8s.io/klog/v2@v2.110.1/internal/dbg/dbg.go:35 +0x8c",
        f"k8s.io/klog/v2.(*loggingT).output(0x43cb280, 0x3, 0x0, {p()}, 0x1, {{0x34550ed?, 0x1?}}, {p()}?, 0x0)",
        "\tk8s.io/klog/v2@v2.110.1/klog.go:961 +0x640",
        f"k8s.io/klog/v2.(*loggingT).printfDepth({p()}?, 0x1d6e00?, 0x0, {{0x0, 0x0}}, 0x0?, "
        f"{{0x270e078, 0x17}}, {{{p()}, 0x1, ...}})",
        "\tk8s.io/klog/v2@v2.110.1/klog.go:750 +0x1ac",
        "k8s.io/klog/v2.(*loggingT).printf(...)",
        "\tk8s.io/klog/v2@v2.110.1/klog.go:727",
        "k8s.io/klog/v2.Fatalf(...)",
        "\tk8s.io/klog/v2@v2.110.1/klog.go:1661",
        f"main.newAgentCommand.func1({p()}?, {{{p()}, 0x0, 0x7}})",
        f"\t{main_pkg}/main.go:53 +0x258",
        f"github.com/spf13/cobra.(*Command).execute({p()}, {{{p()}, 0x7, 0x7}})",
        "\tgithub.com/spf13/cobra@v1.8.1/command.go:989 +0x828",
        f"github.com/spf13/cobra.(*Command).ExecuteC({p()})",
        "\tgithub.com/spf13/cobra@v1.8.1/command.go:1117 +0x344",
        "github.com/spf13/cobra.(*Command).Execute(...)",
        "\tgithub.com/spf13/cobra@v1.8.1/command.go:1041",
        "main.main()",
        f"\t{main_pkg}/main.go:30 +0x20",
    ]
    others = [
        (
            6,
            "chan receive",
            [
                ("k8s.io/klog/v2.(*flushDaemon).run.func1()", "k8s.io/klog/v2@v2.110.1/klog.go:1174 +0x7c"),
                (
                    "created by k8s.io/klog/v2.(*flushDaemon).run in goroutine 1",
                    "k8s.io/klog/v2@v2.110.1/klog.go:1170 +0x128",
                ),
            ],
        ),
        (
            39,
            "select",
            [
                (
                    f"k8s.io/apimachinery/pkg/util/wait.BackoffUntil({p()}, {{0x2d6e2a0, {p()}}}, 0x1, {p()})",
                    "k8s.io/apimachinery@v0.29.2/pkg/util/wait/backoff.go:227 +0xa4",
                ),
                (
                    "created by antrea.io/antrea/pkg/log.StartLogFileNumberMonitor in goroutine 1",
                    "antrea.io/antrea/pkg/log/log_file.go:69 +0x1d8",
                ),
            ],
        ),
        (
            40,
            "IO wait",
            [
                ("internal/poll.runtime_pollWait(0xffff8a1b6e28, 0x72)", "runtime/netpoll.go:343 +0xa0"),
                (f"github.com/TomOnTime/utfutil.(*Conn).Read({p()})", "net/net.go:179 +0x34"),
                (
                    "created by github.com/contiv/libOpenflow/util.NewMessageStream in goroutine 1",
                    "github.com/contiv/libOpenflow@v0.0.0-20240410062440-e8d0ffc8d1c0/util/stream.go:58 +0x1a4",
                ),
            ],
        ),
    ]
    out = g1
    for gid, state, frames in others:
        out.append("")
        out.append(f"goroutine {gid} [{state}]:")
        for fn, loc in frames:
            out.append(fn)
            out.append("\t" + loc)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Cluster and Node model
# ---------------------------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    ip: str
    gateway: str
    nic: str = "eth0"
    prefix: int = 24
    pod_cidr: str | None = None  # allocated in K8s (spec.podCIDR)
    control_plane: bool = False
    ready: bool = True
    extra_nic: str | None = None  # a second NIC without IP (dedicated secondary network)
    dhcp: bool = False
    mac: str | None = None  # MAC of the primary NIC (random when not given)


@dataclass
class Cluster:
    name: str
    version: Version
    api_ip: str  # ClusterIP of the kubernetes Service
    distro: str  # "kubeadm" or "rke2"
    nodes: list[Node]
    collected: datetime
    tunnel: str = "geneve"
    gates: dict[str, bool] = field(default_factory=dict)
    secondary: dict | None = None  # {"bridgeName":..., "physicalInterfaces":[...]}
    multicast: bool = False
    log_verbosity: int = 0
    arch: str = "amd64"
    controller_node: str = ""

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    @property
    def mtu(self) -> int:
        return 1500 - {"geneve": 50, "vxlan": 50, "gre": 42}.get(self.tunnel, 50)

    @property
    def tun_dev(self) -> str:
        return {"geneve": "genev_sys_6081", "vxlan": "vxlan_sys_4789", "gre": "gre_sys"}[self.tunnel]

    @property
    def tun_udp_port(self) -> int:
        return {"geneve": 6081, "vxlan": 4789}.get(self.tunnel, 0)


def seeded(*parts: object) -> random.Random:
    """A random source that only depends on its name (scenario selection does not shift it)."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# ---------------------------------------------------------------------------------------------
# Agent runs: startup, normal activity, failure endings
# ---------------------------------------------------------------------------------------------

PODS = [
    ("kube-system", "coredns-6799fbcd5-"),
    ("default", "nginx-7854ff8877-"),
    ("default", "web-frontend-5d9c7b6f4-"),
    ("monitoring", "node-exporter-"),
    ("default", "redis-0"),
    ("shop", "cart-6b8d4f5c7-"),
    ("shop", "checkout-84f9c5d6b-"),
    ("shop", "catalog-5f7b9d8c6-"),
    ("batch", "report-28661130-"),
]
NETWORK_POLICIES = [
    "K8sNetworkPolicy:default/allow-frontend",
    "K8sNetworkPolicy:shop/deny-all",
    "K8sNetworkPolicy:shop/allow-checkout",
    "AntreaClusterNetworkPolicy:default-deny-egress",
]


def api_url(c: Cluster) -> str:
    return f"https://{c.api_ip}:443"


def startup(log: AgentLog, c: Cluster, node: Node, fresh_ovs: bool, *, verbose_gates: bool = True) -> None:
    """From the first line of a run up to `Setting up node network`."""
    v = c.version
    log.info("log_max", f"Set log file max size to {100 * MB}", lo=0.5, hi=1.5)
    if c.log_verbosity >= 1 and verbose_gates and c.gates:
        gates = " ".join(f"{k}:{str(val).lower()}" for k, val in sorted(c.gates.items()))
        log.info("feature_gates", f"feature gates: &{{map[{gates}]}}")
    log.infos("start", f"Starting Antrea {v.agent_start_word}", "version", v.full)
    log.info("kubeconfig", "No kubeconfig file was specified. Falling back to in-cluster config")
    log.infos("antrea_kubeconfig", "No Antrea kubeconfig file was specified. Falling back to in-cluster config")
    log.info("ovsdb", "Connecting to OVSDB at address /var/run/openvswitch/db.sock", lo=5, hi=30)
    log.info("setup", "Setting up node network", lo=30, hi=90)


def node_config_text(c: Cluster, node: Node, rng: random.Random) -> str:
    gw_mac = mac(seeded(c.name, node.name, "gw"))
    nic_mac = node_mac(c, node)
    gw_ip = gateway_ip(node.pod_cidr or "")
    return (
        f"Agent initialized NodeConfig=&{{{node.name} {node.pod_cidr} <nil> {node.ip}/{node.prefix} <nil> "
        f"{node.ip}/{node.prefix} <nil> {c.mtu} {node.nic} &Interface{{Name: {node.nic}, MAC: {nic_mac}}} "
        f"&{{antrea-gw0 {gw_mac} {gw_ip} <nil> {GW_OFPORT}}} map[] 0 [] <nil>}}, "
        f"NetworkConfig=&{{{c.tunnel} {c.tun_udp_port} Encap none false false false 0 {c.mtu} false}}"
    )


def node_mac(c: Cluster, node: Node) -> str:
    return node.mac or mac(seeded(c.name, node.name, "nic"), local=False)


def gateway_ip(cidr: str) -> str:
    if not cidr:
        return "<nil>"
    net = cidr.split("/")[0].rsplit(".", 1)[0]
    return f"{net}.1"


TUN_OFPORT, GW_OFPORT = 32768, 32769  # config.DefaultTunOFPort, DefaultHostGatewayOFPort
BR_INT_PORTS = [("antrea-tun0", TUN_OFPORT), ("antrea-gw0", GW_OFPORT)]


def node_network(log: AgentLog, c: Cluster, node: Node, fresh_ovs: bool) -> None:
    """initNodeLocalConfig succeeded: MTU, br-int, iptables, tunnel/gateway ports, `Agent initialized`."""
    rng = log.rng
    log.infos("mtu", "Got Interface MTU", "MTU", c.mtu, lo=20, hi=60)
    br_uuid = uuid4(seeded(c.name, node.name, "br-int"))
    if fresh_ovs:
        log.info("br_created", f"Created bridge: {br_uuid}", lo=20, hi=80)
    else:
        log.info("br_exists", f"Bridge exists: {br_uuid}", lo=5, hi=20)
    # v2.0+ reserves OpenFlow ports 32768 (tunnel) and 32769 (gateway); the lines are only logged
    # when the ports are created, i.e. on a fresh OVS database.
    if fresh_ovs:
        log.infos(
            "tun_port",
            "Allocated OpenFlow port for tunnel interface",
            "port",
            "antrea-tun0",
            "ofPort",
            TUN_OFPORT,
            lo=40,
            hi=120,
        )
        log.infos(
            "gw_port",
            "Allocated OpenFlow port for gateway interface",
            "port",
            "antrea-gw0",
            "ofPort",
            GW_OFPORT,
            lo=40,
            hi=120,
        )
    elif c.log_verbosity >= 2:
        log.infos(
            "gw_exists",
            "Gateway port already exists on OVS bridge",
            "name",
            "antrea-gw0",
            "ofPort",
            GW_OFPORT,
            lo=5,
            hi=20,
        )
    log.info("ipt_init", "Initializing iptables", lo=5, hi=20)
    log.info("ipt_done", "Initialized iptables", lo=150, hi=400)
    log.info("initialized", node_config_text(c, node, rng), lo=100, hi=300)


def secondary_bridge_created(log: AgentLog, c: Cluster, node: Node, fresh_ovs: bool) -> None:
    """secondarynetwork NewController / Initialize (6e00ebf): the secondary bridge is created."""
    bridge = c.secondary["bridgeName"]
    br_uuid = uuid4(seeded(c.name, node.name, bridge))
    if fresh_ovs:
        log.info("br_created", f"Created bridge: {br_uuid}", lo=10, hi=40)
    else:
        log.info("br_exists", f"Bridge exists: {br_uuid}", lo=5, hi=20)
    log.infos("sec_br", "OVS bridge created", "bridge", bridge, lo=0.1, hi=1)


def local_port_attrs(c: Cluster, node: Node, nic: str, index: int) -> str:
    m = node_mac(c, node) if nic == node.nic else mac(seeded(c.name, node.name, nic), local=False)
    return (
        f"&{{Index:{index} MTU:1500 TxQLen:1000 Name:{nic} HardwareAddr:{m} Flags:broadcast|multicast "
        f"RawFlags:4098 ParentIndex:0 MasterIndex:0 Namespace:<nil> Alias: AltNames:[] Statistics:0xc000b2e240 "
        f"Promisc:0 Allmulti:0 Multi:1 Xdp:0xc000a3c1e0 EncapType:ether Protinfo:<nil> OperState:down "
        f"PhysSwitchID:0 NetNsID:0 NumTxQueues:1 NumRxQueues:1 TSOMaxSegs:65535 TSOMaxSize:65536 "
        f"GSOMaxSegs:65535 GSOMaxSize:65536 GROMaxSize:65536 GSOIPv4MaxSize:65536 GROIPv4MaxSize:65536 "
        f"Vfs:[] Group:0 PermHWAddr: Slave:<nil>}}"
    )


def move_nic(log: AgentLog, c: Cluster, node: Node, nic: str, index: int) -> None:
    """PrepareHostInterfaceConnection + connectPhyInterfacesToOVSBridge: NIC renamed and attached."""
    log.infos("rename", "Renaming interface", "oldName", nic, "newName", nic + "~", lo=5, hi=15)
    log.infos(
        "local_port",
        "OVS bridge local port is ready",
        "type",
        "openvswitch",
        "attrs",
        local_port_attrs(c, node, nic, index),
        lo=100,
        hi=220,
    )
    log.infos("phy_added", "Physical interface added to secondary OVS bridge", "device", nic + "~", lo=60, hi=140)


def informers_start(log: AgentLog, c: Cluster) -> list[str]:
    names = ["AntreaAgentNodeRouteController", "AntreaAgentEgressController"]
    if c.gates.get("AntreaIPAM"):
        names.append("AntreaIPAMController")
    if c.gates.get("ServiceExternalIP"):
        names.append("ServiceExternalIPController")
    if c.gates.get("SecondaryNetwork"):
        names.append("SecondaryNetworkController")
    log.info("route_start", "Starting AntreaAgentNodeRouteController", lo=0.02, hi=0.4)
    for name in names:
        log.info("informer_wait", f"Waiting for caches to sync for {name}", lo=0.02, hi=0.4)
    return names


def add_node_routes(log: AgentLog, c: Cluster, peer: Node) -> None:
    """NodeRouteController processing a peer Node (startup, or a Node update)."""
    log.infos(
        "route_add",
        "Adding routes and flows to Node",
        "Node",
        peer.name,
        "podCIDRs",
        Raw(f"[{peer.pod_cidr}]"),
        "addresses",
        Raw(f"[{{Type:InternalIP Address:{peer.ip}}} {{Type:Hostname Address:{peer.name}}}]"),
        lo=0.2,
        hi=5,
    )


def reflector_failure(log: AgentLog, c: Cluster, kind: str, path: str, tail: str) -> None:
    """client-go reflector list failure: W `failed to list` + E `Failed to watch` (wording per client-go)."""
    v = c.version
    err = f'Get "{api_url(c)}{path}?limit=500&resourceVersion=0": {tail}'
    factory = v.src["informer_factory"]
    log.warning("reflector_w", f"{factory}: failed to list *{kind}: {err}", lo=0.1, hi=2)
    inner = f"{factory}: Failed to watch *{kind}: failed to list *{kind}: {err}"
    if v.client_go == "0.29":
        log.error("reflector_e", inner, lo=0.01, hi=0.1)
    else:
        log.add(
            "E", "reflector_e", structured("Unhandled Error", "logger", "UnhandledError", err=inner), lo=0.01, hi=0.1
        )


def np_watches_ok(log: AgentLog, counts: tuple[int, int, int] = (3, 4, 3)) -> None:
    for obj in ("AppliedToGroup", "AddressGroup", "NetworkPolicy"):
        log.info("watch_start", f"Starting watch for {obj}", lo=0.05, hi=1)
    for obj in ("AppliedToGroup", "AddressGroup", "NetworkPolicy"):
        log.info("watch_started", f"Started watch for {obj}", lo=5, hi=40)
    log.info("np_full_wait", "Waiting for all watchers to complete full sync", lo=0.1, hi=2)
    for obj, n in zip(("AppliedToGroup", "AddressGroup", "NetworkPolicy"), counts, strict=True):
        log.info("np_init_events", f"Received {n} init events for {obj}", lo=5, hi=60)
    log.info("np_full_done", "All watchers have completed full sync, installing flows for init events", lo=1, hi=5)
    log.info("np_workers", "Starting NetworkPolicy workers now", lo=5, hi=30)


def flow_restored(log: AgentLog, retry: bool) -> None:
    log.info("frw_clean", "Cleaning up flow-restore-wait config", lo=0.5, hi=3)
    if retry:
        log.warning(
            "frw_retry", "flow-restore-wait was not true before the delete call was made, will retry", lo=2, hi=8
        )
    log.info("frw_cleaned", "Cleaned up flow-restore-wait config", lo=100 if retry else 2, hi=200 if retry else 10)
    log.infos("frw_done", "Flow restoration has completed", lo=0.05, hi=0.5)


def healthy_run(
    log: AgentLog,
    c: Cluster,
    node: Node,
    *,
    fresh_ovs: bool,
    transient: bool,
    nic_move: str | None = None,
    until: datetime,
    normal_lines: int,
    fresh_secondary: bool = False,
) -> None:
    """A run that initializes, restores flows and then works until `until`.

    nic_move: None, "before-flow-restore" (6e00ebf order, #6448) or "after-flow-restore" (v2.1.0+).
    transient: add the recovered errors of a normal start (API list timeout, controller not ready
    yet, flow-restore-wait race).
    """
    startup(log, c, node, fresh_ovs)
    node_network(log, c, node, fresh_ovs)
    if c.secondary:
        secondary_bridge_created(log, c, node, fresh_ovs or fresh_secondary)
        if nic_move == "before-flow-restore":
            move_nic(log, c, node, c.secondary["physicalInterfaces"][0], 8)
    log.infos(
        "endpoint_selected",
        "Selected a new Endpoint for Service, notifying listeners",
        "service",
        "kube-system/antrea",
        "url",
        f"https://{c.node(c.controller_node).ip}:10349",
        lo=30,
        hi=90,
    )
    log.info("ca_update", "Updating Antrea client with the new CA bundle", lo=0.5, hi=3)
    log.infos("cni_start", "Starting CNI server", lo=1, hi=5)
    log.infos("cni_listen", "CNI server is listening ...", lo=0.1, hi=1)
    names = informers_start(log, c)
    log.info("np_wait_client", "Waiting for Antrea client to be ready", lo=0.5, hi=3)
    if transient:
        # antrea-controller not up yet: the agent falls back to the saved policies, then connects.
        log.wait(5)
        log.info("np_client_stop", "Stopped waiting for Antrea client", lo=0.1, hi=2)
        for obj in ("AppliedToGroup", "AddressGroup", "NetworkPolicy"):
            log.info("watch_start", f"Starting watch for {obj}", lo=0.05, hi=1)
            log.warning("watch_fail", f"Failed to start watch for {obj}: Antrea client is not ready", lo=0.05, hi=1)
            log.infos("watch_fallback", "Getting init events from fallback", "objectType", obj, lo=0.05, hi=1)
        log.info("np_full_wait", "Waiting for all watchers to complete full sync", lo=0.1, hi=2)
        log.info("np_full_done", "All watchers have completed full sync, installing flows for init events", lo=5, hi=40)
        log.info("np_workers", "Starting NetworkPolicy workers now", lo=5, hi=30)
        # kube-proxy / API endpoint not ready during boot: the first Node list times out.
        log.wait(24)
        reflector_failure(log, c, "v1.Node", "/api/v1/nodes", f"dial tcp {c.api_ip}:443: i/o timeout")
        log.wait(1)
    else:
        log.info("np_client_ready", "Antrea client is ready", lo=150, hi=400)
    for name in names:
        log.info("informer_synced", f"Caches are synced for {name}", lo=5, hi=120)
    log.info("route_reconcile", "Reconciliation for AntreaAgentNodeRouteController", lo=1, hi=10)
    for peer in c.nodes:
        if peer is not node and peer.pod_cidr:
            add_node_routes(log, c, peer)
    log.infos("cni_reconcile", "Starting reconciliation for CNI server", lo=1, hi=10)
    if transient:
        log.wait(4)
        for obj in ("AppliedToGroup", "AddressGroup", "NetworkPolicy"):
            log.info("watch_start", f"Starting watch for {obj}", lo=0.05, hi=1)
            log.info("watch_started", f"Started watch for {obj}", lo=5, hi=40)
    else:
        np_watches_ok(log)
    log.infos("frw_wait", "Waiting for flow restoration to complete", lo=1, hi=20)
    flow_restored(log, retry=transient)
    if c.secondary and nic_move == "after-flow-restore":
        move_nic(log, c, node, c.secondary["physicalInterfaces"][0], 9)
    normal_activity(log, c, node, until, normal_lines)


def normal_activity(log: AgentLog, c: Cluster, node: Node, until: datetime, n: int) -> None:
    """About `n` lines of a working agent (CNI ADD/DEL, NetworkPolicy, Node routes) up to `until`.

    The groups of lines are simulated once (at most 4096 of them) and then laid out in time; very
    large logs cycle through the same groups.
    """
    if n <= 0 or until <= log.t:
        return
    groups = activity_groups(log, c, node, min(4096, max(1, n // 2)))
    per_group = sum(len(g) for g in groups) / len(groups)
    log.lines.append(
        klog_bulk(
            groups, log.t, until, max(1, int(n / per_group)), f"{c.name}/{node.name}/{log.start.isoformat()}/bulk"
        )
    )
    log.t = until


def activity_groups(log: AgentLog, c: Cluster, node: Node, count: int) -> list[list[tuple[int, str, str]]]:
    rng = log.rng
    scratch = AgentLog(log.host, log.version, _EPOCH, rng, arch=log.arch)
    pod_seq = 0
    made: list[tuple[str, str, str]] = []
    peers = [p for p in c.nodes if p is not node and p.pod_cidr]
    groups = []
    while len(groups) < count:
        scratch.lines.clear()
        t0 = scratch.t
        roll = rng.random()
        if roll < 0.45 or not made:
            ns, prefix = PODS[pod_seq % len(PODS)]
            pod_seq += 1
            name = prefix + (hexid(rng, 5) if prefix.endswith("-") else "")
            cid = hexid(rng, 64)
            made.append((ns, name, cid))
            cni_add(scratch, c, node, ns, name, cid)
        elif roll < 0.65:
            ns, name, cid = made.pop(rng.randrange(len(made)))
            cni_del(scratch, ns, name, cid)
        elif roll < 0.85 or not peers:
            policy = rng.choice(NETWORK_POLICIES)
            scratch.infos(
                "np_applied", "NetworkPolicy applied to Pods on this Node", "policyName", policy, lo=0.1, hi=2
            )
            scratch.infos(
                "np_reconcile",
                "Reconciling Pod NetworkPolicy rule",
                "rule",
                hexid(rng, 16),
                "policy",
                policy,
                lo=0.5,
                hi=10,
            )
        else:
            add_node_routes(scratch, c, rng.choice(peers))
        groups.append([((ln.t - t0) // _US, ln.sev, f" {1:>7} {ln.src}] {ln.msg}\n") for ln in scratch.signal_lines()])
    return groups


def cni_add(log: AgentLog, c: Cluster, node: Node, ns: str, name: str, cid: str) -> int:
    rng = log.rng
    netns = f"/var/run/netns/cni-{uuid4(rng)}"
    args = (
        f"K8S_POD_INFRA_CONTAINER_ID={cid};K8S_POD_UID={uuid4(rng)};IgnoreUnknown=1;"
        f"K8S_POD_NAMESPACE={ns};K8S_POD_NAME={name}"
    )
    conf = '{"cniVersion":"0.3.0","ipam":{"type":"host-local"},"name":"antrea","type":"antrea"}'
    request = (
        f'cni_args:{{container_id:"{cid}" netns:"{netns}" ifname:"eth0" args:"{args}" '
        f'path:"/opt/cni/bin" network_configuration:"{conf.replace(chr(34), chr(92) + chr(34))}"}}'
    )
    log.infos("cni_add", "Received CmdAdd request", "request", request, lo=1, hi=20)
    base = (node.pod_cidr or "10.0.0.0/24").split("/")[0].rsplit(".", 1)[0]
    ip = f"{base}.{rng.randrange(2, 250)}"
    result = (
        f"&{{CNIVersion:0.3.0 Interfaces:[] IPs:[{{Interface:<nil> Address:{{IP:{ip} Mask:ffffff00}} "
        f"Gateway:{gateway_ip(node.pod_cidr or '')}}}] Routes:[] "
        "DNS:{Nameservers:[] Domain: Search:[] Options:[]}}"
    )
    log.infos("cni_alloc", "Allocated IP addresses", "container", cid, "result", result, lo=5, hi=40)
    log.infos("cni_add_ok", "CmdAdd for container succeeded", "container", cid, lo=80, hi=400)
    return 3


def cni_del(log: AgentLog, ns: str, name: str, cid: str) -> int:
    rng = log.rng
    args = (
        f"K8S_POD_INFRA_CONTAINER_ID={cid};K8S_POD_UID={uuid4(rng)};IgnoreUnknown=1;"
        f"K8S_POD_NAMESPACE={ns};K8S_POD_NAME={name}"
    )
    conf = '{"cniVersion":"0.3.0","ipam":{"type":"host-local"},"name":"antrea","type":"antrea"}'
    request = (
        f'cni_args:{{container_id:"{cid}" netns:"" ifname:"eth0" args:"{args}" path:"/opt/cni/bin" '
        f'network_configuration:"{conf.replace(chr(34), chr(92) + chr(34))}"}}'
    )
    log.infos("cni_del", "Received CmdDel request", "request", request, lo=1, hi=20)
    log.infos("cni_del_ok", "CmdDel for container succeeded", "container", cid, lo=30, hi=200)
    return 2


def stuck_6448_run(log: AgentLog, c: Cluster, node: Node, killed_after: float) -> None:
    """6e00ebf on a worker: NIC moved before flow-restore-wait is cleared, then no network.

    The agent waits for flow restoration forever (the initial syncs need the API server); the
    liveness probe kills the container, so the file just stops.
    """
    startup(log, c, node, fresh_ovs=False)
    node_network(log, c, node, fresh_ovs=False)  # Antrea ran on this Node before the upgrade
    secondary_bridge_created(log, c, node, fresh_ovs=True)  # br-ext is new
    move_nic(log, c, node, c.secondary["physicalInterfaces"][0], 8)
    log.infos("cni_start", "Starting CNI server", lo=1, hi=5)
    log.infos("cni_listen", "CNI server is listening ...", lo=0.1, hi=1)
    informers_start(log, c)
    log.info("np_wait_client", "Waiting for Antrea client to be ready", lo=0.5, hi=3)
    log.infos("frw_wait", "Waiting for flow restoration to complete", lo=5, hi=30)
    end = log.start + timedelta(seconds=killed_after)
    log.wait(5)
    log.info("np_client_stop", "Stopped waiting for Antrea client", lo=0.1, hi=2)
    for obj in ("AppliedToGroup", "AddressGroup", "NetworkPolicy"):
        log.info("watch_start", f"Starting watch for {obj}", lo=0.05, hi=1)
        log.warning("watch_fail", f"Failed to start watch for {obj}: Antrea client is not ready", lo=0.05, hi=1)
        log.infos("watch_fallback", "Getting init events from fallback", "objectType", obj, lo=0.05, hi=1)
    log.info("np_full_wait", "Waiting for all watchers to complete full sync", lo=0.1, hi=2)
    log.info("np_full_done", "All watchers have completed full sync, installing flows for init events", lo=5, hi=40)
    log.info("np_workers", "Starting NetworkPolicy workers now", lo=5, hi=30)
    lists = [
        ("v1.Node", "/api/v1/nodes"),
        ("v1.Pod", "/api/v1/pods"),
        ("v1.Service", "/api/v1/services"),
        ("v1.Namespace", "/api/v1/namespaces"),
        ("v1.Endpoints", "/api/v1/endpoints"),
    ]
    next_retry = log.start + timedelta(seconds=32)
    next_watch = log.t + timedelta(seconds=5)
    i = 0
    while True:
        if next_watch < next_retry:
            if next_watch >= end:
                break
            log.at(next_watch)
            for obj in ("AppliedToGroup", "AddressGroup", "NetworkPolicy"):
                log.info("watch_start", f"Starting watch for {obj}", lo=0.05, hi=1)
                log.warning("watch_fail", f"Failed to start watch for {obj}: Antrea client is not ready", lo=0.05, hi=1)
            next_watch += timedelta(seconds=5)
        else:
            if next_retry >= end:
                break
            log.at(next_retry)
            for kind, path in lists:
                reflector_failure(log, c, kind, path, f"dial tcp {c.api_ip}:443: i/o timeout")
            i += 1
            next_retry += timedelta(seconds=30 + 1.0 * i)


def api_timeout_crash_run(log: AgentLog, c: Cluster, node: Node, fail_at: datetime | None = None) -> None:
    """Init cannot GET its Node (dial timeout): logged as `Spec.PodCIDR is empty` (≤v2.4), then fatal."""
    startup(log, c, node, fresh_ovs=False)
    log.wait(30)  # client-go dial timeout
    if fail_at:
        log.t = fail_at
    err = (
        f'failed to get Node with name {node.name} from K8s: Get "{api_url(c)}/api/v1/nodes/{node.name}": '
        f"dial tcp {c.api_ip}:443: i/o timeout"
    )
    podcidr_fatal(log, node, err, exact=fail_at is not None)


def podcidr_missing_run(log: AgentLog, c: Cluster, node: Node) -> None:
    """The Node has no spec.podCIDR: poll every 5 s for 30 s, then the PodCIDR error and fatal."""
    startup(log, c, node, fresh_ovs=False)
    t0 = log.t
    for k in range(6):
        log.at(t0 + timedelta(seconds=5 * k))
        log.infos(
            "podcidr_wait", "Waiting for Node PodCIDR configuration to complete", "nodeName", node.name, lo=5, hi=25
        )
    log.at(t0 + timedelta(seconds=30))
    podcidr_fatal(log, node, "context deadline exceeded")


def podcidr_fatal(log: AgentLog, node: Node, err: str, exact: bool = False) -> None:
    """The E line and the fatal; exact: E at the current time, F 144 µs later (as in #6448)."""
    log.errors(
        "podcidr_err",
        err,
        "Spec.PodCIDR is empty for Node. Please make sure --allocate-node-cidrs is enabled for "
        "kube-controller-manager and --cluster-cidr specifies a sufficient CIDR range, or nodeIPAM is "
        "enabled for antrea-controller",
        "nodeName",
        node.name,
        lo=0 if exact else 0.5,
        hi=0 if exact else 3,
    )
    msg = f"Error running agent: error initializing agent: Spec.PodCIDR is empty for Node {node.name}"
    if exact:
        log.add("F", "fatal", msg, extra=goroutine_dump(log.rng, arch=log.arch), lo=0.144, hi=0.144)
    else:
        log.fatal("fatal", msg, goroutine_dump(log.rng, arch=log.arch))


def new_log(
    c: Cluster, node: Node, start: datetime, tag: str, log_mb: float | None = None, share: float = 1.0
) -> AgentLog:
    log = AgentLog(node.name, c.version, start, seeded(c.name, node.name, tag), arch=c.arch)
    if log_mb:
        log.rotate_bytes = max(256 * 1024, int(log_mb * MB * share / 3))
    return log


def lines_for(log_mb: float | None, default: int, share: float = 0.8, line_bytes: int = 350) -> int:
    """Number of normal lines: `default` normally, else enough for `share` of `log_mb` MB."""
    if not log_mb:
        return default
    return int(log_mb * MB * share / line_bytes)


# ---------------------------------------------------------------------------------------------
# OVS logs
# ---------------------------------------------------------------------------------------------


@dataclass
class OvsLog:
    """ovs-vswitchd.log lines (rendered, with newline) and at most one trailing Bulk."""

    start: datetime
    rng: random.Random
    lines: list[str | Bulk] = field(default_factory=list)
    seq: int = 0

    def __post_init__(self) -> None:
        self.t = self.start

    def add(self, module: str, level: str, msg: str, lo: float = 0.1, hi: float = 5.0) -> None:
        self.t += timedelta(microseconds=int(self.rng.uniform(lo, hi) * 1000))
        self.seq += 1
        self.lines.append(vlog_line(self.t, self.seq, module, level, msg) + "\n")

    def at(self, t: datetime) -> None:
        self.t = max(self.t, t)

    def stream(self) -> Iterator[str]:
        for ln in self.lines:
            if isinstance(ln, Bulk):
                yield from (text for _, text in ln.make())
            else:
                yield ln


def ovs_vswitchd_start(o: OvsLog, version: str) -> None:
    o.add("vlog", "INFO", "opened log file /var/log/openvswitch/ovs-vswitchd.log")
    o.add("ovs_numa", "INFO", "Discovered 4 CPU cores on NUMA node 0")
    o.add("ovs_numa", "INFO", "Discovered 1 NUMA nodes and 4 CPU cores")
    o.add("reconnect", "INFO", "unix:/var/run/openvswitch/db.sock: connecting...")
    o.add("netlink_socket", "INFO", "netlink: could not enable listening to all nsid (Operation not permitted)")
    o.add("reconnect", "INFO", "unix:/var/run/openvswitch/db.sock: connected")
    o.add("dpdk", "INFO", "DPDK Disabled - Use other_config:dpdk-init to enable")
    o.add("bridge", "INFO", f"ovs-vswitchd (Open vSwitch) {version}")


def ovs_bridge_ports(
    o: OvsLog, bridge: str, ports: list[tuple[str, int]], dpid_rng: random.Random, datapath: bool = True
) -> None:
    if datapath:
        o.add("ofproto_dpif", "INFO", "system@ovs-system: Datapath supports recirculation", hi=40)
        o.add("ofproto_dpif", "INFO", "system@ovs-system: VLAN header stack length probed as 2")
        o.add("ofproto_dpif", "INFO", "system@ovs-system: MPLS label stack length probed as 3")
        o.add("ofproto_dpif", "INFO", "system@ovs-system: Datapath supports ct_state")
        o.add("ofproto_dpif", "INFO", "system@ovs-system: Datapath supports ct_zone")
    for name, port in ports:
        o.add("bridge", "INFO", f"bridge {bridge}: added interface {name} on port {port}", lo=2, hi=60)
    o.add("bridge", "INFO", f"bridge {bridge}: using datapath ID 0000{hexid(dpid_rng, 12)}")
    o.add("connmgr", "INFO", f'{bridge}: added service controller "punix:/var/run/openvswitch/{bridge}.mgmt"')


def ovs_normal(o: OvsLog, until: datetime, n: int, pod_port_start: int = 1) -> None:
    """About `n` periodic ovs-vswitchd lines (flow_mods statistics, Pod ports added and deleted) up to
    `until`. The messages are simulated once (at most 4096) and cycled for very large logs."""
    if n <= 0 or until <= o.t:
        return
    rng = o.rng
    pods = ["coredns-", "nginx-78", "web-fron", "cart-6b8", "checkout"]
    port = pod_port_start
    live: list[tuple[str, int]] = []
    pool: list[str] = []
    while len(pool) < min(n, 4096):
        r = rng.random()
        if r < 0.5:
            adds = rng.randrange(1, 30)
            dels = rng.randrange(0, adds)
            pool.append(
                f"connmgr|INFO|br-int<->unix#{rng.randrange(1, 9)}: {adds + dels} flow_mods in the "
                f"last {rng.randrange(1, 59)} s ({adds} adds, {dels} deletes)\n"
            )
        elif r < 0.8 or not live:
            name = f"{rng.choice(pods)}-{hexid(rng, 6)}"
            live.append((name, port))
            pool.append(f"bridge|INFO|bridge br-int: added interface {name} on port {port}\n")
            port += 1
        else:
            name, p = live.pop(rng.randrange(len(live)))
            pool.append(f"bridge|INFO|bridge br-int: deleted interface {name} on port {p}\n")
    start_us, until_us, seq0 = to_us(o.t), to_us(until), o.seq
    gap = (until_us - start_us) / (n + 1)
    seed = f"ovs/{o.start.isoformat()}/{n}"

    def make() -> Iterator[tuple[int, str]]:
        rnd = random.Random(seed).random
        ts = SecondCache("%Y-%m-%dT%H:%M:")
        t, seq, size = start_us, seq0, len(pool)
        for i in range(n):
            t += 1000 + int(gap * (0.2 + 1.6 * rnd()))
            if t >= until_us:
                return
            seq += 1
            yield t, f"{ts(t // 1_000_000)}{t % 1_000_000 // 1000:03d}Z|{seq % 100000:05d}|{pool[i % size]}"

    o.lines.append(Bulk(make))
    o.t = until


def ovsdb_server_log(start: datetime, rng: random.Random, version: str) -> str:
    o = OvsLog(start - timedelta(seconds=2), rng)
    o.add("vlog", "INFO", "opened log file /var/log/openvswitch/ovsdb-server.log")
    o.add("ovsdb_server", "INFO", f"ovsdb-server (Open vSwitch) {version}")
    o.at(start + timedelta(seconds=10))
    o.add("memory", "INFO", "7808 kB peak resident set size after 10.0 seconds")
    o.add("memory", "INFO", "atoms:1024 cells:1152 json-caches:2 monitors:3 n-weak-refs:36 sessions:3")
    return "".join(o.stream())


def write_ovs_files(o: OvsLog, name: str, rotate_bytes: int | None, dest: Path) -> list[str]:
    """logrotate with `compress`: `<name>` (current), `<name>.1.gz` (newest rotated), `<name>.2.gz`, ..."""
    dest.mkdir(parents=True, exist_ok=True)
    parts: list[Path] = []
    f = None
    size = 0
    for text in o.stream():
        if f is None or (rotate_bytes and size + len(text) > rotate_bytes):
            if f is not None:
                f.close()
                gzip_file(parts[-1])
            parts.append(dest / f"{name}.part{len(parts)}")
            f = open(parts[-1], "w", encoding="utf-8", newline="", buffering=1 << 20)  # noqa: SIM115
            size = 0
        f.write(text)
        size += len(text)
    if f is not None:
        f.close()
    names = []
    for k, part in enumerate(parts):
        age = len(parts) - 1 - k
        final = name if age == 0 else f"{name}.{age}.gz"
        src = part if age == 0 else part.with_name(part.name + ".gz")
        src.rename(dest / final)
        names.append(final)
    return names


# ---------------------------------------------------------------------------------------------
# Host network state: `ip addr`, `ip link`, `ip route` as iproute2 prints them
# ---------------------------------------------------------------------------------------------


@dataclass
class Iface:
    name: str
    flags: str
    mtu: int
    qdisc: str
    state: str
    mac: str
    kind: str = "ether"
    master: str | None = None
    inet: list[str] = field(default_factory=list)  # full `inet ...` tails
    inet6: list[str] = field(default_factory=list)
    peer: str | None = None  # `@ifN` for veths
    netns: str | None = None
    qlen: bool = True


def ip_addr_text(ifaces: list[Iface]) -> str:
    out = []
    for i, f in enumerate(ifaces, start=1):
        out.append(_link_head(i, f, addr=True))
        out.extend(_link_l2(f))
        for a in f.inet:
            out.append(f"    inet {a}")
            out.append("       valid_lft forever preferred_lft forever")
        for a in f.inet6:
            out.append(f"    inet6 {a}")
            out.append("       valid_lft forever preferred_lft forever")
    return "\n".join(out) + "\n"


def ip_link_text(ifaces: list[Iface]) -> str:
    out = []
    for i, f in enumerate(ifaces, start=1):
        out.append(_link_head(i, f, addr=False))
        out.extend(_link_l2(f))
    return "\n".join(out) + "\n"


def _link_head(i: int, f: Iface, addr: bool) -> str:
    name = f.name + (f"@{f.peer}" if f.peer else "")
    master = f" master {f.master}" if f.master else ""
    mode = "" if addr else " mode DEFAULT"
    qlen = " qlen 1000" if f.qlen else ""
    return f"{i}: {name}: <{f.flags}> mtu {f.mtu} qdisc {f.qdisc}{master} state {f.state}{mode} group default{qlen}"


def _link_l2(f: Iface) -> list[str]:
    if f.kind == "loopback":
        return ["    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"]
    tail = f" link-netns {f.netns}" if f.netns else ""
    return [f"    link/ether {f.mac} brd ff:ff:ff:ff:ff:ff{tail}"]


UP = "BROADCAST,MULTICAST,UP,LOWER_UP"


def host_ifaces(c: Cluster, node: Node, *, nic_bridged: bool, pods: int, gw_up: bool = True) -> list[Iface]:
    """Interfaces of an Antrea Node; the secondary-network NIC is `<nic>~` + internal `<nic>` when bridged."""
    rng = seeded(c.name, node.name, "ifaces")
    nic_mac = node_mac(c, node)
    gw_mac = mac(seeded(c.name, node.name, "gw"))
    tun_mac = mac(rng)
    brd = node.ip.rsplit(".", 1)[0] + ".255"
    dyn = " dynamic" if node.dhcp else ""
    lft = f"metric 100 brd {brd} scope global{dyn} {node.nic}" if node.dhcp else f"brd {brd} scope global {node.nic}"
    node_inet = f"{node.ip}/{node.prefix} {lft}"
    ifs = [
        Iface(
            "lo",
            "LOOPBACK,UP,LOWER_UP",
            65536,
            "noqueue",
            "UNKNOWN",
            "",
            kind="loopback",
            inet=["127.0.0.1/8 scope host lo"],
            inet6=["::1/128 scope host noprefixroute "],
        )
    ]
    sec_nic = c.secondary["physicalInterfaces"][0] if c.secondary else None
    if nic_bridged and sec_nic == node.nic:
        ifs.append(
            Iface(
                node.nic + "~",
                UP,
                1500,
                "pfifo_fast",
                "UP",
                nic_mac,
                master="ovs-system",
                inet6=[f"{link_local(nic_mac)} scope link "],
            )
        )
    else:
        ifs.append(
            Iface(
                node.nic,
                UP,
                1500,
                "fq_codel" if not node.dhcp else "pfifo_fast",
                "UP",
                nic_mac,
                inet=[node_inet],
                inet6=[f"{link_local(nic_mac)} scope link "],
            )
        )
    if node.extra_nic:
        x_mac = mac(seeded(c.name, node.name, node.extra_nic), local=False)
        if nic_bridged and sec_nic == node.extra_nic:
            ifs.append(
                Iface(
                    node.extra_nic + "~",
                    UP,
                    1500,
                    "fq_codel",
                    "UP",
                    x_mac,
                    master="ovs-system",
                    inet6=[f"{link_local(x_mac)} scope link "],
                )
            )
        else:
            ifs.append(
                Iface(node.extra_nic, UP, 1500, "fq_codel", "UP", x_mac, inet6=[f"{link_local(x_mac)} scope link "])
            )
    ifs.append(Iface("ovs-system", "BROADCAST,MULTICAST", 1500, "noop", "DOWN", mac(rng)))
    ifs.append(
        Iface(
            c.tun_dev,
            UP,
            65000,
            "noqueue",
            "UNKNOWN",
            tun_mac,
            master="ovs-system",
            inet6=[f"{link_local(tun_mac)} scope link "],
        )
    )
    gw_inet = []
    if node.pod_cidr and gw_up:
        gw = gateway_ip(node.pod_cidr)
        gw_inet = [f"{gw}/{node.pod_cidr.split('/')[1]} brd {gw.rsplit('.', 1)[0]}.255 scope global antrea-gw0"]
    ifs.append(
        Iface(
            "antrea-gw0",
            UP,
            c.mtu,
            "noqueue",
            "UNKNOWN",
            gw_mac,
            inet=gw_inet,
            inet6=[f"{link_local(gw_mac)} scope link "],
        )
    )
    if c.secondary and nic_bridged:
        bridged = sec_nic
        b_mac = nic_mac if bridged == node.nic else mac(seeded(c.name, node.name, bridged), local=False)
        inet = [f"{node.ip}/{node.prefix} brd {brd} scope global {bridged}"] if bridged == node.nic else []
        ifs.append(
            Iface(bridged, UP, 1500, "noqueue", "UNKNOWN", b_mac, inet=inet, inet6=[f"{link_local(b_mac)} scope link "])
        )
    for name, _ip, _pod_mac, netns in node_pods(c, node, pods):
        veth = mac(seeded(c.name, node.name, name))
        ifs.append(
            Iface(
                name,
                UP,
                c.mtu,
                "noqueue",
                "UP",
                veth,
                master="ovs-system",
                peer="if3",
                netns=netns,
                qlen=False,
                inet6=[f"{link_local(veth)} scope link "],
            )
        )
    return ifs


def node_pods(c: Cluster, node: Node, count: int) -> list[tuple[str, str, str, str]]:
    """The Pods running on a Node: (host interface name, IP, Pod MAC, netns)."""
    rng = seeded(c.name, node.name, "pods")
    base = (node.pod_cidr or "10.0.0.0/24").split("/")[0].rsplit(".", 1)[0]
    out = []
    for k in range(count):
        _ns, prefix = PODS[k % len(PODS)]
        out.append(((prefix[:8] + "-" + hexid(rng, 6))[:15], f"{base}.{k + 2}", mac(rng), f"cni-{uuid4(rng)}"))
    return out


def ip_route_text(c: Cluster, node: Node, *, peers: bool, nic_dev: str | None = None, moved: bool = False) -> str:
    """`ip route` (main table). Lines end with a space, as iproute2 prints them.

    moved: the Node IP was moved to an OVS internal port (SecondaryNetwork on the primary NIC): the
    kernel adds its own subnet route next to the moved DHCP routes (shape of antrea-io/antrea#6448).
    """
    dev = nic_dev or node.nic
    net = node.ip.rsplit(".", 1)[0] + ".0"
    if node.dhcp:
        lines = [f"default via {node.gateway} dev {dev} proto dhcp src {node.ip} metric 100 "]
    else:
        lines = [f"default via {node.gateway} dev {dev} proto static "]
    if node.pod_cidr:
        lines.append(f"{node.pod_cidr} dev antrea-gw0 scope link src {gateway_ip(node.pod_cidr)} ")
    if peers:
        for other in c.nodes:
            if other is node or not other.pod_cidr:
                continue
            lines.append(f"{other.pod_cidr} via {gateway_ip(other.pod_cidr)} dev antrea-gw0 onlink ")
    if moved:
        lines.append(f"{net}/{node.prefix} dev {dev} proto kernel scope link src {node.ip} ")
    if node.dhcp:
        lines.append(f"{net}/{node.prefix} dev {dev} proto kernel scope link src {node.ip} metric 100 ")
        lines.append(f"{node.gateway} dev {dev} proto dhcp scope link src {node.ip} metric 100 ")
    else:
        lines.append(f"{net}/{node.prefix} dev {dev} proto kernel scope link src {node.ip} ")
    return "\n".join([lines[0]] + sorted(lines[1:], key=_route_key)) + "\n"


def _route_key(line: str) -> tuple[int, ...]:
    dst = line.split()[0].split("/")[0]
    try:
        return tuple(int(x) for x in dst.split("."))
    except ValueError:
        return (999,)


# ---------------------------------------------------------------------------------------------
# OVS / NetworkPolicy dumps of a full agent bundle
# ---------------------------------------------------------------------------------------------

FLOW_TABLES = [
    ("PipelineRootClassifier", 0),
    ("ARPSpoofGuard", 1),
    ("ARPResponder", 2),
    ("Classifier", 3),
    ("SpoofGuard", 4),
    ("UnSNAT", 5),
    ("ConntrackZone", 6),
    ("ConntrackState", 7),
    ("PreRoutingClassifier", 8),
    ("NodePortMark", 9),
    ("SessionAffinity", 10),
    ("ServiceLB", 11),
    ("EndpointDNAT", 12),
    ("AntreaPolicyEgressRule", 13),
    ("EgressRule", 14),
    ("EgressDefaultRule", 15),
    ("EgressMetric", 16),
    ("L3Forwarding", 17),
    ("EgressMark", 18),
    ("L3DecTTL", 19),
    ("SNATMark", 20),
    ("SNAT", 21),
    ("L2ForwardingCalc", 22),
    ("TrafficControl", 23),
    ("IngressSecurityClassifier", 24),
    ("AntreaPolicyIngressRule", 25),
    ("IngressRule", 26),
    ("IngressDefaultRule", 27),
    ("IngressMetric", 28),
    ("ConntrackCommit", 29),
    ("Output", 30),
]


def flows_text(c: Cluster, node: Node, rng: random.Random, pods: int) -> str:
    """`ovs-ofctl dump-flows br-int --names -O Openflow15`, header dropped, lines trimmed.

    A subset of the pipeline of docs/design/ovs-pipeline.md (v2.1) for the gateway, the tunnel,
    the Node's Pods and the peer Nodes.
    """
    gw = gateway_ip(node.pod_cidr or "")
    gw_mac = mac(seeded(c.name, node.name, "gw"))
    local = node_pods(c, node, pods)
    out = []

    def flow(
        table: str, prio: int, match: str, actions: str, cookie: str = "0x1000000000000", hits: bool = True
    ) -> None:
        dur = rng.uniform(600, 9000)
        n = rng.randrange(0, 40000) if hits else 0
        b = n * rng.randrange(60, 1400)
        m = f"priority={prio}" + (f",{match}" if match else "")
        out.append(
            f"cookie={cookie}, duration={dur:.3f}s, table={table}, n_packets={n}, n_bytes={b}, "
            f"idle_age={rng.randrange(0, 600)}, {m} actions={actions}"
        )

    flow("PipelineRootClassifier", 200, "arp", "goto_table:ARPSpoofGuard")
    flow("PipelineRootClassifier", 200, "ip", "goto_table:Classifier")
    flow("PipelineRootClassifier", 0, "", "drop", hits=False)
    flow("ARPSpoofGuard", 200, f'arp,in_port="antrea-gw0",arp_spa={gw},arp_sha={gw_mac}', "goto_table:ARPResponder")
    for name, ip, pod_mac, _ in local:
        flow(
            "ARPSpoofGuard",
            200,
            f'arp,in_port="{name}",arp_spa={ip},arp_sha={pod_mac}',
            "goto_table:ARPResponder",
            cookie="0x1010000000000",
        )
    flow("ARPSpoofGuard", 0, "", "drop", hits=False)
    flow("ARPResponder", 190, "arp", "NORMAL")
    flow("ARPResponder", 0, "", "drop", hits=False)
    flow(
        "Classifier",
        210,
        f'ip,in_port="antrea-gw0",nw_src={gw}',
        "set_field:0x2/0xf->reg0,set_field:0x10000000/0x10000000->reg4,goto_table:SpoofGuard",
    )
    flow(
        "Classifier",
        200,
        'in_port="antrea-gw0"',
        "set_field:0x2/0xf->reg0,set_field:0x8000000/0x8000000->reg4,goto_table:SpoofGuard",
    )
    flow(
        "Classifier",
        200,
        'in_port="antrea-tun0"',
        "set_field:0x1/0xf->reg0,set_field:0x200/0x200->reg0,goto_table:UnSNAT",
    )
    for name, _ip, _mac, _ in local:
        flow(
            "Classifier",
            190,
            f'in_port="{name}"',
            "set_field:0x3/0xf->reg0,set_field:0x10000000/0x10000000->reg4,goto_table:SpoofGuard",
            cookie="0x1010000000000",
        )
    flow("Classifier", 0, "", "drop", hits=False)
    flow("SpoofGuard", 200, 'ip,in_port="antrea-gw0"', "goto_table:UnSNAT")
    for name, ip, pod_mac, _ in local:
        flow(
            "SpoofGuard",
            200,
            f'ip,in_port="{name}",dl_src={pod_mac},nw_src={ip}',
            "goto_table:UnSNAT",
            cookie="0x1010000000000",
        )
    flow("SpoofGuard", 0, "", "drop", hits=False)
    flow("UnSNAT", 200, "ip,nw_dst=169.254.0.253", "ct(table=ConntrackZone,zone=65521,nat)")
    flow("UnSNAT", 200, f"ip,nw_dst={gw}", "ct(table=ConntrackZone,zone=65521,nat)")
    flow("UnSNAT", 0, "", "goto_table:ConntrackZone")
    flow("ConntrackZone", 200, "ip", "ct(table=ConntrackState,zone=65520,nat)")
    flow("ConntrackZone", 0, "", "goto_table:ConntrackState", hits=False)
    flow("ConntrackState", 200, "ct_state=+inv+trk,ip", "drop")
    flow("ConntrackState", 190, "ct_state=-new+trk,ct_mark=0/0x10,ip", "goto_table:AntreaPolicyEgressRule")
    flow(
        "ConntrackState",
        190,
        "ct_state=-new+trk,ct_mark=0x10/0x10,ip",
        "set_field:0x200/0x200->reg0,goto_table:AntreaPolicyEgressRule",
    )
    flow("ConntrackState", 0, "", "goto_table:PreRoutingClassifier")
    flow("PreRoutingClassifier", 200, "ip", "resubmit(,NodePortMark),resubmit(,SessionAffinity),resubmit(,ServiceLB)")
    flow("PreRoutingClassifier", 0, "", "goto_table:NodePortMark", hits=False)
    flow("NodePortMark", 200, f"ip,nw_dst={node.ip}", "set_field:0x80000/0x80000->reg4")
    flow("NodePortMark", 200, "ip,nw_dst=169.254.0.252", "set_field:0x80000/0x80000->reg4")
    flow("NodePortMark", 0, "", "goto_table:SessionAffinity", hits=False)
    flow("SessionAffinity", 0, "", "set_field:0x10000/0x70000->reg4")
    svc = c.api_ip.rsplit(".", 1)[0] + ".10"
    flow(
        "ServiceLB",
        200,
        f"tcp,reg4=0x10000/0x70000,nw_dst={c.api_ip},tp_dst=443",
        "set_field:0x200/0x200->reg0,set_field:0x20000/0x70000->reg4,set_field:0x1->reg7,group:1",
        cookie="0x1030000000000",
    )
    flow(
        "ServiceLB",
        200,
        f"udp,reg4=0x10000/0x70000,nw_dst={svc},tp_dst=53",
        "set_field:0x200/0x200->reg0,set_field:0x20000/0x70000->reg4,set_field:0x2->reg7,group:2",
        cookie="0x1030000000000",
    )
    flow("ServiceLB", 0, "", "goto_table:EndpointDNAT")
    cp = c.node(c.controller_node)
    cp_hex = "0x" + "".join(f"{int(x):02x}" for x in cp.ip.split("."))
    flow(
        "EndpointDNAT",
        200,
        f"tcp,reg3={cp_hex},reg4=0x201bb/0x7ffff",
        f"ct(commit,table=AntreaPolicyEgressRule,zone=65520,nat(dst={cp.ip}:6443),"
        "exec(set_field:0x10/0x10->ct_mark,move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))",
        cookie="0x1030000000000",
    )
    flow("EndpointDNAT", 190, "reg4=0x20000/0x70000", "set_field:0x10000/0x70000->reg4,resubmit(,ServiceLB)")
    flow("EndpointDNAT", 0, "", "goto_table:AntreaPolicyEgressRule")
    flow("AntreaPolicyEgressRule", 64990, "ct_state=-new+est,ip", "goto_table:EgressMetric")
    flow("AntreaPolicyEgressRule", 64990, "ct_state=-new+rel,ip", "goto_table:EgressMetric")
    flow("AntreaPolicyEgressRule", 0, "", "goto_table:EgressRule")
    flow("EgressRule", 0, "", "goto_table:EgressDefaultRule")
    flow("EgressDefaultRule", 0, "", "goto_table:EgressMetric")
    flow("EgressMetric", 0, "", "goto_table:L3Forwarding")
    flow(
        "L3Forwarding",
        210,
        f"ip,nw_dst={gw}",
        f"set_field:{gw_mac}->eth_dst,set_field:0x20/0xf0->reg0,goto_table:L3DecTTL",
    )
    for other in c.nodes:
        if other is node or not other.pod_cidr:
            continue
        flow(
            "L3Forwarding",
            200,
            f"ip,reg0=0/0x200,nw_dst={other.pod_cidr}",
            f"set_field:{gw_mac}->eth_src,set_field:aa:bb:cc:dd:ee:ff->eth_dst,"
            f"set_field:{other.ip}->tun_dst,set_field:0x10/0xf0->reg0,goto_table:L3DecTTL",
            cookie="0x1050000000000",
        )
    for _name, ip, pod_mac, _ in local:
        flow(
            "L3Forwarding",
            200,
            f"ip,reg0=0x200/0x200,nw_dst={ip}",
            f"set_field:{gw_mac}->eth_src,set_field:{pod_mac}->eth_dst,set_field:0x30/0xf0->reg0,goto_table:L3DecTTL",
            cookie="0x1010000000000",
        )
    flow("L3Forwarding", 0, "", "set_field:0x20/0xf0->reg0,goto_table:L2ForwardingCalc")
    flow("L3DecTTL", 210, "ip,reg0=0x2/0xf", "goto_table:SNATMark")
    flow("L3DecTTL", 200, "ip", "dec_ttl,goto_table:SNATMark")
    flow("L3DecTTL", 0, "", "goto_table:SNATMark", hits=False)
    flow("SNATMark", 0, "", "goto_table:SNAT")
    flow("SNAT", 0, "", "goto_table:L2ForwardingCalc")
    flow(
        "L2ForwardingCalc",
        200,
        f"dl_dst={gw_mac}",
        f"set_field:{GW_OFPORT:#x}->reg1,set_field:0x200000/0x600000->reg0,goto_table:IngressSecurityClassifier",
    )
    flow(
        "L2ForwardingCalc",
        200,
        "dl_dst=aa:bb:cc:dd:ee:ff",
        f"set_field:{TUN_OFPORT:#x}->reg1,set_field:0x200000/0x600000->reg0,goto_table:IngressSecurityClassifier",
    )
    for k, (_name, _ip, pod_mac, _) in enumerate(local, start=1):
        flow(
            "L2ForwardingCalc",
            200,
            f"dl_dst={pod_mac}",
            f"set_field:{k:#x}->reg1,set_field:0x200000/0x600000->reg0,goto_table:IngressSecurityClassifier",
            cookie="0x1010000000000",
        )
    flow("L2ForwardingCalc", 0, "", "goto_table:IngressSecurityClassifier")
    flow("IngressSecurityClassifier", 0, "", "goto_table:AntreaPolicyIngressRule")
    flow("AntreaPolicyIngressRule", 64990, "ct_state=-new+est,ip", "goto_table:IngressMetric")
    flow("AntreaPolicyIngressRule", 64990, "ct_state=-new+rel,ip", "goto_table:IngressMetric")
    flow("AntreaPolicyIngressRule", 0, "", "goto_table:IngressRule")
    flow("IngressRule", 0, "", "goto_table:IngressDefaultRule")
    flow("IngressDefaultRule", 0, "", "goto_table:IngressMetric")
    flow("IngressMetric", 0, "", "goto_table:ConntrackCommit")
    flow(
        "ConntrackCommit",
        200,
        "ct_state=+new+trk-snat,ct_mark=0/0x10,ip",
        "ct(commit,table=Output,zone=65520,exec(move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))",
    )
    flow("ConntrackCommit", 0, "", "goto_table:Output")
    flow("Output", 200, "reg0=0x200000/0x600000", "output:NXM_NX_REG1[]")
    flow("Output", 0, "", "drop", hits=False)
    return "\n".join(out) + "\n"


def groups_text(rng: random.Random) -> str:
    return (
        "group_id=1,type=select,selection_method=hash,bucket=bucket_id:0,weight:100,"
        "actions=set_field:0xc0a84001->reg3,set_field:0x21bb/0xffff->reg4,resubmit(,EndpointDNAT)\n"
        "group_id=2,type=select,selection_method=hash,"
        "bucket=bucket_id:0,weight:100,actions=set_field:0xa2a0002->reg3,set_field:0x35/0xffff->reg4,"
        "resubmit(,EndpointDNAT),bucket=bucket_id:1,weight:100,actions=set_field:0xa2a0003->reg3,"
        "set_field:0x35/0xffff->reg4,resubmit(,EndpointDNAT)\n"
    )


def ovsports_text(c: Cluster, node: Node, pods: int) -> str:
    """`ovs-ofctl dump-ports-desc br-int -O Openflow15`, first line dropped (Pod ports 1.., then the
    reserved tunnel and gateway ports)."""
    ports = [
        (k, name, mac(seeded(c.name, node.name, name)), True)
        for k, (name, _ip, _mac, _ns) in enumerate(node_pods(c, node, pods), start=1)
    ]
    ports += [
        (TUN_OFPORT, "antrea-tun0", mac(seeded(c.name, node.name, "tun0")), False),
        (GW_OFPORT, "antrea-gw0", mac(seeded(c.name, node.name, "gw")), True),
    ]
    out = []
    for port, name, addr, wired in ports:
        out += [f" {port}({name}): addr:{addr}", "     config:     0", "     state:      LIVE"]
        out += (
            ["     current:    10GB-FD COPPER", "     speed: 10000 Mbps now, 0 Mbps max"]
            if wired
            else ["     speed: 0 Mbps now, 0 Mbps max"]
        )
    return "\n".join(out) + "\n"


def iptables_text(c: Cluster, node: Node, when: datetime) -> str:
    """`iptables-save -c` with Antrea's chains."""
    stamp = f"{when:%a %b %d %H:%M:%S %Y}".replace(" 0", "  ")
    cidr = node.pod_cidr or "10.0.0.0/24"
    port = c.tun_udp_port or 4789
    notrack_out = (
        '-p udp -m comment --comment "Antrea: do not track outgoing encapsulation packets" '
        f"-m udp --dport {port} -m addrtype --src-type LOCAL -j NOTRACK"
    )
    notrack_in = (
        '-p udp -m comment --comment "Antrea: do not track incoming encapsulation packets" '
        f"-m udp --dport {port} -m addrtype --dst-type LOCAL -j NOTRACK"
    )
    masq_pod = (
        '-m comment --comment "Antrea: masquerade Pod to external packets" '
        "-m set ! --match-set ANTREA-POD-IP dst -j MASQUERADE"
    )
    masq_local = (
        '-m comment --comment "Antrea: masquerade LOCAL traffic" -o antrea-gw0 -m addrtype ! --src-type '
        "LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully"
    )
    return f"""# Generated by iptables-save v1.8.7 on {stamp}
*raw
:PREROUTING ACCEPT [118734:96583047]
:OUTPUT ACCEPT [102841:18361094]
:ANTREA-OUTPUT - [0:0]
:ANTREA-PREROUTING - [0:0]
[118734:96583047] -A PREROUTING -m comment --comment "Antrea: jump to Antrea prerouting rules" -j ANTREA-PREROUTING
[102841:18361094] -A OUTPUT -m comment --comment "Antrea: jump to Antrea output rules" -j ANTREA-OUTPUT
[8452:1390112] -A ANTREA-OUTPUT {notrack_out}
[9120:1480331] -A ANTREA-PREROUTING {notrack_in}
COMMIT
# Completed on {stamp}
# Generated by iptables-save v1.8.7 on {stamp}
*mangle
:PREROUTING ACCEPT [118734:96583047]
:INPUT ACCEPT [110282:95192935]
:FORWARD ACCEPT [8452:1390112]
:OUTPUT ACCEPT [102841:18361094]
:POSTROUTING ACCEPT [111293:19751206]
:ANTREA-MANGLE - [0:0]
:ANTREA-OUTPUT - [0:0]
[118734:96583047] -A PREROUTING -m comment --comment "Antrea: jump to Antrea mangle rules" -j ANTREA-MANGLE
[102841:18361094] -A OUTPUT -m comment --comment "Antrea: jump to Antrea output rules" -j ANTREA-OUTPUT
COMMIT
# Completed on {stamp}
# Generated by iptables-save v1.8.7 on {stamp}
*filter
:INPUT ACCEPT [110282:95192935]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [102841:18361094]
:ANTREA-FORWARD - [0:0]
:ANTREA-INPUT - [0:0]
:ANTREA-OUTPUT - [0:0]
[110282:95192935] -A INPUT -m comment --comment "Antrea: jump to Antrea input rules" -j ANTREA-INPUT
[8452:1390112] -A FORWARD -m comment --comment "Antrea: jump to Antrea forwarding rules" -j ANTREA-FORWARD
[102841:18361094] -A OUTPUT -m comment --comment "Antrea: jump to Antrea output rules" -j ANTREA-OUTPUT
[4211:602183] -A ANTREA-FORWARD -i antrea-gw0 -m comment --comment "Antrea: accept packets from local Pods" -j ACCEPT
[4241:788029] -A ANTREA-FORWARD -o antrea-gw0 -m comment --comment "Antrea: accept packets to local Pods" -j ACCEPT
COMMIT
# Completed on {stamp}
# Generated by iptables-save v1.8.7 on {stamp}
*nat
:PREROUTING ACCEPT [2113:126780]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [3377:202620]
:POSTROUTING ACCEPT [3544:212640]
:ANTREA-POSTROUTING - [0:0]
[3544:212640] -A POSTROUTING -m comment --comment "Antrea: jump to Antrea postrouting rules" -j ANTREA-POSTROUTING
[167:10020] -A ANTREA-POSTROUTING -s {cidr} {masq_pod}
[0:0] -A ANTREA-POSTROUTING {masq_local}
COMMIT
# Completed on {stamp}
"""


def goroutinestacks_text(rng: random.Random, minutes: int) -> str:
    """pprof goroutine profile, debug=2."""
    a = "0xc"
    return (
        f"goroutine 1 [select, {minutes} minutes]:\n"
        f"main.run(0x{a}000a0f200)\n\tantrea.io/antrea/cmd/antrea-agent/agent.go:963 +0x6c1c\n"
        f"main.newAgentCommand.func1(0x{a}0001e6c08, {{0x{a}0004a2e00, 0x0, 0x7}})\n"
        "\tantrea.io/antrea/cmd/antrea-agent/main.go:52 +0x1e5\n"
        "github.com/spf13/cobra.(*Command).execute(0xc0001e6c08, {0xc00004e0e0, 0x7, 0x7})\n"
        "\tgithub.com/spf13/cobra@v1.8.1/command.go:989 +0xa91\n"
        "main.main()\n\tantrea.io/antrea/cmd/antrea-agent/main.go:30 +0x1e\n"
        "\n"
        f"goroutine 93 [chan receive, {minutes} minutes]:\n"
        "antrea.io/antrea/pkg/agent/cniserver.(*CNIServer).Run(0xc000132b40, 0xc000114300)\n"
        "\tantrea.io/antrea/pkg/agent/cniserver/server.go:690 +0x1a5\n"
        "created by main.run in goroutine 1\n\tantrea.io/antrea/cmd/antrea-agent/agent.go:694 +0x4f65\n"
        "\n"
        "goroutine 211 [IO wait]:\n"
        "internal/poll.runtime_pollWait(0x7f2a8c1e3d28, 0x72)\n\truntime/netpoll.go:343 +0x85\n"
        "net/http.(*persistConn).readLoop(0xc000d2a6c0)\n\tnet/http/transport.go:2205 +0xd25\n"
        "created by net/http.(*Transport).dialConn in goroutine 204\n\tnet/http/transport.go:1776 +0x169f\n"
    )


# ---------------------------------------------------------------------------------------------
# A tiny YAML emitter with gopkg.in/yaml.v2 conventions (sorted map keys, unindented sequences)
# ---------------------------------------------------------------------------------------------

_YAML_PLAIN_UNSAFE = set(":#{}[],&*!|>'\"%@`")


def yaml_scalar(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    needs_quote = (
        s == ""
        or s.lower() in {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"}
        or s[0] in _YAML_PLAIN_UNSAFE
        or s[0] in "-? "
        or s[-1] == " "
        or ": " in s
        or " #" in s
        or _looks_numeric(s)
        or (len(s) >= 10 and s[:4].isdigit() and s[4] == "-" and s[7] == "-")
    )
    return go_quote(s) if needs_quote else s


def _looks_numeric(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def to_yaml(obj: object, indent: int = 0, sort: bool = True) -> str:
    pad = " " * indent
    if isinstance(obj, dict):
        if not obj:
            return pad + "{}\n"
        out = []
        for k in sorted(obj) if sort else obj:
            v = obj[k]
            key = yaml_scalar(k)
            if isinstance(v, str) and "\n" in v:
                chomp = "|" if v.endswith("\n") else "|-"
                body = "".join(f"{pad}  {ln}\n" if ln else "\n" for ln in v.rstrip("\n").split("\n"))
                out.append(f"{pad}{key}: {chomp}\n{body}")
            elif isinstance(v, dict) and v:
                out.append(f"{pad}{key}:\n{to_yaml(v, indent + 2, sort)}")
            elif isinstance(v, list) and v:
                out.append(f"{pad}{key}:\n{to_yaml(v, indent, sort)}")
            elif isinstance(v, (dict, list)):
                out.append(f"{pad}{key}: {'{}' if isinstance(v, dict) else '[]'}\n")
            else:
                out.append(f"{pad}{key}: {yaml_scalar(v)}\n")
        return "".join(out)
    if isinstance(obj, list):
        if not obj:
            return pad + "[]\n"
        out = []
        for item in obj:
            if isinstance(item, dict) and item:
                inner = to_yaml(item, indent + 2, sort)
                out.append(pad + "- " + inner[indent + 2 :])
            else:
                out.append(f"{pad}- {yaml_scalar(item)}\n")
        return "".join(out)
    return pad + yaml_scalar(obj) + "\n"


# ---------------------------------------------------------------------------------------------
# clusterinfo and the antrea-config ConfigMap
# ---------------------------------------------------------------------------------------------


def agent_conf(c: Cluster) -> str:
    """The chart-rendered antrea-agent.conf (prepared renderings in /tmp) with the scenario's values."""
    text = CONF_TEXT[f"agent{c.version.tag}"]
    for gate, val in c.gates.items():
        old = f"#  {gate}: "
        lines = text.split("\n")
        for i, ln in enumerate(lines):
            if ln.startswith(old):
                lines[i] = f"  {gate}: {str(val).lower()}"
                break
        text = "\n".join(lines)
    text = text.replace('tunnelType: "geneve"', f'tunnelType: "{c.tunnel}"', 1)
    if c.multicast:
        text = _set_multicast(text)
    if c.gates.get("SecondaryNetwork") and c.secondary:
        sec = c.secondary
        text = text.rstrip("\n") + (
            "\n\nsecondaryNetwork:\n  # Configuration of OVS bridges for secondary network.\n  ovsBridges:\n"
            f"    - bridgeName: {sec['bridgeName']}\n      physicalInterfaces:\n"
            + "".join(f"      - {p}\n" for p in sec["physicalInterfaces"])
        )
    return text if text.endswith("\n") else text + "\n"


def _set_multicast(text: str) -> str:
    lines = text.split("\n")
    for i, ln in enumerate(lines):
        if ln == "multicast:":
            for j in range(i + 1, min(i + 10, len(lines))):
                if lines[j] == "  enable: false":
                    lines[j] = "  enable: true"
                    return "\n".join(lines)
    return text


def load_conf_texts() -> dict[str, str]:
    """Chart renderings of antrea-agent.conf / antrea-controller.conf, stored next to this script."""
    out = {}
    for p in sorted((HERE / "_conf").glob("*.conf")):
        out[p.stem] = p.read_text()
    return out


CONF_TEXT: dict[str, str] = {}


def k8s_meta(name: str, namespace: str | None, created: datetime, rng: random.Random, **extra: object) -> dict:
    meta: dict = {
        "name": name,
        "uid": uuid4(rng),
        "resourceVersion": str(rng.randrange(1000, 900000)),
        "creationTimestamp": f"{created:%Y-%m-%dT%H:%M:%SZ}",
    }
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def node_object(c: Cluster, n: Node, rng: random.Random) -> dict:
    created = c.collected - timedelta(days=3, hours=rng.randrange(1, 20))
    labels = {
        "beta.kubernetes.io/arch": c.arch,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": c.arch,
        "kubernetes.io/hostname": n.name,
        "kubernetes.io/os": "linux",
    }
    if n.control_plane:
        labels["node-role.kubernetes.io/control-plane"] = "" if c.distro == "kubeadm" else "true"
        if c.distro == "rke2":
            labels["node-role.kubernetes.io/etcd"] = "true"
            labels["node-role.kubernetes.io/master"] = "true"
    spec: dict = {}
    if n.pod_cidr:
        spec["podCIDR"] = n.pod_cidr
        spec["podCIDRs"] = [n.pod_cidr]
    if c.distro == "rke2":
        spec["providerID"] = f"rke2://{n.name}"
    if n.control_plane and c.distro == "kubeadm":
        spec["taints"] = [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]
    hb = c.collected - timedelta(seconds=rng.randrange(5, 50))
    ready = {
        "type": "Ready",
        "status": "True" if n.ready else "False",
        "reason": "KubeletReady" if n.ready else "KubeletNotReady",
        "message": "kubelet is posting ready status"
        if n.ready
        else "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
        "message:Network plugin returns error: cni plugin not initialized",
        "lastHeartbeatTime": f"{hb:%Y-%m-%dT%H:%M:%SZ}",
        "lastTransitionTime": f"{created + timedelta(minutes=2):%Y-%m-%dT%H:%M:%SZ}",
    }
    conds = [
        {
            "type": "MemoryPressure",
            "status": "False",
            "reason": "KubeletHasSufficientMemory",
            "message": "kubelet has sufficient memory available",
            "lastHeartbeatTime": ready["lastHeartbeatTime"],
            "lastTransitionTime": f"{created:%Y-%m-%dT%H:%M:%SZ}",
        },
        {
            "type": "DiskPressure",
            "status": "False",
            "reason": "KubeletHasNoDiskPressure",
            "message": "kubelet has no disk pressure",
            "lastHeartbeatTime": ready["lastHeartbeatTime"],
            "lastTransitionTime": f"{created:%Y-%m-%dT%H:%M:%SZ}",
        },
        {
            "type": "PIDPressure",
            "status": "False",
            "reason": "KubeletHasSufficientPID",
            "message": "kubelet has sufficient PID available",
            "lastHeartbeatTime": ready["lastHeartbeatTime"],
            "lastTransitionTime": f"{created:%Y-%m-%dT%H:%M:%SZ}",
        },
        ready,
    ]
    kubelet = "v1.29.6+rke2r1" if c.distro == "rke2" else "v1.31.4"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": k8s_meta(n.name, None, created, rng, labels=labels),
        "spec": spec,
        "status": {
            "addresses": [{"address": n.ip, "type": "InternalIP"}, {"address": n.name, "type": "Hostname"}],
            "conditions": conds,
            "nodeInfo": {
                "architecture": c.arch,
                "containerRuntimeVersion": "containerd://1.7.17-k3s1" if c.distro == "rke2" else "containerd://1.7.24",
                "kernelVersion": "6.8.0-36-generic",
                "kubeProxyVersion": kubelet,
                "kubeletVersion": kubelet,
                "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04 LTS" if c.distro == "rke2" else "Ubuntu 22.04.5 LTS",
            },
        },
    }


def pod_name(c: Cluster, prefix: str, node: str) -> str:
    return prefix + hexid(seeded(c.name, prefix, node), 5)


def agent_pod_state(c: Cluster, n: Node, failing: bool, restarts: int) -> dict:
    st: dict = {
        "name": "antrea-agent",
        "ready": not failing,
        "restartCount": restarts,
        "image": f"antrea/antrea-agent-ubuntu:{'latest' if 'dev' in c.version.full else c.version.full}",
    }
    if failing:
        st["state"] = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": "back-off 2m40s restarting failed container=antrea-agent",
            }
        }
        st["lastState"] = {"terminated": {"exitCode": 255, "reason": "Error"}}
    else:
        st["state"] = {"running": {"startedAt": f"{c.collected - timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}"}}
    return st


def clusterinfo_text(c: Cluster, failing: dict[str, int]) -> str:
    """The top-level `clusterinfo` (antctl getClusterInfo): `#section` then `---`-terminated YAML docs.

    failing: Node name -> restart count of its crash-looping agent.
    """
    rng = seeded(c.name, "clusterinfo")
    sections = []

    def section(name: str, objs: list[dict]) -> None:
        sections.append(f"#{name}\n" + "".join(to_yaml(o) + "---\n" for o in objs))

    section("nodes", [node_object(c, n, rng) for n in c.nodes])
    pods = []
    created = c.collected - timedelta(days=3)
    for n in c.nodes:
        fail = n.name in failing
        pods.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": k8s_meta(
                    pod_name(c, "antrea-agent-", n.name),
                    "kube-system",
                    created,
                    rng,
                    labels={"app": "antrea", "component": "antrea-agent"},
                ),
                "spec": {"nodeName": n.name, "hostNetwork": True, "serviceAccountName": "antrea-agent"},
                "status": {
                    "phase": "Running",
                    "hostIP": n.ip,
                    "podIP": n.ip,
                    "containerStatuses": [agent_pod_state(c, n, fail, failing.get(n.name, 0))],
                },
            }
        )
    cp = c.node(c.controller_node)
    pods.append(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": k8s_meta(
                pod_name(c, "antrea-controller-7bd8d6bc7d-", cp.name),
                "kube-system",
                created,
                rng,
                labels={"app": "antrea", "component": "antrea-controller"},
            ),
            "spec": {"nodeName": cp.name, "hostNetwork": True, "serviceAccountName": "antrea-controller"},
            "status": {"phase": "Running", "hostIP": cp.ip, "podIP": cp.ip},
        }
    )
    section("pods", pods)
    section(
        "deployments",
        [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": k8s_meta("antrea-controller", "kube-system", created, rng),
                "spec": {"replicas": 1},
                "status": {"availableReplicas": 1, "readyReplicas": 1, "replicas": 1},
            }
        ],
    )
    section(
        "replicas",
        [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": k8s_meta("antrea-controller-7bd8d6bc7d", "kube-system", created, rng),
                "spec": {"replicas": 1},
                "status": {"availableReplicas": 1, "readyReplicas": 1, "replicas": 1},
            }
        ],
    )
    ready = len(c.nodes) - len(failing)
    section(
        "daemonsets",
        [
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": k8s_meta("antrea-agent", "kube-system", created, rng),
                "status": {
                    "currentNumberScheduled": len(c.nodes),
                    "desiredNumberScheduled": len(c.nodes),
                    "numberAvailable": ready,
                    "numberReady": ready,
                    "numberUnavailable": len(c.nodes) - ready,
                    "updatedNumberScheduled": len(c.nodes),
                },
            }
        ],
    )
    ca = (
        "-----BEGIN CERTIFICATE-----\nMIIDKzCCAhOgAwIBAgIIK2v1vKx0N1gwDQYJKoZIhvcNAQELBQAwLTErMCkGA1UE\n"
        "AwwiYW50cmVhLWNhQDE3MTk2MDAwMDAgKHNhbXBsZSBidW5kbGUpMB4XDTI0MDYy\n-----END CERTIFICATE-----\n"
    )
    section(
        "configs",
        [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": k8s_meta(
                    "antrea-config",
                    "kube-system",
                    created,
                    rng,
                    labels={"app": "antrea", "app.kubernetes.io/managed-by": "Helm"},
                    annotations={
                        "meta.helm.sh/release-name": "antrea",
                        "meta.helm.sh/release-namespace": "kube-system",
                    },
                ),
                "data": {
                    "antrea-agent.conf": agent_conf(c),
                    "antrea-cni.conflist": CNI_CONFLIST,
                    "antrea-controller.conf": CONF_TEXT[f"ctrl{'220' if c.version.tag == '220' else '210'}"],
                },
            },
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": k8s_meta("antrea-ca", "kube-system", created, rng, labels={"app": "antrea"}),
                "data": {"ca.crt": ca},
            },
        ],
    )
    return "".join(sections)


CNI_CONFLIST = """{
    "cniVersion":"0.3.0",
    "name": "antrea",
    "plugins": [
        {
            "type": "antrea",
            "ipam": {
                "type": "host-local"
            }
        }
        ,
        {
            "type": "portmap",
            "capabilities": {"portMappings": true}
        }
        ,
        {
            "type": "bandwidth",
            "capabilities": {"bandwidth": true}
        }
    ]
}
"""


# ---------------------------------------------------------------------------------------------
# YAML objects of the agent/controller APIs (Go YAML: lower-cased field names)
# ---------------------------------------------------------------------------------------------


def agentinfo_text(c: Cluster, n: Node, *, pods: int, when: datetime, source: str = "live") -> str:
    """AntreaAgentInfo as gopkg.in/yaml.v2 encodes the Go struct (lower-cased field names).

    source: "live" (the agent's in-memory object, full bundle), "stale" (the CRD fetched by antctl's
    fallback: last written by the agent when it still worked, heartbeat `when`), "empty" (the CRD
    the controller creates for every Node, never updated by an agent that never started).
    """
    if source == "empty":
        return to_yaml(
            crd_envelope(c, n, when - timedelta(minutes=22))
            | {
                "version": "",
                "podref": _ref(),
                "noderef": _ref(),
                "nodesubnets": [],
                "ovsinfo": {"version": "", "bridgename": "", "flowtable": {}},
                "networkpolicycontrollerinfo": {"networkpolicynum": 0, "addressgroupnum": 0, "appliedtogroupnum": 0},
                "localpodnum": 0,
                "agentconditions": [],
                "apiport": 0,
                "apicabundle": [],
                "nodeportlocalportrange": "",
            },
            sort=False,
        )
    healthy = True
    ref_empty = {
        "kind": "",
        "namespace": "",
        "name": "",
        "uid": "",
        "apiversion": "",
        "resourceversion": "",
        "fieldpath": "",
    }
    podref = dict(ref_empty, namespace="kube-system", name=pod_name(c, "antrea-agent-", n.name))
    noderef = dict(ref_empty, name=n.name)
    status = "True" if healthy else "False"  # a stale CRD keeps the last (healthy) state
    hb = f"{when - timedelta(seconds=17 if source == 'live' else 0):%Y-%m-%dT%H:%M:%SZ}"
    conds = [
        {
            "type": t,
            "status": status if t in ("AgentHealthy", "ControllerConnectionUp") else "True",
            "lastheartbeattime": hb,
            "reason": "",
            "message": "",
        }
        for t in ("AgentHealthy", "ControllerConnectionUp", "OVSDBConnectionUp", "OpenflowConnectionUp")
    ]
    obj = {
        "typemeta": {"kind": "", "apiversion": ""},
        "objectmeta": {
            "name": n.name,
            "generatename": "",
            "namespace": "",
            "selflink": "",
            "uid": "",
            "resourceversion": "",
            "generation": 0,
        },
    }
    if source == "stale":
        obj = crd_envelope(c, n, when - timedelta(days=2))
    obj |= {
        "version": c.version.full,
        "podref": podref,
        "noderef": noderef,
        "nodesubnets": [n.pod_cidr] if n.pod_cidr else [],
        "ovsinfo": {
            "version": c.version.ovs,
            "bridgename": "br-int",
            "flowtable": dict(sorted((name, 3 + (idx * 7) % 11) for name, idx in FLOW_TABLES)),
        },
        "networkpolicycontrollerinfo": {"networkpolicynum": 3, "addressgroupnum": 4, "appliedtogroupnum": 3},
        "localpodnum": pods,
        "agentconditions": conds,
        "apiport": 10350,
        "nodeportlocalportrange": "",
    }
    return to_yaml(obj, sort=False)


def _ref(**kw: str) -> dict:
    return {
        "kind": "",
        "namespace": "",
        "name": "",
        "uid": "",
        "apiversion": "",
        "resourceversion": "",
        "fieldpath": "",
    } | kw


def crd_envelope(c: Cluster, n: Node, created: datetime) -> dict:
    """typemeta/objectmeta of an AntreaAgentInfo read from the K8s API (Go struct, yaml.v2)."""
    rng = seeded(c.name, n.name, "agentinfo-crd")
    return {
        "typemeta": {"kind": "AntreaAgentInfo", "apiversion": "crd.antrea.io/v1beta1"},
        "objectmeta": {
            "name": n.name,
            "generatename": "",
            "namespace": "",
            "selflink": "",
            "uid": uuid4(rng),
            "resourceversion": str(rng.randrange(10000, 900000)),
            "generation": 1,
            "creationtimestamp": f"{created:%Y-%m-%dT%H:%M:%SZ}",
            "deletiontimestamp": None,
            "deletiongraceperiodseconds": None,
            "labels": {},
            "annotations": {},
            "ownerreferences": [],
            "finalizers": [],
            "managedfields": [],
        },
    }


def np_yaml(c: Cluster) -> tuple[str, str, str]:
    """networkpolicies, appliedtogroups, addressgroups as the agent's querier dumps them."""
    rng = seeded(c.name, "np")
    atg = [uuid4(rng) for _ in range(3)]
    ag = [uuid4(rng) for _ in range(4)]
    nps = []
    for i, (ns, name) in enumerate([("default", "allow-frontend"), ("shop", "deny-all"), ("shop", "allow-checkout")]):
        rules = (
            []
            if name == "deny-all"
            else [
                {
                    "direction": "In",
                    "from": {"groups": [ag[i]], "ipblocks": []},
                    "to": {"groups": [], "ipblocks": []},
                    "services": [{"protocol": "TCP", "port": 8080 + i, "endport": None}],
                    "priority": 0,
                    "action": None,
                    "enablelogging": False,
                    "appliedtogroups": [],
                    "l7protocols": [],
                    "logLabel": "",
                }
            ]
        )
        nps.append(
            {
                "typemeta": {"kind": "", "apiversion": ""},
                "objectmeta": {"name": uuid4(rng), "uid": "", "generation": 1},
                "rules": rules,
                "appliedtogroups": [atg[i]],
                "priority": None,
                "tierpriority": None,
                "sourceref": {"type": "K8sNetworkPolicy", "namespace": ns, "name": name, "uid": uuid4(rng)},
            }
        )
    atgs = [
        {
            "typemeta": {"kind": "", "apiversion": ""},
            "objectmeta": {"name": g, "uid": "", "generation": 0},
            "span": {"nodenames": [n.name for n in c.nodes]},
            "groupmembers": [
                {
                    "pod": {"name": f"web-frontend-5d9c7b6f4-{hexid(rng, 5)}", "namespace": "default"},
                    "ips": [],
                    "ports": [],
                }
            ],
        }
        for g in atg
    ]
    ags = [
        {
            "typemeta": {"kind": "", "apiversion": ""},
            "objectmeta": {"name": g, "uid": "", "generation": 0},
            "groupmembers": [
                {
                    "pod": {"name": f"cart-6b8d4f5c7-{hexid(rng, 5)}", "namespace": "shop"},
                    "ips": [f"10.{rng.randrange(40, 250)}.{rng.randrange(0, 3)}.{rng.randrange(2, 250)}"],
                    "ports": [],
                }
            ],
        }
        for g in ag
    ]
    return to_yaml(nps, sort=False), to_yaml(atgs, sort=False), to_yaml(ags, sort=False)


def memberlist_text(c: Cluster, alive: list[Node]) -> str:
    """`antctl -oyaml get memberlist` (memberlist runs because Egress is on by default in v2.x)."""
    items = [{"ip": n.ip, "nodeName": n.name, "status": "Alive" if n in alive else "Dead"} for n in c.nodes]
    return to_yaml(items)


def controllerinfo_text(c: Cluster) -> str:
    cp = c.node(c.controller_node)
    return to_yaml(
        {
            "apiVersion": "crd.antrea.io/v1beta1",
            "kind": "AntreaControllerInfo",
            "metadata": {"name": "antrea-controller"},
            "version": c.version.full,
            "podRef": {
                "kind": "Pod",
                "name": pod_name(c, "antrea-controller-7bd8d6bc7d-", cp.name),
                "namespace": "kube-system",
            },
            "nodeRef": {"kind": "Node", "name": cp.name},
            "serviceRef": {"kind": "Service", "name": "antrea"},
            "networkPolicyControllerInfo": {"networkPolicyNum": 3, "addressGroupNum": 4, "appliedToGroupNum": 3},
            "connectedAgentNum": len(c.nodes),
            "controllerConditions": [
                {
                    "type": "ControllerHealthy",
                    "status": "True",
                    "lastHeartbeatTime": f"{c.collected - timedelta(seconds=41):%Y-%m-%dT%H:%M:%SZ}",
                }
            ],
            "apiPort": 10349,
        }
    )


def controller_log(c: Cluster, start: datetime, until: datetime, log_mb: float | None) -> AgentLog:
    cp = c.node(c.controller_node)
    log = AgentLog(cp.name, c.version, start, seeded(c.name, "controller"), arch=c.arch, program="antrea-controller")
    if log_mb:
        log.rotate_bytes = max(256 * 1024, int(log_mb * MB * CONTROLLER_SHARE / 3))
    log.info("log_max", f"Set log file max size to {100 * MB}", lo=0.5, hi=1.5)
    if c.version.controller_start_structured:
        log.infos("ctrl_start", "Starting Antrea Controller", "version", c.version.full)
    else:
        log.info("ctrl_start", f"Starting Antrea Controller (version {c.version.full})")
    log.info("kubeconfig", "No kubeconfig file was specified. Falling back to in-cluster config")
    log.info("selfsignedcert_provider.go:148", "Starting selfSignedCertProvider", lo=200, hi=500)
    log.infos("selfsignedcert_provider.go:260", "Generating self-signed cert", lo=1, hi=10)
    log.info("cacert_controller.go:319", "Starting CACertController", lo=50, hi=200)
    for name in (
        "NetworkPolicyController",
        "GroupEntityController",
        "EgressController",
        "ExternalIPPoolController",
        "TraceflowController",
        "LabelIdentityController",
    ):
        log.info("informer_wait", f"Waiting for caches to sync for {name}", lo=0.1, hi=2)
    for name in (
        "NetworkPolicyController",
        "GroupEntityController",
        "EgressController",
        "ExternalIPPoolController",
        "TraceflowController",
        "LabelIdentityController",
    ):
        log.info("informer_synced", f"Caches are synced for {name}", lo=5, hi=100)
    log.infos(
        "cacert_controller.go:282",
        "Syncing CA certificate with ConfigMap",
        "name",
        "kube-system/antrea-ca",
        lo=10,
        hi=60,
    )
    for ns, name in [("default", "allow-frontend"), ("shop", "deny-all"), ("shop", "allow-checkout")]:
        log.info("networkpolicy_controller.go:824", f"Processing K8s NetworkPolicy {ns}/{name} ADD event", lo=1, hi=30)
    n = lines_for(log_mb, 60, share=CONTROLLER_SHARE, line_bytes=120)
    if until > log.t:
        groups = [
            [
                (
                    0,
                    "I",
                    f" {1:>7} networkpolicy_controller.go:833] Processing K8s NetworkPolicy {ns}/{name} UPDATE event\n",
                )
            ]
            for ns, name in [("default", "allow-frontend"), ("shop", "deny-all"), ("shop", "allow-checkout")]
        ]
        log.lines.append(klog_bulk(groups, log.t, until, n, f"{c.name}/controller/bulk"))
        log.t = until
    return log


CONTROLLER_SHARE = 0.2  # with --log-mb M, the controller logs about 0.2 M MB


# ---------------------------------------------------------------------------------------------
# Archives
# ---------------------------------------------------------------------------------------------


GZIP_LEVEL = 6  # 1 for the big --log-mb corpora (speed)


def gzip_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buf, mode="wb", mtime=0, compresslevel=GZIP_LEVEL) as gz:
        gz.write(data)
    return buf.getvalue()


def gzip_file(path: Path) -> Path:
    """Compress `path` to `path.gz` (mtime 0, no name in the header) and remove it."""
    out = path.with_name(path.name + ".gz")
    with (
        open(path, "rb") as src,
        open(out, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=GZIP_LEVEL) as gz,
    ):
        shutil.copyfileobj(src, gz, 1 << 20)
    path.unlink()
    return out


Member = tuple[str, "bytes | Path"]


def write_tar_gz(path: Path, members: list[Member]) -> None:
    """gzip'd tar of regular files only (no directory entries), fixed owner and mtime, streamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=GZIP_LEVEL) as gz,
        tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tar,
    ):
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.mtime = TAR_MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if isinstance(data, Path):
                info.size = data.stat().st_size
                with open(data, "rb") as f:
                    tar.addfile(info, f)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


@dataclass
class Fallback:
    """A failed Node: the latest run (its container log), when OVS started, when its agent last worked."""

    node: Node
    run: AgentLog
    ovs_start: datetime
    last_healthy: datetime | None = None  # None: the agent never ran (AntreaAgentInfo left empty)


@dataclass
class AgentBundle:
    """Content of one full `agent_<node>.tar.gz`."""

    node: Node
    runs: list[AgentLog]
    ovs: OvsLog
    ovs_rotate: int | None
    ovsdb_log: str
    nic_bridged: bool = False
    pods: int = 4


def agent_tarball(c: Cluster, b: AgentBundle, alive: list[Node], path: Path, stage: Path) -> None:
    """Write `agent_<node>.tar.gz` in the order the agent's dumpers produce files."""
    n = b.node
    rng = seeded(c.name, n.name, "bundle")
    files: list[Member] = []
    for run in b.runs:
        files.extend((f"logs/agent/{name}", stage / name) for name in run.write_files(stage))
    files.extend(
        (f"logs/ovs/{name}", stage / name) for name in write_ovs_files(b.ovs, "ovs-vswitchd.log", b.ovs_rotate, stage)
    )
    files.append(("logs/ovs/ovsdb-server.log", b.ovsdb_log.encode()))
    ifaces = host_ifaces(c, n, nic_bridged=b.nic_bridged, pods=b.pods)
    files.append(("iptables", iptables_text(c, n, c.collected).encode()))
    moved = b.nic_bridged and c.secondary is not None and c.secondary["physicalInterfaces"][0] == n.nic
    files.append(("route", ip_route_text(c, n, peers=True, moved=moved).encode()))
    files.append(("link", ip_link_text(ifaces).encode()))
    files.append(("address", ip_addr_text(ifaces).encode()))
    files.append(("flows", flows_text(c, n, rng, b.pods).encode()))
    files.append(("groups", groups_text(rng).encode()))
    nps, atgs, ags = np_yaml(c)
    files.append(("addressgroups", ags.encode()))
    files.append(("networkpolicies", nps.encode()))
    files.append(("appliedtogroups", atgs.encode()))
    files.append(("agentinfo", agentinfo_text(c, n, pods=b.pods, when=c.collected).encode()))
    files.append(("memprofile", gzip_bytes(b"\x0a\x02\x08\x01" + rng.randbytes(900))))
    minutes = max(1, int((c.collected - b.runs[-1].start).total_seconds() // 60))
    files.append(("goroutinestacks", goroutinestacks_text(rng, minutes).encode()))
    files.append(("ovsports", ovsports_text(c, n, b.pods).encode()))
    files.append(("memberlist", memberlist_text(c, alive).encode()))
    write_tar_gz(path, files)


def fallback_tarball(c: Cluster, f: Fallback, path: Path) -> None:
    """antctl v2.3+ K8s-API fallback for a failed Node: agentinfo + current container logs."""
    n, last_run, ovs_start = f.node, f.run, f.ovs_start
    info = agentinfo_text(
        c, n, pods=3, when=f.last_healthy or c.collected, source="stale" if f.last_healthy else "empty"
    )
    files = [
        ("agentinfo", info.encode()),
        ("logs/agent/antrea-agent.log", last_run.container_log().encode()),
        ("logs/ovs/antrea-ovs.log", antrea_ovs_container_log(ovs_start).encode()),
        ("logs/install-cni/install-cni.log", b""),
    ]
    write_tar_gz(path, files)


def antrea_ovs_container_log(start: datetime) -> str:
    t = start
    out = [
        antrea_ovs_line(t, "Starting ovsdb-server"),
        " * Starting ovsdb-server",
        " * Configuring Open vSwitch system IDs",
        " * Enabling remote OVSDB managers",
        antrea_ovs_line(t + timedelta(seconds=1), "Started ovsdb-server"),
        antrea_ovs_line(t + timedelta(seconds=1), "Starting ovs-vswitchd"),
        " * Starting ovs-vswitchd",
        " * Enabling remote OVSDB managers",
        antrea_ovs_line(t + timedelta(seconds=2), "ovs-vswitchd set hw-offload to false"),
        antrea_ovs_line(t + timedelta(seconds=2), "Started ovs-vswitchd"),
        antrea_ovs_line(t + timedelta(seconds=2), "Started the loop that checks OVS status every 30 seconds"),
    ]
    return "\n".join(out) + "\n"


def controller_tarball(c: Cluster, log: AgentLog, path: Path, stage: Path) -> None:
    files: list[Member] = [(f"logs/controller/{name}", stage / name) for name in log.write_files(stage)]
    nps, atgs, ags = np_yaml(c)
    files += [
        ("controllerinfo", controllerinfo_text(c).encode()),
        ("networkpolicies", nps.encode()),
        ("appliedtogroups", atgs.encode()),
        ("addressgroups", ags.encode()),
        ("memprofile", gzip_bytes(b"\x0a\x02\x08\x01" + seeded(c.name, "ctrlprof").randbytes(700))),
        (
            "goroutinestacks",
            goroutinestacks_text(seeded(c.name, "ctrlstack"), 120)
            .replace("antrea-agent", "antrea-controller")
            .encode(),
        ),
    ]
    write_tar_gz(path, files)


def write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def write_antctl_dir(
    out: Path,
    c: Cluster,
    full: list[AgentBundle],
    fallback: list[Fallback],
    controller: AgentLog,
    failing: dict[str, int],
) -> Path:
    d = out / f"support-bundles_{c.collected:%Y%m%dT%H%M%SZ}"
    write(d / "clusterinfo", clusterinfo_text(c, failing))
    alive = [n for n in c.nodes if n.name not in failing]
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        controller_tarball(c, controller, d / "controller.tar.gz", Path(tmp) / "controller")
        for b in full:
            agent_tarball(c, b, alive, d / f"agent_{b.node.name}.tar.gz", Path(tmp) / b.node.name)
    for f in fallback:
        fallback_tarball(c, f, d / f"agent_{f.node.name}.tar.gz")
    if fallback:
        write(d / "failed_nodes", "".join(f"{f.node.name}\n" for f in fallback))
    return d


# ---------------------------------------------------------------------------------------------
# Building blocks shared by scenarios
# ---------------------------------------------------------------------------------------------


def ovs_for_healthy(
    c: Cluster,
    n: Node,
    start: datetime,
    until: datetime,
    log_mb: float | None,
    secondary_ports: list[tuple[str, int]] | None = None,
    secondary_at: datetime | None = None,
    pods: int = 4,
) -> tuple[OvsLog, int | None, str]:
    rng = seeded(c.name, n.name, "ovs")
    o = OvsLog(start, rng)
    ovs_vswitchd_start(o, c.version.ovs)
    o.at(start + timedelta(seconds=4))
    ovs_bridge_ports(o, "br-int", BR_INT_PORTS, seeded(c.name, n.name, "dpid"))
    if secondary_ports:
        o.at(secondary_at or o.t)
        ovs_bridge_ports(o, c.secondary["bridgeName"], secondary_ports, seeded(c.name, n.name, "dpid2"), datapath=False)
    n_lines = lines_for(log_mb, 40, share=0.2, line_bytes=100)
    ovs_normal(o, until, n_lines)
    rot = max(128 * 1024, int(log_mb * MB * 0.2 / 3)) if log_mb else None
    return o, rot, ovsdb_server_log(start, rng, c.version.ovs)


def healthy_node(
    c: Cluster,
    n: Node,
    start: datetime,
    log_mb: float | None,
    *,
    transient: bool,
    nic_move: str | None = None,
    fresh_ovs: bool = False,
    fresh_secondary: bool = False,
) -> AgentBundle:
    normal = lines_for(log_mb, 300)
    if log_mb:  # long-running agent: move the start back so the lines are a few seconds apart
        start = min(start, c.collected - timedelta(seconds=normal * 2.5))
    log = new_log(c, n, start, "run", log_mb, share=0.8)
    healthy_run(
        log,
        c,
        n,
        fresh_ovs=fresh_ovs,
        fresh_secondary=fresh_secondary,
        transient=transient,
        nic_move=nic_move,
        until=c.collected - timedelta(seconds=20),
        normal_lines=normal,
    )
    sec_ports = None
    sec_at = None
    if c.secondary and nic_move:
        nic = c.secondary["physicalInterfaces"][0]
        sec_ports = [(nic, 1), (nic + "~", 2)]
        sec_at = next(ln.t for ln in log.signal_lines() if "Physical interface added" in ln.msg)
        sec_at -= timedelta(milliseconds=80)
    ovs, rot, ovsdb = ovs_for_healthy(
        c, n, start - timedelta(seconds=6), c.collected - timedelta(seconds=20), log_mb, sec_ports, sec_at
    )
    return AgentBundle(n, [log], ovs, rot, ovsdb, nic_bridged=bool(nic_move))


def ticket_readme(path: Path, text: str) -> None:
    write(path / "README.md", text.strip() + "\n")


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------


def nodes_6448() -> tuple[Node, Node]:
    """The two Nodes of the #6448 cluster (the same before and after enabling SecondaryNetwork)."""
    node1 = Node(
        "node1", "192.168.64.27", "192.168.64.1", nic="enp0s1", pod_cidr="10.42.0.0/24", control_plane=True, dhcp=True
    )
    node2 = Node(
        "node2",
        "192.168.64.28",
        "192.168.64.1",
        nic="enp0s1",
        pod_cidr="10.42.1.0/24",
        dhcp=True,
        mac="06:7b:b6:19:fb:49",
    )  # from the issue's `ip addr`
    return node1, node2


def scenario_6448(out: Path, log_mb: float | None) -> None:
    """antrea-io/antrea#6448: SecondaryNetwork bridged node2's primary NIC before flow-restore-wait was cleared."""
    root = out / "6448-secondary-network-primary-nic"
    node1, node2 = nodes_6448()
    c = Cluster(
        "6448",
        V6E,
        "10.43.0.1",
        "rke2",
        [node1, node2],
        datetime(2024, 6, 28, 18, 58, 0, tzinfo=UTC),
        tunnel="vxlan",
        gates={"Multicast": True, "ServiceExternalIP": True, "SecondaryNetwork": True, "AntreaIPAM": True},
        secondary={"bridgeName": "br-ext", "physicalInterfaces": ["enp0s1"]},
        multicast=True,
        log_verbosity=2,
        arch="arm64",
        controller_node="node1",
    )

    # node1 (control plane): same NIC move before flow restoration, but its API server is local.
    n1 = healthy_node(
        c,
        node1,
        datetime(2024, 6, 28, 18, 50, 0, 100000, tzinfo=UTC),
        log_mb,
        transient=False,
        nic_move="before-flow-restore",
        fresh_secondary=True,
    )

    # node2 (worker): run 1 gets stuck and is killed by the liveness probe; run 2 crash-loops.
    pad_runs: list[AgentLog] = []
    if log_mb:  # a long-running earlier agent (before the SecondaryNetwork upgrade) carries the bulk
        normal = lines_for(log_mb, 0)
        pre_c = Cluster(
            "6448-pre",
            V6E,
            c.api_ip,
            c.distro,
            c.nodes,
            c.collected,
            tunnel="vxlan",
            arch="arm64",
            controller_node="node1",
        )
        pre = new_log(
            pre_c, node2, datetime(2024, 6, 28, 18, 50, 0, tzinfo=UTC) - timedelta(seconds=normal * 2.5), "pre", log_mb
        )
        pre.host = "node2"
        healthy_run(
            pre,
            pre_c,
            node2,
            fresh_ovs=True,
            transient=False,
            until=datetime(2024, 6, 28, 18, 54, 50, tzinfo=UTC),
            normal_lines=normal,
        )
        pad_runs.append(pre)
    run1 = new_log(c, node2, datetime(2024, 6, 28, 18, 55, 1, 201101, tzinfo=UTC), "run1")
    stuck_6448_run(run1, c, node2, killed_after=61)
    run2 = new_log(c, node2, datetime(2024, 6, 28, 18, 56, 47, 100100, tzinfo=UTC), "run2")
    api_timeout_crash_run(run2, c, node2, fail_at=datetime(2024, 6, 28, 18, 57, 17, 883300, tzinfo=UTC))

    controller = controller_log(c, datetime(2024, 6, 28, 18, 49, 30, tzinfo=UTC), c.collected, log_mb)
    bundles = write_antctl_dir(
        root,
        c,
        [n1],
        [
            Fallback(
                node2,
                run2,
                datetime(2024, 6, 28, 18, 54, 55, tzinfo=UTC),
                last_healthy=datetime(2024, 6, 28, 18, 54, 31, tzinfo=UTC),
            )
        ],
        controller,
        failing={"node2": 2},
    )

    # What the maintainer asked for: node2's /var/log/antrea, `ip addr`, `ip route`, ovs-vswitchd.log.
    manual = root / "node2-var-log-antrea"
    for run in pad_runs + [run1, run2]:
        run.write_files(manual)
    ifaces = host_ifaces(c, node2, nic_bridged=True, pods=0)
    write(manual / "ip-addr.txt", "root@node2:~# ip addr\n" + ip_addr_text(ifaces))
    write(manual / "ip-route.txt", "root@node2:~# ip route\n" + NODE2_ROUTE)
    restart = datetime(2024, 6, 28, 18, 54, 56, tzinfo=UTC)
    o = OvsLog(pad_runs[0].start - timedelta(seconds=6) if pad_runs else restart, seeded(c.name, "node2", "ovs"))
    if pad_runs:  # the OVS instance that ran before the upgrade, in the same (appended) log file
        ovs_vswitchd_start(o, c.version.ovs)
        o.at(pad_runs[0].start + timedelta(seconds=1.4))
        ovs_bridge_ports(o, "br-int", BR_INT_PORTS, seeded(c.name, "node2", "dpid"))
        ovs_normal(o, restart - timedelta(seconds=8), lines_for(log_mb, 0, share=0.2, line_bytes=100))
        o.at(restart)
        o.seq = 0  # vlog sequence numbers restart with the process
    ovs_vswitchd_start(o, c.version.ovs)
    o.at(run1.start + timedelta(seconds=1.4))
    ovs_bridge_ports(o, "br-int", BR_INT_PORTS, seeded(c.name, "node2", "dpid"))
    o.at(next(ln.t for ln in run1.signal_lines() if "Renaming interface" in ln.msg) + timedelta(milliseconds=30))
    ovs_bridge_ports(o, "br-ext", [("enp0s1", 1), ("enp0s1~", 2)], seeded(c.name, "node2", "dpid2"), datapath=False)
    # flow-restore-wait is still true: ovs-vswitchd never connects to the br-int controller,
    # the agent's OpenFlow client keeps the connection but nothing new is forwarded.
    o.at(datetime(2024, 6, 28, 18, 55, 11, tzinfo=UTC))
    o.add("memory", "INFO", "peak resident set size grew 53% in last 10.0 seconds, from 7936 kB to 12160 kB")
    o.add("memory", "INFO", "handlers:4 idl-cells-Open_vSwitch:356 ports:5 revalidators:2 rules:9")
    write_ovs_files(o, "ovs-vswitchd.log", max(128 * 1024, int(log_mb * MB * 0.2 / 3)) if log_mb else None, manual)
    ticket_readme(root, README_6448.format(bundles=bundles.name, run1=run1.first_file(), run2=run2.first_file()))


# `ip route` on node2 as posted in antrea-io/antrea#6448 (iproute2 ends each line with a space).
NODE2_ROUTE = "".join(
    line + " \n"
    for line in [
        "default via 192.168.64.1 dev enp0s1 proto dhcp src 192.168.64.28 metric 100",
        "10.42.1.0/24 dev antrea-gw0 scope link src 10.42.1.1",
        "192.168.64.0/24 dev enp0s1 proto kernel scope link src 192.168.64.28",
        "192.168.64.0/24 dev enp0s1 proto kernel scope link src 192.168.64.28 metric 100",
        "192.168.64.1 dev enp0s1 proto dhcp scope link src 192.168.64.28 metric 100",
    ]
)

README_6448 = """
# Ticket: SecondaryNetwork breaks network connection of compute nodes (antrea-io/antrea#6448)

Reproduction of antrea-io/antrea#6448 as a user would attach it to a ticket. Antrea
`v2.1.0-dev-6e00ebf` (the `latest` image of 2024-06-14), RKE2 (API `https://10.43.0.1:443`), cluster
CIDR 10.42.0.0/16, `tunnelType: vxlan`, feature gates SecondaryNetwork, AntreaIPAM, Multicast,
ServiceExternalIP, and `secondaryNetwork.ovsBridges: [{{bridgeName: "br-ext", physicalInterfaces:
["enp0s1"]}}]`: the secondary bridge takes the Node's **primary** NIC.

- `{bundles}/`: `antctl supportbundle` output (v2.3+ antctl). `node1` (control plane,
  192.168.64.27) has a full bundle: its NIC was moved into `br-ext` before flow-restore-wait was
  cleared too, but its API server is local, so flow restoration completed and the Node works.
  `node2` (worker, 192.168.64.28) is in `failed_nodes`; `agent_node2.tar.gz` is the K8s-API
  fallback (agentinfo + current container logs): the latest run fails with
  `Spec.PodCIDR is empty for Node` whose `err=` is an API dial timeout, then the fatal.
- `node2-var-log-antrea/`: what the maintainer asked for, copied by hand from node2: the klog
  files of `/var/log/antrea` (run 1 `{run1}`: init OK, `br-ext` created, `enp0s1` renamed
  `enp0s1~` and attached, `Waiting for flow restoration to complete`, then only API timeouts, no
  `Cleaned up flow-restore-wait config`, killed by the liveness probe after ~60 s; run 2
  `{run2}`: the crash of the fallback log), `ip-addr.txt`, `ip-route.txt` (shapes of the real
  issue) and `ovs-vswitchd.log`.

What the tool should find: ANT-SEC-001 (SecondaryNetwork bridged the Node's NIC while OVS
flow-restore-wait was set) on node2 first; the PodCIDR / API-server symptoms explained by it.
"""


def scenario_6448_before(out: Path, log_mb: float | None) -> None:
    """The #6448 cluster two hours earlier, before SecondaryNetwork was enabled: `diff` it with the
    6448 sample to see what the change did."""
    root = out / "before-6448-secondary-network"
    node1, node2 = nodes_6448()
    # The same cluster name as the 6448 scenario: MACs, Pod names and ports come from the same seeds.
    c = Cluster(
        "6448",
        V6E,
        "10.43.0.1",
        "rke2",
        [node1, node2],
        datetime(2024, 6, 28, 16, 40, 0, tzinfo=UTC),
        tunnel="vxlan",
        gates={"Multicast": True, "ServiceExternalIP": True, "AntreaIPAM": True},
        multicast=True,
        log_verbosity=2,
        arch="arm64",
        controller_node="node1",
    )
    start = datetime(2024, 6, 28, 14, 31, 7, 220310, tzinfo=UTC)
    full = [
        healthy_node(c, n, start + timedelta(seconds=5 * i), log_mb, transient=False)
        for i, n in enumerate((node1, node2))
    ]
    controller = controller_log(c, start - timedelta(seconds=6), c.collected, log_mb)
    d = write_antctl_dir(root, c, full, [], controller, failing={})
    ticket_readme(
        root,
        f"""
# The #6448 cluster before SecondaryNetwork was enabled (pair for `antrea-diagnose diff`)

`{d.name}/`: `antctl supportbundle` of the cluster of
[`6448-secondary-network-primary-nic/`](../6448-secondary-network-primary-nic/README.md), two hours
earlier: Antrea `v2.1.0-dev-6e00ebf`, RKE2, `tunnelType: vxlan`, feature gates AntreaIPAM, Multicast,
ServiceExternalIP, no SecondaryNetwork and no `secondaryNetwork.ovsBridges`. Both Nodes are healthy:
`enp0s1` carries the Node IP, flows are restored, no Node is in `failed_nodes`.

```sh
antrea-diagnose diff sample_bundles/before-6448-secondary-network/{d.name} \\
    sample_bundles/6448-secondary-network-primary-nic/
```

What `diff` should name: ANT-SEC-001 (and the symptoms it explains) appeared on node2; node2 is now in
`failed_nodes` with a fallback bundle; the SecondaryNetwork feature gate and
`secondaryNetwork.ovsBridges` were added to the agent config; on node1 `enp0s1` became the OVS
internal port holding the Node IP and the NIC is now `enp0s1~` in `ovs-system`; node2 (from the
`ip addr` and `ip route` the user pasted) lost its Pods' interfaces and its route to node1's
PodCIDR, and its OVS ports were not collected the second time (a fallback bundle).
""",
    )


def scenario_healthy(out: Path, log_mb: float | None) -> None:
    root = out / "healthy"
    nodes = [
        Node("cp-1", "10.0.0.10", "10.0.0.1", pod_cidr="10.244.0.0/24", control_plane=True),
        Node("worker-1", "10.0.0.11", "10.0.0.1", pod_cidr="10.244.1.0/24"),
        Node("worker-2", "10.0.0.12", "10.0.0.1", pod_cidr="10.244.2.0/24"),
    ]
    c = Cluster(
        "healthy",
        V220,
        "10.96.0.1",
        "kubeadm",
        nodes,
        datetime(2025, 3, 10, 10, 15, 0, tzinfo=UTC),
        controller_node="cp-1",
    )
    start = datetime(2025, 3, 10, 8, 2, 11, 402113, tzinfo=UTC)
    full = [
        healthy_node(c, n, start + timedelta(seconds=3 * i), log_mb, transient=(n.name != "worker-1"))
        for i, n in enumerate(nodes)
    ]
    controller = controller_log(c, start - timedelta(seconds=4), c.collected, log_mb)
    d = write_antctl_dir(root, c, full, [], controller, failing={})
    ticket_readme(
        root,
        f"""
# Healthy cluster (Antrea v2.2.0)

`{d.name}/`: `antctl supportbundle` of a kubeadm cluster (API `https://10.96.0.1:443`), Antrea
v2.2.0 with default settings (geneve, no SecondaryNetwork), Nodes `cp-1`, `worker-1`, `worker-2`,
every Node with an allocated PodCIDR (10.244.x.0/24). All agents start, restore their flows and
work for two hours (CNI ADD/DEL, NetworkPolicy updates, route reconciliations).

Only transient, recovered errors on cp-1 and worker-2: the first Node list timed out
(`failed to list *v1.Node ... i/o timeout`, later `Caches are synced`), the controller was not ready
yet (`Failed to start watch for NetworkPolicy: Antrea client is not ready`, later `Started watch`),
and `flow-restore-wait was not true before the delete call was made, will retry` (then cleaned up).

What the tool should find: nothing at warning or above.
""",
    )


def scenario_dedicated_nic(out: Path, log_mb: float | None) -> None:
    root = out / "secondary-network-dedicated-nic"
    nodes = [
        Node("cp-1", "10.10.0.10", "10.10.0.1", pod_cidr="10.244.0.0/24", control_plane=True, extra_nic="eth1"),
        Node("worker-1", "10.10.0.11", "10.10.0.1", pod_cidr="10.244.1.0/24", extra_nic="eth1"),
    ]
    c = Cluster(
        "dedicated",
        V210,
        "10.96.0.1",
        "kubeadm",
        nodes,
        datetime(2024, 8, 1, 9, 30, 0, tzinfo=UTC),
        gates={"SecondaryNetwork": True, "AntreaIPAM": True},
        secondary={"bridgeName": "br-ext", "physicalInterfaces": ["eth1"]},
        controller_node="cp-1",
    )
    start = datetime(2024, 8, 1, 9, 0, 3, 118004, tzinfo=UTC)
    full = [
        healthy_node(c, n, start + timedelta(seconds=2 * i), log_mb, transient=(i == 1), nic_move="after-flow-restore")
        for i, n in enumerate(nodes)
    ]
    controller = controller_log(c, start - timedelta(seconds=5), c.collected, log_mb)
    d = write_antctl_dir(root, c, full, [], controller, failing={})
    ticket_readme(
        root,
        f"""
# Near miss: SecondaryNetwork on a dedicated NIC (Antrea v2.1.0)

`{d.name}/`: `antctl supportbundle` of a 2-Node kubeadm cluster on the v2.1.0 release with
SecondaryNetwork (+ AntreaIPAM) and `secondaryNetwork.ovsBridges: [{{bridgeName: "br-ext",
physicalInterfaces: ["eth1"]}}]`. The Node IP is on `eth0`; `eth1` carries no IP. As in every
release since antrea-io/antrea#6504, the agent renames `eth1` to `eth1~` and attaches it to `br-ext`
**after** `Cleaned up flow-restore-wait config` / `Flow restoration has completed`. Both Nodes are
healthy (one recovered transient error set on worker-1).

What the tool should find: no SecondaryNetwork finding (ANT-SEC-001 must stay quiet), nothing at
warning or above.
""",
    )


def scenario_podcidr(out: Path, log_mb: float | None) -> None:
    root = out / "podcidr-not-allocated"
    nodes = [
        Node("k8s-master", "172.16.0.10", "172.16.0.1", control_plane=True, ready=False),
        Node("k8s-node1", "172.16.0.11", "172.16.0.1", ready=False),
        Node("k8s-node2", "172.16.0.12", "172.16.0.1", ready=False),
    ]
    c = Cluster(
        "podcidr",
        V220,
        "10.96.0.1",
        "kubeadm",
        nodes,
        datetime(2025, 2, 3, 14, 20, 0, tzinfo=UTC),
        controller_node="k8s-master",
    )
    fallback = []
    for i, n in enumerate(nodes):
        run = new_log(c, n, datetime(2025, 2, 3, 14, 17, 31, 204331, tzinfo=UTC) + timedelta(seconds=7 * i), "run")
        podcidr_missing_run(run, c, n)
        fallback.append(Fallback(n, run, datetime(2025, 2, 3, 13, 58, 2, tzinfo=UTC) + timedelta(seconds=i)))
    controller = controller_log(c, datetime(2025, 2, 3, 13, 58, 40, tzinfo=UTC), c.collected, log_mb)
    d = write_antctl_dir(root, c, [], fallback, controller, failing={n.name: 6 for n in nodes})
    ticket_readme(
        root,
        f"""
# PodCIDRs not allocated (Antrea v2.2.0)

`{d.name}/`: `antctl supportbundle` of a kubeadm cluster whose kube-controller-manager runs
without `--allocate-node-cidrs` (and Antrea's NodeIPAM is off): no Node in `clusterinfo` has
`spec.podCIDR`. Every agent crash-loops: `Waiting for Node PodCIDR configuration to complete`
every 5 s for 30 s, then `Spec.PodCIDR is empty for Node ...` with `err="context deadline
exceeded"` and the fatal. All three Nodes are in `failed_nodes` with K8s-API fallback bundles
(container logs); the controller bundle is fine.

What the tool should find: podcidr-not-allocated on every Node.
""",
    )


def scenario_apiserver(out: Path, log_mb: float | None) -> None:
    root = out / "apiserver-timeout-looks-like-podcidr"
    nodes = [
        Node("cp-1", "10.20.0.10", "10.20.0.1", pod_cidr="10.244.0.0/24", control_plane=True),
        Node("worker-1", "10.20.0.11", "10.20.0.1", pod_cidr="10.244.1.0/24"),
        Node("worker-2", "10.20.0.12", "10.20.0.1", pod_cidr="10.244.2.0/24", ready=False),
    ]
    c = Cluster(
        "apiserver",
        V210,
        "10.96.0.1",
        "kubeadm",
        nodes,
        datetime(2024, 9, 12, 7, 45, 0, tzinfo=UTC),
        controller_node="cp-1",
    )
    start = datetime(2024, 9, 12, 6, 10, 14, 330201, tzinfo=UTC)
    full = [
        healthy_node(c, n, start + timedelta(seconds=4 * i), log_mb, transient=False) for i, n in enumerate(nodes[:2])
    ]
    w2 = nodes[2]
    run = new_log(c, w2, datetime(2024, 9, 12, 7, 42, 5, 511870, tzinfo=UTC), "run")
    api_timeout_crash_run(run, c, w2)
    controller = controller_log(c, start - timedelta(seconds=5), c.collected, log_mb)
    d = write_antctl_dir(
        root,
        c,
        full,
        [
            Fallback(
                w2,
                run,
                datetime(2024, 9, 12, 6, 10, 3, tzinfo=UTC),
                last_healthy=datetime(2024, 9, 11, 16, 2, 40, tzinfo=UTC),
            )
        ],
        controller,
        failing={"worker-2": 14},
    )
    ticket_readme(
        root,
        f"""
# API server unreachable, reported as "Spec.PodCIDR is empty" (Antrea v2.1.0)

`{d.name}/`: `antctl supportbundle` of a 3-Node kubeadm cluster, every Node with an allocated
PodCIDR. worker-2 cannot reach the `kubernetes` Service `10.96.0.1:443`: each agent run ends with
`Spec.PodCIDR is empty for Node. Please make sure ...` whose `err="failed to get Node with name
worker-2 from K8s: Get \\"https://10.96.0.1:443/api/v1/nodes/worker-2\\": dial tcp 10.96.0.1:443:
i/o timeout"` (≤v2.4 reports a dial timeout through the PodCIDR path), then the fatal.
worker-2 is in `failed_nodes` with a K8s-API fallback bundle; cp-1 and worker-1 are healthy.

What the tool should find: apiserver-unreachable on worker-2 (not podcidr-not-allocated: the Node
has a PodCIDR in `clusterinfo`).
""",
    )


SCENARIOS = {
    "6448-secondary-network-primary-nic": scenario_6448,
    "before-6448-secondary-network": scenario_6448_before,
    "healthy": scenario_healthy,
    "secondary-network-dedicated-nic": scenario_dedicated_nic,
    "podcidr-not-allocated": scenario_podcidr,
    "apiserver-timeout-looks-like-podcidr": scenario_apiserver,
}


def generate(out_dir: str | Path, scenarios: list[str] | None = None, log_mb: float | None = None) -> list[Path]:
    """Write the scenarios under `out_dir` (each directory is replaced); returns their paths."""
    global CONF_TEXT, GZIP_LEVEL
    CONF_TEXT = load_conf_texts()
    GZIP_LEVEL = 1 if log_mb else 6
    out = Path(out_dir)
    names = list(scenarios or SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    written = []
    for name in names:
        target = out / name
        if target.exists():
            shutil.rmtree(target)
        SCENARIOS[name](out, log_mb)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(HERE), help="output directory (default: this script's folder)")
    ap.add_argument("--scenario", action="append", choices=list(SCENARIOS), help="scenario to build (repeatable)")
    ap.add_argument(
        "--log-mb",
        type=float,
        default=None,
        help="make each agent's logs about M MB (rotated klog files, gzip'd OVS logs)",
    )
    args = ap.parse_args(argv)
    for path in generate(args.out, args.scenario, args.log_mb):
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        print(f"{path}  {size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
