"""Forks publish workers for the kill -9 test: ``python -m tests.libraries.publish_fork_server``.

Reads the settings as JSON from its first line of stdin, imports the whole pipeline once, then
for every ``fork`` line forks a child that starts like ``qazai worker`` (sweep, then work) and
prints the child's pid. Forking from this single-threaded, already-warm process makes a worker
start in milliseconds, so twenty publishes can be killed at random points in well under a minute.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading

from qazai.api.wiring import build_platform, job_handlers, sweep_on_start
from qazai.config import load_settings
from qazai.storage.db import Database
from qazai.storage.jobs import Worker


def _child(options: dict[str, object]) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stdout carries only the parent's pids
    settings = load_settings(**options)
    db = Database(settings.effective_database_url)
    platform = build_platform(settings, start_workers=False, db=db)
    sweep_on_start(platform)  # as run_standalone_workers does
    worker = Worker(
        db,
        job_handlers(platform),
        lease_seconds=settings.job_lease_seconds,
        poll_seconds=0.02,
        backoff_base_seconds=0.0,
    )
    worker.run_forever(threading.Event())


def _warm_up(options: dict[str, object]) -> None:
    """Build everything a worker needs once, so the children inherit the imports; keep no
    database connection across the fork."""
    settings = load_settings(**options)
    db = Database(settings.effective_database_url)
    try:
        job_handlers(build_platform(settings, start_workers=False, db=db))
    finally:
        db.dispose()


def main() -> None:
    options = json.loads(sys.stdin.readline())
    _warm_up(options)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed children are reaped by the kernel
    print("READY", flush=True)
    for line in sys.stdin:
        if line.strip() != "fork":
            continue
        pid = os.fork()
        if pid == 0:
            try:
                _child(options)
            finally:
                os._exit(0)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
