"""The error responses every operation declares in the OpenAPI document.

Routes declare their success responses; :func:`declare_error_responses` adds the errors that any
of them can answer with (the envelope of ``envelope.py``, or CKAN's on the CKAN Action API), so a
client generated from the document, and a fuzzer checking it, knows every status it can get.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.utils import create_model_field
from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. `library_not_found`")
    message: str = Field(description="what went wrong and what to do, in English")
    status: int = Field(description="the HTTP status again")
    details: dict[str, Any] = Field(description="facts about the error (fields, limits...)")


class ErrorEnvelope(BaseModel):
    """Every error of the platform's API."""

    ok: Literal[False]
    error: ErrorBody
    request_id: str | None = Field(description="quote it when reporting a problem")


class CkanError(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(alias="__type", description="CKAN's error class, e.g. `Not Found Error`")
    message: str


class CkanErrorEnvelope(BaseModel):
    """Errors of the CKAN Action API, in CKAN's own shape (ckanapi maps `__type` to exceptions)."""

    help: str
    success: Literal[False]
    error: CkanError


_WHY = {
    400: "Bad request: malformed JSON, a malformed or foreign `next` cursor, a bad query",
    401: "Not signed in, or the token or session is not valid",
    403: "Signed in, but not allowed",
    404: "Nothing at this address (or nothing you may see)",
    405: "Method not allowed on this path (see `Allow`)",
    409: "Conflicts with the current state (a duplicate, a state that does not allow it)",
    410: "Withdrawn: the version is no longer served",
    413: "The request body is too large",
    415: "The body's media type is not accepted",
    416: "The byte range is outside the file",
    422: "The request does not match the rules (fields and values in `details`)",
    429: "Too many attempts; wait `Retry-After` seconds",
}
_ANY = (400, 401, 403, 404, 422, 429)
_WRITES = (409, 413, 415)
_CKAN = (400, 403, 404, 409, 413, 429)
CKAN_PREFIXES = ("/api/3/action/", "/api/action/")


def error_responses(*statuses: int, ckan: bool = False) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for these statuses (for a route's extra ones, e.g. 410 or 416)."""
    model = CkanErrorEnvelope if ckan else ErrorEnvelope
    return {status: {"model": model, "description": _WHY.get(status, "Error")} for status in statuses}


def declare_error_responses(router: APIRouter) -> None:
    """Add the common error statuses to every operation of ``router`` that does not already
    declare them: those of any request, plus those of requests with a body for writes. Also
    replaces FastAPI's default 422 schema (which the envelope does not follow). Call it before
    the router is included (an app reads its routers' routes once); calling it again is harmless."""
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        ckan = route.path.startswith(CKAN_PREFIXES)
        writes = bool((route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"})
        statuses = _CKAN if ckan else (*_ANY, *(_WRITES if writes else ()))
        declared = {str(k) for k in route.responses}
        for status, spec in error_responses(*statuses, ckan=ckan).items():
            if str(status) not in declared:
                route.responses[status] = spec
                # what APIRoute's constructor derives from `responses=` (the schema in the document)
                route.response_fields[status] = create_model_field(
                    name=f"Response_{status}_{route.unique_id}", type_=spec["model"], mode="serialization"
                )
