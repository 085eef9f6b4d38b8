"""Version files on S3 answered with a redirect to a short-lived presigned URL (issue 18), after
the tier checks and the restricted-read audit; against a real S3-compatible server (moto)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from qazai.api.platform import Platform
from qazai.core.enums import AccessTier
from qazai.libraries.models import LegalBasis
from qazai.storage.db import Database
from qazai.storage.tables.audit import AuditEventRow
from tests.conftest import make_people
from tests.libraries.publishing import make_library, publish
from tests.storage.conftest import S3_CREDENTIALS

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

CSV = "region,value\n" + "".join(f"R{i % 50},{i}\n" for i in range(5_000))


@pytest.fixture
def s3_platform(
    tmp_path: Path, database_url: str, db: Database, s3_endpoint: str, s3_bucket: tuple[str, S3Client]
) -> Iterator[Platform]:
    from qazai.api.wiring import build_platform
    from qazai.config import load_settings

    settings = load_settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        object_store_url=f"s3://{s3_bucket[0]}/qazai",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id=S3_CREDENTIALS["access_key_id"],
        s3_secret_access_key=S3_CREDENTIALS["secret_access_key"],
        s3_presigned_downloads=True,
        s3_presign_seconds=30,
    )
    yield build_platform(settings, start_workers=False, db=db)


def test_s3_files_redirect_to_presigned_urls_after_checks(s3_platform: Platform, tmp_path: Path) -> None:
    from qazai.api.app import create_app

    people: Any = make_people(s3_platform)
    for slug, tier in (("open-data", AccessTier.open), ("secret", AccessTier.restricted)):
        extra: dict[str, Any] = {"legal_basis": LegalBasis.consent} if tier != AccessTier.open else {}
        make_library(s3_platform, slug, tier=tier, **extra)
        source = tmp_path / f"{slug}.csv"
        source.write_text(CSV)
        assert publish(s3_platform, slug, source).state.value == "succeeded"
    with TestClient(create_app(s3_platform), raise_server_exceptions=False) as client:
        url = "/libraries/open-data/v/1/data/open-data.parquet"
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 302 and answer.headers["cache-control"] == "private, no-store"
        location = answer.headers["location"]
        query = parse_qs(urlsplit(location).query)
        if "X-Amz-Expires" in query:  # signature v4
            assert query["X-Amz-Expires"] == ["30"]
        else:  # v2: the moment it ends
            assert 0 < int(query["Expires"][0]) - time.time() <= 31
        whole = httpx.get(location)
        assert whole.status_code == 200 and whole.content[:4] == b"PAR1"
        assert whole.headers["content-type"] == "application/vnd.apache.parquet"
        ranged = httpx.get(location, headers={"Range": "bytes=4-99"})
        assert ranged.status_code == 206 and ranged.content == whole.content[4:100]
        assert client.head(url).status_code == 200  # HEAD answers itself: size and ETag
        assert client.get(url, headers={"If-None-Match": client.head(url).headers["etag"]}).status_code == 304

        secret = "/libraries/secret/v/1/data/secret.parquet"
        assert client.get(secret, follow_redirects=False).status_code == 401
        outsider = people["outsider"].headers
        refused = client.get(secret, headers=outsider, follow_redirects=False)
        assert refused.status_code == 403 and "location" not in refused.headers
        grant = client.post(
            "/api/v1/libraries/secret/grants",
            json={"purpose": "Train a model of regional demand"},
            headers=outsider,
        ).json()
        client.post(
            f"/api/v1/grants/{grant['id']}/decision",
            json={"approve": True, "expires_on": "2099-01-01"},
            headers=people["producer"].headers,
        )
        allowed = client.get(secret, headers={**outsider, "Range": "bytes=0-3"}, follow_redirects=False)
        assert allowed.status_code == 302
        assert httpx.get(allowed.headers["location"], headers={"Range": "bytes=0-3"}).content == b"PAR1"
        assert (
            "Signature=" in allowed.headers["location"] or "X-Amz-Signature=" in allowed.headers["location"]
        )
    with s3_platform.db.uow(read_only=True) as uow:
        reads = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.action == "library.file.read")
        ).all()
    assert [(r.actor_id, r.summary["range"]) for r in reads] == [(people["outsider"].user_id, "bytes=0-3")]
