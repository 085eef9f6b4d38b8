"""Register search folds scripts and word forms with the catalogue's search keys (qazai.catalog.text)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import ok, registered


def _ids(client: TestClient, q: str, **params: Any) -> list[str]:
    return [e["id"] for e in ok(client.get("/api/v1/register", params={"q": q, **params}))["items"]]


def test_latin_kazakh_finds_cyrillic_and_back(client: TestClient, people: Any) -> None:
    census = registered(
        client,
        people,
        name={"kk": "Санақ сауалнамасының көмекшісі", "ru": "Помощник переписи населения"},
        purpose={"kk": "Халық санағы кезінде сұрақтарға жауап береді"},
    )
    latin = registered(
        client,
        people,
        name={"kk": "Jol qozǵalysy baǵdarshamy", "en": "Smart traffic light"},
        purpose={"en": "Adapts traffic lights in Astana"},
        sector="transport",
    )
    assert _ids(client, "sanaq") == [census["id"]]  # Latin -> Cyrillic
    assert _ids(client, "Sanaq saualnamasy") == [census["id"]]  # word forms: -ы / -сының
    assert _ids(client, "halyq sanagy") == [census["id"]]  # informal romanisation, inflected
    assert _ids(client, "SANAK") == [census["id"]]  # Russian-style romanisation, any case
    assert _ids(client, "переписи") == [census["id"]]  # the old case-insensitive substring
    assert _ids(client, "перепись") == [census["id"]]  # Russian word form (Snowball)
    assert _ids(client, "бағдаршам") == [latin["id"]]  # Cyrillic -> 2021 Latin
    assert _ids(client, "қозғалыс") == [latin["id"]]
    assert _ids(client, "lights") == [latin["id"]] and _ids(client, "light") == [latin["id"]]
    assert _ids(client, "sanaq jol") == []  # every term must match
    assert _ids(client, "stat-gov") == sorted(_ids(client, "stat-gov")) and len(_ids(client, "stat-gov")) == 2


def test_paging_through_search_results_is_stable(client: TestClient, people: Any) -> None:
    made = [
        registered(client, people, name={"kk": f"Санақ көмекшісі {n}"}, purpose={"kk": "Санақ"})["id"]
        for n in range(3)
    ]
    registered(client, people, name={"kk": "Бағдаршам"}, purpose={"kk": "Жол"})
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "sanaq", "limit": 1}
        if cursor:
            params["next"] = cursor
        page = ok(client.get("/api/v1/register", params=params))
        seen += [e["id"] for e in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert seen == sorted(made)
