"""Hugging Face Hub-compatible read routes (issue 14 part 4): ``huggingface_hub`` and ``datasets``
work unchanged with ``HF_ENDPOINT`` pointed at QazAI.

- ``/api/models``, ``/api/models/{org}/{name}[/revision/{rev}]``, ``.../tree/{rev}[/{path}]``,
  ``POST .../paths-info/{rev}`` and ``/{org}/{name}/resolve/{rev}/{path}``: model repos
  (``qazai.models.hf.hub`` over ``qazai.models.reads``).
- ``/api/datasets``, ``/api/datasets/{org}/{name}[/revision/{rev}]``, ``.../tree/{rev}[/{path}]``,
  ``POST .../paths-info/{rev}`` and ``/datasets/{org}/{name}/resolve/{rev}/{path}``: the data
  libraries as dataset repos (``qazai.models.hf.datasets``).

Files answer GET and HEAD with ``X-Repo-Commit``, ``ETag`` (and ``X-Linked-Etag`` /
``X-Linked-Size`` for stored files: their SHA-256), ``Content-Length``, ``Accept-Ranges`` and single
byte ranges (a broken download resumes where it stopped). Errors keep QazAI's envelope and add the
Hub's ``X-Error-Code`` / ``X-Error-Message``, which the Hub's clients turn into their usual
exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute

from qazai.api.deps import CurrentActor, PlatformDep, UowDep
from qazai.api.envelope import error_response
from qazai.api.responses import error_responses
from qazai.api.routers.files import IMMUTABLE, _BadRange, parse_range
from qazai.catalog.indexer import catalog_index
from qazai.core.errors import AppError, InvalidInput, NotFound, RateLimited
from qazai.libraries import service as libraries
from qazai.libraries.usage import count_download
from qazai.models.hf import datasets, hub
from qazai.models.hf.errors import hf_error_headers
from qazai.models.hf.shapes import HubFile, dump
from qazai.models.hf.tree import list_tree, paths_info
from qazai.storage.objects import ByteRange


class HubRoute(APIRoute):
    """Turns an AppError (from the route or its dependencies, e.g. a bad token) into the envelope
    plus the Hub's error headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except AppError as error:
                headers = hf_error_headers(error)
                if error.status == 401:
                    headers["WWW-Authenticate"] = "Bearer"
                if isinstance(error, RateLimited):
                    headers["Retry-After"] = str(error.retry_after)
                return error_response(error.status, error.code, error.message, error.details, headers)

        return route


router = APIRouter(tags=["hugging face"], route_class=HubRoute)

_EXPOSED = "Content-Length, Content-Range, Accept-Ranges, ETag, X-Repo-Commit, X-Linked-Etag, X-Linked-Size"
_BYTES = {"schema": {"type": "string", "format": "binary"}}
_ANY_FILE = {
    "application/octet-stream": _BYTES,
    "application/vnd.apache.parquet": _BYTES,
    "application/json": _BYTES,
    "text/markdown": _BYTES,
    "text/plain": _BYTES,
}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, with `X-Repo-Commit`, `ETag`, `X-Linked-Etag`, `X-Linked-Size`",
        "content": _ANY_FILE,
    },
    206: {"description": "The requested byte range", "content": _ANY_FILE},
    304: {"description": "Not modified (`If-None-Match` matched the ETag)"},
    **error_responses(410, 416),
}
_INFO_ERRORS = error_responses(410)


def _json(body: Any) -> JSONResponse:
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


def _base_url(platform: PlatformDep) -> str:
    return platform.settings.public_base_url


async def _paths(request: Request) -> list[str]:
    """The ``paths`` of a paths-info request: form-encoded (huggingface_hub) or JSON."""
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            raw = json.loads(body or b"{}").get("paths", [])
        except (ValueError, AttributeError, RecursionError):
            raise InvalidInput("the body must be a JSON object with `paths`", code="invalid_paths") from None
        values = [raw] if isinstance(raw, str) else raw
    else:
        values = parse_qs(body.decode("utf-8", "replace")).get("paths", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values) or len(values) > 1000:
        raise InvalidInput("`paths` must be up to 1000 paths", code="invalid_paths")
    return values


PathsDep = Annotated[list[str], Depends(_paths)]


# -- datasets (data libraries) ---------------------------------------------------------------------


@router.get("/api/datasets")
def list_datasets(
    request: Request,
    actor: CurrentActor,
    platform: PlatformDep,
    search: str | None = None,
    author: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JSONResponse:
    """Published libraries as dataset repos (``HfApi().list_datasets(search=, author=)``), found by
    the catalogue's search, a page at a time (the next in ``Link: <...>; rel="next"``)."""
    index = catalog_index(platform.db)
    found, following = datasets.list_datasets(
        index, actor, search=search, author=author, limit=limit, start=cursor
    )
    answer = _json(dump(found))
    if following is not None:
        answer.headers["Link"] = f'<{request.url.include_query_params(cursor=following)}>; rel="next"'
    return answer


@router.get("/api/datasets/{name}", responses=_INFO_ERRORS, include_in_schema=False)
def dataset_info_without_organisation(name: str, uow: UowDep, actor: CurrentActor) -> JSONResponse:
    """A dataset id without its organisation: RepoNotFound, naming the full id when it exists."""
    raise datasets.refuse_bare_id(uow, actor, name)


@router.get("/api/datasets/{org}/{name}", responses=_INFO_ERRORS)
@router.get("/api/datasets/{org}/{name}/revision/{revision:path}", responses=_INFO_ERRORS)
def dataset_info(
    org: str, name: str, uow: UowDep, actor: CurrentActor, platform: PlatformDep, revision: str | None = None
) -> JSONResponse:
    """A library version as a dataset repo (``HfApi().dataset_info``): files, commit id, gating."""
    info = datasets.dataset_info(uow, actor, f"{org}/{name}", revision, base_url=_base_url(platform))
    return _json(dump(info))


@router.get("/api/datasets/{org}/{name}/tree/{revision}", responses=_INFO_ERRORS)
@router.get("/api/datasets/{org}/{name}/tree/{revision}/{path:path}", responses=_INFO_ERRORS)
def dataset_tree(
    org: str,
    name: str,
    revision: str,
    uow: UowDep,
    actor: CurrentActor,
    platform: PlatformDep,
    path: str = "",
    recursive: bool = False,
) -> JSONResponse:
    """The files and folders of a revision (``list_repo_tree``, ``list_repo_files``)."""
    found = datasets.dataset_revision(uow, actor, f"{org}/{name}", revision, base_url=_base_url(platform))
    return _json(dump(list_tree(found.entries, path, recursive=recursive)))


@router.post("/api/datasets/{org}/{name}/paths-info/{revision}", responses=_INFO_ERRORS)
def dataset_paths_info(
    org: str,
    name: str,
    revision: str,
    paths: PathsDep,
    uow: UowDep,
    actor: CurrentActor,
    platform: PlatformDep,
) -> JSONResponse:
    """What each of the posted ``paths`` is (``get_paths_info``; ``datasets`` asks it)."""
    found = datasets.dataset_revision(uow, actor, f"{org}/{name}", revision, base_url=_base_url(platform))
    return _json(dump(paths_info(found.entries, paths)))


@router.get("/datasets/{org}/{name}/resolve/{revision}/{path:path}", responses=FILE_RESPONSES)
@router.head("/datasets/{org}/{name}/resolve/{revision}/{path:path}", include_in_schema=False)
def dataset_file(
    org: str,
    name: str,
    revision: str,
    path: str,
    request: Request,
    uow: UowDep,
    actor: CurrentActor,
    platform: PlatformDep,
) -> Response:
    """A file of a dataset revision (``hf_hub_download``); Parquet parts keep the library's tier."""
    hub_file = datasets.resolve_dataset_file(
        uow, actor, f"{org}/{name}", revision, path, base_url=_base_url(platform)
    )
    response = file_response(hub_file, request, actor, platform)
    if request.method == "GET" and response.status_code in (200, 206) and hub_file.key is not None:
        # a data file (not the generated README or metadata) counts as a download of the library
        count_download(platform.db, libraries.get_library(uow, actor, name).id)
    return response


# -- models ----------------------------------------------------------------------------------------


@router.get("/api/models")
def list_models(
    request: Request,
    uow: UowDep,
    actor: CurrentActor,
    search: str | None = None,
    author: str | None = None,
    pipeline_tag: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> JSONResponse:
    """Model repos with a published version (``HfApi().list_models(search=, author=, pipeline_tag=)``),
    a page at a time: the next page's address is in ``Link: <...>; rel="next"``."""
    found, next_cursor = hub.list_models(
        uow, actor, search=search, author=author, pipeline_tag=pipeline_tag, limit=limit, cursor=cursor
    )
    answer = _json(dump(found))
    if next_cursor is not None:
        answer.headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    return answer


@router.get("/api/models/{name}", responses=_INFO_ERRORS, include_in_schema=False)
def model_info_without_organisation(name: str) -> JSONResponse:
    """Hub ids without a namespace (``bert-base-uncased``) do not exist here: RepoNotFound."""
    raise NotFound(
        f"no model {name[:100]!r}: model ids on QazAI are 'organisation/name'", code="model_not_found"
    )


@router.get("/api/models/{org}/{name}", responses=_INFO_ERRORS)
@router.get("/api/models/{org}/{name}/revision/{revision:path}", responses=_INFO_ERRORS)
def model_info(
    org: str, name: str, uow: UowDep, actor: CurrentActor, revision: str | None = None
) -> JSONResponse:
    """A model repo at a revision (``HfApi().model_info``, ``snapshot_download``): files with
    size and sha256, the revision id, gating."""
    return _json(dump(hub.model_info(uow, actor, f"{org}/{name}", revision)))


@router.get("/api/models/{org}/{name}/tree/{revision}", responses=_INFO_ERRORS)
@router.get("/api/models/{org}/{name}/tree/{revision}/{path:path}", responses=_INFO_ERRORS)
def model_tree(
    org: str,
    name: str,
    revision: str,
    uow: UowDep,
    actor: CurrentActor,
    path: str = "",
    recursive: bool = False,
) -> JSONResponse:
    """The files and folders of a revision (``list_repo_tree``, ``list_repo_files``)."""
    found = hub.model_revision(uow, actor, f"{org}/{name}", revision)
    return _json(dump(list_tree(found.entries, path, recursive=recursive)))


@router.post("/api/models/{org}/{name}/paths-info/{revision}", responses=_INFO_ERRORS)
def model_paths_info(
    org: str, name: str, revision: str, paths: PathsDep, uow: UowDep, actor: CurrentActor
) -> JSONResponse:
    """What each of the posted ``paths`` is (``get_paths_info``)."""
    found = hub.model_revision(uow, actor, f"{org}/{name}", revision)
    return _json(dump(paths_info(found.entries, paths)))


@router.get("/{org}/{name}/resolve/{revision}/{path:path}", responses=FILE_RESPONSES)
@router.head("/{org}/{name}/resolve/{revision}/{path:path}", include_in_schema=False)
def model_file(
    org: str,
    name: str,
    revision: str,
    path: str,
    request: Request,
    uow: UowDep,
    actor: CurrentActor,
    platform: PlatformDep,
) -> Response:
    """A file of a model revision (``hf_hub_download``, ``snapshot_download``); the repo's tier
    decides who reads the bytes."""
    hub_file = hub.resolve_model_file(uow, actor, f"{org}/{name}", revision, path)
    return file_response(hub_file, request, actor, platform)


# -- files ----------------------------------------------------------------------------------------


@router.options("/{org}/{name}/resolve/{revision}/{path:path}", include_in_schema=False)
@router.options("/datasets/{org}/{name}/resolve/{revision}/{path:path}", include_in_schema=False)
def file_options() -> Response:
    """CORS preflight: browsers (e.g. transformers.js) read open files with ``Range``."""
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
            "Access-Control-Allow-Headers": "Range, If-None-Match, Authorization",
            "Access-Control-Expose-Headers": _EXPOSED,
            "Access-Control-Max-Age": "86400",
        },
    )


def file_response(
    hub_file: HubFile, request: Request, actor: CurrentActor, platform: PlatformDep
) -> Response:
    """GET/HEAD of a repo file with the Hub's headers, single byte ranges (206/416) and
    ``If-None-Match`` (304); a restricted file's read is audited."""
    etag = f'"{hub_file.etag}"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes", "X-Repo-Commit": hub_file.commit}
    if hub_file.linked:
        headers["X-Linked-Etag"] = etag
        headers["X-Linked-Size"] = str(hub_file.size)
    if hub_file.public:
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = _EXPOSED
        # a commit id names immutable bytes; a branch (main) moves
        immutable = hub_file.commit.startswith(request.path_params.get("revision", "-"))
        headers["Cache-Control"] = IMMUTABLE if immutable else "public, max-age=60"
    else:
        headers["Cache-Control"] = "private, no-store"
        headers["Vary"] = "Authorization, Cookie"
    inm = request.headers.get("if-none-match")
    if inm and etag in [c.strip().removeprefix("W/") for c in inm.split(",")]:
        return Response(status_code=304, headers=headers)
    range_header = request.headers.get("range")
    try:
        byte_range = parse_range(range_header, hub_file.size)
    except _BadRange:
        return error_response(
            416,
            "range_not_satisfiable",
            f"the range {range_header!r} is not within the file's {hub_file.size} bytes",
            {"size": hub_file.size},
            headers={**headers, "Content-Range": f"bytes */{hub_file.size}"},
        )
    status_code = 200
    start, end = 0, hub_file.size - 1
    if byte_range is not None:
        start, end = byte_range
        status_code = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{hub_file.size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if request.method == "HEAD":
        return Response(status_code=status_code, headers=headers, media_type=hub_file.content_type)
    if hub_file.record_read is not None:
        hub_file.record_read(platform.db, actor, range_header)
    if hub_file.content is not None:
        return Response(hub_file.content[start : end + 1], status_code, headers, hub_file.content_type)
    assert hub_file.key is not None
    body: Iterator[bytes] = iter(())
    if hub_file.size:
        body = platform.objects.open(hub_file.key, ByteRange(start, end))
    return StreamingResponse(body, status_code=status_code, headers=headers, media_type=hub_file.content_type)
