"""The library page's additional info, citation, counts, history, related libraries and
dictionary; the producers' metadata edit page; creation and publishing that cannot dead-end."""

from __future__ import annotations

import re
import time
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web import test_libraries_pages
from tests.web.helpers import csrf_of, sign_in
from tests.web.test_libraries_pages import CSV, publish_through_wizard

worker_client = test_libraries_pages.worker_client  # the fixture: publish jobs run in this process
CSV_V2 = (
    "region,year,population,area\nАстана,2024,1350228,797\nАлматы,2024,2228675,682\n"
    "Шымкент,2024,1222129,1170\nАқтөбе,2024,600000,2300\n"
).encode()


@pytest.fixture
def portal(worker_client: TestClient, people: Any) -> TestClient:
    """The portal (publish jobs run in this process) signed in as stat-gov's producer, in English:
    every test here starts by publishing or creating something as them."""
    _visit(worker_client, people, "producer")
    return worker_client


def _visit(client: Any, people: Any, who: str | None) -> None:
    """Start over as ``who`` (anonymous when None), reading the portal in English."""
    client.cookies.clear()
    client.cookies.set("qazai_lang", "en")
    if who:
        sign_in(client, people[who].email)


def _patch(client: Any, people: Any, slug: str, body: dict[str, Any]) -> Any:
    response = client.patch(f"/api/v1/libraries/{slug}", json=body, headers=people["producer"].headers)
    assert response.status_code == 200, response.text
    return response.json()


def _finish(client: Any, job_url: str) -> None:
    for _ in range(100):
        if "Published." in client.get(job_url).text:
            return
        time.sleep(0.1)
    raise AssertionError("the publish job did not finish")


def _publish_again(client: Any, slug: str, data: bytes) -> None:
    token = csrf_of(client.get(f"/publish/{slug}").text)
    uploaded = client.post(
        f"/publish/upload/{slug}",
        data={"csrf_token": token},
        files={"file": ("population.csv", data, "text/csv")},
        headers={"Accept": "application/json"},
    )
    job = client.post(uploaded.json()["next"], data={"csrf_token": token, "rows": "0"})
    assert "/publish/jobs/" in str(job.url), job.text
    _finish(client, str(job.url))


def test_library_page_shows_additional_info_licence_citation_and_counts(
    portal: TestClient, people: Any
) -> None:
    publish_through_wizard(portal, "population")
    _patch(
        portal,
        people,
        "population",
        {
            "frequency": "annual",
            "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
            "spatial": {"region": "Kazakhstan", "kato": "000000000"},
            "themes": ["demography"],
            "contact": {"name": "Data desk", "email": "data@stat.gov.kz", "phone": "+7 7172 749 000"},
        },
    )
    _visit(portal, people, None)
    html = portal.get("/libraries/population").text
    info = html.split('id="info"')[1].split("</section>")[0]
    assert "Bureau of National Statistics" in html.split("<h2")[0]  # the producer's full name on top
    assert "Bureau of National Statistics" in info and ">stat-gov<" not in info
    for shown in ("Data desk", "mailto:data@stat.gov.kz", "Annual", "2024-01-01", "2024-12-31", "Kazakhstan"):
        assert shown in info, shown
    assert "census" in info and "demography" in info
    assert 'href="https://creativecommons.org/licenses/by/4.0/" rel="license"' in info
    assert "if you name the producer" in info  # the plain summary
    citation = unescape(html.split('id="citation"')[1].split("</section>")[0])
    assert "Bureau of National Statistics. (20" in citation and "(Version 1) [Data set]. QazAI." in citation
    assert "@misc{population_v1," in citation and "author = {{Bureau of National Statistics}}" in citation
    assert 'data-copy="#citation-bibtex"' in html.split('id="citation"')[1]
    views = int(re.search(r'id="lib-views">(\d+)', html).group(1))  # type: ignore[union-attr]
    again = portal.get("/libraries/population").text
    assert int(re.search(r'id="lib-views">(\d+)', again).group(1)) == views + 1  # type: ignore[union-attr]
    downloads = int(re.search(r'id="lib-downloads">(\d+)', again).group(1))  # type: ignore[union-attr]
    part = re.search(r'href="(/libraries/population/v/1/data/[^"]+\.parquet)"', again).group(1)  # type: ignore[union-attr]
    assert portal.get(part).status_code == 200
    after = portal.get("/libraries/population").text
    assert int(re.search(r'id="lib-downloads">(\d+)', after).group(1)) == downloads + 1  # type: ignore[union-attr]


def test_version_history_says_what_changed_between_versions(portal: TestClient) -> None:
    publish_through_wizard(portal, "growing")
    _publish_again(portal, "growing", CSV_V2)
    section = portal.get("/libraries/growing").text.split('id="versions"')[1].split("</section>")[0]
    changes = unescape(re.sub(r"\s+", " ", section))
    assert "Since version 1: rows +1" in changes
    assert "1 row added" in changes
    assert "columns added: <code>area</code>" in changes


def test_related_libraries_share_themes_or_the_producer(portal: TestClient, people: Any) -> None:
    publish_through_wizard(portal, "first")
    publish_through_wizard(portal, "second")
    _patch(portal, people, "first", {"themes": ["demography"]})
    _patch(portal, people, "second", {"themes": ["demography"]})
    html = portal.get("/libraries/first").text
    related = html.split('id="related"')[1].split("</section>")[0]
    assert 'href="/libraries/second"' in related and 'href="/libraries/first"' not in related


def test_restricted_library_shows_metadata_schema_and_profile_to_all_sample_rows_to_its_producers(
    portal: TestClient, people: Any
) -> None:
    publish_through_wizard(portal, "closed", tier="restricted")
    own = portal.get("/libraries/closed").text
    assert "Алматы" in own  # the first rows, for its producers
    _visit(portal, people, "outsider")
    other = portal.get("/libraries/closed").text
    assert 'id="info"' in other and "Schema" in other and "<code>population</code>" in other
    assert "Алматы" not in other
    _visit(portal, people, None)
    anonymous = portal.get("/libraries/closed").text
    assert "<code>population</code>" in anonymous and "Алматы" not in anonymous


def _edit_form(html: str) -> dict[str, str]:
    """The edit page's form as a browser would post it (inputs, selected options, textareas)."""
    html = html.split('<form method="post" action="/libraries/')[1].split("</form>", maxsplit=1)[0]
    form: dict[str, str] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        form[name] = unescape(value)
    for name in re.findall(r'<input[^>]*name="([^"]+)"', html):
        form.setdefault(name, "")
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html):
        form[name] = unescape(text)
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options) or re.search(
            r'<option value="([^"]*)"', options
        )
        form[name] = chosen.group(1) if chosen else ""
    return form


def test_dictionary_edit_round_trip_reaches_the_page_metadata_and_croissant(portal: TestClient) -> None:
    publish_through_wizard(portal, "described")
    page = portal.get("/libraries/described/edit")
    assert page.status_code == 200
    # the title is in kk and en only: the producer is told which language it still lacks
    lacking = page.text.split('id="field-title"')[1].split("</fieldset>")[0]
    assert (
        "Not yet written in:" in lacking
        and '<span lang="ru">' in lacking
        and '<span lang="kk">' not in lacking
    )
    form = _edit_form(page.text)
    index = next(
        k.split("_")[1] for k, v in form.items() if re.fullmatch(r"column_\d+", k) and v == "population"
    )
    form[f"column_{index}_description_ru"] = "Численность населения на начало года"
    form[f"column_{index}_description_en"] = "Population at the start of the year"
    form[f"column_{index}_unit"] = "persons"
    form["frequency"] = "annual"
    saved = portal.post("/libraries/described/edit", data=form)
    assert saved.status_code == 200 and 'id="saved"' in saved.text
    assert 'value="persons"' in saved.text  # shown again on the edit page
    html = portal.get("/libraries/described").text
    dictionary = html.split('id="dictionary"')[1].split("</section>")[0]
    assert "Population at the start of the year" in dictionary and "persons" in dictionary
    ru = portal.get("/libraries/described", headers={"Accept-Language": "ru"}, params={"lang": "ru"}).text
    assert "Численность населения на начало года" in ru or "Population at the start" in ru
    meta = portal.get("/libraries/described/v/1/metadata.json").json()
    assert meta["library"]["dictionary"]["population"]["unit"] == "persons"
    croissant = portal.get("/libraries/described/v/1/croissant.json").json()
    fields = {f["name"]: f for rs in croissant["recordSet"] for f in rs["field"]}
    assert fields["population"]["description"] == "Population at the start of the year (unit: persons)"
    api = portal.get("/api/v1/libraries/described").json()
    assert api["dictionary"]["population"]["description"]["ru"] == "Численность населения на начало года"
    assert api["frequency"] == "annual"


def test_edit_page_shows_each_problem_next_to_its_field_and_keeps_the_input(portal: TestClient) -> None:
    publish_through_wizard(portal, "strict")
    form = _edit_form(portal.get("/libraries/strict/edit").text)
    form["spatial_kato"] = "12345"
    form["licence"] = "not a licence!"
    form["description_ru"] = "Новое описание"
    refused = portal.post("/libraries/strict/edit", data=form)
    assert refused.status_code == 422
    assert 'id="error-spatial"' in refused.text and 'id="error-licence"' in refused.text
    assert 'aria-invalid="true" aria-describedby="error-licence"' in refused.text
    assert "Новое описание" in refused.text  # nothing typed is lost
    assert portal.get("/api/v1/libraries/strict").json()["spatial"] is None  # nothing half-saved
    form["spatial_kato"], form["licence"] = "", "CC-BY-4.0"
    form["title_kk"] = form["title_ru"] = form["title_en"] = ""
    no_title = portal.post("/libraries/strict/edit", data=form)
    assert no_title.status_code == 422 and 'id="error-title"' in no_title.text


def test_edit_page_is_for_the_librarys_producers(portal: TestClient, people: Any) -> None:
    publish_through_wizard(portal, "guarded")
    assert "/libraries/guarded/edit" in portal.get("/libraries/guarded").text
    _visit(portal, people, "outsider")
    assert portal.get("/libraries/guarded/edit").status_code == 403
    assert "/libraries/guarded/edit" not in portal.get("/libraries/guarded").text
    _visit(portal, people, None)
    assert portal.get("/libraries/guarded/edit").status_code in (401, 303, 200)
    assert "Edit metadata" not in portal.get("/libraries/guarded/edit").text


def test_creation_marks_and_asks_for_mandatory_fields(portal: TestClient) -> None:
    start = portal.get("/publish").text
    for name in ("source_systems", "contact_email", "licence"):
        assert re.search(rf'<label for="{name}">[^<]*<span class="required-mark"', start), name
        assert re.search(rf'<input id="{name}" name="{name}"[^>]* required', start), name
    refused = portal.post(
        "/publish/libraries",
        data={
            "csrf_token": csrf_of(start),
            "organisation": "stat-gov",
            "slug": "no-source",
            "title_en": "No source",
            "description_en": "Data without a source",
            "licence": "CC-BY-4.0",
            "tier": "open",
            "legal_basis": "none",
            "contact_email": "data@stat.gov.kz",
        },
    )
    assert refused.status_code == 422
    message = refused.text.split('role="alert"')[1].split("</div>")[0]
    assert "Source systems" in message and "Contact" not in message
    assert (
        'value="Data without a source"' in refused.text or "Data without a source</textarea>" in refused.text
    )
    assert portal.get("/api/v1/libraries/no-source").status_code == 404  # nothing created


def test_a_refused_publish_links_to_the_missing_fields_and_comes_back(
    portal: TestClient, people: Any
) -> None:
    publish_through_wizard(portal, "dead-end")
    _patch(portal, people, "dead-end", {"source_systems": None, "contact": None})
    token = csrf_of(portal.get("/publish/dead-end").text)
    uploaded = portal.post(
        "/publish/upload/dead-end",
        data={"csrf_token": token},
        files={"file": ("population.csv", CSV, "text/csv")},
        headers={"Accept": "application/json"},
    )
    step = uploaded.json()["next"]
    refused = portal.post(step, data={"csrf_token": token, "rows": "0"})
    assert refused.status_code == 422
    links = re.findall(r'<a href="(/libraries/dead-end/edit\?next=[^"]+)#field-(\w+)">', refused.text)
    assert [field for _, field in links] == ["source_systems", "contact"]
    edit = portal.get(unescape(links[0][0]))
    assert edit.status_code == 200 and 'name="next"' in edit.text
    form = _edit_form(edit.text)
    assert form["next"] == step
    form["source_systems"] = "census"
    half = portal.post("/libraries/dead-end/edit", data=form)  # contact still missing: stays
    assert half.status_code == 200 and 'id="saved"' in half.text and "#field-contact" in half.text
    form = _edit_form(half.text)
    form["contact_email"] = "data@stat.gov.kz"
    back = portal.post("/libraries/dead-end/edit", data=form)
    assert back.status_code == 200 and str(back.url).endswith(step)  # back at the publish step
    job = portal.post(step, data={"csrf_token": token, "rows": "0"})
    assert "/publish/jobs/" in str(job.url)
    _finish(portal, str(job.url))


def test_edit_page_goes_back_only_to_the_publish_wizard_or_a_library_page() -> None:
    from qazai.web.views.library_edit import safe_next

    assert safe_next("/publish/x/uploads/1") == "/publish/x/uploads/1"
    assert safe_next("/libraries/x") == "/libraries/x"
    for bad in (
        "https://evil.example/",
        "//evil.example/publish/",
        "/publish//evil.example",
        "/account",
        None,
    ):
        assert safe_next(bad) is None, bad
