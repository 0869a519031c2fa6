"""Microseconds per `diagnose.facts.messages` lookup, for lines that match and lines that do not.

    python benchmarks/message_lookup.py              # 2000 lines of each kind, 5 rounds
    python benchmarks/message_lookup.py --lines 500 --rounds 3

Hit lines are rendered from the catalogue itself (error, warning and fatal messages, values put
in for the verbs, a klog header in front, structured messages quoted with their keys); miss lines
are the same messages with their words reversed (kept only when they really match nothing),
plus lines of other programs. Rounds alternate hits and misses, the per-process caches of the
lookup are bypassed (each line is looked up afresh); the table shows the median and the spread
of the rounds. The one-off cost of loading the data and building the indexes is printed first.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnose.facts.gofmt import VERB  # noqa: E402
from diagnose.facts.messages import Catalogue  # noqa: E402

OTHER_PROGRAMS = [
    "E0101 00:00:00.000000       1 reflector.go:138] k8s.io/client-go/informers/factory.go:134: Failed to watch "
    '*v1.Pod: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods": dial tcp 10.96.0.1:443: i/o timeout',
    "E0101 00:00:00.000000       1 ofSwitch.go:259] Received OpenFlow1.3 error: OFPBAC_BAD_OUT_GROUP on message",
    "2024-06-28T18:55:02.910Z|00042|bridge|WARN|could not open network device antrea-gw0 (No such device)",
    "iptables-restore v1.8.7 (nf_tables): Couldn't load target `ANTREA-POSTROUTING':No such file or directory",
]


def render(fmt: str, structured: bool, keys: tuple[str, ...], level: str, file: str, line: int) -> str:
    body = VERB.sub(lambda m: "%" if m.group() == "%%" else "node-7", fmt)
    if structured:
        body = '"' + body.replace('"', '\\"') + '"' + "".join(f' {k}="v-{i}"' for i, k in enumerate(keys))
    return f"{level}0628 18:55:02.910334       1 {file.rsplit('/', 1)[-1]}:{line}] {body}"


def lines(cat: Catalogue, count: int, seed: int = 7) -> tuple[list[str], list[str]]:
    rnd = random.Random(seed)
    wanted = [i for i, row in enumerate(cat.rows) if row[1] in ("E", "W", "F")]
    picks = rnd.sample(wanted, min(count, len(wanted)))
    hits, misses = [], []
    for i in picks:
        m = cat.message(i)
        loc = m.location()
        hits.append(render(m.format, m.structured, m.keys, m.level, loc.file, loc.line))
        reversed_words = " ".join(reversed(VERB.sub("x", m.format).split()))
        candidate = f"E0628 18:55:02.910334       1 nowhere.go:1] {reversed_words}"
        if cat._lookup(candidate) is None:
            misses.append(candidate)
    misses += OTHER_PROGRAMS * max(1, count // 50)
    return hits, misses[:count]


def per_line_us(cat: Catalogue, batch: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    found = sum(1 for text in batch if cat._lookup(text) is not None)  # no lru_cache: every line afresh
    return (time.perf_counter() - start) / len(batch) * 1e6, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    cat = Catalogue.load()
    loaded = time.perf_counter()
    _ = cat._index, cat._first_lines, cat._wrappers
    indexed = time.perf_counter()
    print(
        f"{len(cat)} messages, {len(cat.releases)} releases: load {1000 * (loaded - start):.0f} ms, "
        f"indexes {1000 * (indexed - loaded):.0f} ms"
    )

    hits, misses = lines(cat, args.lines)
    times: dict[str, list[float]] = {"hit": [], "miss": []}
    matched = {"hit": 0, "miss": 0}
    for _ in range(args.rounds):
        for kind, batch in (("hit", hits), ("miss", misses)):
            us, found = per_line_us(cat, batch)
            times[kind].append(us)
            matched[kind] = found
    print(f"{'lines':<6} {'n':>6} {'matched':>8} {'median µs':>10} {'min':>7} {'max':>7}")
    for kind, batch in (("hit", hits), ("miss", misses)):
        t = times[kind]
        print(
            f"{kind:<6} {len(batch):>6} {matched[kind]:>8} {statistics.median(t):>10.1f} {min(t):>7.1f} {max(t):>7.1f}"
        )
    ratio = statistics.median(times["hit"]) / statistics.median(times["miss"])
    print(f"hit / miss: {ratio:.2f}")


if __name__ == "__main__":
    main()
