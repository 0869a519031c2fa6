"""Kept hits are bounded per Node and signature, whatever the number of files and hits; the ones
kept are the Node's earliest and latest, in time order across its logs."""

from __future__ import annotations

import tarfile
from pathlib import Path

from diagnose.bundle.reader import HitBuffer
from diagnose.diagnosis.engine import diagnose

HEADER = (
    "Log file created at: 2024/06/{day:02d} {hour:02d}:00:00\nRunning on machine: worker-1\n"
    "Binary: Built with gc go1.21.11 for linux/amd64\n"
    "Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg\n"
)
LIST = (
    "W06{day:02d} {hour:02d}:{minute:02d}:00.000000       1 reflector.go:547] k8s.io/client-go/informers/"
    'factory.go:159: failed to list *v1.Node: Get "https://10.96.0.1:443/api/v1/nodes": dial tcp '
    "10.96.0.1:443: i/o timeout"
)


def rotated_bundle(tmp: Path, files: int, hits_per_file: int) -> Path:
    """An agent bundle of one Node whose klog INFO log arrives as `files` rotated files, in a
    member order that is not the order of time (newest first, like a directory listing)."""
    stage = tmp / "stage" / "logs" / "agent"
    stage.mkdir(parents=True)
    names = []
    for k in range(files):
        day, hour = 1 + k // 24, k % 24
        name = f"antrea-agent.worker-1.root.log.INFO.202406{day:02d}-{hour:02d}0000.1"
        lines = [LIST.format(day=day, hour=hour, minute=m % 60) for m in range(hits_per_file)]
        (stage / name).write_text(HEADER.format(day=day, hour=hour) + "\n".join(lines) + "\n")
        names.append(name)
    bundle = tmp / "agent_worker-1.tar.gz"
    with tarfile.open(bundle, "w:gz") as tar:
        for name in reversed(names):
            tar.add(stage / name, f"logs/agent/{name}")
    return bundle


def test_a_node_with_a_hundred_rotated_files_keeps_the_same_bounded_number_of_hits(tmp_path, rules):
    d = diagnose(rotated_bundle(tmp_path, files=100, hits_per_file=30), rules)
    node = d.cluster.nodes["worker-1"]
    key = "ANT-API-001:list_failed"
    assert node.hit_counts[key] == 100 * 30  # every hit counted
    kept = [e for e in node.events if e.signature == key]
    assert len(kept) == 2 * HitBuffer.keep
    times = sorted(e.time for e in kept)
    # The earliest of the first file and the latest of the last file, though read in reverse.
    assert times[0].isoformat() == "2024-06-01T00:00:00"
    assert times[-1].isoformat() == "2024-06-05T03:29:00"
    assert all(e.before or e.after for e in kept)  # context lines travel with what is kept


def test_windows_keep_the_earliest_and_latest_in_time_order_whatever_the_read_order():
    from diagnose.scan.scanner import Hit

    buffer = HitBuffer()
    buffer.keep = 3
    logs = {order: buffer.log((0, order)) for order in (3, 1, 2)}  # read newest first
    for order, log in logs.items():
        log.add("k", [Hit("k", line, f"{order}:{line}", {}, []) for line in range(1, 6)])
    kept = sorted(h.text for log in logs.values() for h in log)
    assert kept == ["1:1", "1:2", "1:3", "3:3", "3:4", "3:5"]
    assert sum(log.counts["k"] for log in logs.values()) == 15


class _Batch:
    """A scanner batch (`HitBatch`'s contract): hits are built when indexed, and counted."""

    def __init__(self, hits):
        self.hits, self.built = hits, 0

    def __len__(self):
        return len(self.hits)

    def __getitem__(self, i):
        got = self.hits[i]
        self.built += len(got) if isinstance(i, slice) else 1
        return got


def test_windows_built_from_batches_are_the_earliest_and_latest_of_all_hits():
    import random

    from diagnose.scan.scanner import Hit

    rng = random.Random(7)
    for _ in range(200):
        buffer = HitBuffer()
        buffer.keep = keep = rng.choice((1, 3, 5))
        logs, everything = [], []
        for order in rng.sample(range(6), 6):  # logs read in any order, each in line order
            log = buffer.log((0, order))
            logs.append(log)
            line = 0
            for _ in range(rng.randrange(1, 10)):  # chunks
                n = rng.randrange(1, 25)
                log.add("k", _Batch([Hit("k", line + i + 1, str(order), {}, []) for i in range(n)]))
                if rng.random() < 0.5:
                    log.chunk_done()  # the scanner's signal between chunks (a batch may wait a few)
                everything += [(order, line + i + 1) for i in range(n)]
                line += n
        kept = sorted((int(h.text), h.line_no) for log in logs for h in log)
        everything.sort()
        assert kept == sorted(set(everything[:keep] + everything[-keep:]))
        assert sum(log.counts["k"] for log in logs) == len(everything)


def test_a_busy_log_builds_only_the_hits_a_window_can_take():
    from diagnose.scan.scanner import Hit

    buffer = HitBuffer()
    log = buffer.log()
    batches = [_Batch([Hit("k", 1000 * c + i, "", {}, []) for i in range(1, 501)]) for c in range(10)]
    for batch in batches:
        log.add("k", batch)
        log.chunk_done()
    log.flush()
    keep = HitBuffer.keep
    assert batches[0].built <= 1 + 2 * keep  # the first window fills, the latest may last
    assert all(b.built <= 1 for b in batches[1:-1])  # pushed out by the next chunk, unbuilt
    assert batches[-1].built <= 1 + keep
    assert log.counts["k"] == 5000
    assert len(list(log)) == 2 * keep


def test_a_busy_log_of_many_chunks_keeps_its_first_and_last_hits(rules):
    """Through the scanner: chunk after chunk a busy signature's batches wait and are pushed
    out; the windows end with the log's first and last `keep` hits, counted all."""
    import io

    from diagnose.diagnosis.engine import scanner_for
    from diagnose.parse.klog import is_header_or_log_start

    line = "W0628 18:57:17.000000       1 r.go:9] failed to list *v1.Node: dial tcp 10.0.0.1:443: i/o timeout #{n}"
    data = "\n".join(
        line.format(n=n) if n % 3 == 0 else f"I0628 18:57:17.000000 1 a.go:1] ok {n}" for n in range(60000)
    )
    buffer = HitBuffer()
    log = buffer.log()
    stats = scanner_for(rules).scan(io.BytesIO(data.encode()), "agent-log", log, is_header_or_log_start)
    log.flush()  # what the reader does when a log is read
    assert stats.bytes > 8 * 256 * 1024  # many chunks
    key = "ANT-API-001:list_failed"
    assert log.counts[key] == 20000
    kept = [h.line_no for h in log if h.key == key]
    every = [n + 1 for n in range(0, 60000, 3)]
    assert kept == every[: HitBuffer.keep] + every[-HitBuffer.keep :]
