"""A signature's Recall: the earlier line naming a hit's key is found near the hit (this chunk and
the one before), its groups join the hit's, and nothing is made up when it is missing or too far."""

import io

import pytest
from support import ENGINES, scan_hits

from diagnose.bundle.reader import HitBuffer
from diagnose.parse.klog import is_header_or_log_start
from diagnose.scan.scanner import CHUNK, Scanner
from diagnose.scan.signature import Recall, Signature

REQUEST = Recall(
    key=r'container="(?P<key>[0-9a-f]{12,64})',
    pattern=r"Received request .*?pod=(?P<pod>[a-z0-9-]+)",
    literal="Received request",
)
SIGS = [("r:failed", Signature("failed", r"Failed for (?P<what>\w+)", "Failed for", recall=REQUEST))]
FILLER = b"I0628 18:57:17.000000       1 a.go:1] something else happened here, nothing to see\n"


def request(cid: str, pod: str) -> bytes:
    return f"I0628 18:57:17.000000       1 s.go:430] Received request id={cid} pod={pod}\n".encode()


def failure(cid: str) -> bytes:
    return f'E0628 18:57:18.000000       1 s.go:525] "Failed for setup" container="{cid}"\n'.encode()


def scan(data: bytes, engine: str) -> list:
    return scan_hits(SIGS, data, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_latest_request_of_the_same_key_is_recalled(engine):
    a, b = "a" * 64, "b" * 64
    data = request(a, "old-pod") + request(b, "other") + FILLER * 3 + request(a, "new-pod") + FILLER + failure(a)
    [hit] = scan(data, engine)
    assert hit.groups == {"what": "setup", "pod": "new-pod"}


@pytest.mark.parametrize("engine", ENGINES)
def test_lines_naming_the_key_without_the_literal_are_passed_over(engine):
    a = "c" * 64
    noise = f'I0628 18:57:17.000000       1 s.go:504] "Allocated IP addresses" container="{a}"\n'.encode()
    [hit] = scan(request(a, "the-pod") + noise * 3 + failure(a), engine)
    assert hit.groups["pod"] == "the-pod"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_request_in_the_previous_chunk_is_recalled_one_two_chunks_back_is_not(engine):
    a, b = "d" * 64, "e" * 64
    one_chunk = FILLER * (CHUNK // len(FILLER) + 1)
    near = request(a, "near") + one_chunk + failure(a)
    far = request(b, "far") + one_chunk * 3 + failure(b)
    [hit] = scan(near, engine)
    assert hit.groups["pod"] == "near"
    [hit] = scan(far, engine)
    assert "pod" not in hit.groups and hit.groups["what"] == "setup"


def test_a_hit_without_a_key_or_a_request_keeps_only_its_own_groups():
    lines = b'E0628 18:57:18.000000       1 s.go:525] "Failed for setup"\n' + failure("f" * 64)
    hits = scan(lines, "stdlib")
    assert [h.groups for h in hits] == [{"what": "setup"}, {"what": "setup"}]


def test_the_hits_own_groups_win_over_the_recalled_ones():
    sigs = [("r:failed", Signature("failed", r"Failed for (?P<pod>\w+)", "Failed for", recall=REQUEST))]
    hits: list = []
    data = request("a" * 64, "recalled") + failure("a" * 64)
    Scanner(sigs, engine="stdlib").scan(io.BytesIO(data), "agent-log", hits.append, is_header_or_log_start)
    assert hits[0].groups == {"pod": "setup"}


def test_hits_kept_later_by_the_node_windows_recall_from_the_chunks_they_were_found_in():
    """The windows build a hit when it is kept, possibly after the next chunk was read: the recall
    still looks in the hit's own chunk and the one before it."""
    buffer = HitBuffer()
    log = buffer.log()
    one_chunk = FILLER * (CHUNK // len(FILLER) + 1)
    data = b"".join(request(f"{i:064x}", f"pod-{i}") + one_chunk + failure(f"{i:064x}") for i in range(1, 4))
    Scanner(SIGS, engine="stdlib").scan(io.BytesIO(data), "agent-log", log, is_header_or_log_start)
    assert [h.groups.get("pod") for h in log] == ["pod-1", "pod-2", "pod-3"]


def test_a_log_whose_hits_keep_recalling_nothing_stops_being_searched():
    """Each miss searches up to two chunks: after 64 in a row (a log without the earlier lines,
    e.g. a paste of the failures alone) the log's later hits of the signature are not searched;
    a recall that finds its line starts the count again."""
    ids = iter(f"{i:064x}" for i in range(1, 1000))

    def misses(n: int) -> bytes:
        return b"".join(failure(next(ids)) for _ in range(n))

    def found(pod: str) -> bytes:
        cid = next(ids)
        return request(cid, pod) + failure(cid)

    hits = scan(misses(63) + found("after-63") + misses(64) + found("after-64"), "stdlib")
    pods = [h.groups["pod"] for h in hits if "pod" in h.groups]
    assert pods == ["after-63"]


def test_logs_without_the_earlier_lines_pay_for_it_once_and_each_new_log_tries_a_few(monkeypatch):
    """A hundred rotated files of an agent that never logs the request: the misses in a row are
    the scanner's, so after the first file each file's hits are searched only four times; a log
    that has its requests finds them on its first tries and starts the count again."""
    from diagnose.scan import scanner as module

    scanner = Scanner(SIGS, engine="stdlib")
    ids = iter(f"{i:064x}" for i in range(1, 10_000))
    tried: list[int] = []
    original = module._Compiled.recall_key

    def counting(self, line):
        tried.append(1)
        return original(self, line)

    monkeypatch.setattr(module._Compiled, "recall_key", counting)

    def scan_log(data: bytes) -> list:
        hits: list = []
        scanner.scan(io.BytesIO(data), "agent-log", hits.append, is_header_or_log_start)
        return hits

    for _ in range(10):  # ten files of 30 failures without requests
        scan_log(b"".join(failure(next(ids)) for _ in range(30)))
    assert len(tried) == 30 + 30 + 8 * 4  # the streak is 60 after two files: 4 tries, then 4 a file
    cid = next(ids)
    hits = scan_log(request(cid, "found") + failure(cid) + failure(next(ids)))
    assert hits[0].groups["pod"] == "found"
    # A new source starts from nothing: 30 misses of its first log are all searched (the same
    # source would search 4 after the 70 misses before).
    scan_log(b"".join(failure(next(ids)) for _ in range(70)))
    tried.clear()
    scanner.new_source()
    scan_log(b"".join(failure(next(ids)) for _ in range(30)))
    assert len(tried) == 30
