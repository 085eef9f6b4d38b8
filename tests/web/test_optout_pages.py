"""Portal pages of the opt-out claim workflow (issue 16): a claimant files with evidence, the
producer confirms or disputes, the regulator decides — in kk/ru/en, with CSRF."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.registry.test_optout_claims import versions  # noqa: F401 - the fixture
from tests.web.helpers import csrf_of
from tests.web.test_registry_pages import sign_in_en

EVIDENCE = "I compiled these tables myself and first published them on stat-blog.kz in January 2025."


def _file_claim(client: TestClient, sha256: str) -> str:
    form = client.get("/optouts/new")
    assert form.status_code == 200 and 'name="evidence"' in form.text
    filed = client.post(
        "/optouts",
        data={
            "csrf_token": csrf_of(form.text),
            "title": "Population tables 2025",
            "claimant": "Aigerim Nurlanovna",
            "claimant_contact": "aigerim@example.kz",
            "evidence": EVIDENCE,
            "file_sha256": sha256,
        },
    )
    assert filed.status_code == 200, filed.text
    assert "/optouts/" in str(filed.url) and "Population tables 2025" in filed.text
    return str(filed.url).rsplit("/optouts/", 1)[1].split("?")[0]


def test_claim_confirm_by_the_producer(client: TestClient, people: Any, versions: dict[str, Any]) -> None:  # noqa: F811
    assert client.get("/optouts/new").status_code == 401  # a claimant signs in
    sign_in_en(client, people["outsider"].email)
    missing = client.post(
        "/optouts",
        data={"csrf_token": csrf_of(client.get("/optouts/new").text), "title": "x", "claimant": "Someone"},
    )
    assert missing.status_code == 422
    work_id = _file_claim(client, versions["sha256"])
    page = client.get(f"/optouts/{work_id}")
    assert "Pending" in page.text and EVIDENCE not in page.text  # the evidence is not public
    client.cookies.clear()

    sign_in_en(client, people["producer"].email)
    listed = client.get("/optouts", params={"state": "pending"})
    assert f"/optouts/{work_id}" in listed.text
    opened = client.get(f"/optouts/{work_id}")
    assert EVIDENCE in opened.text and "population v2" in opened.text and 'value="confirm"' in opened.text
    token = csrf_of(opened.text)
    short = client.post(
        f"/optouts/{work_id}/answer", data={"csrf_token": token, "action": "confirm", "reason": "ok"}
    )
    assert short.status_code == 422
    confirmed = client.post(
        f"/optouts/{work_id}/answer",
        data={
            "csrf_token": token,
            "action": "confirm",
            "reason": "The tables are the claimant's own compilation.",
        },
    )
    assert confirmed.status_code == 200 and 'id="optout-state">In force<' in confirmed.text
    assert client.get("/libraries/population/v/2/files.json").status_code == 410


def test_dispute_then_the_regulator_decides_in_russian(
    client: TestClient,
    people: Any,
    versions: dict[str, Any],  # noqa: F811
) -> None:
    sign_in_en(client, people["outsider"].email)
    work_id = _file_claim(client, versions["sha256"])
    client.cookies.clear()
    sign_in_en(client, people["producer"].email)
    token = csrf_of(client.get(f"/optouts/{work_id}").text)
    disputed = client.post(
        f"/optouts/{work_id}/answer",
        data={
            "csrf_token": token,
            "action": "dispute",
            "reason": "We collected these figures from the census.",
        },
    )
    assert disputed.status_code == 200 and 'id="optout-state">Disputed<' in disputed.text
    client.cookies.clear()

    sign_in_en(client, people["regulator"].email)
    page = client.get(f"/optouts/{work_id}")
    assert "We collected these figures from the census." in page.text and 'name="uphold"' in page.text
    removed = client.post(
        f"/optouts/{work_id}/decide",
        data={
            "csrf_token": csrf_of(page.text),
            "uphold": "false",
            "reason": "The census figures are public.",
        },
    )
    assert removed.status_code == 200 and 'id="optout-state">Removed<' in removed.text
    assert client.get("/libraries/population/v/2/files.json").status_code == 200
    client.cookies.clear()
    ru = client.get("/optouts", headers={"Accept-Language": "ru"})
    assert ru.status_code == 200 and "Отказы авторов" in ru.text


def test_the_registrys_error_codes_are_translated() -> None:
    """Every error code the registry raises has a kk/ru message on the portal (issue 16 added
    insufficient_scope, empty_file, not_discardable, json_too_deep, invalid_dates, ...)."""
    import re
    from pathlib import Path

    from qazai.core.enums import Language
    from qazai.web.error_messages import ERROR_MESSAGES
    from qazai.web.i18n import translations_for

    source = Path(__file__).resolve().parents[2] / "src" / "qazai"
    raised = {
        code
        for path in (source / "registry").glob("*.py")
        for code in re.findall(r'code="([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    # the API's own refusal of a body nested too deeply, on the registry's routes too
    if '"json_too_deep"' in (source / "api" / "envelope.py").read_text(encoding="utf-8"):
        raised.add("json_too_deep")
    # codes of the operator's reference documents (an API-only, admin path) stay English
    operator_only = {"invalid_reference", "version_not_increased", "invalid_authorization_header"}
    assert {"insufficient_scope", "empty_file", "not_discardable", "json_too_deep"} <= raised
    missing = sorted(raised - operator_only - set(ERROR_MESSAGES))
    assert missing == []
    for lang in (Language.kk, Language.ru):
        gettext = translations_for(lang).gettext
        assert all(gettext(ERROR_MESSAGES[c]) != ERROR_MESSAGES[c] for c in raised - operator_only)
