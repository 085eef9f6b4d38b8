"""The libraries API and the version files: metadata, uploads, publishing, tiers, grants, serving."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.libraries.publishing import run_jobs

from qazai.api.platform import Platform
from qazai.storage.tables.audit import AuditEventRow

META: dict[str, Any] = {
    "description": {"en": "Regions and values", "ru": "Регионы и значения"},
    "licence": "CC-BY-4.0",
    "legal_basis": "none",
    "source_systems": ["test system"],
    "contact": {"email": "data@stat.gov.kz"},
}
CSV = "region,value\n" + "".join(f"R{i % 50},{i}\n" for i in range(20_000))


def h(person: Any) -> dict[str, str]:
    return dict(person.headers)


def create(client: TestClient, people: Any, slug: str, tier: str = "open", **extra: Any) -> dict[str, Any]:
    body = {"slug": slug, "organisation": "stat-gov", "title": {"en": slug}, "tier": tier, **META, **extra}
    response = client.post("/api/v1/libraries", json=body, headers=h(people["producer"]))
    assert response.status_code == 201, response.text
    return dict(response.json())


def upload(client: TestClient, people: Any, slug: str, data: bytes, name: str = "data.csv") -> str:
    created = client.post(
        "/api/v1/uploads",
        json={
            "library": slug,
            "filename": name,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        headers=h(people["producer"]),
    )
    assert created.status_code == 201, created.text
    upload_id = str(created.json()["id"])
    done = client.patch(
        f"/api/v1/uploads/{upload_id}", content=data, headers={**h(people["producer"]), "Upload-Offset": "0"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "complete"
    return upload_id


def publish(client: TestClient, platform: Platform, people: Any, slug: str, data: bytes, **extra: Any) -> Any:
    upload_id = upload(client, people, slug, data)
    accepted = client.post(
        f"/api/v1/libraries/{slug}/versions",
        json={"upload_id": upload_id, **extra},
        headers=h(people["producer"]),
    )
    assert accepted.status_code == 202, accepted.text
    run_jobs(platform)
    job = client.get(f"/api/v1/jobs/{accepted.json()['job_id']}", headers=h(people["producer"]))
    assert job.status_code == 200
    return job.json()


def test_metadata_completeness_is_required_before_first_publish(client: TestClient, people: Any) -> None:
    response = client.post(
        "/api/v1/libraries",
        json={"slug": "bare", "organisation": "stat-gov", "title": {"kk": "Бос"}},
        headers=h(people["producer"]),
    )
    assert response.status_code == 201
    report = response.json()["completeness"]
    assert "licence" in report["required_missing"] and 0 < report["score"] < 1
    upload_id = upload(client, people, "bare", CSV.encode())
    refused = client.post(
        "/api/v1/libraries/bare/versions", json={"upload_id": upload_id}, headers=h(people["producer"])
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "metadata_incomplete"
    assert "licence" in refused.json()["error"]["message"]
    patched = client.patch("/api/v1/libraries/bare", json=META, headers=h(people["producer"]))
    assert patched.json()["completeness"]["required_missing"] == []


def test_only_producers_create_and_publish(client: TestClient, people: Any) -> None:
    body = {"slug": "x", "organisation": "stat-gov", "title": {"en": "x"}}
    assert client.post("/api/v1/libraries", json=body, headers=h(people["member"])).status_code == 403
    assert client.post("/api/v1/libraries", json=body, headers=h(people["outsider"])).status_code == 403
    assert client.post("/api/v1/libraries", json=body).status_code == 401
    assert (
        client.post(
            "/api/v1/libraries", json={**body, "licence": "not a licence!"}, headers=h(people["producer"])
        ).status_code
        == 422
    )


def test_publish_serve_and_withdraw(client: TestClient, platform: Platform, people: Any) -> None:
    create(client, people, "open-data")
    job = publish(client, platform, people, "open-data", CSV.encode())
    assert job["state"] == "succeeded", job
    assert job["progress_percent"] == 100 or job["result"]["version"] == 1
    files = client.get("/libraries/open-data/v/1/files.json")
    assert files.status_code == 200
    [part] = files.json()["files"]
    assert part["rows"] == 20_000 and part["url"].endswith("/libraries/open-data/v/1/data/data.parquet")
    url = "/libraries/open-data/v/1/data/data.parquet"

    head = client.head(url)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(part["bytes"])
    assert head.headers["accept-ranges"] == "bytes"
    assert head.headers["etag"] == f'"{part["sha256"]}"'
    assert head.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert head.headers["access-control-allow-origin"] == "*"
    assert head.headers["content-type"] == "application/vnd.apache.parquet"

    whole = client.get(url)
    assert hashlib.sha256(whole.content).hexdigest() == part["sha256"]
    ranged = client.get(url, headers={"Range": "bytes=4-11"})
    assert ranged.status_code == 206 and ranged.content == whole.content[4:12]
    assert ranged.headers["content-range"] == f"bytes 4-11/{part['bytes']}"
    suffix = client.get(url, headers={"Range": "bytes=-4"})
    assert suffix.status_code == 206 and suffix.content == b"PAR1"
    tail = client.get(url, headers={"Range": f"bytes={part['bytes'] - 4}-"})
    assert tail.content == b"PAR1"
    bad = client.get(url, headers={"Range": f"bytes={part['bytes']}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{part['bytes']}"
    assert bad.json()["error"]["code"] == "range_not_satisfiable"
    cached = client.get(url, headers={"If-None-Match": head.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""

    latest = client.get("/libraries/open-data/latest/files.json", follow_redirects=False)
    assert latest.status_code == 302 and latest.headers["location"] == "/libraries/open-data/v/1/files.json"
    shown = client.get("/api/v1/libraries/open-data/versions/1").json()
    assert shown["status"] == "published" and shown["manifest"]["tables"][0]["profile"]["rows"] == 20_000

    withdrawn = client.post(
        "/api/v1/libraries/open-data/versions/1/withdraw",
        json={"reason": "wrong units in column value"},
        headers=h(people["producer"]),
    )
    assert withdrawn.status_code == 200
    gone = client.get(url)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "version_withdrawn"
    assert "wrong units" in gone.json()["error"]["message"]
    assert client.get("/libraries/open-data/v/1/files.json").status_code == 410
    meta = client.get("/libraries/open-data/v/1/metadata.json").json()
    assert meta["status"] == "withdrawn" and meta["withdrawn_reason"] == "wrong units in column value"
    assert client.get("/libraries/open-data/latest", follow_redirects=False).status_code == 404


def test_registered_tier_needs_terms(client: TestClient, platform: Platform, people: Any) -> None:
    create(client, people, "reg", tier="registered", terms={"en": "Use for research only."})
    assert publish(client, platform, people, "reg", CSV.encode())["state"] == "succeeded"
    url = "/libraries/reg/v/1/data/data.parquet"
    assert client.get(url).status_code == 401
    refused = client.get(url, headers=h(people["outsider"]))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "terms_not_accepted"
    assert client.post("/api/v1/libraries/reg/terms/accept", headers=h(people["outsider"])).status_code == 200
    ok = client.get(url, headers=h(people["outsider"]))
    assert ok.status_code == 200 and "access-control-allow-origin" not in ok.headers
    assert ok.headers["cache-control"] == "private, no-store"


def test_restricted_tier_grants_and_audited_reads(
    client: TestClient, platform: Platform, people: Any
) -> None:
    create(client, people, "secret", tier="restricted", legal_basis="consent")
    assert publish(client, platform, people, "secret", CSV.encode())["state"] == "succeeded"
    url = "/libraries/secret/v/1/data/data.parquet"
    outsider = h(people["outsider"])
    assert client.get(url, headers=outsider).json()["error"]["code"] == "grant_required"
    short = client.post("/api/v1/libraries/secret/grants", json={"purpose": "x"}, headers=outsider)
    assert short.status_code == 422
    requested = client.post(
        "/api/v1/libraries/secret/grants",
        json={"purpose": "Train a model of regional demand"},
        headers=outsider,
    )
    assert requested.status_code == 201 and requested.json()["status"] == "pending"
    grant_id = requested.json()["id"]
    again = client.post(
        "/api/v1/libraries/secret/grants", json={"purpose": "Train it again please"}, headers=outsider
    )
    assert again.status_code == 409
    mine = client.get("/api/v1/grants", headers=outsider).json()["items"]
    assert [g["status"] for g in mine] == ["pending"]
    to_decide = client.get("/api/v1/libraries/secret/grants", headers=h(people["producer"])).json()["items"]
    assert [g["id"] for g in to_decide] == [grant_id]
    self_approve = client.post(
        f"/api/v1/grants/{grant_id}/decision",
        json={"approve": True, "expires_on": "2099-01-01"},
        headers=outsider,
    )
    assert self_approve.status_code == 403
    no_expiry = client.post(
        f"/api/v1/grants/{grant_id}/decision", json={"approve": True}, headers=h(people["producer"])
    )
    assert no_expiry.status_code == 422
    approved = client.post(
        f"/api/v1/grants/{grant_id}/decision",
        json={"approve": True, "expires_on": "2099-01-01", "note": "ok"},
        headers=h(people["producer"]),
    )
    assert approved.status_code == 200 and approved.json()["active"] is True
    read = client.get(url, headers={**outsider, "Range": "bytes=0-3"})
    assert read.status_code == 206 and read.content == b"PAR1"
    with platform.db.uow(read_only=True) as uow:
        reads = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.action == "library.file.read")
        ).all()
    assert len(reads) == 1 and reads[0].actor_id == people["outsider"].user_id
    assert reads[0].summary["range"] == "bytes=0-3"


def test_enclave_is_never_downloaded(client: TestClient, platform: Platform, people: Any) -> None:
    create(client, people, "vault", tier="enclave", legal_basis="consent")
    assert publish(client, platform, people, "vault", CSV.encode())["state"] == "succeeded"
    for who in ("producer", "operator", "outsider"):
        response = client.get("/libraries/vault/v/1/data/data.parquet", headers=h(people[who]))
        assert response.status_code == 403 and response.json()["error"]["code"] == "enclave_no_download"


def test_resumable_upload_and_limits(client: TestClient, platform: Platform, people: Any) -> None:
    create(client, people, "chunks")
    data = CSV.encode()
    created = client.post(
        "/api/v1/uploads",
        json={"library": "chunks", "filename": "../../etc/d.csv", "size": len(data)},
        headers=h(people["producer"]),
    ).json()
    assert created["filename"] == "d.csv"
    path = f"/api/v1/uploads/{created['id']}"
    producer = h(people["producer"])
    first = client.patch(path, content=data[:1000], headers={**producer, "Upload-Offset": "0"})
    assert first.status_code == 200 and first.headers["upload-offset"] == "1000"
    assert client.head(path, headers=producer).headers["upload-offset"] == "1000"
    wrong = client.patch(path, content=data[1000:], headers={**producer, "Upload-Offset": "0"})
    assert wrong.status_code == 409 and wrong.json()["error"]["details"]["offset"] == 1000
    too_much = client.patch(
        path, content=data[1000:] + b"extra", headers={**producer, "Upload-Offset": "1000"}
    )
    assert too_much.status_code == 413
    assert client.head(path, headers=producer).headers["upload-offset"] == "1000"
    rest = client.patch(path, content=data[1000:], headers={**producer, "Upload-Offset": "1000"})
    assert rest.status_code == 200 and rest.json()["status"] == "complete"
    assert rest.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert (
        client.patch(path, content=b"x", headers={**producer, "Upload-Offset": str(len(data))}).status_code
        == 409
    )
    assert client.get(path, headers=h(people["outsider"])).status_code == 404
    huge = client.post(
        "/api/v1/uploads",
        json={"library": "chunks", "filename": "big.csv", "size": platform.settings.upload_max_bytes + 1},
        headers=producer,
    )
    assert huge.status_code == 413
    bad_sum = client.post(
        "/api/v1/uploads",
        json={"library": "chunks", "filename": "d.csv", "size": 3, "sha256": "0" * 64},
        headers=producer,
    ).json()
    mismatch = client.patch(
        f"/api/v1/uploads/{bad_sum['id']}", content=b"abc", headers={**producer, "Upload-Offset": "0"}
    )
    assert mismatch.status_code == 422 and mismatch.json()["error"]["code"] == "checksum_mismatch"


def test_raw_upload_is_purged_after_retention(client: TestClient, platform: Platform, people: Any) -> None:
    from qazai.libraries.uploads import purge_upload, quarantine_prefix

    create(client, people, "purge")
    upload_id = upload(client, people, "purge", b"a,b\n1,2\n")
    assert list(platform.objects.list(quarantine_prefix(upload_id)))
    assert purge_upload(platform.db, platform.objects, upload_id) is True
    assert list(platform.objects.list(quarantine_prefix(upload_id))) == []
    assert (
        client.get(f"/api/v1/uploads/{upload_id}", headers=h(people["producer"])).json()["status"]
        == "deleted"
    )
    refused = client.post(
        "/api/v1/libraries/purge/versions", json={"upload_id": upload_id}, headers=h(people["producer"])
    )
    assert refused.status_code == 409


def test_lineage_contract(client: TestClient, platform: Platform, people: Any) -> None:
    from qazai.libraries.lineage import (
        find_version_ref,
        get_version_ref,
        mark_versions_opted_out,
        versions_with_source_sha256,
    )

    create(client, people, "lin")
    data = CSV.encode()
    assert publish(client, platform, people, "lin", data)["state"] == "succeeded"
    with platform.db.uow() as uow:
        ref = find_version_ref(uow.session, "lin", 1)
        assert ref is not None and ref.status == "published" and ref.library_title == "lin"
        assert ref.source_sha256s == [hashlib.sha256(data).hexdigest()]
        assert 0 < ref.metadata_completeness <= 1
        assert get_version_ref(uow.session, ref.id) == ref
        assert [r.id for r in versions_with_source_sha256(uow.session, ref.source_sha256s[0])] == [ref.id]
        mark_versions_opted_out(uow.session, [ref.id], "work W1 opted out")
        uow.commit()
    shown = client.get("/api/v1/libraries/lin/versions/1").json()
    assert shown["optout_flagged"] is True and shown["optout_reason"] == "work W1 opted out"


def test_lists_page_with_cursor(client: TestClient, people: Any) -> None:
    for slug in ("a-lib", "b-lib", "c-lib"):
        create(client, people, slug)
    first = client.get("/api/v1/libraries?limit=2").json()
    assert [i["slug"] for i in first["items"]] == ["a-lib", "b-lib"]
    second = client.get(f"/api/v1/libraries?limit=2&next={first['next']}").json()
    assert [i["slug"] for i in second["items"]] == ["c-lib"] and second["next"] is None
