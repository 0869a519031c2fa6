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
        # `healthy` has three agents and a controller (which gets a fifth of an agent's share).
        generate.generate(bundle_root, ["healthy"], log_mb=max(1, round(log_mb / 3.2)))
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
    return [p for p in (to_posix_ere(s) for s in sources) if p]


_OUTSIDE = {"d": "[0-9]", "s": "[[:space:]]", "S": "[^[:space:]]", "w": "[[:alnum:]_]", "n": ""}
_INSIDE = {"d": "0-9", "s": "[:space:]", "w": "[:alnum:]_", "n": ""}


def to_posix_ere(src: str) -> str:
    """Python regex -> POSIX ERE that GNU grep -E and ripgrep both accept."""
    src = re.sub(r"^\(\?[a-zA-Z]+\)", "", src)
    src = re.sub(r"\(\?P<\w+>", "(", src).replace("(?:", "(")
    out, i, in_class = [], 0, False
    while i < len(src):
        c = src[i]
        if c == "\\" and i + 1 < len(src):
            nxt = src[i + 1]
            table = _INSIDE if in_class else _OUTSIDE
            if nxt in table:
                out.append(table[nxt])
            elif nxt.isalnum():
                out.append("\\" + nxt)
            elif in_class:  # a backslash in a class means different things to rg and grep: drop it
                out.append("" if nxt == "\\" else nxt if nxt not in "]^-" else "\\" + nxt)
            else:
                out.append(nxt if nxt in "\"'`/:=<>@!#%&,~ " else "\\" + nxt)
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class and out and out[-1] not in ("[", "[^"):
            in_class = False
        out.append(c)
        i += 1
    return "".join(out).replace("[^]", ".")


# A user's Python caches bytecode; a sandbox that sets PYTHONDONTWRITEBYTECODE would make every
# run recompile the rule modules, which no user pays.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(cmd: list[str], pin: bool, limit: float | None = None) -> tuple[float, int, bool]:
    """(wall seconds, peak RSS in KiB of the largest process, timed out) of one whole-process run.

    A contender still running after `limit` seconds is killed and counted as "> limit": GNU grep
    builds a DFA per pattern set and with ~130 signatures it can run for hours on 1 GB.
    """
    if pin and shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, env=_ENV)
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if limit and time.perf_counter() - start > limit:
            os.killpg(proc.pid, 9)
            timed_out = True
        time.sleep(0.02)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if not timed_out and code not in (0, 1):  # grep/rg exit 1 when nothing matched
        raise SystemExit(f"{cmd[:3]} failed ({code}): {err[-500:]}")
    return wall, usage.ru_maxrss, timed_out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log-mb", type=int, default=1000, help="uncompressed log volume of the whole bundle (MB)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="reuse/keep the corpus in this directory")
    ap.add_argument("--skip", default="", help="comma list of contenders to skip (rg,zgrep,inflate,scan2)")
    ap.add_argument("--limit", type=float, default=300.0, help="kill a contender run after this many seconds")
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
                   stderr=subprocess.DEVNULL, cwd=ROOT, env=_ENV)
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
    capped: set[str] = set()
    for r in range(args.rounds):
        for name, (cmd, pin) in list(contenders.items()):  # alternate: one run of each per round
            if name in capped:
                continue  # it hit the time limit once: more rounds would only say the same
            wall, peak, timed_out = run_once(cmd, pin, args.limit)
            times[name].append(wall)
            rss[name] = max(rss[name], peak)
            if timed_out:
                capped.add(name)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    mb = log_bytes / 1e6
    print(f"\nmachine: {os.cpu_count()} CPUs, {platform_line()}")
    print(f"corpus: {mb:,.0f} MB of uncompressed log, bundle {du(bundle) / 1e6:,.0f} MB on disk, "
          f"{len(zgrep_files)} log files, {len(grep_patterns())} signatures, {args.rounds} rounds\n")
    print(f"{'contender':<24}{'median s':>10}{'min s':>9}{'max s':>9}{'MB/s':>9}{'peak RSS MiB':>14}")
    med = {n: statistics.median(t) for n, t in times.items()}
    for n, t in times.items():
        mark = ">" if n in capped else " "
        print(f"{n:<24}{mark}{med[n]:>9.2f}{min(t):>9.2f}{max(t):>9.2f}{mb / med[n]:>9.0f}{rss[n] / 1024:>14.1f}")
    if capped:
        print(f"> killed at the {args.limit:.0f} s limit: the figure is a lower bound")
    print()
    scan1 = med.get("scan (1 core)")
    if scan1 and "rg -j1 -z (1 core)" in med:
        print(f"scan / rg -j1 -z          = {scan1 / med['rg -j1 -z (1 core)']:.3f}   (target <= 0.5)")
    if scan1 and "zgrep -E (1 core)" in med:
        bound = "<" if "zgrep -E (1 core)" in capped else "="
        print(f"scan / zgrep -E           {bound} {scan1 / med['zgrep -E (1 core)']:.3f}")
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
