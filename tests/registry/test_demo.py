"""The registry's demo step: systems at every stage, idempotent, so the register is never empty."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from qazai.cli.demo import seed_demo
from qazai.identity.actor import SYSTEM
from qazai.registry import service


def test_demo_seeds_systems_at_each_stage_idempotently(platform: Any, client: TestClient) -> None:
    seed_demo(platform)
    seed_demo(platform)
    with platform.db.uow(read_only=True) as uow:
        systems = service.list_systems(uow, SYSTEM, limit=100).items
    by_name = {s.name.en: s for s in systems}
    assert len(systems) == 5
    assert by_name["Emotion-aware kiosk"].state == "rejected"
    assert by_name["eGov chatbot"].state == "in_review"
    assert by_name["Adaptive traffic lights"].risk_class == "high"
    assert by_name["Adaptive traffic lights"].state_infosec_regime is True

    register = client.get("/api/v1/register?lang=kk").json()["items"]
    names = {e["names"]["en"] for e in register}
    assert names == {"Census questionnaire assistant", "Adaptive traffic lights", "Kazakh speech-to-text"}
    census = next(e for e in register if e["names"]["en"] == "Census questionnaire assistant")
    assert census["pilots"][0]["state"] == "running"
    assert all(e["notices"]["kk"] and e["notices"]["ru"] and e["notices"]["en"] for e in register)
    lights = next(e for e in register if e["names"]["en"] == "Adaptive traffic lights")
    assert lights["trusted_list"] == "submitted"
