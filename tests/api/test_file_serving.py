"""Serving version files (issue 18): awkward Range headers, slow clients, and nginx in front
(X-Accel-Redirect, docs/deploy/nginx.conf) of a live QazAI."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.libraries.publishing import make_library, publish
from tests.support.live_server import free_port, live_server

from qazai.api.platform import Platform
from qazai.core.enums import AccessTier
from qazai.libraries.models import LegalBasis
from qazai.storage.tables.audit import AuditEventRow

ROOT = Path(__file__).resolve().parents[2]
NGINX = Path("/usr/sbin/nginx")
CSV = "region,value\n" + "".join(f"R{i % 50},{i}\n" for i in range(20_000))


def _published(platform: Platform, tmp_path: Path, slug: str, tier: AccessTier = AccessTier.open) -> str:
    extra: dict[str, Any] = {"legal_basis": LegalBasis.consent} if tier != AccessTier.open else {}
    make_library(platform, slug, tier=tier, **extra)
    source = tmp_path / f"{slug}.csv"
    source.write_text(CSV)
    assert publish(platform, slug, source).state.value == "succeeded"
    return f"/libraries/{slug}/v/1/data/{slug}.parquet"


def _stored(platform: Platform, url: str) -> bytes:
    from qazai.libraries import service

    slug = url.split("/")[2]
    with platform.db.uow(read_only=True) as uow:
        version = service.load_version(uow.session, service.load_library(uow.session, slug), 1)
        key = version.manifest["parts"][0]["key"]
    return b"".join(platform.objects.open(key))


def test_awkward_ranges_answer_416_or_the_right_bytes(
    client: TestClient, platform: Platform, tmp_path: Path, people: Any
) -> None:
    url = _published(platform, tmp_path, "ranges")
    data = _stored(platform, url)
    size = len(data)

    def get(spec: str) -> httpx.Response:
        return client.get(url, headers={"Range": spec})

    thousand = get("bytes=" + ",".join(f"{i}-{i}" for i in range(1000)))
    assert thousand.status_code == 416 and thousand.json()["error"]["code"] == "too_many_ranges"
    overlapping = get("bytes=10-20,15-40,0-9")
    assert overlapping.status_code == 206 and overlapping.content == data[0:41]
    assert overlapping.headers["content-range"] == f"bytes 0-40/{size}"
    apart = get("bytes=0-1,100-101")  # ignored (RFC 9110): the whole file, streamed
    assert apart.status_code == 200 and apart.content == data
    assert get("bytes=40-10").status_code == 416
    assert get("bytes=0-1,40-10").status_code == 416
    zero = get("bytes=-0")
    assert zero.status_code == 416 and zero.headers["content-range"] == f"bytes */{size}"
    suffix = get(f"bytes=-{size * 10}")
    assert suffix.status_code == 206 and suffix.content == data
    assert get(f"bytes={size}-").status_code == 416
    assert get("bytes=abc").status_code == 416
    big = get(f"bytes=1-{size - 2}")  # larger than what is read on the event loop
    assert big.status_code == 206 and big.content == data[1 : size - 1]
    etag = overlapping.headers["etag"]
    matching = client.get(url, headers={"Range": "bytes=0-3", "If-Range": etag})
    assert matching.status_code == 206 and matching.content == b"PAR1"
    stale = client.get(url, headers={"Range": "bytes=0-3", "If-Range": '"older"'})
    assert stale.status_code == 200 and stale.content == data
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_withdrawn_version_is_not_served_from_the_cache(
    client: TestClient, platform: Platform, tmp_path: Path, people: Any
) -> None:
    url = _published(platform, tmp_path, "short-lived")
    assert client.get(url).status_code == 200  # now cached for anonymous readers
    withdrawn = client.post(
        "/api/v1/libraries/short-lived/versions/1/withdraw",
        json={"reason": "a column held names"},
        headers=people["operator"].headers,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert client.get(url).status_code == 410


def test_slow_clients_do_not_starve_others(app: Any) -> None:
    """200 connections sending a header byte now and then (slowloris): a normal request still
    answers. uvicorn's h11 parser waits per connection on the event loop; it costs a socket each."""
    with live_server(app, timeout_keep_alive=5) as base:
        slow: list[socket.socket] = []
        try:
            for _ in range(200):
                s = socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5)
                s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
                slow.append(s)
            for s in slow[:50]:
                s.sendall(b"X-a: b\r\n")
            answer = httpx.get(base + "/api/v1/health", timeout=10)
            assert answer.status_code == 200 and answer.json()["status"] == "alive"
        finally:
            for s in slow:
                s.close()


@pytest.mark.slow
def test_slow_readers_do_not_starve_others(app: Any, platform: Platform, tmp_path: Path, people: Any) -> None:
    """200 connections that ask for a whole multi-megabyte file and then read nothing: the server
    waits on each socket (uvicorn's flow control) without buffering the file, and others still get
    answers. Memory stays bounded: at most one read chunk per waiting connection."""
    import random

    import psutil

    rows = "".join(f"R{i % 50},{random.random()!r},{random.random()!r}\n" for i in range(150_000))
    make_library(platform, "big-open")
    source = tmp_path / "big-open.csv"
    source.write_text("region,a,b\n" + rows)
    assert publish(platform, "big-open", source).state.value == "succeeded"
    url = "/libraries/big-open/v/1/data/big-open.parquet"
    size = len(_stored(platform, url))
    assert size > 2_000_000
    process = psutil.Process()
    with live_server(app) as base:
        port = int(base.rsplit(":", 1)[1])
        assert httpx.get(base + url).status_code == 200  # resolved once, then the fast lane
        before = process.memory_info().rss
        slow: list[socket.socket] = []
        try:
            for _ in range(200):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.settimeout(5)
                s.connect(("127.0.0.1", port))
                s.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                slow.append(s)
            time.sleep(1.0)
            for s in slow[:20]:
                assert s.recv(1).startswith(b"H")  # a byte now and then: they are being answered
            started = time.monotonic()
            assert httpx.get(base + "/api/v1/health", timeout=10).status_code == 200
            ranged = httpx.get(base + url, headers={"Range": "bytes=0-3"}, timeout=10)
            assert ranged.status_code == 206 and ranged.content == b"PAR1"
            shown = httpx.get(base + "/api/3/action/package_show?id=big-open", timeout=10)
            assert shown.status_code == 200
            assert time.monotonic() - started < 10
            grown = process.memory_info().rss - before
            # far below 200 whole files (200 x size); one 1 MiB chunk per connection at most
            assert grown < 200 * (1024 * 1024 + 256 * 1024), grown
            assert grown < 200 * size / 2, grown
        finally:
            for s in slow:
                s.close()


@pytest.fixture
def nginx_in_front(tmp_path: Path, platform: Platform, app: Any) -> Iterator[str]:
    if not NGINX.exists():
        missing = f"nginx is not installed at {NGINX} (Debian package nginx; .ci/run installs it)"
        if os.environ.get("QAZAI_TEST_NGINX_REQUIRED") == "1":
            pytest.fail(f"QAZAI_TEST_NGINX_REQUIRED=1 but {missing}")
        pytest.skip(missing)
    platform.settings.accel_redirect = "/_qazai/objects/"
    objects = platform.objects.root  # type: ignore[attr-defined]
    with live_server(app) as base:
        port = free_port()
        site = (ROOT / "docs/deploy/nginx.conf").read_text()
        site = site.replace("server 127.0.0.1:8000;", f"server {base.removeprefix('http://')};")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
        site = site.replace("/var/lib/qazai/data/objects/", f"{objects}/")
        site = site.replace("/var/lib/qazai/public", str(tmp_path / "public"))  # see _with_public_tree
        work = tmp_path / "nginx"
        work.mkdir()
        (work / "qazai.conf").write_text(site)
        temp = " ".join(
            f"{name}_temp_path {work}/{name};"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (work / "nginx.conf").write_text(
            # as root, nginx's workers would run as nobody, who cannot enter pytest's 0700 folders
            ("user root; " if os.geteuid() == 0 else "")
            + f"daemon off; worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log warn;\n"
            f"events {{ worker_connections 256; }}\n"
            f"http {{ access_log off; default_type application/octet-stream; {temp}\n"
            f"include {work}/qazai.conf; }}\n"
        )
        nginx = subprocess.Popen(
            [str(NGINX), "-p", str(work), "-c", str(work / "nginx.conf"), "-e", str(work / "error.log")]
        )
        try:
            front = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.get(front + "/api/v1/health", timeout=2)
                    break
                except httpx.HTTPError:
                    assert nginx.poll() is None, (work / "error.log").read_text()
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.1)
            yield front
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


@pytest.mark.slow
def test_nginx_sends_the_bytes_after_qazai_checks(
    nginx_in_front: str, platform: Platform, tmp_path: Path, people: Any
) -> None:
    front = nginx_in_front
    open_url = _published(platform, tmp_path, "open-data")
    secret_url = _published(platform, tmp_path, "secret", AccessTier.restricted)
    data = _stored(platform, open_url)
    whole = httpx.get(front + open_url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["etag"] == f'"{_sha(data)}"'
    assert "x-accel-redirect" not in whole.headers
    assert whole.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert whole.headers["access-control-allow-origin"] == "*"
    assert whole.headers["content-type"] == "application/vnd.apache.parquet"
    same = httpx.get(front + open_url, headers={"If-None-Match": whole.headers["etag"]})
    assert same.status_code == 304
    ranged = httpx.get(front + open_url, headers={"Range": "bytes=4-99"})
    assert ranged.status_code == 206 and ranged.content == data[4:100]
    assert ranged.headers["content-range"] == f"bytes 4-99/{len(data)}"
    assert httpx.get(front + "/_qazai/objects/" + "x").status_code == 404  # internal only

    refused = httpx.get(front + secret_url)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "authentication_required"
    outsider = people["outsider"].headers
    assert httpx.get(front + secret_url, headers=outsider).json()["error"]["code"] == "grant_required"
    grant = httpx.post(
        front + "/api/v1/libraries/secret/grants",
        json={"purpose": "Train a model of regional demand"},
        headers=outsider,
    ).json()
    decided = httpx.post(
        front + f"/api/v1/grants/{grant['id']}/decision",
        json={"approve": True, "expires_on": "2099-01-01"},
        headers=people["producer"].headers,
    )
    assert decided.status_code == 200, decided.text
    secret = _stored(platform, secret_url)
    read = httpx.get(front + secret_url, headers={**outsider, "Range": "bytes=0-3"})
    assert read.status_code == 206 and read.content == secret[:4] == b"PAR1"
    assert read.headers["cache-control"] == "private, no-store"
    assert "access-control-allow-origin" not in read.headers
    with platform.db.uow(read_only=True) as uow:
        reads = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.action == "library.file.read")
        ).all()
    assert [(r.actor_id, r.summary["range"]) for r in reads] == [(people["outsider"].user_id, "bytes=0-3")]


def _with_public_tree(platform: Platform, tmp_path: Path) -> Path:
    """QAZAI_PUBLIC_FILES_DIR at the folder nginx_in_front's nginx serves open files from."""
    from qazai.api.wiring import _install_public_tree

    root = tmp_path / "public"
    _install_public_tree(platform, root)
    return root


def _file_reads_seen_by_qazai(front: str) -> float:
    metrics = httpx.get(front + "/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("qazai_http_requests_total{")
        and 'route="/libraries/{slug}/v/{number}/data/{filename}"' in line
    )


@pytest.mark.slow
def test_nginx_serves_linked_open_files_alone(
    nginx_in_front: str, platform: Platform, tmp_path: Path, people: Any
) -> None:
    front = nginx_in_front
    tree = _with_public_tree(platform, tmp_path)
    open_url = _published(platform, tmp_path, "open-tree")
    secret_url = _published(platform, tmp_path, "secret-tree", AccessTier.restricted)
    data = _stored(platform, open_url)

    first = httpx.get(front + open_url)  # QazAI checks, links, and nginx sends from the tree
    assert first.status_code == 200 and first.content == data
    link = tree / open_url.lstrip("/")
    assert link.is_symlink() and link.read_bytes() == data
    etag = first.headers["etag"]
    assert etag != f'"{_sha(data)}"'  # nginx's own, the same on every read from now on
    assert first.headers["content-type"] == "application/vnd.apache.parquet"
    assert first.headers["access-control-allow-origin"] == "*"
    assert "x-accel-redirect" not in first.headers
    seen = _file_reads_seen_by_qazai(front)
    assert seen >= 1

    again = httpx.get(front + open_url, headers={"Range": "bytes=4-99"})
    assert again.status_code == 206 and again.content == data[4:100]
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert httpx.get(front + open_url, headers={"If-None-Match": etag}).status_code == 304
    apart = httpx.get(front + open_url, headers={"Range": "bytes=0-1,100-101"})
    assert apart.status_code == 200 and apart.content == data
    assert httpx.head(front + open_url).headers["content-length"] == str(len(data))
    assert _file_reads_seen_by_qazai(front) == seen  # none of these reached QazAI
    preflight = httpx.options(
        front + open_url, headers={"Origin": "https://x.kz", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code < 300 and "GET" in preflight.headers.get("access-control-allow-methods", "")

    # a restricted file is never linked: QazAI checks every read
    outsider = people["outsider"].headers
    assert httpx.get(front + secret_url).status_code == 401
    assert httpx.get(front + secret_url, headers=outsider).status_code == 403
    assert not (tree / "libraries" / "secret-tree").exists()

    # a withdrawal unlinks at once: the next read is QazAI's 410
    withdrawn = httpx.post(
        front + "/api/v1/libraries/open-tree/versions/1/withdraw",
        json={"reason": "personal data found in a column"},
        headers=people["producer"].headers,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert not link.exists()
    assert httpx.get(front + open_url).status_code == 410

    # a stale link (a withdrawal in a process that crashed before unlinking) goes at the next start
    link.parent.mkdir(parents=True)
    link.symlink_to(tmp_path / "open-tree.csv")
    with platform.db.uow(read_only=True) as uow:
        from qazai.libraries.public_tree import PublicTree

        assert PublicTree(tree).prune(uow.session) == 1
    assert not link.parent.parent.exists()  # the withdrawn version's folder


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_public_tree_needs_nginx_and_a_local_folder(tmp_path: Path) -> None:
    from qazai.config import load_settings
    from qazai.core.errors import ConfigError

    base: dict[str, Any] = {"environment": "test", "data_dir": tmp_path, "public_files_dir": tmp_path / "p"}
    with pytest.raises(ConfigError, match="QAZAI_ACCEL_REDIRECT"):
        load_settings(**base)
    with pytest.raises(ConfigError, match="S3"):
        load_settings(**base, accel_redirect="/_qazai/objects/", object_store_url="s3://bucket/x")
    assert load_settings(**base, accel_redirect="/_qazai/objects/").public_files_dir == tmp_path / "p"
