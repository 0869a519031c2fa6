"""pandas (and pyarrow, an optional extra) are for batch tables only: `--help` and a plain scan
never import them (pandas alone costs ~0.5-1 s of start-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from support import ROOT

PROBE = """
import sys
from diagnose import cli
sys.argv = ["antrea-diagnose", *{args!r}]
try:
    cli.main()
except SystemExit:
    pass
print("\\n" + __import__("json").dumps(sorted(m for m in ("pandas", "pyarrow") if m in sys.modules)))
"""


@pytest.mark.parametrize(
    "args",
    [["--help"], ["batch", "--help"], ["scan", str(ROOT / "sample_bundles" / "healthy"), "-f", "json"]],
    ids=["help", "batch-help", "scan"],
)
def test_no_table_library_is_imported(args):
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert json.loads(done.stdout.splitlines()[-1]) == [], done.stderr
