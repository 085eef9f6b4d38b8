"""What fuzzing found, each pinned down on a published library (the fuzzer invents slugs, so it
rarely reaches these paths with a real one): no server errors from numbers the database cannot
hold or cursors of another list, bounded metrics, redirects that stay inside the version, and a
405 that names every method of the path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.catalog.module_platform import app, client, module_database_url, module_tmp, people, platform
from tests.conftest import Person
from tests.libraries.publishing import make_library, publish

from qazai.api.platform import Platform
from qazai.core.pagination import encode_cursor

__all__ = ["app", "client", "module_database_url", "module_tmp", "people", "platform"]  # module-scoped

pytestmark = pytest.mark.db

TOO_BIG = [2**31, 2**63, 2**64, 10**30]


@pytest.fixture(scope="module")
def published(platform: Platform, people: dict[str, Person], module_tmp: Path) -> str:
    path = module_tmp / "population.csv"
    path.write_text("region,year,population\nAstana,2023,1350000\nAlmaty,2023,2200000\n", encoding="utf-8")
    make_library(platform, "population")
    job = publish(platform, "population", path)
    assert job.state == "succeeded", job.error
    return "population"


VERSION_ROUTES = [
    "/libraries/{slug}/v/{n}/files.json",
    "/libraries/{slug}/v/{n}/metadata.json",
    "/libraries/{slug}/v/{n}/",
    "/libraries/{slug}/v/{n}/data/population.parquet",
    "/libraries/{slug}/v/{n}/croissant.json",
    "/libraries/{slug}/v/{n}/datapackage.json",
    "/api/v1/libraries/{slug}/versions/{n}",
]


@pytest.mark.parametrize("route", VERSION_ROUTES)
def test_version_numbers_outside_the_database_range_are_invalid_input(
    client: TestClient, published: str, route: str
) -> None:
    assert client.get(route.format(slug=published, n=1)).status_code == 200
    for number in [*TOO_BIG, 0, -1]:
        response = client.get(route.format(slug=published, n=number))
        assert response.status_code == 422, (number, response.text)
        assert response.json()["error"]["code"] == "invalid_input"


def test_withdrawing_a_version_number_too_big_is_invalid_input(
    client: TestClient, published: str, people: dict[str, Person]
) -> None:
    response = client.post(
        f"/api/v1/libraries/{published}/versions/{2**64}/withdraw",
        json={"reason": "fuzzing"},
        headers=people["producer"].headers,
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/api/v1/libraries/{slug}/versions", encode_cursor("population")),  # a slug, not a number
        ("/api/v1/libraries/{slug}/versions", encode_cursor(2**70)),
        ("/api/v1/libraries/{slug}/versions", encode_cursor([1, 2])),
        ("/api/v1/libraries", encode_cursor(7)),  # a version number, not a slug
        ("/api/v1/libraries", encode_cursor({"a": 1})),
        ("/api/v1/organisations", encode_cursor(7)),
        ("/api/v1/grants", encode_cursor(7)),
        ("/api/v1/registry/systems", encode_cursor(7)),
        ("/api/v1/register", encode_cursor(7)),
        ("/api/v1/audit/events", encode_cursor("population")),
        ("/api/v1/audit/events", encode_cursor(2**70)),
        ("/api/v1/audit/events", encode_cursor(True)),
        ("/api/v1/libraries", "not base64 at all!"),
    ],
)
def test_a_cursor_of_another_list_is_invalid_input(
    client: TestClient, published: str, people: dict[str, Person], path: str, cursor: str
) -> None:
    response = client.get(
        path.format(slug=published), params={"next": cursor}, headers=people["operator"].headers
    )
    assert response.status_code == 422, response.text  # InvalidInput, as for a malformed cursor
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_the_own_cursor_still_pages(client: TestClient, published: str) -> None:
    first = client.get(f"/api/v1/libraries/{published}/versions", params={"limit": 1}).json()
    assert [v["number"] for v in first["items"]] == [1] and first["next"] is None
    assert (
        client.get(f"/api/v1/libraries/{published}/versions", params={"next": encode_cursor(2)}).json()[
            "items"
        ][0]["number"]
        == 1
    )


def test_invented_methods_share_one_metrics_label(client: TestClient) -> None:
    for method in ("FOO", "BAR", "BAZ-QUX"):
        assert client.request(method, "/api/v1/health").status_code in (400, 405)
    metrics = client.get("/metrics").text
    assert 'method="other"' in metrics
    assert "FOO" not in metrics and "BAR" not in metrics and "BAZ-QUX" not in metrics


# (plain `.` and `..` segments never arrive: clients resolve them before sending)
@pytest.mark.parametrize("rest", ["..%2f..%2fapi", "..%2F", "%2e%2e%2fx", "a%2f..%2f..%2fb", "..%5cx"])
def test_latest_redirect_refuses_dot_segments(client: TestClient, published: str, rest: str) -> None:
    response = client.get(f"/libraries/{published}/latest/{rest}", follow_redirects=False)
    assert response.status_code == 404, response.headers.get("location")


def test_latest_redirect_stays_inside_the_version_and_quotes_names(
    client: TestClient, published: str
) -> None:
    response = client.get(f"/libraries/{published}/latest/files.json", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == f"/libraries/{published}/v/1/files.json"
    assert response.content == b""  # as the document says: a 302 without a body
    declared = client.get("/api/v1/openapi.json").json()["paths"]["/libraries/{slug}/latest/{rest}"]["get"]
    assert "content" not in declared["responses"]["302"]
    odd = client.get(f"/libraries/{published}/latest/data/a%3Fb%23c.parquet", follow_redirects=False)
    assert odd.headers["location"] == f"/libraries/{published}/v/1/data/a%3Fb%23c.parquet"


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/organisations", "GET, POST"),
        ("/api/v1/registry/reference/questionnaire", "GET, PUT"),
        ("/libraries/x/dcat.jsonld", "GET"),
    ],
)
def test_405_names_every_method_of_the_path(client: TestClient, path: str, methods: str) -> None:
    response = client.request("TRACE", path)
    assert response.status_code == 405
    assert response.headers["allow"] == methods


def test_every_operation_declares_the_error_envelope(client: TestClient) -> None:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            ckan = path.startswith("/api/3/")  # CKAN's envelope; it says 403 where we say 401
            required = ("400", "403", "404", "409") if ckan else ("400", "401", "403", "404", "422", "429")
            for status in required:
                assert status in responses, (method, path, status)
            schema = responses["404"]["content"]["application/json"]["schema"]["$ref"]
            assert schema.endswith("CkanErrorEnvelope" if ckan else "/ErrorEnvelope"), (method, path)


def test_a_number_is_not_a_boolean_in_a_system_s_models() -> None:
    # schemathesis sent `hosted_here: 0` (the schema says boolean) and it was accepted as false
    from pydantic import ValidationError

    from qazai.registry.models import ModelUsed

    assert ModelUsed.model_validate({"name": "kazllm", "hosted_here": True}).hosted_here is True
    with pytest.raises(ValidationError):
        ModelUsed.model_validate({"name": "kazllm", "hosted_here": 0})
