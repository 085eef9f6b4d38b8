"""The data libraries as Hugging Face dataset repos: ``stat-gov/population-by-region`` is the
library ``population-by-region`` of the organisation ``stat-gov``.

A revision is a published version: ``main`` is the latest, ``v3`` is version 3, and each version
has a stable 40-hex commit id. A revision holds the version's Parquet parts under ``data/`` and a
``README.md`` whose YAML header declares one ``datasets`` configuration per table, so
``datasets.load_dataset("stat-gov/population-by-region")`` reads the tables as the pipeline
published them. Metadata is public for every tier (as on the library pages); the data files go
through the libraries' own access checks (terms, grants, enclave) and restricted reads are audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from qazai.catalog import service as catalog
from qazai.catalog.indexer import CatalogIndex
from qazai.catalog.models import FacetName, LibraryDoc, SearchRequest, VersionDoc
from qazai.core.errors import NotFound
from qazai.identity.actor import Actor
from qazai.libraries import access
from qazai.libraries import service as libraries
from qazai.libraries.models import LibraryRead, VersionRead, VersionStatus
from qazai.libraries.service import VersionGone
from qazai.models.hf.shapes import HubFile, RepoEntry, RepoInfo, gated_for, revision_id, sibling
from qazai.storage.db import Database, UnitOfWork

CARD = "README.md"
DATA_DIR = "data"
_TAG = re.compile(r"^v([1-9][0-9]{0,8})$")
_HEX = re.compile(r"^[0-9a-f]{7,40}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


@dataclass(frozen=True)
class DatasetRevision:
    """One published library version seen as a dataset repo revision."""

    repo_id: str
    library: LibraryRead
    version: VersionRead
    sha: str
    card: bytes
    entries: list[RepoEntry]


def split_repo_id(repo_id: str) -> tuple[str, str]:
    """``org/name`` -> (org, name). NotFound (``library_not_found``) for anything else (``..``,
    no slash, upper case): nothing can live there."""
    org, sep, name = repo_id.partition("/")
    if not sep or not _NAME.match(org) or not _NAME.match(name):
        raise NotFound(
            f"no dataset {repo_id!r}: a dataset id is 'organisation/library'", code="library_not_found"
        )
    return org, name


def refuse_bare_id(uow: UnitOfWork, actor: Actor, name: str) -> NotFound:
    """The error for a dataset id without an organisation (``population-by-region``), naming the
    full id when a library has that slug."""
    hint = ""
    if _NAME.match(name):
        try:
            library = libraries.get_library(uow, actor, name)
        except NotFound:
            library = None
        if library is not None and library.slug == name:
            hint = f": did you mean {library.organisation_slug}/{library.slug}?"
    return NotFound(f"dataset ids on QazAI are 'organisation/library'{hint}", code="library_not_found")


def _library(uow: UnitOfWork, actor: Actor, repo_id: str) -> LibraryRead:
    org, name = split_repo_id(repo_id)
    library = libraries.get_library(uow, actor, name)
    if library.organisation_slug != org or library.slug != name:
        raise NotFound(f"no dataset {repo_id!r}", code="library_not_found")
    return library


def _version(uow: UnitOfWork, actor: Actor, library: LibraryRead, revision: str | None) -> VersionRead:
    rev = revision or "main"
    if rev == "main":
        if library.latest_version is None:
            raise NotFound(f"{library.slug!r} has no published version yet", code="revision_not_found")
        return libraries.get_version(uow, actor, library.slug, library.latest_version)
    if match := _TAG.match(rev):
        return libraries.get_version(uow, actor, library.slug, int(match.group(1)))
    if _HEX.match(rev):
        cursor: str | None = None
        while True:
            page = libraries.list_versions(uow, actor, library.slug, cursor=cursor, limit=100)
            for version in page.items:
                if revision_id("library-version", version.id).startswith(rev):
                    return version
            if page.next is None:
                break
            cursor = page.next
    raise NotFound(
        f"{library.slug!r} has no revision {rev!r} (use main, a tag like v1, or a commit id)",
        code="revision_not_found",
    )


def dataset_revision(
    uow: UnitOfWork, actor: Actor, repo_id: str, revision: str | None = None, *, base_url: str = ""
) -> DatasetRevision:
    """The dataset repo ``repo_id`` at ``revision``. NotFound (``library_not_found``,
    ``revision_not_found``, ``version_not_found``); VersionGone (410) for a withdrawn version."""
    library = _library(uow, actor, repo_id)
    try:
        version = _version(uow, actor, library, revision)
    except NotFound as exc:
        if exc.code == "version_not_found":
            exc.code = "revision_not_found"
        raise
    if version.status == VersionStatus.rejected:
        raise NotFound(f"{library.slug!r} has no published revision {revision!r}", code="revision_not_found")
    if version.status == VersionStatus.withdrawn:
        reason = version.withdrawn_reason or "withdrawn"
        raise VersionGone(
            f"version {version.number} of {repo_id!r} was withdrawn: {reason}",
            details={"status": version.status.value, "reason": reason},
        )
    card = dataset_card(library, version, base_url=base_url)
    entries = [RepoEntry.generated(CARD, card)] + [
        RepoEntry.stored(f"{DATA_DIR}/{part['file']}", int(part["bytes"]), str(part["sha256"]))
        for part in version.manifest.get("parts", [])
    ]
    return DatasetRevision(
        repo_id=f"{library.organisation_slug}/{library.slug}",
        library=library,
        version=version,
        sha=revision_id("library-version", version.id),
        card=card,
        entries=entries,
    )


def _card_data(library: LibraryRead, version: VersionRead) -> dict[str, Any]:
    parts = version.manifest.get("parts", [])
    tables = list(dict.fromkeys(str(p.get("table") or "data") for p in parts))
    # a table's name is the sheet's or the file's (any script); its stem is ASCII, like its files
    stems = {
        str(t.get("name")): str(t.get("stem") or t.get("name")) for t in version.manifest.get("tables", [])
    }
    configs = []
    for i, table in enumerate(tables):
        files = [f"{DATA_DIR}/{p['file']}" for p in parts if str(p.get("table") or "data") == table]
        config: dict[str, Any] = {
            "config_name": "default" if len(tables) == 1 else stems.get(table, table),
            "data_files": [{"split": "train", "path": files}],
        }
        if i == 0:
            config["default"] = True
        configs.append(config)
    data: dict[str, Any] = {
        "pretty_name": library.title.get("en"),
        "tags": ["qazai", "tabular", *library.themes],
        "configs": configs,
    }
    if library.licence:
        data["license"] = library.licence.lower()
    return data


def dataset_card(library: LibraryRead, version: VersionRead, *, base_url: str = "") -> bytes:
    """``README.md``: the YAML header ``datasets`` reads (configurations, licence) and a short
    description with links to the version's full metadata."""
    header = yaml.safe_dump(_card_data(library, version), allow_unicode=True, sort_keys=False)
    base = f"{base_url.rstrip('/')}/libraries/{library.slug}/v/{version.number}/"
    lines = [f"# {library.title.get('en')}", ""]
    for lang in ("kk", "ru"):
        title = getattr(library.title, lang)
        if title:
            lines.append(f"- {lang}: {title}")
    if library.description:
        lines += ["", library.description.get("en")]
    lines += [
        "",
        f"Version {version.number} of the data library `{library.slug}` published by "
        f"`{library.organisation_slug}` on QazAI ({version.created_at.date().isoformat()}, "
        f"{version.rows} rows, access tier: {version.tier.value}).",
        "",
        f"- Metadata (schema, profile, privacy report, provenance): {base}metadata.json",
        f"- Croissant: {base}croissant.json",
        "",
    ]
    return (f"---\n{header}---\n\n" + "\n".join(lines)).encode()


def dataset_info(
    uow: UnitOfWork, actor: Actor, repo_id: str, revision: str | None = None, *, base_url: str = ""
) -> RepoInfo:
    """``/api/datasets/{id}[/revision/{rev}]``: the repo at a revision, with its files."""
    found = dataset_revision(uow, actor, repo_id, revision, base_url=base_url)
    return _info(found.library, found.version, found.sha, [sibling(e) for e in found.entries])


def _info(library: LibraryRead, version: VersionRead, sha: str, siblings: list[Any]) -> RepoInfo:
    return RepoInfo(
        id=f"{library.organisation_slug}/{library.slug}",
        author=library.organisation_slug,
        sha=sha,
        created_at=library.created_at,
        last_modified=version.created_at,
        gated=gated_for(version.tier),
        tags=["qazai", "format:parquet", "modality:tabular", *library.themes],
        card_data=_card_data(library, version),
        siblings=siblings,
        used_storage=version.bytes,
    )


def list_datasets(
    index: CatalogIndex,
    actor: Actor,
    *,
    search: str | None = None,
    author: str | None = None,
    limit: int = 100,
    start: int = 0,
) -> tuple[list[RepoInfo], int | None]:
    """``/api/datasets``: one page of published libraries found by the catalogue's search (kk/ru/en,
    Cyrillic or Latin) in ``search``, of the organisation ``author``; and where the next page starts
    (None on the last page)."""
    filters = {FacetName.producer: [author]} if author else {}
    request = SearchRequest(q=search or "", filters=filters, rows=limit, start=start)
    page = catalog.search_libraries(index, actor, request)
    infos = [_doc_info(doc, doc.latest) for doc in page.docs if doc.latest is not None]
    following = start + limit
    return infos, following if following < page.result.count else None


def _doc_info(doc: LibraryDoc, latest: VersionDoc) -> RepoInfo:
    return RepoInfo(
        id=f"{doc.organisation_slug}/{doc.slug}",
        author=doc.organisation_slug,
        sha=revision_id("library-version", latest.id),
        created_at=doc.created_at,
        last_modified=latest.created_at,
        gated=gated_for(latest.tier),
        tags=["qazai", "format:parquet", "modality:tabular", *doc.themes],
        card_data={"license": doc.licence.lower()} if doc.licence else {},
        used_storage=latest.bytes,
    )


def resolve_dataset_file(
    uow: UnitOfWork, actor: Actor, repo_id: str, revision: str, path: str, *, base_url: str = ""
) -> HubFile:
    """A file of the repo at ``revision``: the card (public), or a Parquet part through the
    libraries' tier checks (Unauthenticated / PermissionDenied). NotFound ``file_not_found``."""
    found = dataset_revision(uow, actor, repo_id, revision, base_url=base_url)
    entry = next((e for e in found.entries if e.path == path), None)
    if entry is None:
        raise NotFound(
            f"{repo_id!r} has no file {path[:200]!r} at {revision!r}",
            code="file_not_found",
            details={"repo_id": repo_id, "revision": found.sha, "path": path[:200]},
        )
    if entry.sha256 is None:
        return HubFile(
            path=path,
            size=entry.size,
            etag=entry.oid,
            linked=False,
            commit=found.sha,
            content_type="text/markdown; charset=utf-8",
            public=True,
            content=found.card,
        )
    filename = path.removeprefix(f"{DATA_DIR}/")
    served = access.resolve_version_file(uow, actor, found.library.slug, found.version.number, filename)

    def record_read(db: Database, reader: Actor, byte_range: str | None) -> None:
        access.record_file_read(db, reader, served, filename, byte_range)

    return HubFile(
        path=path,
        size=served.size,
        etag=served.sha256,
        linked=True,
        commit=found.sha,
        content_type=served.content_type,
        public=served.public,
        key=served.key,
        record_read=record_read if served.audited else None,
    )
