"""Parsers for OVSDB (Open_vSwitch database) views: ``ovs-vsctl show``, ``ovs-vsctl list``,
``ovsdb-client dump`` (text) and ``ovsdb-client -f json dump``.

None of these is in an antctl support bundle (see the reference, section 1.2), but users paste
them into issues and attach them to bug reports, and they are the only direct view of the
global ``other_config:flow-restore-wait`` flag and of which bridge holds which port.

All four views are reduced to the same table rows (``dict`` column → value, the values in the
syntax of ``values``) and then to one ``OvsdbState`` (``model``) by ``tables.build_state``, so
Bridge → Port → Interface resolution is written once. One module per view reads it
(``vsctl_show``, ``vsctl_list``, ``dump_text``, ``dump_json``); ``kinds`` tells which view a
text is and parses it as that one. This package re-exports the public names.
"""

from diagnose.parse.ovsdb.dump_json import dump_json_tables, parse_dump_json
from diagnose.parse.ovsdb.dump_text import dump_text_tables, parse_dump_text
from diagnose.parse.ovsdb.kinds import KINDS, detect, parse_ovsdb, sniff
from diagnose.parse.ovsdb.model import OvsBridge, OvsdbState, OvsPort
from diagnose.parse.ovsdb.tables import Row
from diagnose.parse.ovsdb.values import Value, parse_value
from diagnose.parse.ovsdb.vsctl_list import parse_vsctl_list
from diagnose.parse.ovsdb.vsctl_show import parse_vsctl_show

__all__ = [
    "KINDS",
    "OvsBridge",
    "OvsPort",
    "OvsdbState",
    "Row",
    "Value",
    "detect",
    "dump_json_tables",
    "dump_text_tables",
    "parse_dump_json",
    "parse_dump_text",
    "parse_ovsdb",
    "parse_value",
    "parse_vsctl_list",
    "parse_vsctl_show",
    "sniff",
]
