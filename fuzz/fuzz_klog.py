"""Coverage-guided fuzzing of the klog parser and the signature scanner (atheris).

    pip install atheris
    python fuzz/fuzz_klog.py -runs=20000                     # a quick run (CI runs ~5 s)
    python fuzz/fuzz_klog.py -max_total_time=3600 corpus/    # a long run that keeps its corpus

Each input is a log file: its klog header is read, every line is parsed with and without a
known year, and the whole input goes through the scanner with every signature of the built-in
rule pack (long lines, NUL bytes, broken UTF-8, crafted lines against the regexes), each hit
turned into an event as the reader does. Nothing may raise.
"""

from __future__ import annotations

import io
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["diagnose"]):
    from diagnose.bundle import model
    from diagnose.diagnosis.engine import scanner_for
    from diagnose.parse import klog
    from diagnose.parse.logevent import to_event
    from diagnose.rules import rulepack

SCANNER = scanner_for(rulepack.load(rulepack.rule_dirs()))
CREATED = datetime(2023, 12, 31, 23, 59, 59)
SEEDS = {
    "header": b"Log file created at: 2024/02/29 10:00:00\nRunning on machine: node2\nBinary: Built with gc go1.21\n",
    "structured": b'I0229 10:00:00.000001       1 agent.go:107] "Starting Antrea agent" version="v2.1.0" k="a \\" b"\n',
    "fatal": b"F0628 18:57:17.883444       1 main.go:53] Error running agent: error initializing agent: "
    b"Spec.PodCIDR is empty for Node node2\ngoroutine 1 [running]:\nmain.main()\n",
    "kubectl": b"2024-06-28T18:57:17.883444Z antrea-agent E0628 18:57:17.883444 1 x.go:1] dial tcp 10.96.0.1:443: "
    b"i/o timeout\r\n",
}


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris calls
    text = data.decode("utf-8", errors="replace")
    info = klog.file_info("antrea-agent.node2.root.log.INFO.20240628-185717.1", text[:65536])
    for line in text.splitlines()[:200]:
        klog.parse_line(line, 2024)
        klog.parse_line(line, None, info.created or CREATED)
        klog.is_header_or_log_start(line)
        klog.split_structured(line)
    artifact = model.Artifact("antrea-agent.log", model.AGENT_LOG, "node2")
    for kind in (model.AGENT_LOG, model.OVS_LOG):
        artifact.kind = kind
        SCANNER.scan(
            io.BytesIO(data),
            kind,
            lambda hit: to_event(hit, artifact, "node2", 2024, info.created),
            klog.is_header_or_log_start,
        )


def main() -> None:
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):  # no corpus directory: start from the seeds
        seeds = Path(tempfile.mkdtemp(prefix="fuzz-klog-seeds-"))
        for name, blob in SEEDS.items():
            (seeds / name).write_bytes(blob)
        args.append(str(seeds))
    atheris.Setup(args, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
