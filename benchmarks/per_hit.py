"""What one more matching line costs the scanner, beyond finding it.

    python benchmarks/per_hit.py                          # corpora at 0.01, 2 and 10 % in a temp folder
    python benchmarks/per_hit.py --keep /tmp/bench --baseline /tmp/old-checkout

One Node's agent logs (the klog files of `agent_<node>.tar.gz` in a `benchmarks/corpus.py` bundle)
are read into memory, then timed in CPU seconds within one process, alternated round by round:

- `match`: the scanner's own Hyperscan database over the same 256 KiB chunks, its callback
  collecting (pattern, offset) events, nothing else: the floor of finding the lines;
- `scan`: `Scanner.scan` as a scan runs it, with the reader's `HitBuffer` (first and last 50
  hits per signature kept) and the unexplained-error `Miner`.

Per hit = (scan - match) / (signature hits + catch-all lines): the Python the scanner spends on
a line once Hyperscan has found it, for the hits that are only counted and the few kept alike
(the report's evidence is decoded later, outside this pass). With `--baseline DIR` the same is
timed with another checkout's code, in a child process per round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def node_logs(bundle: Path, node: str = "worker-1") -> bytes:
    """The klog files of one Node's agent tarball, concatenated in name order."""
    with tarfile.open(bundle / f"agent_{node}.tar.gz") as tar:
        members = sorted((m for m in tar.getmembers() if m.name.startswith("logs/agent/")), key=lambda m: m.name)
        return b"".join(tar.extractfile(m).read() for m in members)  # type: ignore[union-attr]


def measure(log: Path, rounds: int) -> dict[str, object]:
    """In this process, with the code on sys.path: CPU seconds of each variant per round."""
    import io

    import numpy  # noqa: F401  (imported before timing: scanners before 2967980 load it for large logs)

    from diagnose.bundle import model
    from diagnose.bundle.reader import HitBuffer
    from diagnose.diagnosis import unexplained
    from diagnose.diagnosis.engine import scanner_for
    from diagnose.parse import klog
    from diagnose.rules import rulepack
    from diagnose.scan.scanner import CHUNK

    data = log.read_bytes()
    scanner = scanner_for(rulepack.load(rulepack.rule_dirs()))
    matcher = scanner._matcher(model.AGENT_LOG)
    counts: dict[str, int] = {}

    def match() -> None:
        for start in range(0, len(data), CHUNK):
            matcher.scan(data[start : start + CHUNK])

    def scan() -> None:
        miner = unexplained.Miner()
        mine = miner.callback(model.Artifact(path="antrea-agent.log", kind=model.AGENT_LOG), None)
        hits = HitBuffer().log()
        stats = scanner.scan(io.BytesIO(data), model.AGENT_LOG, hits, klog.is_header_or_log_start, mine)
        if hasattr(hits, "flush"):  # what the reader does when a log is read (older code: nothing held)
            hits.flush()
        counts["hits"] = stats.hits
        counts["mined"] = sum(sum(t.counts.values()) for t in miner.templates())
        counts["lines"] = stats.lines

    times: dict[str, list[float]] = {"match": [], "scan": []}
    for r in range(rounds):
        for name, run in (("match", match), ("scan", scan))[:: 1 if r % 2 == 0 else -1]:
            start = time.process_time()
            run()
            times[name].append(time.process_time() - start)
    return {"times": times, **counts, "bytes": len(data)}


def per_hit_us(result: dict) -> float:
    scan = statistics.median(result["times"]["scan"])
    match = statistics.median(result["times"]["match"])
    return (scan - match) / (result["hits"] + result["mined"]) * 1e6


def marginal(results: list[dict]) -> tuple[float, float]:
    """A least-squares line through (hits, scan - match) of the corpora: seconds a log costs
    whatever its hits (finding newlines, the chunks' bookkeeping) and µs per additional hit. The
    mean per hit above charges the first to the hits too, which flatters a log with many."""
    xs = [r["hits"] + r["mined"] for r in results]
    ys = [statistics.median(r["times"]["scan"]) - statistics.median(r["times"]["match"]) for r in results]
    slope, intercept = statistics.linear_regression(xs, ys)
    return intercept, slope * 1e6


def run_child(checkout: Path, log: Path, rounds: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(log), "--rounds", str(rounds)],
        cwd=checkout,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hit-pct", default="0.01,2,10", help="comma list: error/warning lines, percent of all lines")
    ap.add_argument("--log-mb", type=int, default=200, help="uncompressed log volume of each corpus (MB)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="reuse/keep the corpora in this directory")
    ap.add_argument("--baseline", type=Path, help="another checkout of the project, timed the same way")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.rounds)))
        return

    sys.path.insert(0, str(HERE))
    from run import build_corpus

    work = args.keep or Path(tempfile.mkdtemp(prefix="per-hit-"))
    work.mkdir(parents=True, exist_ok=True)
    checkouts = [("now", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    every: dict[str, list[dict]] = {name: [] for name, _ in checkouts}
    print("| corpus | code | log MB | lines | signature hits | catch-all lines | match s | scan s | µs per hit |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for pct in (float(p) for p in args.hit_pct.split(",")):
        corpus = build_corpus(work, args.log_mb, pct, None)
        log = work / f"{corpus.name}-worker-1.log"
        if not log.exists():
            log.write_bytes(node_logs(corpus.bundle))
        results: dict[str, list[dict]] = {name: [] for name, _ in checkouts}
        for r in range(args.rounds):  # checkouts alternated, one child process each per round
            for name, checkout in checkouts[:: 1 if r % 2 == 0 else -1]:
                results[name].append(run_child(checkout, log, 3))
        for name, _ in checkouts:
            merged = dict(results[name][0])
            merged["times"] = {k: [t for res in results[name] for t in res["times"][k]] for k in ("match", "scan")}
            every[name].append(merged)
            print(
                f"| {corpus.name} | {name} | {merged['bytes'] / 1e6:,.0f} | {merged['lines']:,} | {merged['hits']:,} "
                f"| {merged['mined']:,} | {statistics.median(merged['times']['match']):.3f} "
                f"| {statistics.median(merged['times']['scan']):.3f} | {per_hit_us(merged):.2f} |",
                flush=True,
            )
    if len(every[checkouts[0][0]]) > 2:
        print("\n| code | s per log whatever its hits | µs per additional hit |\n|---|---:|---:|")
        for name, _ in checkouts:
            fixed, per_hit = marginal(every[name])
            print(f"| {name} | {fixed:.3f} | {per_hit:.2f} |")


if __name__ == "__main__":
    main()
