"""OVS daemon logs (`ovs-vswitchd.log`, `ovsdb-server.log`, in OVS's own vlog wording at the OVS
version a release ships) and the antrea-ovs container output of `build/images/scripts/start_ovs`."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from corpusgen.facts import Release
from corpusgen.golog import render
from corpusgen.samplegen import antrea_ovs_line, hexid, seeded, vlog_line

LOG_DIR = "/var/log/openvswitch"
DB_SOCK = "unix:/var/run/openvswitch/db.sock"


@dataclass
class OvsLog:
    """Lines of one OVS daemon's log file; a restart appends a new process (sequence from 1)."""

    release: Release
    seed: str
    lines: list[str] = field(default_factory=list)
    seq: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.t = datetime(1970, 1, 1)

    def at(self, t: datetime) -> None:
        self.t = max(self.t, t)

    def emit(self, key: str, *args: object, lo: float = 0.1, hi: float = 5.0) -> None:
        site = self.release.sites.get(key)
        if site is None:
            return
        self.t += timedelta(microseconds=int(self.rng.uniform(lo, hi) * 1000))
        self.seq += 1
        self.lines.append(vlog_line(self.t, self.seq, site["module"], site["level"], render(site, args)) + "\n")

    def version_line(self, key: str, program: str) -> None:
        site = self.release.sites.get(key)
        if site is None:
            return
        full = f"{program} (Open vSwitch) {self.release.ovs}"
        self.emit(key, *([full] if site["format"] == "%s" else [program, self.release.ovs]))

    def text(self) -> str:
        return "".join(self.lines)


def vswitchd_start(o: OvsLog, start: datetime) -> None:
    """A new ovs-vswitchd process (ovs-ctl start from start_ovs)."""
    o.at(start)
    o.seq = 0
    o.emit("vlog_opened", f"{LOG_DIR}/ovs-vswitchd.log", lo=0, hi=1)
    o.emit("numa_node", 4, 0)
    o.emit("numa_total", 1, 4)
    o.emit("reconnect_connecting", DB_SOCK)
    o.emit("nsid", "enable", "Operation not permitted")
    o.emit("reconnect_connected", DB_SOCK)
    o.emit("dpdk_disabled")
    o.version_line("vswitchd_version", "ovs-vswitchd")


def bridge_ports(
    o: OvsLog, bridge: str, ports: list[tuple[str, int]], dpid_seed: str, at: datetime, datapath: bool = True
) -> None:
    """The bridge's ports come up (created by the agent, or found in OVSDB after a restart)."""
    o.at(at)
    if datapath:
        o.emit("dp_recirc", "system@ovs-system", hi=40)
    for name, port in ports:
        o.emit("added_iface", bridge, name, port, lo=2, hi=60)
    o.emit("dpid", bridge, int(hexid(seeded(dpid_seed), 12), 16))
    o.emit("service_ctrl", bridge, "service", f"punix:/var/run/openvswitch/{bridge}.mgmt")


def flow_mods(o: OvsLog, count: int, at: datetime, conn: int = 1) -> None:
    """connmgr's summary of the agent's OpenFlow messages (ofconn_log_flow_mods)."""
    o.at(at)
    o.emit("flow_mods", f"br-int<->unix#{conn}", f"{count} flow_mods in the last 0 s ({count} adds)", lo=0, hi=2)


def memory(o: OvsLog, after: float) -> None:
    o.emit("memory_peak", 7808 + o.rng.randrange(0, 4000), after, lo=0, hi=1)


def steady(o: OvsLog, until: datetime, pods: list[str], first_port: int = 1, n: int = 12) -> None:
    """Pod ports coming and going and periodic flow_mods, up to `until`."""
    if until <= o.t:
        return
    gap = (until - o.t).total_seconds() / (n + 1)
    port = first_port
    for i in range(n):
        o.at(o.t + timedelta(seconds=gap * o.rng.uniform(0.3, 1.0)))
        if i % 3 == 2:
            adds = o.rng.randrange(3, 40)
            o.emit(
                "flow_mods",
                f"br-int<->unix#{o.rng.randrange(1, 5)}",
                f"{adds} flow_mods in the last {o.rng.randrange(1, 59)} s ({adds} adds)",
                lo=0,
                hi=1,
            )
        else:
            o.emit("added_iface", "br-int", pods[i % len(pods)], port, lo=0, hi=1)
            port += 1


def ovsdb_server_log(release: Release, start: datetime, seed: str) -> str:
    o = OvsLog(release, seed)
    o.at(start - timedelta(seconds=2))
    o.emit("vlog_opened", f"{LOG_DIR}/ovsdb-server.log", lo=0, hi=1)
    o.version_line("ovsdb_version", "ovsdb-server")
    o.at(start + timedelta(seconds=10))
    memory(o, 10.0)
    return o.text()


def antrea_ovs_container(release: Release, starts: list[datetime], stop_at: datetime | None = None) -> str:
    """What `kubectl logs -c antrea-ovs` shows: start_ovs's own lines (one block per OVS start) and the
    ovs-ctl output between them."""
    s = release.sites

    def line(key: str, t: datetime, *args: object) -> str:
        site = s.get(key)
        return antrea_ovs_line(t, render(site, args), site["level"]) + "\n" if site else ""

    out = []
    for i, t in enumerate(starts):
        if i:
            out.append(line("ovs_stopped_restart", t))
        out.append(line("ovs_db_starting", t))
        out.append(
            " * Starting ovsdb-server\n * Configuring Open vSwitch system IDs\n * Enabling remote OVSDB managers\n"
        )
        out.append(line("ovs_db_started", t + timedelta(seconds=1)))
        out.append(line("ovs_vs_starting", t + timedelta(seconds=1)))
        out.append(" * Inserting openvswitch module\n * Starting ovs-vswitchd\n * Enabling remote OVSDB managers\n")
        out.append(line("ovs_hw_offload", t + timedelta(seconds=2), "false"))
        out.append(line("ovs_vs_started", t + timedelta(seconds=2)))
        if i == 0:
            out.append(line("ovs_loop", t + timedelta(seconds=2)))
    if stop_at:
        out.append(line("ovs_stopping", stop_at))
    return "".join(out)
