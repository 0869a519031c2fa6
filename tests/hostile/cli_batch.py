"""Run many `antrea-diagnose` invocations fast: one process imports the tool once, then forks
one child per invocation, and each child runs the console script's `main()` fenced in like a
fresh process (address space limit, alarm, its own working/home/temp/cache directories, its
stdout and stderr in files). Importing the tool costs more than most hostile inputs do.

Usage: python cli_batch.py < jobs.json > results.json, jobs being a list of
{"args": [...], "sandbox": dir, "cache": dir, "memory": bytes, "timeout": seconds}.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import time

from diagnose import cli
from diagnose.rules import rulepack  # noqa: F401 - imported once, before forking


def _child(job: dict) -> None:
    sandbox = job["sandbox"]
    dirs = {n: os.path.join(sandbox, n) for n in ("work", "home", "tmp")}
    for d in (*dirs.values(), job["cache"]):
        os.makedirs(d, exist_ok=True)
    os.environ.update(
        HOME=dirs["home"], TMPDIR=dirs["tmp"], XDG_CACHE_HOME=job["cache"], XDG_CONFIG_HOME=job["cache"] + "-config"
    )
    os.environ.pop("ANTREA_DIAGNOSE_DEBUG", None)
    tempfile.tempdir = None  # computed again from TMPDIR
    os.chdir(dirs["work"])
    for fd, name in ((1, "stdout"), (2, "stderr")):
        out = os.open(os.path.join(sandbox, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, fd)
        os.close(out)
    resource.setrlimit(resource.RLIMIT_AS, (job["memory"], job["memory"]))
    signal.alarm(int(job["timeout"]))  # SIGALRM ends the child: a hang shows as a signal, not a wait
    sys.argv = ["antrea-diagnose", *job["args"]]
    code = 0
    try:
        cli.main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    jobs = json.load(sys.stdin)
    results: list[dict | None] = [None] * len(jobs)
    # The first job alone fills the matcher cache the others then read.
    for batch in ([0], range(1, len(jobs))):
        started = {}
        for i in batch:
            pid = os.fork()
            if pid == 0:
                try:
                    _child(jobs[i])
                finally:
                    os._exit(99)
            started[pid] = (i, time.monotonic())
        while started:
            pid, status = os.wait()
            i, t0 = started.pop(pid)
            results[i] = {"returncode": os.waitstatus_to_exitcode(status), "seconds": time.monotonic() - t0}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
