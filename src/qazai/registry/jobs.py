"""The registry's background jobs, collected by ``qazai.api.wiring.JOB_HANDLER_PROVIDERS``."""

from __future__ import annotations

from qazai.registry.pilots import CLOSE_PILOT_JOB, close_pilot_job
from qazai.storage.jobs import Handler


def job_handlers() -> dict[str, Handler]:
    return {CLOSE_PILOT_JOB: close_pilot_job}
