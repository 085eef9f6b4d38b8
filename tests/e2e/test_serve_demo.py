"""The README's first command: `qazai serve --demo` starts a real server on its embedded defaults."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.live_server import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAZAI_")}
    env.update({"QAZAI_ARGON2_TIME_COST": "1", "QAZAI_ARGON2_MEMORY_KIB": "64"})
    qazai = str(Path(sys.executable).parent / "qazai")
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [qazai, "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            pytest.fail(f"serve exited early:\n{(tmp_path / 'serve.log').read_text()}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("the server did not answer within 90 s")
    try:
        yield base, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_demo_server_answers_and_demo_users_sign_in(
    demo_server: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    base, _process = demo_server
    assert httpx.get(f"{base}/api/v1/health").json()["status"] == "alive"
    ready = httpx.get(f"{base}/api/v1/ready")
    assert ready.status_code == 200, ready.text
    assert (tmp_path / ".qazai" / "qazai.db").exists()  # embedded defaults under ./.qazai
    with httpx.Client(base_url=base) as client:
        signed = client.post(
            "/api/v1/sessions", json={"email": "producer@stat.gov.kz", "password": "qazai-demo-2026"}
        )
        assert signed.status_code == 201, signed.text
        me = client.get("/api/v1/me").json()
        assert me["email"] == "producer@stat.gov.kz" and me["language"] == "kk"
    orgs = httpx.get(f"{base}/api/v1/organisations").json()["items"]
    assert {"stat-gov", "mdai", "astana-akimat", "qazdata-lab"} <= {o["slug"] for o in orgs}
    assert "qazai_http_requests_total" in httpx.get(f"{base}/metrics").text


def test_demo_seeding_is_idempotent(tmp_path: Path) -> None:
    """Seeding twice (a restart) changes nothing and writes no new audit events."""
    from qazai.api.wiring import build_platform
    from qazai.audit.service import count_events
    from qazai.cli.demo import seed_demo
    from qazai.config import load_settings

    settings = load_settings(
        environment="demo", data_dir=tmp_path / "d", argon2_time_cost=1, argon2_memory_kib=64
    )
    platform = build_platform(settings, start_workers=False)
    try:
        seed_demo(platform)
        with platform.db.uow(read_only=True) as uow:
            before = count_events(uow.session)
        seed_demo(platform)
        with platform.db.uow(read_only=True) as uow:
            assert count_events(uow.session) == before
    finally:
        platform.close()
