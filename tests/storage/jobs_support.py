"""An idempotent handler with a visible effect, shared by the worker tests and the worker process.

The effect is a row in ``job_effects`` keyed by the job id: a second run of the same job finds
the row and does not write another, which is how real handlers reach effectively-once results.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from sqlalchemy import text

from qazai.storage.db import Database
from qazai.storage.jobs import JobContext

EFFECT_KIND = "write_effect"


def create_effect_table(db: Database) -> None:
    with db.uow() as uow:
        uow.session.execute(
            text(
                "CREATE TABLE job_effects "
                "(job_id VARCHAR(26) PRIMARY KEY, worker_id VARCHAR(200), attempt INTEGER)"
            )
        )
        uow.commit()


def effects(db: Database) -> list[tuple[str, str, int]]:
    with db.uow(read_only=True) as uow:
        rows = uow.session.execute(text("SELECT job_id, worker_id, attempt FROM job_effects"))
        return [(row[0], row[1], row[2]) for row in rows]


def write_effect(context: JobContext) -> dict[str, Any]:
    """Write the effect once per job; on the attempt named by ``hang_on_attempt``, then hang."""
    with context.db.uow() as uow:
        exists = uow.session.execute(
            text("SELECT 1 FROM job_effects WHERE job_id = :id"), {"id": context.job_id}
        ).first()
        if exists is None:
            uow.session.execute(
                text("INSERT INTO job_effects (job_id, worker_id, attempt) VALUES (:id, :worker, :attempt)"),
                {"id": context.job_id, "worker": context.worker_id, "attempt": context.attempt},
            )
        uow.commit()
    context.progress(50, "effect written")
    if context.payload.get("hang_on_attempt") == context.attempt:
        print(f"HANGING {context.job_id}", flush=True)
        sys.stdout.flush()
        time.sleep(float(context.payload.get("hang_seconds", 60)))
    return {"written_by": context.worker_id, "attempt": context.attempt}
