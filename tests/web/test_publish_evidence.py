"""The wizard's columns step explains each privacy decision in the visitor's language, and keeping
a column the policy would change takes a reason, recorded with the version; the residual rescan
still refuses an IIN in an open library."""

from __future__ import annotations

import re
import time
from typing import Any

from qazai.libraries.synthetic import citizen_register_csv
from tests.web.helpers import csrf_of, sign_in
from tests.web.test_libraries_pages import CSV, _form_rows, worker_client  # noqa: F401


def _upload(client: Any, slug: str, data: bytes, *, legal_basis: str) -> tuple[str, str]:
    """A new open library with ``data`` uploaded: the columns step's URL and the CSRF token."""
    token = csrf_of(client.get("/publish").text)
    created = client.post(
        "/publish/libraries",
        data={
            "csrf_token": token,
            "organisation": "stat-gov",
            "slug": slug,
            "title_en": "Register",
            "description_en": "Synthetic data.",
            "licence": "CC-BY-4.0",
            "tier": "open",
            "legal_basis": legal_basis,
            "source_systems": "test",
            "contact_email": "data@stat.gov.kz",
        },
    )
    assert created.status_code == 200, created.text
    uploaded = client.post(
        f"/publish/upload/{slug}",
        data={"csrf_token": token},
        files={"file": ("data.csv", data, "text/csv")},
        headers={"Accept": "application/json"},
    )
    assert uploaded.status_code == 200, uploaded.text
    return str(uploaded.json()["next"]), token


def _browser_form(page: str, token: str, changes: dict[str, str]) -> dict[str, str]:
    """The columns step's form as a browser posts it: with its hidden engine actions."""
    hidden = dict(re.findall(r'name="(engine_action_\d+)" value="([^"]*)"', page))
    return {"csrf_token": token, **hidden, **_form_rows(page, changes)}


def test_columns_step_explains_each_decision_in_the_visitors_language(
    worker_client: Any,  # noqa: F811
    people: Any,
) -> None:
    client = worker_client
    sign_in(client, people["producer"].email)
    url, token = _upload(client, "explained", citizen_register_csv(300), legal_basis="depersonalised")
    for lang, identifiers, checked, birth in (
        (
            "en",
            "300 of 300 cells hold IIN: an identifier column.",
            "Checked by checksum or strict format.",
            "Dates of birth, by their values and the header: a quasi-identifier.",
        ),
        (
            "ru",
            "300 из 300 ячеек содержат ИИН: столбец идентификаторов.",
            "Проверено по контрольной сумме или строгому формату.",
            "Даты рождения (по значениям и заголовку): квазиидентификатор.",
        ),
        (
            "kk",
            "300 ұяшықтың 300 ұяшығында ЖСН бар: сәйкестендіргіштер бағаны.",
            "Бақылау сомасымен немесе қатаң пішім бойынша тексерілді.",
            "Мәндері мен тақырыбы бойынша туған күндер: квазисәйкестендіргіш.",
        ),
    ):
        client.post("/language", data={"csrf_token": token, "lang": lang, "next": "/"})
        html = client.get(url).text
        assert identifiers in html and checked in html and birth in html, lang
    # a name is found by its shape, not validated: the page says so
    assert "Бақылау сомасымен емес, үлгі мен мәнмәтін бойынша табылды." in html


def test_a_table_of_statistics_is_explained_as_kept_whole(
    worker_client: Any,  # noqa: F811
    people: Any,
) -> None:
    client = worker_client
    sign_in(client, people["producer"].email)
    url, token = _upload(client, "stats", CSV, legal_basis="none")
    client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/"})
    page = client.get(url).text
    assert "A table of statistics: kept whole." in page
    # published, the version's privacy report says the same, per column, in the visitor's language
    job = client.post(url, data=_browser_form(page, token, {}))
    assert "/publish/jobs/" in str(job.url), job.text
    for _ in range(200):
        versions = client.get("/api/v1/libraries/stats/versions", headers=people["producer"].headers).json()
        if versions["items"] and versions["items"][0]["status"] == "published":
            break
        time.sleep(0.1)
    client.post("/language", data={"csrf_token": token, "lang": "ru", "next": "/"})
    library = client.get("/libraries/stats").text
    assert "Статистическая таблица: остаётся целиком." in library


def test_keeping_an_iin_needs_a_reason_and_the_rescan_still_refuses_it(
    worker_client: Any,  # noqa: F811
    people: Any,
) -> None:
    client = worker_client
    sign_in(client, people["producer"].email)
    url, token = _upload(client, "kept", citizen_register_csv(300), legal_basis="depersonalised")
    client.post("/language", data={"csrf_token": token, "lang": "ru", "next": "/"})
    page = client.get(url).text
    assert 'name="engine_action_0" value="drop"' in page  # ИИН is the first column
    form = _browser_form(page, token, {"ИИН": "action=keep"})
    refused = client.post(url, data=form)
    assert refused.status_code == 422
    assert "Чтобы оставить столбец, который политика конфиденциальности изменила бы, укажите причину." in (
        refused.text
    )
    assert (
        client.get("/api/v1/libraries/kept/versions", headers=people["producer"].headers).json()["items"]
        == []
    )
    reason = "Проверка: ИИН нужны исследователям"
    form = _browser_form(page, token, {"ИИН": f"action=keep;reason={reason}"})
    job = client.post(url, data=form)
    assert "/publish/jobs/" in str(job.url), job.text
    for _ in range(200):
        versions = client.get("/api/v1/libraries/kept/versions", headers=people["producer"].headers).json()
        if versions["items"]:
            break
        time.sleep(0.1)
    [version] = versions["items"]
    # the override is recorded with its reason, and the residual rescan still rejects the version
    assert version["status"] == "rejected"
    [table] = version["manifest"]["tables"]
    iin = next(c for c in table["privacy"]["scan"]["columns"] if c["name"] == "ИИН")
    assert iin["action"] == "keep" and iin["override"] == {"engine_action": "drop", "reason": reason}
    assert re.search(r"residual direct identifiers in the output: .*IIN", str(version["manifest"]))
