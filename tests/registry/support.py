"""Helpers for the registry tests: a system taken through the API to any stage."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

ANSWERS_MEDIUM = {
    "failure_impact": "moral_or_material",
    "decisions_about_people": "yes",
    "human_control": "human_always",
    "critical_ict": "no",
    "state_information_resource": "no",
}
ANSWERS_MINIMAL = ANSWERS_MEDIUM | {"failure_impact": "negligible", "decisions_about_people": "no"}
ANSWERS_HIGH = ANSWERS_MEDIUM | {"failure_impact": "severe", "state_information_resource": "yes"}
CLEAN_ATTESTATION = {
    "subliminal_manipulation": False,
    "unlawful_personal_data": False,
    "exploiting_vulnerabilities": False,
    "social_scoring": False,
    "emotion_recognition_without_consent": False,
    "realtime_remote_biometric_id": False,
}
MINIMAL_DOCS = ("purpose", "user_instructions", "terms_of_use")
MEDIUM_DOCS = (
    "purpose",
    "model_description",
    "limitations",
    "risk_register",
    "user_instructions",
    "terms_of_use",
)
HIGH_DOCS = (*MEDIUM_DOCS, "methods", "evaluation")
# ANSWERS_HIGH forms a state information resource: the regime's documents are required too.
INFOSEC_DOCS = ("infosec_regime", "infosec_test_report")


def system_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "owner_organisation": "stat-gov",
        "name": {"kk": "Халық санағы көмекшісі", "ru": "Помощник переписи", "en": "Census assistant"},
        "purpose": {
            "kk": "Санақ сауалнамаларын тексеру",
            "ru": "Проверка анкет переписи",
            "en": "Checks census questionnaires",
        },
        "sector": "statistics",
        "deployment_context": "eGov census portal",
        "affected_persons": "residents filling in the census",
        "system_type": "language",
        "models": [{"name": "KazLLM", "version": "8B", "provenance": "ISSAI", "hosted_here": True}],
        "notice": {
            "kk": "Бұл қызмет жасанды интеллектті пайдаланады.",
            "ru": "Эта услуга использует искусственный интеллект.",
            "en": "This service uses artificial intelligence.",
        },
        "labelling_method": "visible banner",
        "complaint_contact": "ai@stat.gov.kz",
    }
    body.update(overrides)
    return body


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return ok(client.post("/api/v1/registry/systems", json=system_body(**overrides), headers=headers), 201)  # type: ignore[no-any-return]


def prepare(
    client: TestClient,
    headers: dict[str, str],
    system_id: str,
    *,
    answers: dict[str, str] | None = None,
    attestation: dict[str, bool] | None = None,
    docs: tuple[str, ...] = MEDIUM_DOCS,
    legal_basis: str | None = None,
) -> None:
    body: dict[str, Any] = {"answers": answers or ANSWERS_MEDIUM}
    if legal_basis:
        body["autonomy_legal_basis"] = legal_basis
    ok(client.post(f"/api/v1/registry/systems/{system_id}/classifications", json=body, headers=headers), 201)
    ok(
        client.post(
            f"/api/v1/registry/systems/{system_id}/attestations",
            json={"answers": attestation or CLEAN_ATTESTATION},
            headers=headers,
        ),
        201,
    )
    for key in docs:
        upload(client, headers, system_id, key)


def upload(client: TestClient, headers: dict[str, str], system_id: str, key: str) -> dict[str, Any]:
    return ok(  # type: ignore[no-any-return]
        client.post(
            f"/api/v1/registry/systems/{system_id}/documents",
            data={"template": key},
            files={"file": (f"{key}.md", f"# {key}\n\nText of {key}.".encode(), "text/markdown")},
            headers=headers,
        ),
        201,
    )


def move(
    client: TestClient, headers: dict[str, str], system_id: str, to: str, reason: str | None = None
) -> Any:
    body: dict[str, Any] = {"to": to}
    if reason:
        body["reason"] = reason
    return client.post(f"/api/v1/registry/systems/{system_id}/transitions", json=body, headers=headers)


def link_lineage(
    client: TestClient, headers: dict[str, str], system_id: str, version_id: str
) -> dict[str, Any]:
    return ok(  # type: ignore[no-any-return]
        client.post(
            f"/api/v1/registry/systems/{system_id}/lineage",
            json={"library_version_id": version_id},
            headers=headers,
        ),
        201,
    )


def registered(
    client: TestClient, people: Any, *, lineage_version: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """A system of stat-gov taken from draft to registered; its read model."""
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = create(client, owner, **overrides)
    if lineage_version:
        prepare(client, owner, system["id"])
        link_lineage(client, owner, system["id"], lineage_version)
    else:
        prepare(client, owner, system["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    ok(move(client, owner, system["id"], "submitted"))
    ok(move(client, regulator, system["id"], "in_review"))
    return ok(move(client, regulator, system["id"], "registered"))  # type: ignore[no-any-return]
