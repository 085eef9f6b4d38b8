"""Build the platform from settings: database, object store, job handlers, workers."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from qazai.api.platform import Platform
from qazai.audit.heads import schedule_head_export
from qazai.config import Settings
from qazai.storage.db import Database
from qazai.storage.jobs import Handler, queue_depth, run_workers, stop_workers
from qazai.storage.objects import open_object_store
from qazai.storage.sweep import sweep_temporary_data

if TYPE_CHECKING:
    from qazai.compute.jobs import ComputeRuntime

log = logging.getLogger("qazai.wiring")


def build_platform(settings: Settings, *, start_workers: bool, db: Database | None = None) -> Platform:
    """Everything wired; migrations applied. With ``start_workers`` the app's lifespan runs
    ``settings.workers`` in-process job workers."""
    from qazai.audit.service import install_audit_key
    from qazai.identity.security import configure_password_hashing
    from qazai.storage.migrate import upgrade_database

    configure_password_hashing(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if db is None:
        upgrade_database(settings.effective_database_url)
        db = Database(settings.effective_database_url)
    install_audit_key(db, settings.secret_key.get_secret_value())
    install_capability_hooks()
    platform = Platform(settings=settings, db=db, objects=open_object_store(settings))
    if settings.public_files_dir is not None:
        _install_public_tree(platform, settings.public_files_dir)

    def _sweep() -> None:  # the server's start (the app's lifespan) first clears what crashes left
        sweep_on_start(platform)

    platform.on_start.append(_sweep)
    _schedule_usage_counts(platform)
    if start_workers and settings.workers > 0:
        stop = threading.Event()
        threads: list[threading.Thread] = []

        def _start() -> None:
            from qazai.compute.jobs import schedule_sweep

            schedule_head_export(platform.db, settings.audit_head_interval_seconds)
            schedule_sweep(platform.db)  # compute jobs followed even if a watch job was lost
            handlers = job_handlers(platform)
            if handlers:  # nothing to run until a capability registers job kinds
                threads.extend(
                    run_workers(
                        platform.db,
                        handlers,
                        settings.workers,
                        stop,
                        lease_seconds=settings.job_lease_seconds,
                    )
                )

        def _stop() -> None:
            stop_workers(stop, threads)

        platform.on_start.append(_start)
        platform.on_stop.append(_stop)
    return platform


def _install_public_tree(platform: Platform, root: Path) -> None:
    """Open version files linked for nginx (libraries.public_tree): withdrawals unlink at once,
    and each server start prunes what is no longer published and open."""
    from qazai.libraries.hooks import on_version_withdrawn
    from qazai.libraries.public_tree import PublicTree

    root.mkdir(parents=True, exist_ok=True)
    tree = PublicTree(root.resolve())
    platform.public_tree = tree
    on_version_withdrawn(tree.forget_withdrawn)

    def _prune() -> None:
        with platform.db.uow(read_only=True) as uow:
            removed = tree.prune(uow.session)
        if removed:
            log.info("public file tree: %d stale entries removed", removed)

    platform.on_start.append(_prune)


def _schedule_usage_counts(platform: Platform) -> None:
    """Library view and download counts, held in memory, reach the database every half minute
    while the server runs and once more when it stops."""
    from qazai.libraries.usage import schedule_usage_flush

    stops: list[Callable[[], None]] = []

    def _stop() -> None:
        for stop in stops:
            stop()

    platform.on_start.append(lambda: stops.append(schedule_usage_flush(platform.db)))
    platform.on_stop.append(_stop)


def install_capability_hooks() -> None:
    """Let lower capabilities reach higher ones without importing them (idempotent): a withdrawn
    library version flags the models trained on it, the registry's system flags include the
    models a system runs, and registering a generative system waits for a verified test label."""
    from qazai.labels.service import install_hooks as install_label_hooks
    from qazai.models.lineage import install_hooks as install_model_hooks

    install_model_hooks()
    install_label_hooks()  # a system making synthetic content is registered once its labels verify


def sweep_on_start(platform: Platform) -> dict[str, int]:
    """Delete scratch folders and partial objects whose processes died (kill -9, power loss):
    they may hold raw uploads. Logged when anything was found."""
    swept = sweep_temporary_data(platform.settings.data_dir, platform.objects)
    if any(swept.values()):
        log.warning("removed data left by stopped processes: %s", swept)
    return swept


def queue_depth_by_state(platform: Platform) -> dict[str, int]:
    with platform.db.uow(read_only=True) as uow:
        return {state.value: count for state, count in queue_depth(uow.session).items()}


def job_handlers(platform: Platform) -> dict[str, Handler]:
    """Every capability's job handlers, by job kind. Each capability module that runs background
    work exposes ``job_handlers(platform) -> dict[str, Handler]``; they are collected here."""
    handlers: dict[str, Handler] = {}
    for provider in JOB_HANDLER_PROVIDERS:
        handlers.update(provider(platform))
    return handlers


def _library_handlers(platform: Platform) -> dict[str, Handler]:
    from qazai.libraries.jobs import job_handlers as library_job_handlers

    return library_job_handlers(platform.db, platform.objects, platform.settings)


def _registry_handlers(platform: Platform) -> dict[str, Handler]:
    from qazai.registry.jobs import job_handlers as registry_job_handlers

    return registry_job_handlers(platform.settings)


def _audit_handlers(platform: Platform) -> dict[str, Handler]:
    from qazai.audit.heads import job_handlers as audit_job_handlers

    return audit_job_handlers(platform.db, platform.objects)


def compute_runtime_of(platform: Platform) -> ComputeRuntime:
    """The platform's compute runtime (its executor built once, closed when the platform stops)."""
    from qazai.compute.jobs import compute_runtime

    runtime: ComputeRuntime | None = getattr(platform, "_compute_runtime", None)
    if runtime is None:
        runtime = compute_runtime(platform.settings, platform.objects)
        object.__setattr__(platform, "_compute_runtime", runtime)
        close = getattr(runtime.executor, "close", None)
        if close is not None:
            platform.on_stop.append(close)
    return runtime


def _compute_handlers(platform: Platform) -> dict[str, Handler]:
    from qazai.compute.jobs import SWEEP_JOB, WATCH_JOB, sweep_job_handler, watch_job_handler

    runtime = compute_runtime_of(platform)
    return {WATCH_JOB: watch_job_handler(runtime), SWEEP_JOB: sweep_job_handler(runtime)}


def _model_handlers(platform: Platform) -> dict[str, Handler]:
    from qazai.models.service import PUSH_JOB, model_push_handler

    return {PUSH_JOB: model_push_handler(platform.db, platform.objects)}


JOB_HANDLER_PROVIDERS: list[Callable[[Platform], dict[str, Handler]]] = [
    _audit_handlers,
    _library_handlers,
    _registry_handlers,
    _compute_handlers,
    _model_handlers,
]


def settle_heap() -> None:
    """Put what start-up built (modules, classes, the platform: ~200,000 tracked objects) out
    of the cyclic collector's reach, once the process is ready to work: ``gc.collect()`` then
    ``gc.freeze()``. Until then every full collection walked all of them, 0.12-0.17 s with the
    GIL held: once or twice in each 111 MB publish (``bench/publish_speed.py``), stalling every
    thread of the process. Frozen objects are still freed by reference counting when dropped;
    only cyclic garbage among them would stay, and the collection just before finds it first.
    Called by `qazai serve` (after its workers start) and `qazai worker`."""
    gc.collect()
    gc.freeze()


def run_standalone_workers(platform: Platform, count: int, stop: threading.Event) -> None:
    """`qazai worker`: ``count`` worker threads in this process until ``stop`` is set."""
    from qazai.compute.jobs import schedule_sweep

    schedule_head_export(platform.db, platform.settings.audit_head_interval_seconds)
    schedule_sweep(platform.db)
    sweep_on_start(platform)
    handlers = job_handlers(platform)
    settle_heap()
    threads = run_workers(
        platform.db, handlers, count, stop, lease_seconds=platform.settings.job_lease_seconds
    )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        stop_workers(stop, threads)
