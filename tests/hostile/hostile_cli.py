"""Run the CLI on hostile input the way a user would, fenced in: a separate process with an
address space limit and a timeout, its working, home, cache and temp directories inside a fresh
temp directory that is checked afterwards for anything written. (A module of its own: test
modules must not import a conftest, its name is not unique.)"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 1024**3  # address space of the CLI process: a bomb read into memory dies here
TIMEOUT = 60  # seconds; every corpus input takes about one


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    written: list[str]  # files the run left in its sandbox (cwd, home, temp), cache excluded

    @property
    def report(self) -> dict:
        return json.loads(self.stdout)

    def notes(self) -> list[str]:
        return [f"{u['path']} {u['reason']}" for u in self.report["source"]["unreadable"]]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_cli(args: list[str], sandbox: Path, timeout: float = TIMEOUT, cache: Path | None = None) -> CliRun:
    """`python -m diagnose ARGS` inside `sandbox` (created empty), bounded in memory and time.
    `cache`: the matcher cache directory, shared between runs to skip compiling it each time."""
    sandbox.mkdir(parents=True, exist_ok=True)
    work, home, tmp = (sandbox / n for n in ("work", "home", "tmp"))
    cache = cache or sandbox / "cache"
    for d in (work, home, tmp, cache):
        d.mkdir(parents=True, exist_ok=True)
    # The cache and the key that signs it (diagnose.scan.matchers) live outside the checked directories.
    env = {
        **os.environ,
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "XDG_CACHE_HOME": str(cache),
        "XDG_CONFIG_HOME": f"{cache}-config",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("ANTREA_DIAGNOSE_DEBUG", None)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "diagnose", *args],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=timeout,
        preexec_fn=_limit_memory,
    )
    seconds = time.monotonic() - start
    written = sorted(str(p.relative_to(sandbox)) for d in (work, home, tmp) for p in d.rglob("*"))
    return CliRun(proc.returncode, proc.stdout, proc.stderr, seconds, written)


def run_cli_batch(jobs: list[tuple[list[str], Path]], cache: Path, timeout: float = TIMEOUT) -> list[CliRun]:
    """Many runs at once (cli_batch.py): (args, sandbox) each; the same fences as run_cli."""
    spec = [
        {
            "args": [str(a) for a in args],
            "sandbox": str(sandbox),
            "cache": str(cache),
            "memory": MEMORY_LIMIT,
            "timeout": timeout,
        }
        for args, sandbox in jobs
    ]
    for _, sandbox in jobs:
        sandbox.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("cli_batch.py"))],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout * 2,
    )
    assert proc.returncode == 0, proc.stderr
    runs = []
    for (_, sandbox), res in zip(jobs, json.loads(proc.stdout), strict=True):
        written = sorted(str(p.relative_to(sandbox)) for d in ("work", "home", "tmp") for p in (sandbox / d).rglob("*"))
        runs.append(
            CliRun(
                res["returncode"],
                (sandbox / "stdout").read_text(),
                (sandbox / "stderr").read_text(),
                res["seconds"],
                written,
            )
        )
    return runs
