"""Where `antctl supportbundle` puts things (antrea-io/antrea
`pkg/antctl/raw/supportbundle/command.go`, `pkg/support/dump.go`, `pkg/support/dump_windows.go`).

`locate(parts)` maps a file's path components (directories and archive names from the source
root down) to the Node it belongs to and the artifact kind, using only the antctl layout. Files
the layout does not explain are left to `classify` (loose files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from diagnose.bundle import artifacts
from diagnose.bundle import model as m
from diagnose.parse import klog

# agent_<node>.tar.gz (also an extracted agent_<node>/ directory), controller.tar.gz,
# controller_<node>.tar.gz (K8s-API fallback), bundle_<random>.tar.gz (made inside a Pod).
_AGENT_BUNDLE = re.compile(r"^agent_(?P<node>.+?)(?:\.tar\.gz|\.tgz|\.tar|\.zip)?$")
_CONTROLLER_BUNDLE = re.compile(r"^controller(?:_(?P<node>.+?))?(?:\.tar\.gz|\.tgz|\.tar|\.zip)?$")
_POD_BUNDLE = re.compile(r"^bundle_[^/]+\.tar\.gz$")
_BUNDLE_DIR = re.compile(r"^support-bundles_(?P<ts>\d{8}T\d{6}(?:Z|[+-]\d{4}))")


@dataclass
class Location:
    """What a file's path in a bundle says: its Node and its kind."""

    node: str | None  # None: not known from the layout
    kind: str | None  # None: the layout does not say; classify the content
    in_bundle: bool  # inside an agent/controller bundle (its paths are authoritative)


def bundle_time(parts: tuple[str, ...]) -> datetime | None:
    """The collection time encoded in a `support-bundles_<ts>` directory or archive name."""
    for p in parts:
        match = _BUNDLE_DIR.match(p)
        if match:
            ts = match["ts"]  # 20240628T185800Z, 20240628T185800+0200
            when, zone = klog.compact_time(ts[:8] + ts[9:15]), ts[15:]
            if when is None:
                return None
            if zone == "Z":
                return when.replace(tzinfo=timezone.utc)
            hours, minutes = int(zone[1:3]), int(zone[3:5])
            if hours > 23 or minutes > 59:
                return None
            offset = timedelta(hours=hours, minutes=minutes)
            return when.replace(tzinfo=timezone(-offset if zone[0] == "-" else offset))
    return None


def locate(parts: tuple[str, ...]) -> Location:
    # The innermost bundle container decides (a bundle directory may hold bundle archives).
    for i in range(len(parts) - 2, -1, -1):
        name = parts[i]
        agent = _AGENT_BUNDLE.match(name)
        if agent:
            return Location(agent["node"], _inner_kind(parts[i + 1 :]), True)
        ctrl = _CONTROLLER_BUNDLE.match(name)
        if ctrl:
            return Location(m.CONTROLLER_NODE, _inner_kind(parts[i + 1 :], controller=True), True)
        if _POD_BUNDLE.match(name):
            return Location(None, _inner_kind(parts[i + 1 :]), True)
    name = parts[-1]
    if name == "clusterinfo":
        return Location(None, m.CLUSTER_INFO, False)
    if name == "failed_nodes":
        return Location(None, m.FAILED_NODES, False)
    if name == "controllerinfo":
        return Location(m.CONTROLLER_NODE, m.CONTROLLER_INFO, False)
    return Location(None, None, False)


def _inner_kind(rel: tuple[str, ...], controller: bool = False) -> str | None:
    if not rel:
        return None
    if rel[0] == "logs" and len(rel) >= 3:
        component, name = rel[1], rel[-1]
        if component == "agent":
            return m.AGENT_LOG
        if component == "controller":
            return m.CONTROLLER_LOG
        if component == "ovs":
            return m.OVS_CONTAINER_LOG if name.startswith("antrea-ovs") else m.OVS_LOG
        if component == "kubelet":  # Windows bundles copy the kubelet's logs
            return m.HOST_LOG
        return m.OTHER_CONTAINER_LOG
    if len(rel) == 1:
        return artifacts.BUNDLE_FILES.get(rel[0])
    return None
