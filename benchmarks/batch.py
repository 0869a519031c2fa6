"""Measure how `antrea-diagnose batch` scales: --jobs 1, --jobs 2 and a Dask LocalCluster.

    python benchmarks/batch.py                    # 100 bundles of ~1 MB of logs each
    python benchmarks/batch.py -n 200 --log-mb 5  # many small bundles: start-up dominates
    python benchmarks/batch.py --keep /tmp/bb     # keep (and reuse) the generated corpus
    python benchmarks/batch.py -n 48 --no-dask --baseline ../main   # before/after, alternated

The corpus is the sample-bundle generator's scenarios (sample_bundles/generate.py) copied N
times, each copy made distinct by a ticket file (the batch skips identical content). Every
contender is the whole command in its own process over the same corpus into a fresh output
folder; the Dask run uses a LocalCluster of 2 worker processes x 1 thread started beforehand
(an existing cluster, as in production). A second run over the same output scans nothing (every
bundle is known): its time is the fixed cost (start-up, hashing check, summary), and the scan
rate is N / (first run - second run). Runs alternate round by round; the table shows medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the Dask workers started here must run this checkout, like the CLI runs
sys.path.insert(0, str(ROOT / "sample_bundles"))


def build_corpus(work: Path, n: int, log_mb: float) -> Path:
    import generate  # sample_bundles/generate.py

    corpus = work / f"corpus-{n}-{log_mb}"
    if corpus.exists() and len(list(corpus.iterdir())) == n:
        return corpus
    scenarios = work / f"scenarios-{log_mb}"
    if not scenarios.exists():
        print(f"generating the sample scenarios with {log_mb} MB of logs ...", file=sys.stderr)
        generate.generate(scenarios, None, log_mb=log_mb)
    sources = sorted(p for p in scenarios.rglob("support-bundles_*") if p.is_dir())
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    for i in range(n):
        target = corpus / f"ticket-{i:05d}" / sources[i % len(sources)].name
        shutil.copytree(sources[i % len(sources)], target, copy_function=_link_or_copy)
        (target.parent / "ticket.txt").write_text(f"ticket {i}\n")  # distinct content, ignored by the reader
    return corpus


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)  # the same bytes N times need not take N times the disk
    except OSError:
        shutil.copy2(src, dst)


def batch(corpus: Path, out: Path, extra: list[str], checkout: Path = ROOT) -> float:
    # A user's Python caches bytecode (rule modules included): a sandbox's PYTHONDONTWRITEBYTECODE
    # would make every worker compile them again.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(checkout)
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "diagnose", "batch", str(corpus), "--out", str(out), "-q", *extra],
        cwd=checkout,
        capture_output=True,
        text=True,
        env=env,
    )
    elapsed = time.perf_counter() - t
    if done.returncode not in (0, 1):
        raise SystemExit(f"batch failed ({done.returncode}): {done.stderr}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--bundles", type=int, default=100)
    ap.add_argument("--log-mb", type=float, default=1.0, help="MB of logs per generated scenario")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="folder for the corpus (reused when it exists)")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="another checkout of antrea-diagnose to compare with, run in the same rounds (its --jobs 1 and --jobs 2)",
    )
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="batch-bench-"))
    corpus = build_corpus(work, args.bundles, args.log_mb)
    size = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
    contenders: dict[str, tuple[Path, list[str]]] = {
        "--jobs 1": (ROOT, ["--jobs", "1"]),
        "--jobs 2": (ROOT, ["--jobs", "2"]),
    }
    if args.baseline:  # the same contenders from another checkout, alternated with these
        contenders["baseline --jobs 1"] = (args.baseline, ["--jobs", "1"])
        contenders["baseline --jobs 2"] = (args.baseline, ["--jobs", "2"])
    cluster = None
    if not args.no_dask:
        from distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1", protocol="tcp"
        )
        contenders["dask LocalCluster 2x1"] = (ROOT, ["--scheduler", cluster.scheduler_address])
    full: dict[str, list[float]] = {k: [] for k in contenders}
    fixed: dict[str, list[float]] = {k: [] for k in contenders}
    try:
        for r in range(args.rounds):
            for name, (checkout, extra) in contenders.items():
                out = work / f"out-{r}-{name.replace(' ', '_').replace('-', '')}"
                shutil.rmtree(out, ignore_errors=True)
                full[name].append(batch(corpus, out, extra, checkout))
                fixed[name].append(batch(corpus, out, extra, checkout))  # everything known: the fixed cost
                shutil.rmtree(out, ignore_errors=True)
                print(f"round {r + 1}: {name}: {full[name][-1]:.2f} s (fixed {fixed[name][-1]:.2f} s)", file=sys.stderr)
    finally:
        if cluster is not None:
            cluster.close()

    n = args.bundles
    print(f"\n{n} bundles, {size / 1e6:.0f} MB on disk, {os.cpu_count()} CPUs, median of {args.rounds} rounds\n")
    print(
        "| contender | wall s | bundles/s | vs --jobs 1 | paired ratio (median) | scan-only bundles/s "
        "| scan vs --jobs 1 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in contenders:
        base_name = "baseline --jobs 1" if name.startswith("baseline") else "--jobs 1"
        base = statistics.median(full[base_name])
        base_scan = base - statistics.median(fixed[base_name])
        wall = statistics.median(full[name])
        scan = wall - statistics.median(fixed[name])
        # Rounds alternate the contenders, so a round's ratio compares runs made moments apart.
        paired = statistics.median(b / w for b, w in zip(full[base_name], full[name], strict=True))
        print(
            f"| {name} | {wall:.2f} | {n / wall:.1f} | {base / wall:.2f}x | {paired:.2f}x | {n / scan:.1f} "
            f"| {base_scan / scan:.2f}x |"
        )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
