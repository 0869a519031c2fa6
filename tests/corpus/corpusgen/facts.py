"""Load the per-release facts of `data/releases/<tag>.json` and the chart configs of `data/conf/`."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def vkey(tag: str) -> tuple[int, ...]:
    return tuple(int(x) for x in tag.lstrip("v").split("-")[0].split("."))


@dataclass
class Release:
    tag: str
    version: str  # what the binaries print (GetFullVersion of a released build)
    go: str  # Go minor version of the build image (build/images/deps/go-version)
    client_go: str
    handle_error: str  # "depth" (apimachinery < v0.31) or "unhandled"
    ovs: str
    sites: dict[str, dict]
    flows: list[str]
    k8s_factory: str  # reflector name of client-go informers (`.../informers/factory.go:N`)
    crd_factory: str  # reflector name of Antrea's CRD informers
    conf: dict[str, str] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        return key in self.sites

    def site(self, key: str) -> dict:
        return self.sites[key]

    def at_least(self, tag: str) -> bool:
        return vkey(self.tag) >= vkey(tag)

    @property
    def go_version(self) -> str:
        # The tag records only the Go minor (the golang image); ".0" stands for the patch level.
        return f"go{self.go}.0"

    @property
    def v2(self) -> bool:
        return self.at_least("v2.0.0")


def available() -> list[str]:
    return sorted((p.stem for p in (DATA / "releases").glob("v*.json")), key=vkey)


@functools.cache
def release(tag: str) -> Release:
    d = json.loads((DATA / "releases" / f"{tag}.json").read_text())
    conf_dir = DATA / "conf" / tag
    conf = {p.name: p.read_text() for p in conf_dir.iterdir()} if conf_dir.is_dir() else {}
    return Release(
        tag=d["tag"],
        version=d["version"],
        go=d["go"],
        client_go=d["client_go"],
        handle_error=d["handle_error"],
        ovs=d["ovs"],
        sites=d["sites"],
        flows=d["flows"],
        k8s_factory=d.get("k8s_factory_run", ""),
        crd_factory=d.get("crd_factory_run", ""),
        conf=conf,
    )


@functools.cache
def fatal_entries() -> list[dict]:
    return json.loads((DATA / "fatal_messages.json").read_text())
