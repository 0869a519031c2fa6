"""Time `antrea-diagnose scan` against ripgrep, zgrep and inflate-only on one large bundle.

    python benchmarks/run.py                 # 1 GB of logs, 5 alternating rounds
    python benchmarks/run.py --log-mb 4000   # the 4 GB run
    python benchmarks/run.py --rounds 3 --keep /tmp/bench   # keep the corpus for reuse

The corpus is the `healthy` sample scenario scaled up with the sample-bundle generator (rotated
`.gz` klog and OVS logs inside per-Node `agent_<node>.tar.gz`). Every contender searches for the
same signatures (all loaded rules plus the engine's lifecycle markers): `rg -j1 -z -c -f` and
`zgrep -E -c -f` over an extracted copy, and `scan` over the bundle as antctl wrote it. Runs are
whole processes, alternated round by round, pinned to one CPU with `taskset -c 0` unless said
otherwise; the table shows median wall time, MB/s of uncompressed log and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "sample_bundles"))


def build_corpus(work: Path, log_mb: int) -> tuple[Path, Path, int]:
    """(bundle dir as antctl writes it, extracted copy, uncompressed log bytes)."""
    import generate  # sample_bundles/generate.py

    bundle_root = work / "bundle"
    if not bundle_root.exists():
        print(f"generating a {log_mb} MB bundle ...", file=sys.stderr)
        generate.generate(bundle_root, ["healthy"], log_mb=log_mb)
    bundle = next(bundle_root.rglob("support-bundles_*"))
    extracted = work / "extracted"
    if not extracted.exists():
        shutil.copytree(bundle, extracted, ignore=shutil.ignore_patterns("*.tar.gz"))
        for archive in bundle.glob("*.tar.gz"):
            dest = extracted / archive.name.removesuffix(".tar.gz")
            with tarfile.open(archive) as tar:
                tar.extractall(dest, filter="data")
    return bundle, extracted, _log_bytes(extracted)


def _log_bytes(extracted: Path) -> int:
    import gzip

    total = 0
    for p in extracted.rglob("*"):
        if p.is_file() and "logs" in p.parts:
            if p.suffix == ".gz":
                with gzip.open(p) as f:
                    while block := f.read(1 << 20):
                        total += len(block)
            else:
                total += p.stat().st_size
    return total


def grep_patterns() -> list[str]:
    """The signatures in the syntax `rg` and `grep -E` share (no named groups, no \\d \\s \\w)."""
    from diagnose import rulepack, timeline

    rules = rulepack.load(rulepack.rule_dirs())
    sources = [s.pattern for s in timeline.SIGNATURES] + [s.pattern for r in rules for s in r.signatures]
    out = []
    for src in sources:
        src = re.sub(r"^\(\?[a-z]+\)", "", src)
        src = re.sub(r"\(\?P<\w+>", "(", src).replace("(?:", "(")
        for a, b in ((r"\d", "[0-9]"), (r"\s", "[[:space:]]"), (r"\S", "[^[:space:]]"), (r"\w", "[[:alnum:]_]")):
            src = src.replace(a, b)
        if src:
            out.append(src)
    return out


def run_once(cmd: list[str], pin: bool) -> tuple[float, int]:
    """(wall seconds, peak RSS in KiB of the largest process) of one whole-process run."""
    if pin and shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # grep/rg exit 1 when nothing matched
        raise SystemExit(f"{cmd[:3]} failed ({code}): {err[-500:]}")
    return wall, usage.ru_maxrss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log-mb", type=int, default=1000, help="uncompressed log volume of the bundle (MB)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="reuse/keep the corpus in this directory")
    ap.add_argument("--skip", default="", help="comma list of contenders to skip (rg,zgrep,inflate,scan2)")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="antrea-diagnose-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    bundle, extracted, log_bytes = build_corpus(work, args.log_mb)
    sigs = work / "signatures.txt"
    sigs.write_text("\n".join(grep_patterns()) + "\n")
    out_json = work / "report.json"
    py = sys.executable
    # Warm the compiled-signature cache once, as a user's second run would find it.
    subprocess.run([py, "-m", "diagnose", "scan", str(bundle), "-f", "json", "-o", str(out_json)], check=True,
                   stderr=subprocess.DEVNULL, cwd=ROOT)
    zgrep_files = [str(p) for p in sorted(extracted.rglob("*")) if p.is_file() and "logs" in p.parts]
    contenders = {
        "scan (1 core)": ([py, "-m", "diagnose", "scan", str(bundle), "-f", "json", "-o", str(out_json)], True),
        "scan (2 cores)": ([py, "-m", "diagnose", "scan", str(bundle), "-f", "json", "-o", str(out_json)], False),
        "inflate-only (1 core)": ([py, str(ROOT / "benchmarks" / "inflate_only.py"), str(bundle)], True),
        "rg -j1 -z (1 core)": (["rg", "-j1", "-z", "-c", "-f", str(sigs), str(extracted)], True),
        "zgrep -E (1 core)": (["zgrep", "-E", "-c", "-f", str(sigs), *zgrep_files], True),
    }
    skip = set(args.skip.split(","))
    for name in list(contenders):
        if (("rg" in skip and name.startswith("rg")) or ("zgrep" in skip and name.startswith("zgrep"))
                or ("inflate" in skip and name.startswith("inflate")) or ("scan2" in skip and "2 cores" in name)):
            del contenders[name]
        elif contenders[name][0][0] in ("rg", "zgrep") and not shutil.which(contenders[name][0][0]):
            print(f"{contenders[name][0][0]} not found: skipping {name} (apt-get install ripgrep)", file=sys.stderr)
            del contenders[name]

    times: dict[str, list[float]] = {n: [] for n in contenders}
    rss: dict[str, int] = dict.fromkeys(contenders, 0)
    for r in range(args.rounds):
        for name, (cmd, pin) in contenders.items():  # alternate: one run of each per round
            wall, peak = run_once(cmd, pin)
            times[name].append(wall)
            rss[name] = max(rss[name], peak)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    mb = log_bytes / 1e6
    print(f"\nmachine: {os.cpu_count()} CPUs, {platform_line()}")
    print(f"corpus: {mb:,.0f} MB of uncompressed log, bundle {du(bundle) / 1e6:,.0f} MB on disk, "
          f"{len(zgrep_files)} log files, {len(grep_patterns())} signatures, {args.rounds} rounds\n")
    print(f"{'contender':<24}{'median s':>10}{'min s':>9}{'max s':>9}{'MB/s':>9}{'peak RSS MiB':>14}")
    med = {n: statistics.median(t) for n, t in times.items()}
    for n, t in times.items():
        print(f"{n:<24}{med[n]:>10.2f}{min(t):>9.2f}{max(t):>9.2f}{mb / med[n]:>9.0f}{rss[n] / 1024:>14.1f}")
    print()
    scan1 = med.get("scan (1 core)")
    if scan1 and "rg -j1 -z (1 core)" in med:
        print(f"scan / rg -j1 -z          = {scan1 / med['rg -j1 -z (1 core)']:.3f}   (target <= 0.5)")
    if scan1 and "zgrep -E (1 core)" in med:
        print(f"scan / zgrep -E           = {scan1 / med['zgrep -E (1 core)']:.3f}")
    if scan1 and "inflate-only (1 core)" in med:
        print(f"scan throughput / inflate = {med['inflate-only (1 core)'] / scan1:.3f}   (target >= 0.6)")
    if scan1 and "scan (2 cores)" in med:
        print(f"2 cores / 1 core speed-up = {scan1 / med['scan (2 cores)']:.2f}x")
    if "scan (1 core)" in rss:
        print(f"scan peak RSS             = {rss['scan (1 core)'] / 1024:.1f} MiB   (target <= 100)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def platform_line() -> str:
    import platform

    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu or platform.processor()}, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
