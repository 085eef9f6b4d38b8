"""The data viewer page and the library page's table picker through the app (no browser):
languages, numbers, errors as pages in the reader's language, and who may see the rows."""

from __future__ import annotations

import re
from typing import Any

from tests.web.helpers import sign_in
from tests.web.test_libraries_pages import publish_through_wizard, worker_client  # noqa: F401 - fixture

ROWS = "".join(f"Аудан {i},{1000 + i},{i * 1234567}\n" for i in range(1, 121))
TOTAL = sum(i * 1234567 for i in range(1, 121))
CSV = ("region,year,people\n" + f"Республика Казахстан,2024,{TOTAL}\n" + ROWS).encode()


def _publish(client: Any, people: Any, slug: str, tier: str = "open") -> None:
    sign_in(client, people["producer"].email)
    publish_through_wizard(client, slug, tier, data=CSV, filename="districts.csv")
    client.cookies.clear()


def test_viewer_pages_sorts_filters_and_formats_numbers_per_language(worker_client: Any, people: Any) -> None:  # noqa: F811
    client = worker_client
    _publish(client, people, "districts")
    kk = client.get("/libraries/districts/viewer", headers={"Accept-Language": "kk"})
    assert kk.status_code == 200 and "Деректерді қарау" in kk.text
    assert "3\u00a0беттің 1-беті" in kk.text or "3 беттің 1-беті" in kk.text
    assert "148\u00a0148\u00a0040" in kk.text  # 120 × 1 234 567 with no-break spaces
    assert ">1001<" in kk.text  # a year column keeps its digits together
    assert "e+" not in kk.text and 'class="total-row"' in kk.text and "Республика Казахстан" in kk.text
    en = client.get("/libraries/districts/viewer?page=3", headers={"Accept-Language": "en"})
    assert "148,148,040" in en.text and "Page 3 of 3" in en.text
    ru = client.get(
        "/libraries/districts/viewer",
        params={"sort": "people", "desc": "1", "filter_region": "аудан 1", "page": "1"},
        headers={"Accept-Language": "ru"},
    )
    assert ru.status_code == 200 and 'aria-sort="descending"' in ru.text
    assert "Подходят 32 строки" in ru.text or "Подходят 32 строк" in ru.text  # Аудан 1, 10-19, 100-120
    assert ru.text.index("Аудан 120") < ru.text.index("Аудан 119")


def test_viewer_errors_are_pages_in_the_readers_language(worker_client: Any, people: Any) -> None:  # noqa: F811
    client = worker_client
    _publish(client, people, "districts-errors")
    cases = {
        "?page=abc": ("Такой страницы нет", "Мұндай бет жоқ"),
        "?page=9": ("Страницы 9 нет", "9-бет жоқ"),
        "?sort=nope": (
            'нет столбца «<span translate="no">nope</span>»',
            '«<span translate="no">nope</span>» бағаны жоқ',
        ),
        "?filter_people=lots": ("не читается как число", "ретінде оқылмайды"),
        "?table=nope": (
            'нет таблицы «<span translate="no">nope</span>»',
            '«<span translate="no">nope</span>» кестесі жоқ',
        ),
        # what the reader typed comes back escaped, marked as data
        "?filter_people=%3Cb%3E": (
            '«<span translate="no">&lt;b&gt;</span>»',
            '«<span translate="no">&lt;b&gt;</span>»',
        ),
    }
    for query, (ru, kk) in cases.items():
        for lang, text in (("ru", ru), ("kk", kk)):
            page = client.get(f"/libraries/districts-errors/viewer{query}", headers={"Accept-Language": lang})
            assert page.status_code == 422, (query, lang)
            assert text in page.text and 'role="alert"' in page.text, (query, lang)
            assert "Traceback" not in page.text


def test_restricted_rows_only_for_those_who_may_download(worker_client: Any, people: Any) -> None:  # noqa: F811
    client = worker_client
    _publish(client, people, "districts-restricted", tier="restricted")
    assert client.get("/libraries/districts-restricted/viewer").status_code == 401
    sign_in(client, people["outsider"].email)
    refused = client.get("/libraries/districts-restricted/viewer")
    assert refused.status_code == 403 and "Аудан 1" not in refused.text
    client.cookies.clear()
    sign_in(client, people["member"].email)  # the producer organisation reads its own data
    page = client.get("/libraries/districts-restricted/viewer")
    assert page.status_code == 200 and "Аудан 1" in page.text


def test_library_page_shows_a_picker_and_one_table(worker_client: Any, people: Any) -> None:  # noqa: F811
    client = worker_client
    _publish(client, people, "districts-page")
    page = client.get("/libraries/districts-page", headers={"Accept-Language": "ru"})
    assert page.status_code == 200
    assert 'id="open-viewer" href="/libraries/districts-page/viewer?table=' in page.text
    assert page.text.count('id="table-heading"') == 1 and "Первые строки" in page.text
    assert "e+" not in page.text
    # the profile charts of open data leave the national total out, and say so
    assert "не входит в эти диаграммы" in page.text and "Республика Казахстан</span>" in page.text
    descs = re.findall(r"<desc>([^<]*)</desc>", page.text)
    assert any("148\u202f148\u202f040" in d for d in descs)  # the largest district is the top edge
    assert not any(f"{TOTAL:,}".replace(",", "\u202f") in d for d in descs)
