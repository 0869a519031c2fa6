"""A small corpus of bundles for the batch tests, built in tmp_path from the rule fixtures.

Every shape a batch meets: bundle folders, a .tar.gz, an antctl output folder, a corrupt
archive. `trap_rules` is a rule pack whose one rule hangs or kills its process on marked Nodes,
so the tests can give the batch a bundle that hangs or crashes for real.
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import tarfile
from pathlib import Path

from support import ROOT

RULE_FIXTURES = ROOT / "tests" / "rules" / "fixtures"
FOLDERS = {  # name in the corpus -> fixture folder copied as a bundle folder
    "ticket-6448": RULE_FIXTURES / "secondary_bridge_took_node_nic" / "fires-6448-agent-klog-runs",
    "ticket-api": RULE_FIXTURES / "apiserver_unreachable" / "fires-informers-never-recover",
    "ticket-healthy": RULE_FIXTURES / "flow_restore_never_completed" / "quiet-cleaned-up",
}
ARCHIVED = ("ticket-5353.tar.gz", RULE_FIXTURES / "podcidr_not_allocated" / "fires-5353-waiting-then-empty")
CORRUPT = "corrupt.tar.gz"


def _bundles_helpers():
    """tests/bundle/bundles.py (make_antctl_dir), loaded by path: tests/bundle is not a package."""
    path = ROOT / "tests" / "bundle" / "bundles.py"
    spec = importlib.util.spec_from_file_location("batch_tests_bundle_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tar_folder(folder: Path, target: Path) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    target.write_bytes(buf.getvalue())
    return target


def klog_folder(parent: Path, name: str, node: str) -> Path:
    """A folder with one agent log whose header names `node` (the trap rule looks for it)."""
    d = parent / name
    d.mkdir()
    (d / "antrea-agent.log").write_text(
        "Log file created at: 2024/06/28 18:50:00\n"
        f"Running on machine: {node}\n"
        "Binary: Built with gc go1.21.11 for linux/amd64\n"
        "Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg\n"
        'I0628 18:50:00.100000       1 agent.go:107] "Starting Antrea agent" version="v2.1.0"\n'
    )
    return d


def build_corpus(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, fixture in FOLDERS.items():
        shutil.copytree(fixture, root / name)
    tar_folder(ARCHIVED[1], root / ARCHIVED[0])
    _bundles_helpers().make_antctl_dir(root)
    (root / CORRUPT).write_bytes(b"\x1f\x8b\x08\x00" + b"this is not deflate data" * 40)
    return root


TRAP_RULE = '''"""Batch test rule: hangs or kills its own process on Nodes named for it.

Symptom
-------
None: it exists so that the batch tests meet a bundle that hangs or crashes a worker.

Why it happens
--------------
A rule with a bug (an endless loop, a crash in a C extension) must cost one bundle, not the batch.

Evidence
--------
The Node names `hang-node`, `gil-node` (hangs in C code that holds the GIL) and `crash-node`.

Remediation
-----------
None.

References
----------
antrea-diagnose issue 6.
"""

import os
import re
import signal
import time

from diagnose.rules.rule import Rule

RULE = Rule(id="ANT-TEST-901", slug="batch-test-trap", title="Batch test trap", category="agent-crash",
            severity="info", message="", remediation=(), references=())


def check(ev):
    names = {n.name for n in ev.nodes}
    if "hang-node" in names:
        time.sleep(600)
    if "gil-node" in names:
        re.match(r"(a*)*b", "a" * 60)  # exponential backtracking inside re: no other thread runs
    if "crash-node" in names:
        os.kill(os.getpid(), signal.SIGKILL)
    return []
'''
