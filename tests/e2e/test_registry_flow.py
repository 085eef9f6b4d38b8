"""Issue 16's end-to-end flow through the HTTP API of a live `qazai serve --demo`: register,
classify, attest, document, submit, review, register, change under review, pilot, complain and
follow up, opt out later (the version withdrawn), dispute, audit export — one test, real server,
real job worker (publishing and the outbox)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.test_serve_demo import demo_server  # noqa: F401 - the fixture
from tests.registry.support import ANSWERS_MINIMAL, CLEAN_ATTESTATION, MINIMAL_DOCS

pytestmark = pytest.mark.slow
PASSWORD = "qazai-demo-2026"


def _token(base: str, email: str) -> dict[str, str]:
    with httpx.Client(base_url=base) as client:
        signed = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD})
        assert signed.status_code == 201, signed.text
        made = client.post(
            "/api/v1/tokens",
            json={"name": "e2e", "scopes": ["read", "write"]},
            headers={"x-csrf-token": signed.json()["csrf_token"]},
        )
        assert made.status_code == 201, made.text
        return {"Authorization": f"Bearer {made.json()['token']}"}


def _wait_for(what: str, check: Callable[[], Any], seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"waited {seconds} s for {what}")


def test_the_whole_life_of_a_system_through_the_api(
    demo_server: tuple[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    base, _process = demo_server
    owner = _token(base, "dev@qazdata.kz")
    regulator = _token(base, "regulator@mdai.gov.kz")
    producer = _token(base, "producer@stat.gov.kz")
    with httpx.Client(base_url=base, timeout=30) as api:

        def ok(response: httpx.Response, status: int = 200) -> Any:
            assert response.status_code == status, response.text
            return response.json()

        # a library version to build on: the demo's population tables, once the worker published them
        number = _wait_for(
            "the demo library to publish",
            lambda: api.get("/api/v1/libraries/population-by-region").json().get("latest_version"),
        )

        # register, classify, attest, document, link, submit, review, register
        system = ok(
            api.post(
                "/api/v1/registry/systems",
                json={
                    "owner_organisation": "qazdata-lab",
                    "name": {"kk": "Тест көмекшісі", "ru": "Тестовый помощник", "en": "Test assistant"},
                    "purpose": {"kk": "Мақсаты", "ru": "Назначение", "en": "Answers questions on population"},
                    "sector": "public_services",
                    "deployment_context": "A chat on the startup's site",
                    "affected_persons": "Visitors of the site",
                    "system_type": "language",
                    "models": [{"name": "KazLLM", "version": "8B", "hosted_here": True}],
                    "notice": {"kk": "ЖИ қолданылады.", "ru": "Используется ИИ.", "en": "AI is used."},
                    "complaint_contact": "hello@qazdata.kz",
                },
                headers=owner,
            ),
            201,
        )
        url = f"/api/v1/registry/systems/{system['id']}"
        ok(api.post(f"{url}/classifications", json={"answers": ANSWERS_MINIMAL}, headers=owner), 201)
        ok(api.post(f"{url}/attestations", json={"answers": CLEAN_ATTESTATION}, headers=owner), 201)
        for key in MINIMAL_DOCS:
            ok(
                api.post(
                    f"{url}/documents",
                    data={"template": key},
                    files={"file": (f"{key}.md", f"# {key}\n\nText.".encode(), "text/markdown")},
                    headers=owner,
                ),
                201,
            )
        version = ok(api.get(f"/api/v1/libraries/population-by-region/versions/{number}"))
        ok(api.post(f"{url}/lineage", json={"library_version_id": version["id"]}, headers=owner), 201)
        for step, who in (("submitted", owner), ("in_review", regulator), ("registered", regulator)):
            ok(api.post(f"{url}/transitions", json={"to": step}, headers=who))

        # a change of the reviewed purpose waits for the regulator
        pending = ok(
            api.patch(
                url, json={"purpose": {"en": "Answers questions on population by region"}}, headers=owner
            )
        )["pending_revision"]
        assert ok(api.get(url, headers=owner))["purpose"]["en"] == "Answers questions on population"
        ok(
            api.post(
                f"/api/v1/registry/revisions/{pending['id']}/decision",
                json={"decision": "approve"},
                headers=regulator,
            )
        )

        # a pilot with a hard end date
        start = datetime.now(UTC) + timedelta(minutes=5)
        ok(
            api.post(
                f"{url}/pilots",
                json={
                    "description": "Two weeks on the site",
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(days=14)).isoformat(),
                },
                headers=owner,
            ),
            201,
        )

        # a complaint, its receipt, the owner's answer, the status page and the mails
        receipt = ok(
            api.post(
                f"/api/v1/register/{system['id']}/complaints",
                json={
                    "text": "It gave me wrong numbers.",
                    "contact_email": "citizen@example.kz",
                    "language": "ru",
                },
            ),
            201,
        )
        ok(
            api.post(
                f"/api/v1/registry/complaints/{receipt['id']}/answer",
                json={"text": "Исправлено, спасибо."},
                headers=owner,
            )
        )
        status = ok(
            api.get(f"/api/v1/complaints/{receipt['reference']}", params={"code": receipt["access_code"]})
        )
        assert status["state"] == "answered" and status["answer"] == "Исправлено, спасибо."
        outbox = tmp_path / ".qazai" / "outbox"
        mails = _wait_for("two mails in the outbox", lambda: len(list(outbox.glob("*.eml"))) >= 2 and outbox)
        bodies = [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default).get_body().get_content()  # type: ignore[union-attr]
            for p in mails.glob("*.eml")
        ]
        assert any(receipt["access_code"] in b for b in bodies) and any("Исправлено" in b for b in bodies)

        # a later author's opt-out of the version's source, confirmed by the producer: withdrawn
        data = resources.files("qazai.libraries.demo_data")
        sha = hashlib.sha256(data.joinpath("stat-population-by-region.xlsx").read_bytes()).hexdigest()
        evidence = "I compiled and first published these regional tables in 2024 on my own site."
        claim = ok(
            api.post(
                "/api/v1/registry/optouts",
                json={
                    "title": "Regional tables",
                    "claimant": "Dana Author",
                    "evidence": evidence,
                    "file_sha256": sha,
                },
                headers=owner,
            ),
            201,
        )
        work_id = claim["work"]["id"]
        confirmed = ok(
            api.post(
                f"/api/v1/registry/optouts/{work_id}/confirm",
                json={"reason": "The claimant's tables were our source."},
                headers=producer,
            )
        )
        assert version["id"] in confirmed["versions_withdrawn"]
        gone = api.get(f"/libraries/population-by-region/v/{number}/files.json")
        assert gone.status_code == 410 and "Regional tables" in gone.json()["error"]["message"]
        assert ok(api.get(url, headers=owner))["lineage_flagged"] is True

        # another claim, disputed by the producer, removed by the regulator
        other = hashlib.sha256(data.joinpath("population-projections-source.xlsx").read_bytes()).hexdigest()
        disputed = ok(
            api.post(
                "/api/v1/registry/optouts",
                json={
                    "title": "Projections",
                    "claimant": "Someone Else",
                    "evidence": evidence,
                    "file_sha256": other,
                },
                headers=owner,
            ),
            201,
        )["work"]["id"]
        ok(
            api.post(
                f"/api/v1/registry/optouts/{disputed}/dispute",
                json={"reason": "These are our own projections."},
                headers=producer,
            )
        )
        decided = ok(
            api.post(
                f"/api/v1/registry/optouts/{disputed}/decide",
                json={"uphold": False, "reason": "The projections are the Bureau's own work."},
                headers=regulator,
            )
        )
        assert decided["work"]["state"] == "removed"

        # the audit export has the whole story
        bundle_zip = api.get(f"{url}/export", headers=regulator)
        assert bundle_zip.status_code == 200
        with zipfile.ZipFile(io.BytesIO(bundle_zip.content)) as archive:
            bundle = json.loads(archive.read("bundle.json"))
        actions = {e["action"] for e in bundle["audit_events"]}
        assert {
            "ai_system.create",
            "ai_system.registered",
            "ai_system.approve_revision",
            "ai_system.start_pilot",
            "ai_system.file_complaint",
            "ai_system.answer_complaint",
        } <= actions
        assert httpx.get(f"{base}/api/v1/audit/verify", headers=regulator).json()["ok"] is True
