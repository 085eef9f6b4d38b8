"""A standalone worker process for the crash test: ``python -m tests.storage.jobs_worker_process URL LEASE``.

Runs the effect handler until stopped (the test SIGKILLs it mid-job).
"""

from __future__ import annotations

import sys
import threading

from qazai.storage.db import Database
from qazai.storage.jobs import Worker
from tests.storage.jobs_support import EFFECT_KIND, write_effect


def main(url: str, lease_seconds: float) -> None:
    db = Database(url)
    worker = Worker(db, {EFFECT_KIND: write_effect}, lease_seconds=lease_seconds, poll_seconds=0.05)
    print(f"READY {worker.worker_id}", flush=True)
    worker.run_forever(threading.Event())


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
