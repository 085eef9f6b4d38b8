"""Job handlers of the data-library capability (collected by ``qazai.api.wiring``)."""

from __future__ import annotations

from typing import Any

from qazai.config import Settings
from qazai.libraries.pipeline import PipelineDeps, run_publish
from qazai.libraries.pipeline.privacy_step import pseudonym_secret
from qazai.libraries.service import PUBLISH_JOB
from qazai.libraries.uploads import PURGE_JOB, purge_upload
from qazai.storage.db import Database
from qazai.storage.jobs import Handler, JobContext
from qazai.storage.objects import ObjectStore
from qazai.storage.scratch import scratch_root
from qazai.storage.sweep import sweep_temporary_data


def pipeline_deps(db: Database, objects: ObjectStore, settings: Settings) -> PipelineDeps:
    work_dir = scratch_root(settings.data_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    return PipelineDeps(
        db=db,
        objects=objects,
        secret=pseudonym_secret(settings.secret_key.get_secret_value()),
        work_dir=work_dir,
        base_url=settings.public_base_url,
    )


def job_handlers(db: Database, objects: ObjectStore, settings: Settings) -> dict[str, Handler]:
    """``libraries.publish`` (the pipeline) and ``libraries.purge_upload`` (raw-file retention)."""
    deps = pipeline_deps(db, objects, settings)

    def publish(context: JobContext) -> dict[str, Any]:
        return run_publish(deps, context.payload, context.progress, job_id=context.job_id)

    def purge(context: JobContext) -> dict[str, Any]:
        deleted = purge_upload(db, objects, str(context.payload["upload_id"]))
        # The retention rule covers what crashed runs derived from uploads too.
        swept = sweep_temporary_data(settings.data_dir, objects)
        return {"deleted": deleted, **swept}

    return {PUBLISH_JOB: publish, PURGE_JOB: purge}
