"""`qazai serve` and `qazai worker`."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from qazai.cli.context import cli_settings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("worker")(worker)


def serve(
    demo: Annotated[
        bool, typer.Option("--demo", help="demo mode: seed organisations, users and data")
    ] = False,
    host: Annotated[str | None, typer.Option(help="address to listen on (QAZAI_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (QAZAI_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="in-process job workers (QAZAI_WORKERS)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="data directory (QAZAI_DATA_DIR)")] = None,
) -> None:
    """Migrate the database, start the in-process job workers and serve the web portal and API.

    Example: qazai serve --demo   (then open http://127.0.0.1:8000/)
    """
    import uvicorn

    from qazai.api.app import create_app
    from qazai.api.wiring import build_platform, settle_heap
    from qazai.cli.demo import demo_banner, seed_demo

    settings = cli_settings(
        environment="demo" if demo else None, host=host, port=port, workers=workers, data_dir=data_dir
    )
    platform = build_platform(settings, start_workers=True)
    if demo:
        seed_demo(platform)
    app = create_app(platform)
    platform.on_start.append(settle_heap)  # the last start step: after the workers started
    typer.echo(demo_banner(settings.public_base_url) if demo else f"QazAI on {settings.public_base_url}")
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
    finally:
        platform.close()


def worker(
    concurrency: Annotated[int, typer.Option(help="worker threads in this process")] = 1,
) -> None:
    """Run job workers against the shared database until interrupted (SIGINT/SIGTERM).

    Start as many as you like, on as many hosts as share the database.
    """
    from qazai.api.wiring import build_platform, run_standalone_workers

    settings = cli_settings()
    platform = build_platform(settings, start_workers=False)
    stop = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    typer.echo(f"worker started ({concurrency} thread(s)); Ctrl-C to stop")
    try:
        run_standalone_workers(platform, concurrency, stop)
    finally:
        platform.close()
