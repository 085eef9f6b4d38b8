"""Liveness, readiness and metrics."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from qazai import __version__
from qazai.api.deps import PlatformDep
from qazai.api.envelope import error_response

router = APIRouter(tags=["system"])


class _Alive(BaseModel):
    ok: bool
    status: str
    version: str


ALIVE_BODY = orjson.dumps({"ok": True, "status": "alive", "version": __version__})


@router.get("/health", summary="The process is alive", response_model=_Alive)
async def health() -> Response:
    # probed every few seconds by every balancer: on the event loop, the body encoded once
    return Response(ALIVE_BODY, media_type="application/json")


@router.get("/ready", summary="The database and the object store answer")
def ready(platform: PlatformDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        platform.db.ping()
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
    try:
        platform.objects.exists("health/ready-probe")
        checks["object_store"] = "ok"
    except Exception:
        checks["object_store"] = "unreachable"
    if all(v == "ok" for v in checks.values()):
        return JSONResponse({"ok": True, "status": "ready", "checks": checks})
    return error_response(503, "not_ready", "a dependency is unreachable", {"checks": checks})


metrics_router = APIRouter(include_in_schema=False)


@metrics_router.get("/metrics")
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
