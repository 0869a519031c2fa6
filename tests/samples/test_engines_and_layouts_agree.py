"""Issue 5: the fast engine, the stdlib fallback and a plain extracted copy give the same findings."""

import shutil
import tarfile

import pytest
from support import SAMPLES

from diagnose.diagnosis import engine
from diagnose.rules import rulepack

SAMPLE = SAMPLES / "6448-secondary-network-primary-nic"


def summary(report) -> list[tuple]:
    """What a user acts on: each root cause and symptom, its Nodes, status and evidence lines."""
    out = []
    for f in report["findings"]:
        for g in [f, *f["symptoms"]]:
            out.append(
                (
                    g["rule_id"],
                    tuple(g["nodes"]),
                    g["severity"],
                    g["status"],
                    g["confidence"],
                    tuple((e["time"], e["text"]) for e in g["evidence"]),
                )
            )
    return out


def scan(path, engine_name, monkeypatch):
    monkeypatch.setenv("ANTREA_DIAGNOSE_ENGINE", engine_name)
    rules = rulepack.load(rulepack.rule_dirs())
    return engine.diagnose(path, rules).to_dict()


def extracted_copy(src, dest):
    """The bundle with every agent_/controller tarball unpacked in place, as `tar xzf` would."""
    shutil.copytree(src, dest)
    for archive in list(dest.rglob("*.tar.gz")):
        with tarfile.open(archive) as tar:
            tar.extractall(archive.parent / archive.name.removesuffix(".tar.gz"), filter="data")
        archive.unlink()
    return dest


def test_hyperscan_stdlib_and_extracted_copy_agree(tmp_path, monkeypatch):
    pytest.importorskip("hyperscan")
    fast = summary(scan(SAMPLE, "hyperscan", monkeypatch))
    slow = summary(scan(SAMPLE, "stdlib", monkeypatch))
    plain = summary(scan(extracted_copy(SAMPLE, tmp_path / "copy"), "hyperscan", monkeypatch))
    assert fast and fast == slow == plain
