"""What the benches share: their settings, the servers they start, the organisation they publish
under, and small statistics. One definition each; a bench that differs says so in its arguments.

The benches run as scripts (``python bench/x.py``), so ``bench/`` is on ``sys.path`` and they
import this module as ``from _common import ...``. It is not part of the ``qazai`` package; the
repository root goes on ``sys.path`` here for ``tests.*`` (the free port comes from the tests'
live server). QazAI itself is imported inside the functions, so that a bench's bare server
subprocess stays light.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.live_server import free_port  # noqa: E402

if TYPE_CHECKING:
    from qazai.config import Settings

__all__ = [
    "BENCH_SECRET_KEY",
    "ROOT",
    "bench_settings",
    "create_stat_gov",
    "free_port",
    "median_ms",
    "percentile",
    "start_server",
    "wait_for_server",
]

BENCH_SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"


def bench_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Test settings with cheap password hashing and JSON logs; ``overrides`` (``base_url``,
    ``query_anonymous_per_minute``...) are passed on only when given, so an unset one keeps the
    environment's value as ``load_settings`` reads it."""
    from qazai.config import load_settings

    return load_settings(
        environment="test",
        data_dir=data_dir,
        database_url=database_url,
        secret_key=BENCH_SECRET_KEY,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        log_json=True,
        **overrides,
    )


def create_stat_gov(platform: Any, name: str) -> None:
    """The ``stat-gov`` government body the benches publish under, named ``name`` in English."""
    from qazai.core.enums import OrgKind
    from qazai.core.text import LocalizedText
    from qazai.identity import service as identity
    from qazai.identity.actor import SYSTEM
    from qazai.identity.models import OrganisationCreate

    with platform.db.uow() as uow:
        identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="stat-gov", kind=OrgKind.government_body, name=LocalizedText(en=name)),
        )


def wait_for_server(
    base: str,
    probe: str,
    process: subprocess.Popen[bytes],
    *,
    ready: Callable[[int], bool],
    seconds: float,
    what: str,
    method: str = "GET",
) -> None:
    """Poll ``method base+probe`` every 0.2 s until ``ready(status)``; SystemExit naming ``what``
    ("the app server") when ``process`` exits first or ``seconds`` pass (the process is killed)."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready(httpx.request(method, base + probe, timeout=2).status_code):
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{what} did not start")


def start_server(
    arguments: list[str],
    log: Path,
    *,
    probe: str,
    ready: Callable[[int], bool],
    seconds: float,
    what: str,
    method: str = "GET",
) -> tuple[subprocess.Popen[bytes], str]:
    """``python *arguments --port N`` in the repository root, N a free port on 127.0.0.1, its
    output appended to ``log`` (as in production, the app's JSON lines go to a file); returns the
    process and its base URL once it answers, as ``wait_for_server`` waits."""
    port = free_port()
    handle = log.open("ab")
    process = subprocess.Popen(
        [sys.executable, *arguments, "--port", str(port)], cwd=ROOT, stdout=handle, stderr=handle
    )
    base = f"http://127.0.0.1:{port}"
    wait_for_server(base, probe, process, ready=ready, seconds=seconds, what=what, method=method)
    return process, base


def percentile(values: list[float], q: float) -> float:
    """The value at rank ``round(q * (n - 1))`` of the sorted values (nearest rank, no interpolation)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median_ms(run: Callable[[], object], runs: int, *, warm_up: bool = False) -> float:
    """The median wall time of ``runs`` calls of ``run``, in milliseconds; with ``warm_up``, one
    call first that is not counted."""
    if warm_up:
        run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)
