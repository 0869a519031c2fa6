"""Count the planted values that survive `redact` and `scan --redact`, for any checkout.

    python benchmarks/redact_leaks.py                   # this checkout
    python benchmarks/redact_leaks.py --code /path/to/other/checkout

Builds the planted bundle of `tests/redact/redact_corpus.py` (every artifact kind, and one value
of each leak class), runs the checkout's command line on it as a user would — `redact` to a
.tar.gz, and `scan --redact` in every report format — and looks for each planted value
(case-insensitive) in every member and member name of the copy (nested archives opened), in
every report, and in what the commands printed. It also checks the words that must stay.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "redact"))

FORMATS = ("json", "md", "html", "terminal")


def run(code: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(code))
    return subprocess.run(
        [sys.executable, "-m", "diagnose", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),
    )  # not this checkout's directory


def texts_of_copy(copy: Path) -> list[str]:
    from diagnose.bundle.archive import Walker

    found: list[str] = []
    Walker(
        lambda parts, display, stream, size: found.extend([display, stream.read().decode("utf-8", "replace")]), []
    ).walk(copy)
    return found


def survivors(texts: list[str], planted: list[str]) -> list[str]:
    low = "\n".join(texts).lower()
    return [p for p in planted if p.lower() in low]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout whose command line is measured")
    args = ap.parse_args()
    import redact_corpus as corpus

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = corpus.planted_bundle(work / "in")
        copy = work / "copy.tar.gz"
        r = run(args.code, "redact", str(source), "-o", str(copy))
        redact_texts = [r.stdout, r.stderr] + (texts_of_copy(copy) if copy.exists() else [])
        if r.returncode != 0:
            print(f"redact failed ({r.returncode}): {r.stderr.strip()[-300:]}")
        scan_texts: list[str] = []
        for fmt in FORMATS:
            out = work / f"report.{fmt}"
            s = run(
                args.code, "scan", str(source), "--redact", "-f", fmt, "-o", str(out), "--map", str(work / f"m.{fmt}")
            )
            scan_texts += [s.stdout, s.stderr, out.read_text(errors="replace") if out.exists() else ""]
            if s.returncode not in (0, 1):
                print(f"scan --redact -f {fmt} failed ({s.returncode}): {s.stderr.strip()[-300:]}")
        maps = [p.read_text() for p in work.glob("*.json") if "redaction-map" in p.name or p.name.startswith("m.")]
        for label, texts in (("redact", redact_texts), ("scan --redact", scan_texts)):
            left = survivors(texts, corpus.PLANTED)
            classes = [c for c in left if c in corpus.CLASSES]
            print(
                f"{label}: {len(left)} of {len(corpus.PLANTED)} planted values survive "
                f"({len(classes)} of {len(corpus.CLASSES)} leak-class values)"
            )
            for value in left:
                print(f"  {value}")
        secrets = [v for v in corpus.SECRETS if any(v.lower() in m.lower() for m in maps)]
        print(f"secrets (or fragments) in the private maps: {len(secrets)}" + (f" {secrets}" if secrets else ""))
        missing = [k for k in corpus.KEPT if k.lower() not in "\n".join(redact_texts).lower()]
        print(f"words that must stay, missing from the copy: {len(missing)}" + (f" {missing}" if missing else ""))


if __name__ == "__main__":
    main()
