"""The app on a real socket, as `qazai serve` runs it: uvicorn in a thread on 127.0.0.1.

For the clients that need a socket (browsers, nginx, slow clients) and for the demo portal that
the browser tests and docs/screenshots/make.py drive. uvicorn's own logging is left alone
(``log_config=None``, no access log: the app writes ``qazai.access`` lines itself).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

START_SECONDS = 30.0
STOP_SECONDS = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(app: Any, *, port: int | None = None, **config: Any) -> Iterator[str]:
    """Serve ``app`` on ``port`` (a free one when None) until the block ends; yields the base URL
    (``http://127.0.0.1:<port>``). ``config`` goes to ``uvicorn.Config`` (``timeout_keep_alive``...).
    RuntimeError when the server has not started within START_SECONDS."""
    import uvicorn

    port = port or free_port()
    options: dict[str, Any] = {"log_config": None, "access_log": False, **config}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=STOP_SECONDS)
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port} within {START_SECONDS:.0f} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_SECONDS)


def _publish_jobs_waiting(platform: Any) -> int:
    from qazai.libraries.service import PUBLISH_JOB
    from qazai.storage.jobs.queue import list_jobs
    from qazai.storage.tables.jobs import JobState

    with platform.db.uow() as uow:
        return sum(
            len(list_jobs(uow.session, state=state, kind=PUBLISH_JOB, limit=100))
            for state in (JobState.queued, JobState.running)
        )


@contextmanager
def demo_portal(data_dir: Path, *, secret_key: str, publish_seconds: float = 240.0) -> Iterator[str]:
    """`qazai serve --demo` in a thread: real uvicorn and job workers on ``data_dir``, the demo
    organisations, users and systems, and every demo library published before the base URL is
    yielded. TimeoutError when the demo libraries are not published within ``publish_seconds``."""
    from qazai.api.app import create_app
    from qazai.api.wiring import build_platform
    from qazai.cli.demo import seed_demo
    from qazai.config import load_settings

    port = free_port()
    settings = load_settings(
        environment="demo",
        data_dir=data_dir,
        secret_key=secret_key,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        host="127.0.0.1",
        port=port,
        workers=1,
        log_json=True,
    )
    platform = build_platform(settings, start_workers=True)
    try:
        seed_demo(platform)
        with live_server(create_app(platform), port=port) as base:
            deadline = time.monotonic() + publish_seconds
            while _publish_jobs_waiting(platform):
                if time.monotonic() > deadline:
                    waited = f"{publish_seconds:.0f} s"
                    raise TimeoutError(f"the demo libraries were not published within {waited}")
                time.sleep(0.5)
            yield base
    finally:
        platform.close()
