"""`scan --redact`, `redact` and `unredact` as a user runs them: files written, refused, restored."""

from __future__ import annotations

import json
import os
import zipfile

import pytest
from redact_helpers import run_main
from support import SAMPLES

SAMPLE = SAMPLES / "6448-secondary-network-primary-nic"


def _without_run_facts(report: dict) -> dict:
    report = dict(report)
    report.pop("generated_at")
    report["source"] = {k: v for k, v in report["source"].items() if k != "path"}
    return report


def test_scan_redact_writes_the_report_and_its_map_and_unredact_restores_it(monkeypatch, capsys, tmp_path):
    plain, redacted = tmp_path / "plain.json", tmp_path / "report.json"
    assert run_main(monkeypatch, capsys, "scan", str(SAMPLE), "-o", str(plain))[0] == 0
    code, out, err = run_main(monkeypatch, capsys, "scan", str(SAMPLE), "--redact", "-o", str(redacted))
    assert code == 0
    map_path = tmp_path / "report.json.redaction-map.json"
    assert f"Redaction map written to {map_path}" in err and (map_path.stat().st_mode & 0o777) == 0o600
    text = redacted.read_text()
    assert "node2" not in text and "192.168.64.28" not in text and "10.43.0.1" in text
    restored = tmp_path / "restored.json"
    code, _, err = run_main(monkeypatch, capsys, "unredact", str(redacted), "--map", str(map_path), "-o", str(restored))
    assert code == 0 and "pseudonyms translated back" in err
    assert _without_run_facts(json.loads(restored.read_text())) == _without_run_facts(json.loads(plain.read_text()))


def test_scan_redact_to_standard_output_writes_no_map_and_says_so(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(monkeypatch, capsys, "scan", str(SAMPLE), "--redact", "-f", "md")
    assert code == 0 and "node2" not in out and "Most likely root cause" in out
    assert "no redaction map is written" in err
    assert list(tmp_path.iterdir()) == []


def test_redaction_options_need_redact(monkeypatch, capsys, tmp_path):
    code, _, err = run_main(monkeypatch, capsys, "scan", str(SAMPLE), "--map", str(tmp_path / "m.json"))
    assert code == 2 and "only apply with --redact" in err


def test_keep_names_keeps_pod_and_namespace_names(monkeypatch, capsys, tmp_path):
    args = ["scan", str(SAMPLES / "healthy"), "--redact", "-f", "json", "--map", str(tmp_path / "m.json")]
    assert run_main(monkeypatch, capsys, *args, "--keep-names", "pods,namespaces")[0] == 0
    values = json.loads((tmp_path / "m.json").read_text())["values"]
    assert "pod" not in values and "namespace" not in values and "node" in values
    code, _, err = run_main(monkeypatch, capsys, *args, "--keep-names", "nodes")
    assert code == 2 and "choose from pods, namespaces" in err


@pytest.mark.parametrize("where", ["input", "inside-input", "existing-dir"])
def test_redact_refuses_to_write_over_or_into_its_input(monkeypatch, capsys, tmp_path, where):
    bundle = tmp_path / "bundle"
    (bundle / "sub").mkdir(parents=True)
    (bundle / "ip-route.node2.txt").write_text("default via 10.0.0.1 dev eth0\n")
    target = {
        "input": bundle / "ip-route.node2.txt",
        "inside-input": bundle / "sub" / "r.tar.gz",
        "existing-dir": tmp_path,
    }[where]
    source = bundle / "ip-route.node2.txt" if where == "input" else bundle
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, _, err = run_main(monkeypatch, capsys, "redact", str(source), "-o", str(target))
    assert code == 2 and "antrea-diagnose:" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert (bundle / "ip-route.node2.txt").read_text() == "default via 10.0.0.1 dev eth0\n"


def test_redact_refuses_a_map_inside_the_redacted_output(monkeypatch, capsys, tmp_path):
    out = tmp_path / "copy"
    code, _, err = run_main(monkeypatch, capsys, "redact", str(SAMPLE), "-o", str(out), "--map", str(out / "m.json"))
    assert code == 2 and "must not be written inside" in err
    assert not out.exists()
    code, _, err = run_main(
        monkeypatch, capsys, "redact", str(SAMPLE), "-o", str(tmp_path / "r.zip"), "--map", str(tmp_path / "r.zip")
    )
    assert code == 2 and not (tmp_path / "r.zip").exists()


def test_redact_a_single_pasted_file_and_a_zip(monkeypatch, capsys, tmp_path, run):
    pasted = tmp_path / "ip-route.node7.txt"
    pasted.write_text("root@node7:~# ip route\ndefault via 192.168.5.1 dev eth0 proto dhcp src 192.168.5.20\n")
    out = tmp_path / "route.txt"
    code, _, err = run_main(monkeypatch, capsys, "redact", str(pasted), "-o", str(out))
    assert code == 0, err
    text = out.read_text()
    assert text.startswith("root@host-") and " 192.168." in text and "192.168.5." not in text  # not a known Node
    zipped = tmp_path / "copy.zip"
    assert run_main(monkeypatch, capsys, "redact", str(SAMPLE), "-o", str(zipped))[0] == 0
    assert zipped.read_bytes()[:2] == b"PK"
    first = run(zipped)["findings"][0]
    assert first["rule_id"] == "ANT-SEC-001" and first["nodes"] != ["node2"]


def test_a_key_file_is_created_private_when_missing(monkeypatch, capsys, tmp_path):
    key = tmp_path / "batch.key"
    code, _, err = run_main(
        monkeypatch, capsys, "redact", str(SAMPLES / "healthy"), "-o", str(tmp_path / "a.tgz"), "--key-file", str(key)
    )
    assert code == 0 and "Created the key file" in err and (key.stat().st_mode & 0o777) == 0o600
    saved = json.loads((tmp_path / "a.tgz.redaction-map.json").read_text())
    assert "key" not in saved and saved["key_id"]  # the map does not carry a shared key


def test_a_report_continues_the_map_of_a_redacted_bundle(monkeypatch, capsys, tmp_path):
    map_path = tmp_path / "ticket.map.json"
    assert (
        run_main(monkeypatch, capsys, "redact", str(SAMPLE), "-o", str(tmp_path / "c.tgz"), "--map", str(map_path))[0]
        == 0
    )
    node2 = json.loads(map_path.read_text())["values"]["node"]["node2"]
    code, out, _ = run_main(monkeypatch, capsys, "scan", str(SAMPLE), "--redact", "-f", "json", "--map", str(map_path))
    assert code == 0 and json.loads(out)["findings"][0]["nodes"] == [node2]


def test_a_map_made_with_a_key_file_needs_that_key_file(monkeypatch, capsys, tmp_path):
    key, map_path = tmp_path / "k", tmp_path / "m.json"
    assert (
        run_main(
            monkeypatch,
            capsys,
            "redact",
            str(SAMPLES / "healthy"),
            "-o",
            str(tmp_path / "c.tgz"),
            "--map",
            str(map_path),
            "--key-file",
            str(key),
        )[0]
        == 0
    )
    code, _, err = run_main(monkeypatch, capsys, "scan", str(SAMPLES / "healthy"), "--redact", "--map", str(map_path))
    assert code == 2 and "pass the same --key-file" in err
    (tmp_path / "other").write_text("another secret")
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "scan",
        str(SAMPLES / "healthy"),
        "--redact",
        "--map",
        str(map_path),
        "--key-file",
        str(tmp_path / "other"),
    )
    assert code == 2 and "made with another key" in err


def test_redact_refuses_a_fifo_source_at_once(monkeypatch, capsys, tmp_path):
    fifo = tmp_path / "bundle.fifo"
    os.mkfifo(fifo)  # nothing ever writes to it: opening it for reading would wait forever
    code, _, err = run_main(monkeypatch, capsys, "redact", str(fifo), "-o", str(tmp_path / "copy.tar.gz"))
    assert code == 3 and "is not a regular file or a directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.fifo"]


def test_member_names_that_clash_once_redacted_are_both_kept(monkeypatch, capsys, tmp_path):
    source = tmp_path / "pasted.zip"
    with zipfile.ZipFile(source, "w") as z:  # a file and a directory of the same name
        z.writestr("logs/node7", "Running on machine: node7\nroute via 10.1.2.3\n")
        z.writestr("logs/node7/route", "default via 10.1.2.1 dev eth0\n")
    out = tmp_path / "copy"
    code, _, err = run_main(monkeypatch, capsys, "redact", str(source), "-o", str(out))
    assert code == 0, err
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert len(files) == 2 and any("~2" in f for f in files) and not any("node7" in f for f in files)
    assert "~N suffix" in err
