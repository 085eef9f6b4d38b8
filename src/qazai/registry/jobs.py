"""The registry's background jobs, collected by ``qazai.api.wiring.JOB_HANDLER_PROVIDERS``."""

from __future__ import annotations

from qazai.config import Settings
from qazai.registry.outbox import DELIVER_MAIL_JOB, deliver_mail_handler
from qazai.registry.pilots import CLOSE_PILOT_JOB, close_pilot_job
from qazai.storage.jobs import Handler


def job_handlers(settings: Settings | None = None) -> dict[str, Handler]:
    """The registry's handlers; the outbox's delivery needs the settings (SMTP, data folder)."""
    handlers: dict[str, Handler] = {CLOSE_PILOT_JOB: close_pilot_job}
    if settings is not None:
        handlers[DELIVER_MAIL_JOB] = deliver_mail_handler(settings)
    return handlers
