"""What an OVSDB view tells, whichever view it was: the Open_vSwitch row, bridges, ports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class OvsPort:
    """A Port row with what its Interface(s) say.

    ``type``/``options``/``ofport``/``error`` come from the Interface of the same name (or the
    first one).  ``type`` is None for a plain system port (OVSDB ``type=""``, which ``ovs-vsctl
    show`` omits).  ``ofport`` is None when unknown or unset (``[]``); -1 means OVS failed to
    add the interface.  ``external_ids`` are the Port's (Antrea puts ``antrea-type`` there),
    completed by the Interface's keys (pod-name, ip, attached-mac...) that the Port lacks.
    """

    name: str
    interfaces: list[str] = field(default_factory=list)
    type: str | None = None
    external_ids: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    ofport: int | None = None
    error: str | None = None
    tag: str | None = None
    uuid: str | None = None


@dataclass
class OvsBridge:
    """An OVS bridge with its ports and settings, as OVSDB holds it."""

    name: str
    ports: dict[str, OvsPort] = field(default_factory=dict)
    datapath_type: str | None = None
    other_config: dict[str, str] = field(default_factory=dict)
    external_ids: dict[str, str] = field(default_factory=dict)
    fail_mode: str | None = None
    uuid: str | None = None


@dataclass
class OvsdbState:
    """What an OVSDB view tells.

    ``other_config``/``external_ids`` are those of the Open_vSwitch row; None when the view
    does not show them (``ovs-vsctl show`` never does).  ``unattached_ports`` holds ports seen
    without a known bridge (e.g. ``ovs-vsctl list port`` alone).
    """

    other_config: dict[str, str] | None = None
    bridges: dict[str, OvsBridge] = field(default_factory=dict)
    ovs_version: str | None = None
    external_ids: dict[str, str] | None = None
    unattached_ports: dict[str, OvsPort] = field(default_factory=dict)
    db_uuid: str | None = None  # _uuid of the Open_vSwitch row (first line of ovs-vsctl show)

    @property
    def flow_restore_wait(self) -> bool | None:
        """True if ``other_config:flow-restore-wait`` is "true"; False if other_config is known
        and lacks it (or has another value); None if other_config is not in the view."""
        if self.other_config is None:
            return None
        return self.other_config.get("flow-restore-wait", "").strip().lower() == "true"

    def all_ports(self) -> Iterator[tuple[str | None, OvsPort]]:
        """(bridge name or None, port) for every port."""
        for bname, br in self.bridges.items():
            for port in br.ports.values():
                yield bname, port
        for port in self.unattached_ports.values():
            yield None, port

    def find_port(self, name: str) -> tuple[str | None, OvsPort] | None:
        for bname, port in self.all_ports():
            if port.name == name or name in port.interfaces:
                return bname, port
        return None
