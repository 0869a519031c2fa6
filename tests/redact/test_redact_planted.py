"""Nothing planted survives: in any member, member name or nested archive of the redacted copy,
nor in any report format, of the original (`scan --redact`) or of the copy."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import tarfile

import pytest
from redact_corpus import KEPT, NODE, PLANTED, SECRETS, SERVICE_IP, planted_bundle
from redact_helpers import members, run_main

from diagnose import report
from diagnose.diagnosis.engine import diagnose
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
    assert leaks("\n".join(said)) == []  # what redact says on stderr names Nodes by their pseudonyms
    assert not [s for s in SECRETS if s.lower() in map_path.read_text().lower()]  # the map holds no secret
    found = members(copy)
    assert len(found) == len(members(source)) == 24
    for display, data in found:
        assert leaks(display) == [], display
        assert leaks(data.decode("utf-8", "replace")) == [], display
    texts = {display.split("\n")[1]: data for display, data in found}
    everything = b"\n".join(texts.values()).decode("utf-8", "replace")
    assert [k for k in KEPT if k not in everything] == []  # Antrea's and Kubernetes' words stay
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
    assert any(
        p.endswith(f"/support-bundles_20240101T000500Z/agent_{node}.tar.gz!logs/ovs/ovs-vswitchd.log.1.gz")
        for p in paths
    )
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
        return sorted(
            (f["rule_id"], f["severity"], tuple(sorted(rename(n) for n in f["nodes"]))) for f in report_["findings"]
        )

    assert shape(redacted, back) == shape(original, lambda n: n)
    assert {n["name"] for n in original["source"]["nodes"]} == {back(n["name"]) for n in redacted["source"]["nodes"]}
    assert not {n["name"] for n in original["source"]["nodes"]} & {n["name"] for n in redacted["source"]["nodes"]}


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_unredact_gives_the_report_back_as_it_was_but_its_secrets(planted, monkeypatch, capsys, tmp_path, fmt):
    source = planted[0]
    plain, redacted, restored = tmp_path / f"plain.{fmt}", tmp_path / f"r.{fmt}", tmp_path / f"back.{fmt}"
    map_path = tmp_path / "m.json"
    assert run_main(monkeypatch, capsys, "scan", str(source), "-f", fmt, "-o", str(plain))[0] in (0, 1)
    assert run_main(
        monkeypatch, capsys, "scan", str(source), "--redact", "-f", fmt, "-o", str(redacted), "--map", str(map_path)
    )[0] in (0, 1)
    assert run_main(monkeypatch, capsys, "unredact", str(redacted), "--map", str(map_path), "-o", str(restored))[0] == 0
    before, after = plain.read_text().splitlines(), restored.read_text().splitlines()
    assert len(before) == len(after)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a and not _run_fact(b)]
    for b, a in changed:  # only secrets differ: a marker where the secret was, the rest exactly
        parts = re.split(r"REDACTED-[A-Z0-9-]+", a)
        marker_only = len(parts) > 1 and re.fullmatch(".+?".join(map(re.escape, parts)), b)
        if fmt == "json":
            assert marker_only, (b, a)
        else:  # Markdown cuts long lines after redaction (docs/redaction.md, Limits): the cut moves
            assert marker_only or b.endswith("…") and a.endswith("…") and os.path.commonprefix([a, b]), (b, a)
    if fmt == "json":  # the forms unredact must restore are in the report (Markdown cuts the line before them)
        assert "::ffff:" in plain.read_text() and ".corp.acme-bank.com" in plain.read_text()


def _run_fact(line: str) -> bool:
    """Lines about the run rather than the bundle (time, the source path the redactor shortens)."""
    return any(k in line for k in ("generated_at", '"path"', "Generated", "generated", "**Source:**"))


def test_both_engines_write_the_same_copy_of_the_planted_bundle(planted, tmp_path, monkeypatch):
    source = planted[0]
    key = tmp_path / "key"
    key.write_text("one key for both\n")
    copies = {}
    for engine in ("hyperscan", "stdlib"):
        monkeypatch.setenv("ANTREA_DIAGNOSE_ENGINE", engine)
        copies[engine] = tmp_path / f"{engine}.tar.gz"
        commands.redact_bundle(source, copies[engine], None, key, None, lambda _: None)
    assert copies["hyperscan"].read_bytes() == copies["stdlib"].read_bytes()
