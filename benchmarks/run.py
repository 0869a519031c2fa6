"""Time `antrea-diagnose scan` against ripgrep, zgrep and inflate-only on noisy and quiet bundles.

    python benchmarks/run.py                                # 1 GB at 0.01 %, 2 % and 10 % hit lines
    python benchmarks/run.py --hit-pct 2 --log-mb 4000      # one 4 GB corpus
    python benchmarks/run.py --hit-pct 10 --rotated 100     # 100 klog files per agent
    python benchmarks/run.py --keep /tmp/bench --baseline /tmp/main-copy   # before/after, same run
    python benchmarks/run.py --startup                      # --help and a sample-bundle scan
    python benchmarks/run.py --keep /tmp/bench --write-readme   # regenerate benchmarks/README.md

Corpora come from `benchmarks/corpus.py` (the `healthy` sample cluster scaled up, with error and
warning lines at the chosen share of all lines). Every run is a whole process pinned to one CPU
(`taskset -c 0`, unless `--no-pin`); contenders alternate within each round and every ratio is
taken per round (scan time / contender time in the same round), then the median of the rounds.
The contenders:

- `scan`: `antrea-diagnose scan BUNDLE -f json -o FILE` over the bundle as antctl wrote it;
- `scan (baseline)`: the same command from another checkout (`--baseline DIR`), for before/after;
- `rg own`: `rg -j1 -z -c -f` with the tool's own signatures (all rules, the lifecycle markers and
  the unexplained-error catch-all, in POSIX ERE) over an extracted copy;
- `rg 40`: the same with a fixed set of 40 signatures (`benchmarks/patterns-40.txt`);
- `zgrep`: `zgrep -E -f patterns-40.txt` writing the matching lines to a file (GNU grep stops at
  the first match when its output is /dev/null, which would flatter it);
- `inflate`: `benchmarks/inflate_only.py`, tarfile over isal touching every byte, matching nothing.

Outputs go to files in the work folder, never to /dev/null. The "hit lines" column is the share
of lines `rg own` counts. Peak RSS is the largest process of the run (ru_maxrss of the children).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

PATTERNS_40 = HERE / "patterns-40.txt"
README = HERE / "README.md"


@dataclass
class Corpus:
    name: str
    bundle: Path  # support-bundles_* as antctl writes it
    extracted: Path  # every agent/controller tarball extracted, for rg and zgrep
    log_bytes: int
    log_lines: int
    files: int


def build_corpus(work: Path, log_mb: int, hit_pct: float, rotated: int | None) -> Corpus:
    import corpus as corpus_gen  # benchmarks/corpus.py

    name = f"{log_mb}mb-{hit_pct:g}pct" + (f"-rot{rotated}" if rotated else "")
    base = work / name
    bundles = list(base.glob("healthy/support-bundles_*")) if base.exists() else []
    if not bundles:
        print(f"generating {name} ...", file=sys.stderr)
        bundles = [corpus_gen.build(base, log_mb, hit_pct, rotated)]
    bundle = bundles[0]
    extracted = base / "extracted"
    if not (extracted / ".done").exists():
        shutil.rmtree(extracted, ignore_errors=True)
        shutil.copytree(bundle, extracted, ignore=shutil.ignore_patterns("*.tar.gz"))
        for archive in bundle.glob("*.tar.gz"):
            with tarfile.open(archive) as tar:
                tar.extractall(extracted / archive.name.removesuffix(".tar.gz"), filter="data")
        (extracted / ".done").write_text("")
    size_file = base / "log-size.txt"
    if not size_file.exists():
        size_file.write_text(" ".join(map(str, _log_size(extracted))))
    log_bytes, log_lines, files = map(int, size_file.read_text().split())
    return Corpus(name, bundle, extracted, log_bytes, log_lines, files)


def log_files(extracted: Path) -> list[Path]:
    return [p for p in sorted(extracted.rglob("*")) if p.is_file() and "logs" in p.parts]


def _log_size(extracted: Path) -> tuple[int, int, int]:
    total = lines = 0
    files = log_files(extracted)
    for p in files:
        opener = gzip.open if p.suffix == ".gz" else open
        with opener(p, "rb") as f:
            while block := f.read(1 << 20):
                total += len(block)
                lines += block.count(b"\n")
    return total, lines, len(files)


# -- the signatures in the syntax rg and grep -E share --------------------------------------------


def own_patterns() -> list[str]:
    """Every pattern the scan looks for (rules, lifecycle markers, unexplained-error catch-all)."""
    from diagnose.diagnosis import unexplained
    from diagnose.facts import lifecycle
    from diagnose.rules import rulepack

    rules = rulepack.load(rulepack.rule_dirs())
    sources = [s.pattern for s in lifecycle.SIGNATURES] + [s.pattern for r in rules for s in r.signatures]
    sources += [s.pattern for _, s in unexplained.SIGNATURES]
    return list(dict.fromkeys(p for p in (to_posix_ere(s) for s in sources) if p))


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


# -- running ----------------------------------------------------------------------------------

# A user's Python caches bytecode; a sandbox that sets PYTHONDONTWRITEBYTECODE would make every
# run recompile the rule modules, which no user pays.
_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}


@dataclass
class Contender:
    name: str
    cmd: list[str]
    stdout: Path | None = None  # where its output goes (never /dev/null)
    env: dict[str, str] = field(default_factory=dict)
    times: list[float | None] = field(default_factory=list)  # None: killed at the time limit
    cpu: list[float | None] = field(default_factory=list)  # user + system seconds of the process tree
    rss_kib: int = 0


def run_once(c: Contender, pin: bool, limit: float | None, cwd: Path) -> tuple[float | None, float | None, int]:
    """(wall seconds, CPU seconds (None when killed at `limit`), peak RSS KiB of the largest process).

    Runs in `cwd`, not in the checkout: `python -m diagnose` would import ./diagnose from there
    whatever PYTHONPATH says."""
    cmd = ["taskset", "-c", "0", *c.cmd] if pin and shutil.which("taskset") else c.cmd
    out = open(c.stdout, "wb") if c.stdout else subprocess.DEVNULL  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=out, stderr=subprocess.PIPE, start_new_session=True, env={**_ENV, **c.env}, cwd=cwd
    )
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if limit and time.perf_counter() - start > limit:
            os.killpg(proc.pid, 9)
            timed_out = True
        time.sleep(0.005)
    wall = time.perf_counter() - start
    if out is not subprocess.DEVNULL:
        out.close()
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if not timed_out and code not in (0, 1):  # grep/rg exit 1 when nothing matched
        raise SystemExit(f"{c.name}: {c.cmd[:4]} failed ({code}): {err[-500:]}")
    cpu = usage.ru_utime + usage.ru_stime  # with the children it waited for (rg's and zgrep's gzip)
    return (None if timed_out else wall), (None if timed_out else cpu), usage.ru_maxrss


def contenders(corp: Corpus, work: Path, baseline: Path | None, skip: set[str]) -> list[Contender]:
    py = sys.executable
    own = work / "patterns-own.txt"
    own.write_text("\n".join(own_patterns()) + "\n")
    report = work / "report.json"
    files = [str(p) for p in log_files(corp.extracted)]
    scan = ["-m", "diagnose", "scan", str(corp.bundle), "-f", "json", "-o", str(report)]
    out: list[Contender] = [Contender("scan", [py, *scan], env={"PYTHONPATH": str(ROOT)})]
    if baseline:
        out.append(Contender("scan (baseline)", [py, *scan], env={"PYTHONPATH": str(baseline)}))
    out += [
        Contender("inflate", [py, str(HERE / "inflate_only.py"), str(corp.bundle)], work / "inflate.out"),
        Contender("rg own", ["rg", "-j1", "-z", "-c", "-f", str(own), str(corp.extracted)], work / "rg-own.out"),
        Contender("rg 40", ["rg", "-j1", "-z", "-c", "-f", str(PATTERNS_40), str(corp.extracted)], work / "rg-40.out"),
        Contender("zgrep", ["zgrep", "-E", "-f", str(PATTERNS_40), *files], work / "zgrep.out"),
    ]
    kept = []
    for c in out:
        tool = c.cmd[0] if c.cmd[0] != py else None
        if c.name.split(" ")[0] in skip:
            continue
        if tool and not shutil.which(tool):
            print(f"{tool} not found: skipping {c.name} (apt-get install ripgrep)", file=sys.stderr)
            continue
        kept.append(c)
    return kept


@dataclass
class Result:
    corpus: Corpus
    hit_lines: int | None
    contenders: list[Contender]
    limit: float

    def median(self, name: str, cpu: bool = False) -> float | None:
        c = self.by_name(name)
        series = (c.cpu if cpu else c.times) if c else []
        done = [t for t in series if t is not None]
        return statistics.median(done) if c and len(done) == len(series) and done else None

    def by_name(self, name: str) -> Contender | None:
        return next((c for c in self.contenders if c.name == name), None)

    def ratio(self, a: str, b: str, cpu: bool = False) -> str:
        """Median over rounds of a's time / b's time in the same round ("<x" when b was killed)."""
        ca, cb = self.by_name(a), self.by_name(b)
        if not ca or not cb:
            return "–"
        xs, ys = (ca.cpu, cb.cpu) if cpu else (ca.times, cb.times)
        pairs = [(x, y) for x, y in zip(xs, ys, strict=False) if x is not None]
        if not pairs:
            return "–"
        if any(y is None for _, y in pairs):
            return f"< {max(x for x, _ in pairs) / self.limit:.3f}"
        return f"{statistics.median(x / y for x, y in pairs):.3f}"  # type: ignore[operator]


def bench(corp: Corpus, work: Path, args: argparse.Namespace) -> Result:
    cs = contenders(corp, work, args.baseline, set(filter(None, args.skip.split(","))))
    for c in cs:  # warm-up: page cache, the compiled-signature cache, bytecode
        if c.name.startswith("scan"):
            run_once(c, pin=False, limit=None, cwd=work)
    for r in range(args.rounds):
        order = cs if r % 2 == 0 else list(reversed(cs))  # alternate who runs first
        for c in order:
            if c.times and c.times[-1] is None:
                c.times.append(None)  # killed once at the limit: more rounds would only say the same
                c.cpu.append(None)
                continue
            wall, cpu, peak = run_once(c, not args.no_pin, args.limit, work)
            c.times.append(wall)
            c.cpu.append(cpu)
            c.rss_kib = max(c.rss_kib, peak)
        print(f"{corp.name}: round {r + 1}/{args.rounds} done", file=sys.stderr)
    hits = None
    rg_out = work / "rg-own.out"
    if rg_out.exists():
        hits = sum(int(line.rsplit(":", 1)[1]) for line in rg_out.read_text().splitlines() if ":" in line)
    return Result(corp, hits, cs, args.limit)


# -- output -----------------------------------------------------------------------------------


def table(results: list[Result], rounds: int) -> str:
    rows = [
        "| corpus | log MB | files | hit lines | contender | median wall s | median CPU s | MB/s (wall) | "
        "peak RSS MiB |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for res in results:
        c = res.corpus
        share = f"{100 * res.hit_lines / max(1, c.log_lines):.2g} %" if res.hit_lines is not None else "?"
        for con in res.contenders:
            med, cpu = res.median(con.name), res.median(con.name, cpu=True)
            shown = f"{med:.2f}" if med is not None else f"> {res.limit:.0f}"
            shown_cpu = f"{cpu:.2f}" if cpu is not None else "–"
            mbs = f"{c.log_bytes / 1e6 / med:,.0f}" if med else "–"
            rows.append(
                f"| {c.name} | {c.log_bytes / 1e6:,.0f} | {c.files} | {share} | {con.name} | {shown} | "
                f"{shown_cpu} | {mbs} | {con.rss_kib / 1024:.1f} |"
            )
    pairs = [
        ("scan", "rg own"),
        ("scan", "rg 40"),
        ("scan", "zgrep"),
        ("scan", "inflate"),
        ("scan (baseline)", "rg own"),
        ("scan (baseline)", "rg 40"),
        ("scan", "scan (baseline)"),
    ]
    rows += [
        "",
        "| corpus | time | " + " | ".join(f"{a} ÷ {b}" for a, b in pairs) + " |",
        "|---|---|" + "---:|" * len(pairs),
    ]
    for res in results:
        for cpu in (False, True):
            rows.append(
                f"| {res.corpus.name} | {'CPU' if cpu else 'wall'} | "
                + " | ".join(res.ratio(a, b, cpu) for a, b in pairs)
                + " |"
            )
    rows.append("")
    rows.append(
        f"Ratios are medians of per-round ratios over {rounds} alternated rounds; `<` marks a contender "
        "killed at the time limit (the ratio is then an upper bound). CPU is user + system time of the "
        "process and the children it waited for (rg's and zgrep's gzip)."
    )
    return "\n".join(rows)


def startup(rounds: int, baseline: Path | None) -> str:
    """Wall and CPU time of `--help` and of a sample-bundle scan (-q, JSON, the terminal report),
    less a bare `python -c pass`. The warm-up run writes the bytecode and the signed caches
    (Hyperscan databases, the message catalogue's indexes, the message templates' code) a user's
    earlier runs would have left."""
    py = sys.executable
    sample = ROOT / "sample_bundles" / "6448-secondary-network-primary-nic"
    out = Path(tempfile.mkdtemp(prefix="antrea-diagnose-startup-")) / "r.json"
    checkouts = [("", ROOT)] + ([(" (baseline)", baseline)] if baseline else [])
    cs = [Contender("python -c pass", [py, "-c", "pass"])]
    for tag, path in checkouts:
        env = {"PYTHONPATH": str(path)}
        scan = [py, "-m", "diagnose", "scan", str(sample)]
        cs += [
            Contender(f"--help{tag}", [py, "-m", "diagnose", "--help"], env=env),
            Contender(f"scan sample -q{tag}", [*scan, "-q"], env=env),
            Contender(f"scan sample -f json{tag}", [*scan, "-f", "json", "-o", str(out)], env=env),
            Contender(f"scan sample (terminal){tag}", scan, env=env),
        ]
    for c in cs:
        run_once(c, False, None, out.parent)  # warm caches
    for r in range(rounds):
        for c in cs if r % 2 == 0 else cs[::-1]:  # alternated: a load spike hits every contender
            wall, cpu, _ = run_once(c, False, None, out.parent)
            c.times.append(wall)
            c.cpu.append(cpu)
    # CPU time (user + system) moves less than wall time when other processes share the host.
    bare, bare_cpu = (statistics.median(xs) for xs in (cs[0].times, cs[0].cpu))  # type: ignore[type-var]
    rows = [
        "| command | median ms | tool's own share ms (less `python -c pass`) | median CPU ms | own share of CPU ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in cs:
        med, cpu = statistics.median(c.times), statistics.median(c.cpu)  # type: ignore[type-var]
        own, own_cpu = (med - bare) * 1000, (cpu - bare_cpu) * 1000
        rows.append(f"| {c.name} | {med * 1000:.0f} | {own:.0f} | {cpu * 1000:.0f} | {own_cpu:.0f} |")
    shutil.rmtree(out.parent, ignore_errors=True)
    return "\n".join(rows)


def machine() -> str:
    import platform

    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    rg = (
        subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        if shutil.which("rg")
        else "no rg"
    )
    return f"{os.cpu_count()} CPUs ({cpu or platform.processor()}), Python {platform.python_version()}, {rg}"


def write_readme(text: str, section: str) -> None:
    """Replace what stands between `<!-- SECTION:start -->` and `<!-- SECTION:end -->`."""
    readme = README.read_text()
    mark_start, mark_end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    start, end = readme.find(mark_start), readme.find(mark_end)
    if start == -1 or end == -1:
        raise SystemExit(f"{README} lacks the {mark_start} / {mark_end} markers")
    README.write_text(readme[: start + len(mark_start)] + "\n" + text.strip() + "\n" + readme[end:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log-mb", type=int, default=1000, help="uncompressed log volume of each corpus (MB)")
    ap.add_argument("--hit-pct", default="0.01,2,10", help="comma list: error/warning lines, percent of all lines")
    ap.add_argument("--rotated", type=int, help="klog files per agent run (default: the generator's 3)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="reuse/keep the corpora in this directory")
    ap.add_argument("--baseline", type=Path, help="another checkout of the project, timed as 'scan (baseline)'")
    ap.add_argument("--skip", default="", help="comma list of contenders to skip (rg, zgrep, inflate)")
    ap.add_argument("--limit", type=float, default=300.0, help="kill a contender run after this many seconds")
    ap.add_argument("--no-pin", action="store_true", help="do not pin runs to CPU 0")
    ap.add_argument("--startup", action="store_true", help="only time --help and a sample-bundle scan")
    ap.add_argument("--write-readme", action="store_true", help="put the table into benchmarks/README.md")
    args = ap.parse_args()
    if args.baseline:
        args.baseline = args.baseline.resolve()

    if args.startup:
        text = f"Start-up, {machine()}, median of {args.rounds} runs:\n\n" + startup(args.rounds, args.baseline)
    else:
        work = args.keep or Path(tempfile.mkdtemp(prefix="antrea-diagnose-bench-"))
        work.mkdir(parents=True, exist_ok=True)
        results = []
        for pct in (float(p) for p in args.hit_pct.split(",")):
            corp = build_corpus(work, args.log_mb, pct, args.rotated)
            results.append(bench(corp, work / corp.name, args))
            print(table(results, args.rounds), file=sys.stderr)
        pin = "unpinned" if args.no_pin else "each run pinned to one CPU"
        text = f"Machine: {machine()}; {pin}.\n\n" + table(results, args.rounds)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(text)
    if args.write_readme:
        write_readme(text, "startup-table" if args.startup else "scan-table")


if __name__ == "__main__":
    main()
