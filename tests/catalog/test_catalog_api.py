"""Search, CKAN actions, exports and the query API through the real app."""

from __future__ import annotations

import json
from typing import Any

import pytest


def _ckan(client: Any, name: str, **params: Any) -> Any:
    return client.get(f"/api/3/action/{name}", params=params)


def test_search_finds_kazakh_latin_and_russian_word_forms(client: Any, catalog: Any) -> None:
    for q in ("халық саны", "Halyq sany", "население", "population"):
        body = client.get("/api/v1/catalog/search", params={"q": q}).json()
        names = [r["name"] for r in body["results"]]
        assert names[0] == "population-by-region", q
        assert "water-basins" not in names, q
        assert body["some_words"] is False, q


def test_a_search_no_library_has_every_word_of_says_it_shows_some(client: Any, catalog: Any) -> None:
    body = client.get("/api/v1/catalog/search", params={"q": "population qwzxv"}).json()
    assert body["some_words"] is True
    assert body["results"][0]["name"] == "population-by-region"


def test_search_facets_count_only_visible_libraries(client: Any, catalog: Any, people: Any) -> None:
    body = client.get("/api/v1/catalog/search").json()
    assert body["count"] == 3
    assert {c["value"]: c["count"] for c in body["facets"]["theme"]} == {"demography": 2, "environment": 1}
    private = client.get(
        "/api/v1/catalog/search", params={"include_private": "true"}, headers=people["producer"].headers
    ).json()
    assert private["count"] == 4
    outsider = client.get(
        "/api/v1/catalog/search", params={"include_private": "true"}, headers=people["outsider"].headers
    ).json()
    assert outsider["count"] == 3
    assert "draft-census" not in {r["name"] for r in outsider["results"]}


def test_search_answers_the_json_fastapi_would_and_documents_its_shape(client: Any, catalog: Any) -> None:
    response = client.get("/api/v1/catalog/search", params={"q": "халық саны", "theme": "demography"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["results"] and isinstance(body["results"][0]["score"], float)
    # byte for byte what FastAPI's JSONResponse gives for the same value (compact, UTF-8 as is)
    assert response.content == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    schema = client.get("/api/v1/openapi.json").json()
    answer = schema["paths"]["/api/v1/catalog/search"]["get"]["responses"]["200"]
    documented = answer["content"]["application/json"]["schema"]
    assert documented == {"$ref": "#/components/schemas/CatalogSearchPage"}
    page = schema["components"]["schemas"]["CatalogSearchPage"]
    assert set(page["required"]) == set(body) == {"count", "results", "facets", "some_words"}


def test_ckan_envelope_show_and_errors(client: Any, catalog: Any) -> None:
    shown = _ckan(client, "package_show", id="population-by-region").json()
    assert shown["success"] is True and shown["help"].endswith("help_show?name=package_show")
    assert shown["result"]["resources"][0]["url"].endswith(".parquet")
    missing = _ckan(client, "package_show", id="draft-census")
    assert missing.status_code == 404 and missing.json()["error"]["__type"] == "Not Found Error"
    assert _ckan(client, "package_show").status_code == 409
    assert _ckan(client, "nope").status_code == 400


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"fq": "organization:(x"}, 400),
        ({"fq": "metadata_modified:[yesterday TO *]"}, 400),
        ({"fq": "x' OR 1=1 --"}, 400),
        ({"sort": "id; DROP TABLE libraries"}, 400),
        ({"start": "-1"}, 409),
        ({"rows": "abc"}, 409),
        ({"q": "' OR 1=1 --", "rows": "1000000"}, 200),
    ],
)
def test_package_search_bad_input(client: Any, catalog: Any, params: dict[str, str], status: int) -> None:
    response = _ckan(client, "package_search", **params)
    assert response.status_code == status, response.text
    assert client.get("/api/3/action/status_show").json()["success"] is True


def test_package_search_paging_and_modified_filter(client: Any, catalog: Any) -> None:
    first = _ckan(
        client, "package_search", rows="2", sort="id asc", fq="metadata_modified:[2000-01-01T00:00:00Z TO *]"
    )
    second = _ckan(client, "package_search", rows="2", start="2", sort="id asc")
    ids = [p["id"] for p in first.json()["result"]["results"] + second.json()["result"]["results"]]
    assert len(ids) == 3 and ids == sorted(ids)
    future = _ckan(client, "package_search", fq="metadata_modified:[2999-01-01T00:00:00Z TO *]").json()
    assert future["result"]["count"] == 0


def test_exports_list_every_part_with_sha256(client: Any, catalog: Any) -> None:
    croissant = client.get("/libraries/population-by-region/v/1/croissant.json").json()
    assert croissant["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert all(
        d["encodingFormat"] == "application/x-parquet" and len(d["sha256"]) == 64
        for d in croissant["distribution"]
    )
    assert croissant["rai:personalSensitiveInformation"]
    package = client.get("/libraries/population-by-region/v/1/datapackage.json").json()
    assert len(package["resources"][0]["sha256"]) == 64
    assert client.get("/catalog.jsonld", params={"per_page": 2}).json()["hydra:totalItems"] == 3
    assert len(client.get("/data.json").json()["dataset"]) == 3


def test_query_runs_select_over_open_libraries(client: Any, catalog: Any) -> None:
    body = client.get(
        "/api/v1/query", params={"sql": 'SELECT sum(population) AS p FROM "population-by-region"'}
    ).json()
    assert body["rows"] == [[4750000]]
    page = client.post(
        "/api/v1/query", json={"sql": 'SELECT region FROM "population-by-region" ORDER BY region', "limit": 2}
    ).json()
    assert page["truncated"] is True and page["rows"] == [["Almaty"], ["Astana"]]
    rest = client.post(
        "/api/v1/query",
        json={
            "sql": 'SELECT region FROM "population-by-region" ORDER BY region',
            "limit": 2,
            "next": page["next"],
        },
    ).json()
    assert rest["rows"] == [["Shymkent"]] and rest["truncated"] is False
    csv = client.get("/api/v1/query", params={"sql": 'SELECT region FROM "water-basins"', "format": "csv"})
    assert csv.text.splitlines()[0] == "basin" or "Binder" in csv.text or csv.status_code == 400


def test_query_registered_library_needs_token(client: Any, catalog: Any, people: Any) -> None:
    sql = 'SELECT count(*) FROM "registered-survey"'
    assert client.get("/api/v1/query", params={"sql": sql}).status_code == 400
    assert client.get("/api/v1/query", params={"sql": sql}, headers=people["member"].headers).json()[
        "rows"
    ] == [[3]]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "ATTACH '/tmp/x.db' AS x",
        "INSTALL httpfs",
        "PRAGMA version",
        "COPY (SELECT 1) TO '/tmp/out.csv'",
        "SELECT 1; SELECT 2",
        "SELECT * FROM '/etc/passwd'",
        "SELECT getenv('HOME')",
        "DROP TABLE x",
    ],
)
def test_query_refuses_files_network_and_writes(client: Any, catalog: Any, sql: str) -> None:
    response = client.get("/api/v1/query", params={"sql": sql})
    assert response.status_code == 400, response.text
    assert response.json()["ok"] is False
    assert client.get("/api/v1/health").status_code == 200


def test_query_that_never_ends_is_stopped(client: Any, catalog: Any) -> None:
    sql = (
        'SELECT count(*) FROM "population-by-region" a, "population-by-region" b, "population-by-region" c, '
        + ", ".join(f'"population-by-region" t{i}' for i in range(30))
    )
    response = client.post("/api/v1/query", json={"sql": sql, "timeout_ms": 300})
    assert response.status_code == 408, response.text


def test_browse_table_filters_and_keyset(client: Any, catalog: Any) -> None:
    page = client.get("/api/v1/query/tables/population-by-region", params={"_limit": 2}).json()
    assert len(page["rows"]) == 2 and page["next"]
    rest = client.get(
        "/api/v1/query/tables/population-by-region", params={"_limit": 2, "_next": page["next"]}
    ).json()
    assert len(rest["rows"]) == 1 and rest["next"] is None
    filtered = client.get("/api/v1/query/tables/population-by-region", params={"region": "Astana"}).json()
    assert filtered["rows"][0][0] == "Astana"


def test_search_still_authenticates_whoever_sends_credentials(client: Any, catalog: Any, people: Any) -> None:
    bad = client.get("/api/v1/catalog/search", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.json()["ok"] is False
    odd = client.get("/api/v1/catalog/search", headers={"Authorization": "Basic a b"})
    assert odd.status_code == 401 and odd.json()["error"]["code"] == "invalid_authorization_header"
    mine = client.get(
        "/api/v1/catalog/search", params={"include_private": "true"}, headers=people["producer"].headers
    )
    assert mine.json()["count"] == 4


def test_package_search_still_authenticates_whoever_sends_credentials(
    client: Any, catalog: Any, people: Any
) -> None:
    # An anonymous package_search skips the unit of work; credentials, even bad ones, do not.
    for headers in ({"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic a b"}):
        bad = client.get("/api/3/action/package_search", headers=headers)
        assert bad.status_code == 403, headers
        assert bad.json()["success"] is False
        assert bad.json()["error"]["__type"] == "Authorization Error"
    mine = _ckan(client, "package_search", include_private="true")
    assert mine.json()["result"]["count"] == 3
    private = client.get(
        "/api/3/action/package_search", params={"include_private": "true"}, headers=people["producer"].headers
    )
    assert private.json()["result"]["count"] == 4


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("package_search", {"q": "population", "facet.field": '["groups"]'}),
        ("package_show", {"id": "population-by-region"}),
        ("package_list", {}),
        ("status_show", {}),
        ("site_read", {}),
        ("group_list", {"all_fields": "true"}),
        ("tag_list", {}),
        ("license_list", {}),
    ],
)
def test_anonymous_actions_answered_from_the_index_alone(
    client: Any, catalog: Any, name: str, params: dict[str, str]
) -> None:
    # These run without a unit of work for the anonymous public (api/routers/ckan.py): one that
    # read the database would fail here instead of answering.
    response = client.post(f"/api/3/action/{name}", json=params)
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    assert response.json()["result"] not in (None, [], {})


def test_anonymous_resource_show_from_the_index_alone(client: Any, catalog: Any) -> None:
    package = _ckan(client, "package_show", id="population-by-region").json()["result"]
    resource = package["resources"][0]
    response = client.post("/api/3/action/resource_show", json={"id": resource["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["result"] == resource
