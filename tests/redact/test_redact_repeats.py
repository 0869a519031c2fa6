"""The copy's line cache (`repeats`): a block whose log lines are scrubbed one body at a time,
each body once, comes out exactly as the block scrubbed whole, on both engines."""

from __future__ import annotations

import random

import pytest

from diagnose.redact import catalogue, names, repeats
from diagnose.redact.mapper import Mapper
from diagnose.redact.scrub import Scrubber
from diagnose.redact.vocab import Vocabulary

KEY = b"r" * 32
SAMPLES = [text for f in catalogue.FORMS for text, _ in f.positives] + [
    text for f in catalogue.FORMS for text in f.negatives
]
# Texts whose scrub depends on what is around them: the line after, the end of the block, a PEM
# block over several lines, a flag on the line before.
TRICKY = [
    "password: |",
    "password: |\n  s3cr3t-block-scalar\n",
    "token=dGhpc2lzYWxvbmdiYXNlNjR2YWx1ZXRoYXRnb2Vzb24xMjM0\ndGhpc2lzYWxvbmdiYXNlNjR2YWx1ZXRoYXRnb2Vzb24xMjM0NTY3\n",
    "-----BEGIN CERTIFICATE-----",
    "-----END CERTIFICATE-----",
    "MIIBcontinuedCertLineAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "--mytoken abc",
    "x-token y",
    "  name: DB_PASSWORD",
    "  value: hunter2",
    "Node=node2 peer=10.0.0.12 mac=de:ad:be:ef:00:01",
    "web-fron-87fe23 on port 7",
    "deadbeef0001",
    "fe80::1 via 10.1.2.3/24",
    "",
    "user@node2:~$ ls",
]
VOCABULARY = dict(catalogue.VOCABULARY, host=["vault"], pod=[*catalogue.VOCABULARY["pod"], "web-frontend-77"])


def vocabulary(extra: dict[str, list[str]] | None = None) -> Vocabulary:
    v = Vocabulary()
    for cls, values in {**VOCABULARY, **(extra or {})}.items():
        for value in values:
            v.add(cls, value)
    v.domains.update(catalogue.LEARNT_DOMAINS)
    return v


def scrubbers(engine: str) -> tuple[Scrubber, Scrubber]:
    cached = Scrubber(Mapper(KEY), vocabulary(), names.builtin_signature_text(), engine=engine)
    whole = Scrubber(Mapper(KEY), vocabulary(), names.builtin_signature_text(), engine=engine)
    assert cached._repeats is not None
    whole._repeats = None
    return cached, whole


def prefix(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return (
            f"{rng.choice('IWEF')}{rng.randint(101, 1231):04d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
            f"{rng.randint(0, 59):02d}.{rng.randint(0, 999999):06d} {rng.choice([1, 42, 1234567]):>7} "
        )
    return (
        f"2025-03-08T19:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z|"
        f"{rng.randint(0, 999999):05d}|"
    )


def corpus(rng: random.Random, lines: int, pem: bool, fresh: float) -> str:
    """Log lines (klog and OVS) around the samples, often the same body again under a new
    timestamp (else, with the probability `fresh`, a body never seen), and now and then a line
    that is no log line; with PEM blocks or without (a block with one is scrubbed whole)."""
    texts = [t for t in SAMPLES + TRICKY if pem or "-----BEGIN" not in t]
    bodies = [f"{rng.choice(['server.go:500] ', 'bridge|INFO|', 'x.go:1] msg '])}{t.rstrip(chr(10))}" for t in texts]
    out = []
    for _ in range(lines):
        if rng.random() < 0.1:
            out.append(rng.choice(texts))  # as it is: YAML, a header, a continuation line...
        elif rng.random() < fresh:
            out.append(f"{prefix(rng)}{rng.choice(bodies)} seq={rng.random()}")
        else:
            out.append(prefix(rng) + rng.choice(bodies))
    return "\n".join(t.rstrip("\n") for t in out) + "\n"


@pytest.mark.parametrize("engine", ("hyperscan", "stdlib"))
@pytest.mark.parametrize(
    ("seed", "pem", "fresh"),
    [(0, False, 0), (1, False, 0.1), (2, False, 0.6), (3, True, 0.1), (4, False, 0.95), (5, True, 0.9)],
)
def test_a_block_scrubbed_line_by_line_is_the_block_scrubbed_whole(engine, seed, pem, fresh):
    rng = random.Random(seed)
    cached, whole = scrubbers(engine)
    data = corpus(rng, 3000, pem, fresh).encode()
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos + rng.randint(1, 20000))
        end = len(data) if end == -1 else end + (rng.random() < 0.9)  # some blocks end without their newline
        block = data[pos:end]
        assert cached.scrub(block) == whole.scrub(block)
        pos = end
    assert cached.mapper.records == whole.mapper.records
    assert pem or cached._repeats._done  # the cache was filled


def test_each_body_is_scrubbed_once():
    cached, _ = scrubbers("hyperscan")
    seen: list[bytes] = []
    walk = cached._repeats._walk
    cached._repeats._walk = lambda block: seen.append(block) or walk(block)
    line = b' server.go:500] "Adding routes" Node="node2" addresses=[10.0.0.12]\n'
    block = b"Log file created at: 2025/03/06 03:05:00\n" + b"".join(
        b"I0306 03:05:%02d.518777       1" % i + line for i in range(50)
    )
    out = cached.scrub(block)
    assert out.count(b"node2") == 0 and out.count(cached.mapper.name("node", "node2").encode()) == 50
    assert sum(b.count(b"node2") for b in seen) == 1
    assert cached.scrub(block) == out and sum(b.count(b"node2") for b in seen) == 1  # the next block: cached


@pytest.mark.parametrize("name", ["i0306", "t-1", "08t19", "2025-03-08t19"])
def test_no_cache_when_a_name_could_be_part_of_a_timestamp(name):
    s = Scrubber(Mapper(KEY), vocabulary({"node": [name]}), names.builtin_signature_text())
    assert s._repeats is None
    assert repeats.prefix_safe([b"node2", b"web-fron-"])
