"""Measure Yelp's detect-secrets on the planted secrets, against the redactor's own detectors.

    pip install detect-secrets        # not a dependency of the project: only for this measure
    python benchmarks/redact_detect_secrets.py [--log FILE]

Every text of the planted bundle (`tests/redact/redact_corpus.py`) is scanned line by line with
detect-secrets' default plugins (secret values it reports on a line, with its default entropy
limits) and with `Scrubber` (a secret is found when its value no longer appears). Counts are of
the planted secrets (`SECRETS`); speed is measured on `--log` (a large klog file) when given.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "redact"))


def texts(source: Path) -> list[str]:
    from diagnose.bundle.archive import Walker

    found: list[str] = []
    Walker(lambda parts, display, stream, size: found.append(stream.read().decode("utf-8", "replace")), []).walk(source)
    return found


def detect_secrets_values(lines: list[str]) -> set[str]:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    values: set[str] = set()
    with default_settings():
        for line in lines:
            for secret in scan_line(line):
                if secret.secret_value:
                    values.add(secret.secret_value)
    return values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", type=Path, help="a large log to time both on")
    args = ap.parse_args()
    import redact_corpus as corpus

    from diagnose.redact import names
    from diagnose.redact.mapper import Mapper
    from diagnose.redact.scrub import Scrubber
    from diagnose.redact.vocab import Vocabulary

    with tempfile.TemporaryDirectory() as tmp:
        all_text = "\n".join(texts(corpus.planted_bundle(Path(tmp))))
    lines = all_text.splitlines()
    found = detect_secrets_values(lines)
    by_ds = [s for s in corpus.SECRETS if any(s in v or v in s for v in found if len(v) >= 6)]
    scrubbed = Scrubber(Mapper(b"k" * 32), Vocabulary(), names.builtin_signature_text()).text(all_text)
    by_us = [s for s in corpus.SECRETS if s not in scrubbed]
    print(f"planted secrets: {len(corpus.SECRETS)}")
    print(f"detect-secrets (default plugins) finds {len(by_ds)}; misses: {sorted(set(corpus.SECRETS) - set(by_ds))}")
    print(f"redact's detectors find {len(by_us)}; misses: {sorted(set(corpus.SECRETS) - set(by_us))}")
    if args.log:
        data = args.log.read_bytes()[: 20 << 20]
        text_lines = data.decode("utf-8", "replace").splitlines()
        t = time.process_time()
        detect_secrets_values(text_lines)
        ds = time.process_time() - t
        s = Scrubber(Mapper(b"k" * 32), Vocabulary(), names.builtin_signature_text())
        t = time.process_time()
        for i in range(0, len(data), 1 << 20):
            s.scrub(data[i : i + (1 << 20)])
        us = time.process_time() - t
        print(
            f"speed on {len(data) / 1e6:.0f} MB of {args.log.name}: detect-secrets {len(data) / 1e6 / ds:.1f} MB/s, "
            f"redact's detectors (secrets and identifiers) {len(data) / 1e6 / us:.1f} MB/s"
        )


if __name__ == "__main__":
    main()
