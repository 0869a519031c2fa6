"""A bundle above 100 MB of log, with more distinct tokens than any cache holds, redacts whole.

Today's bug: redaction crashed with `KeyError` on bundles above roughly 50-100 MB (a token cache
cleared itself while it was being filled for a block). The log here has 600,000 distinct
request ids in 110 MB; it is gzipped inside an agent archive, as antctl writes logs.
"""

from __future__ import annotations

import io
import json
import tarfile

from redact_helpers import members

from diagnose.redact import commands

NODE = "prod-large-node3"
LINES = 600_000


def _big_log() -> bytes:
    plain = (
        'I0101 00:00:{s:02d}.{us:06d}       1 proxier.go:812] "Syncing endpoints" request="req-{i:06x}" detail="{x}"\n'
    )
    named = (
        'I0101 00:00:{s:02d}.{us:06d}       1 proxier.go:812] "Endpoint" request="req-{i:06x}" '
        'endpoint="10.44.{a}.{b}:8080" node="' + NODE + '"\n'
    )
    x = "x" * 100
    return "".join(
        (named if i % 1000 == 0 else plain).format(s=i % 60, us=i, i=i, a=(i >> 8) % 256, b=i % 256, x=x)
        for i in range(LINES)
    ).encode()


def test_a_110_mb_log_with_600k_distinct_tokens_is_redacted(tmp_path):
    from isal import igzip

    log = _big_log()
    assert len(log) > 100_000_000
    agent = io.BytesIO()
    with tarfile.open(fileobj=agent, mode="w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("logs/agent/antrea-agent.log.1.gz")
        data = igzip.compress(log, compresslevel=1)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    bundle = tmp_path / "support-bundles_20240101T000000Z"
    bundle.mkdir()
    (bundle / f"agent_{NODE}.tar.gz").write_bytes(agent.getvalue())
    copy = tmp_path / "copy.tar.gz"
    said: list[str] = []
    commands.redact_bundle(bundle, copy, None, None, None, said.append)  # raised KeyError before
    node = json.loads((tmp_path / "copy.tar.gz.redaction-map.json").read_text())["values"]["node"][NODE]
    ((display, text),) = [m for m in members(copy) if m[0].endswith("antrea-agent.log.1.gz")]
    assert NODE not in display and node in display
    assert text.count(b"\n") == LINES and b"req-0927bf" in text  # every line, ids kept
    assert NODE.encode() not in text and b'endpoint="10.' in text and b'endpoint="10.44.' not in text
