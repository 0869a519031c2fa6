"""Nothing planted survives: in any member, member name or nested archive of the redacted copy,
nor in any report format, of the original (`scan --redact`) or of the copy."""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import pytest
from redact_corpus import NODE, PLANTED, SERVICE_IP, planted_bundle
from redact_helpers import members

from diagnose import report
from diagnose.engine import diagnose
from diagnose.redact import commands, mapfile
from diagnose.redact.session import open_session
from diagnose.redact.unredact import unredact

FORMATS = ("json", "md", "html", "terminal")


def leaks(text: str) -> list[str]:
    low = text.lower()
    return [p for p in PLANTED if p.lower() in low]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    source = planted_bundle(root / "in")
    copy = root / "out" / "ticket.tar.gz"
    copy.parent.mkdir()
    said: list[str] = []
    commands.redact_bundle(source, copy, None, None, None, said.append)
    return source, copy, copy.with_name(copy.name + commands.MAP_SUFFIX), said


def test_no_planted_value_is_left_in_any_member_or_member_name(planted):
    source, copy, map_path, said = planted
    found = members(copy)
    assert len(found) == len(members(source)) == 24
    for display, data in found:
        assert leaks(display) == [], display
        assert leaks(data.decode("utf-8", "replace")) == [], display
    texts = {display.split("\n")[1]: data for display, data in found}
    assert any(SERVICE_IP.encode() in data for data in texts.values())  # the Service IP stays recognisable
    memprofile = next(data for path, data in texts.items() if path.endswith("!memprofile"))
    assert memprofile.startswith(b"REDACTED-BINARY")
    assert any("binary file" in line for line in said)


def test_the_copy_keeps_the_layout_and_compression_of_every_member(planted):
    source, copy, map_path, _ = planted
    node = json.loads(map_path.read_text())["values"]["node"][NODE]
    paths = [display.split("\n")[1] for display, _ in members(copy)]
    prefix = "ticket.tar.gz!ticket-org-"
    assert all(p.startswith(prefix) for p in paths)
    assert any(p.endswith(f"/support-bundles_20240101T000500Z/agent_{node}.tar.gz!logs/ovs/ovs-vswitchd.log.1.gz")
               for p in paths)
    # the rotated log is still gzip inside the rebuilt agent archive
    with tarfile.open(copy) as outer:
        agent = next(m for m in outer.getmembers() if m.name.endswith(f"agent_{node}.tar.gz"))
        with tarfile.open(fileobj=io.BytesIO(outer.extractfile(agent).read())) as inner:
            rotated = inner.extractfile("logs/ovs/ovs-vswitchd.log.1.gz").read()
    assert gzip.decompress(rotated).startswith(b"2024-01-01T00:00:00.000Z|00001|bridge|INFO|bridge br-int: deleted")


def test_the_private_map_is_outside_the_copy_and_restores_the_names(planted):
    source, copy, map_path, said = planted
    assert map_path.parent == copy.parent and (map_path.stat().st_mode & 0o777) == 0o600
    values = json.loads(map_path.read_text())["values"]
    assert NODE in values["node"] and "prod-db-node9" in values["node"]
    assert not any("redaction-map" in display for display, _ in members(copy))
    assert any("Keep it private" in line for line in said)


@pytest.mark.parametrize("fmt", FORMATS)
def test_reports_of_the_original_with_redact_and_of_the_copy_leak_nothing(planted, rules, fmt):
    source, copy, _, _ = planted
    result = diagnose(source, rules)
    session = open_session(None, None, None)
    redacted = commands.redact_report(result, result.to_dict(), session, rules)
    for data in (redacted, diagnose(copy, rules).to_dict()):
        text = report.render(data, fmt)
        assert leaks(text) == []
    plain = report.render(result.to_dict(), fmt)
    assert NODE in plain  # the planted values do reach an unredacted report: the check above means something


def test_the_diagnosis_of_the_planted_bundle_survives(planted, run):
    source, copy, map_path, _ = planted
    the_map = mapfile.load(map_path)
    original, redacted = run(source), run(copy)
    assert redacted["source"]["unreadable"] == []

    def back(name: str) -> str:  # Node names come back through the map, FQDNs included
        return unredact(name, the_map)[0]

    def shape(report_, rename):
        return sorted((f["rule_id"], f["severity"], tuple(sorted(rename(n) for n in f["nodes"])))
                      for f in report_["findings"])
    assert shape(redacted, back) == shape(original, lambda n: n)
    assert {n["name"] for n in original["source"]["nodes"]} == {back(n["name"]) for n in redacted["source"]["nodes"]}
    assert not {n["name"] for n in original["source"]["nodes"]} & {n["name"] for n in redacted["source"]["nodes"]}
