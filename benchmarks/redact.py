"""Time `antrea-diagnose redact` against an inflate-only pass of the same bundle.

    python benchmarks/redact.py                        # ~200 MB of log, 5 alternating rounds
    python benchmarks/redact.py --log-mb 30 --rounds 3 --keep /tmp/rbench
    python benchmarks/redact.py --before /path/to/older/checkout   # also time another checkout's redact
    python benchmarks/redact.py --update-readme        # rewrite this size's table in benchmarks/README.md

The corpus is the `healthy` sample scenario scaled up with the sample-bundle generator (three
agents and a controller, rotated `.gz` klog and OVS logs inside `agent_<node>.tar.gz`): above
100 MB of log, where redaction used to crash. Each contender is a whole process, alternated
round by round and pinned to one CPU with `taskset -c 0` when it exists: `redact` of the bundle
directory to a `.tar.gz` (both passes: names, then the copy), `redact` on the stdlib engine
(ANTREA_DIAGNOSE_ENGINE=stdlib, with --stdlib), another checkout's `redact` (--before), and
`inflate_only.py` (tarfile over isal's inflate, touching every byte) as the floor. Peak RSS and
CPU time (user + system) are each child's own (`os.wait4`): on a shared machine the CPU time
is the steadier measure. A run that fails is reported with its error.
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
sys.path.insert(0, str(ROOT / "sample_bundles"))
README = ROOT / "benchmarks" / "README.md"
MARK = "<!-- redact-benchmark {}:{} -->"


def build_corpus(work: Path, log_mb: int) -> Path:
    root = work / "bundle"
    if not root.exists():
        import generate  # sample_bundles/generate.py

        print(f"generating a ~{log_mb} MB bundle ...", file=sys.stderr)
        # `healthy` has three agents and a controller (which gets a fifth of an agent's share)
        generate.generate(root, ["healthy"], log_mb=max(1, round(log_mb / 3.2)))
    return next(root.rglob("support-bundles_*"))


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, int, str]:
    """(wall seconds, CPU seconds, peak RSS MiB, exit code, stderr tail) of one child process."""
    err = cwd / "stderr.txt"
    with open(err, "wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, proc.returncode, err.read_text(errors="replace").strip()[-300:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log-mb", type=int, default=200, help="uncompressed log volume (default 200)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="generate the corpus here and reuse it")
    ap.add_argument("--before", type=Path, help="another checkout whose `redact` is timed too")
    ap.add_argument("--stdlib", action="store_true", help="also time redact on the stdlib engine")
    ap.add_argument("--update-readme", action="store_true", help="write the table into benchmarks/README.md")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="redact-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    bundle = build_corpus(work, args.log_mb)
    runs = work / "runs"
    runs.mkdir(exist_ok=True)
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    base_env = {k: v for k, v in os.environ.items() if k != "ANTREA_DIAGNOSE_ENGINE"}
    code_env = dict(base_env, PYTHONPATH=str(ROOT))
    log_bytes = int(
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "inflate_only.py"), str(bundle)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    out = runs / "copy.tar.gz"
    inflate = ROOT / "benchmarks" / "inflate_only.py"

    def redact(env: dict[str, str]) -> list[str]:
        for p in runs.glob("copy.tar.gz*"):
            p.unlink()
        return [*pin, sys.executable, "-m", "diagnose", "redact", str(bundle), "-o", str(out)]

    contenders: dict[str, tuple[dict[str, str], object]] = {
        "redact, 1 core": (code_env, redact),
        "inflate-only, 1 core": (base_env, lambda env: [*pin, sys.executable, str(inflate), str(bundle)]),
    }
    if args.stdlib:
        contenders["redact, stdlib engine, 1 core"] = (dict(code_env, ANTREA_DIAGNOSE_ENGINE="stdlib"), redact)
    if args.before:
        before_env = dict(base_env, PYTHONPATH=str(args.before))
        contenders[f"redact before ({args.before.name}), 1 core"] = (before_env, redact)
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in contenders}
    failures: dict[str, str] = {}
    for r in range(args.rounds):
        for name, (env, command) in contenders.items():
            if name in failures:
                continue
            wall, cpu, rss, code, err = timed(command(env), env, runs)  # type: ignore[operator]
            if code != 0:
                failures[name] = f"exit {code} after {wall:.1f} s, {rss:.0f} MiB: {err}"
                continue
            results[name].append((wall, cpu, rss))
            print(f"round {r + 1}: {name}: {wall:.2f} s, CPU {cpu:.2f} s, {rss:.1f} MiB", file=sys.stderr)

    packed = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
    lines = [
        f"Bundle: {log_bytes / 1e6:,.0f} MB of log in {packed / 1e6:,.0f} MB "
        f"(`healthy` scenario, 3 agents + controller); {args.rounds} alternating rounds"
        + (", pinned with `taskset -c 0`" if pin else "")
        + ".",
        "",
        "| contender | median s | min s | max s | MB/s of log | median CPU s | MB/s of log per CPU s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    medians: dict[str, float] = {}
    for name, rows in results.items():
        if not rows:
            continue
        walls = [w for w, _, _ in rows]
        medians[name] = statistics.median(walls)
        cpu = statistics.median(c for _, c, _ in rows)
        lines.append(
            f"| {name} | {medians[name]:.2f} | {min(walls):.2f} | {max(walls):.2f} | "
            f"{log_bytes / 1e6 / medians[name]:.1f} | {cpu:.2f} | {log_bytes / 1e6 / cpu:.1f} | "
            f"{max(r for _, _, r in rows):.1f} |"
        )
    for name, why in failures.items():
        lines.append(f"| {name} | failed: {why.splitlines()[-1][:120] if why else ''} | | | | | | |")
    if "redact, 1 core" in medians and "inflate-only, 1 core" in medians:
        ratio = medians["inflate-only, 1 core"] / medians["redact, 1 core"]
        lines += ["", f"redact throughput / inflate-only: **{ratio:.3f}**"]
    table = "\n".join(lines)
    print(table)
    if args.update_readme:
        start, end = MARK.format(args.log_mb, "start"), MARK.format(args.log_mb, "end")
        text = README.read_text()
        section = f"{start}\n{table}\n{end}"
        if start in text:
            text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
        else:
            text = text.rstrip("\n") + f"\n\n{section}\n"
        README.write_text(text)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
