"""CKAN Action API on ``/api/3/action/{name}`` and ``/api/action/{name}`` (INTEROP.md).

Errors use CKAN's envelope, not the platform's: ckanapi maps ``error.__type`` to its exceptions.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from qazai.api.deps import get_actor, without_credentials
from qazai.api.platform import Platform
from qazai.catalog.ckan import ACTIONS, ActionContext
from qazai.catalog.ckan_params import SearchQueryError
from qazai.catalog.indexer import catalog_index, existing_index
from qazai.core.errors import AppError, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from qazai.identity.actor import ANONYMOUS

router = APIRouter(tags=["ckan"])


class _CkanJSON(JSONResponse):
    """JSONResponse's output, encoded by orjson (a package_show's body is most of its cost)."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except (TypeError, orjson.JSONEncodeError):  # keys that are not strings, ints past 64 bits
            return super().render(content)


def _envelope(request: Request, name: str, status: int, body: dict[str, Any]) -> JSONResponse:
    base = str(request.base_url).rstrip("/")
    return _CkanJSON({"help": f"{base}/api/3/action/help_show?name={name}", **body}, status_code=status)


def _error(request: Request, name: str, exc: AppError) -> JSONResponse:
    if isinstance(exc, NotFound):
        status, kind = 404, "Not Found Error"
    elif isinstance(exc, (PermissionDenied, Unauthenticated)):
        status, kind = 403, "Authorization Error"
    elif isinstance(exc, SearchQueryError):
        status, kind = 400, "Search Query Error"
    elif isinstance(exc, InvalidInput):
        status, kind = 409, "Validation Error"
    else:
        status, kind = exc.status, "Internal Error" if exc.status >= 500 else "Validation Error"
    error: dict[str, Any] = {"__type": kind, "message": exc.message}
    error.update({k: v for k, v in exc.details.items() if isinstance(k, str) and k not in error})
    return _envelope(request, name, status, {"success": False, "error": error})


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        raw = await request.body()
        if raw.strip():
            content_type = request.headers.get("content-type", "")
            if "application/x-www-form-urlencoded" in content_type or "multipart/form-data" in content_type:
                params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
            else:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise InvalidInput("the request body is not valid JSON", code="malformed_json") from None
                if not isinstance(body, dict):
                    raise InvalidInput("the request body must be a JSON object", code="malformed_json")
                params.update(body)
    return params


# Actions answered from the in-memory index alone (no SQL): for anonymous callers and a fresh
# index they run on the event loop, sparing a thread hop that costs more than the action itself.
_IN_MEMORY = {"package_show", "status_show", "site_read", "package_list"}
# Actions that never read ``ctx.uow`` (an anonymous caller gets none: see _run); the slower ones
# still run on a thread.
_WITHOUT_DATABASE = _IN_MEMORY | {"package_search", "group_list", "tag_list", "license_list", "resource_show"}


def _run(platform: Platform, request: Request, name: str, params: dict[str, Any]) -> Any:
    if name in _WITHOUT_DATABASE and without_credentials(request.scope):
        # The anonymous public, known without the database (as get_actor would answer), asking an
        # action that reads the index alone: no unit of work (a session and a connection checkout
        # per package_search). A token or a session cookie, even a bad one, goes the general way.
        request.state.actor_label = ANONYMOUS.label
        ctx = ActionContext(
            uow=None,  # the actions in _WITHOUT_DATABASE never read it
            index=catalog_index(platform.db),
            actor=ANONYMOUS,
            base_url=platform.settings.public_base_url,
        )
        return ACTIONS[name](ctx, params)
    with platform.db.uow(read_only=True) as uow:
        actor = get_actor(request, uow, platform)
        ctx = ActionContext(
            uow=uow, index=catalog_index(platform.db), actor=actor, base_url=platform.settings.public_base_url
        )
        return ACTIONS[name](ctx, params)


def _runs_inline(platform: Platform, request: Request, name: str) -> bool:
    if name not in _IN_MEMORY or request.method != "GET":
        return False
    if not without_credentials(request.scope):
        return False
    index = existing_index(platform.db)
    return index is not None and index.fresh


# One route per method: a multi-method route would give OpenAPI duplicate operation ids.
@router.get("/api/3/action/{name}", operation_id="ckan_action_get")
@router.post("/api/3/action/{name}", operation_id="ckan_action_post")
@router.get("/api/action/{name}", include_in_schema=False)
@router.post("/api/action/{name}", include_in_schema=False)
async def action(
    name: Annotated[str, Path(description="the action", json_schema_extra={"enum": sorted(ACTIONS)})],
    request: Request,
) -> JSONResponse:
    """Call a CKAN read action (package_search, package_show, organization_list, ...)."""
    if name not in ACTIONS:
        return _envelope(
            request,
            name,
            400,
            {
                "success": False,
                "error": {
                    "__type": "Bad Request",
                    "message": f"Bad request - Action name not known: {name[:80]}",
                },
            },
        )
    platform: Platform = request.app.state.platform
    try:
        params = await _params(request)
        if _runs_inline(platform, request, name):
            result = _run(platform, request, name, params)
        else:
            result = await run_in_threadpool(_run, platform, request, name, params)
    except AppError as exc:
        return _error(request, name, exc)
    return _envelope(request, name, 200, {"success": True, "result": result})
