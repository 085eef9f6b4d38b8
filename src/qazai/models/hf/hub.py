"""Model repositories in the Hub's shapes, over ``qazai.models.reads``: ``model_info``,
``list_models``, the file tree and file downloads (``snapshot_download``, ``hf_hub_download``).

A revision is ``main`` (the latest published version), a tag (``v1``), or a version's 40-hex
revision id (or a prefix of it). Metadata is public in every tier; a file's bytes keep the repo's
tier (a QazAI token as the client's ``token``) and restricted reads are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qazai.core.errors import NotFound
from qazai.identity.actor import Actor
from qazai.models import reads
from qazai.models.hf.shapes import HubFile, RepoEntry, RepoInfo, gated_for, sibling
from qazai.models.models import ModelRepoRead, ModelSearch, ModelVersionRead
from qazai.storage.db import Database, UnitOfWork


@dataclass(frozen=True)
class ModelRevision:
    """One model version seen as a Hub repo revision."""

    repo: ModelRepoRead
    version: ModelVersionRead
    entries: list[RepoEntry]


def model_revision(uow: UnitOfWork, actor: Actor, repo_id: str, revision: str | None = None) -> ModelRevision:
    """The repo at ``revision``. InvalidInput ``invalid_repo_id``; NotFound ``model_not_found``,
    ``revision_not_found``."""
    repo = reads.get_model_repo(uow, actor, repo_id)
    version = reads.resolve_revision(uow, actor, repo_id, revision)
    entries = [RepoEntry.stored(f.path, f.size, f.sha256) for f in version.files]
    return ModelRevision(repo=repo, version=version, entries=sorted(entries, key=lambda e: e.path))


def _tags(repo: ModelRepoRead, version: ModelVersionRead | None) -> list[str]:
    tags = [repo.task, *repo.languages, f"license:{repo.licence.lower()}", *repo.tags, "qazai"]
    if version is not None:
        tags += sorted({f.format.value for f in version.files if f.preferred})
    return list(dict.fromkeys(tags))


def _card_data(repo: ModelRepoRead) -> dict[str, Any]:
    return {
        "license": repo.licence.lower(),
        "language": repo.languages,
        "pipeline_tag": repo.task,
        "tags": repo.tags,
    }


def _info(repo: ModelRepoRead, sha: str, version: ModelVersionRead | None, siblings: list[Any]) -> RepoInfo:
    return RepoInfo(
        id=repo.repo_id,
        model_id=repo.repo_id,
        author=repo.organisation_slug,
        sha=sha,
        created_at=repo.created_at,
        last_modified=version.created_at if version is not None else repo.updated_at,
        gated=gated_for(repo.tier),
        tags=_tags(repo, version),
        pipeline_tag=repo.task,
        card_data=_card_data(repo),
        siblings=siblings,
        used_storage=version.total_size if version is not None else 0,
    )


def model_info(uow: UnitOfWork, actor: Actor, repo_id: str, revision: str | None = None) -> RepoInfo:
    """``/api/models/{id}[/revision/{rev}]``: the repo at a revision, with its files (size, sha256)."""
    found = model_revision(uow, actor, repo_id, revision)
    siblings = [sibling(e) for e in found.entries]
    return _info(found.repo, found.version.revision, found.version, siblings)


def list_models(
    uow: UnitOfWork,
    actor: Actor,
    *,
    search: str | None = None,
    author: str | None = None,
    pipeline_tag: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[RepoInfo], str | None]:
    """``/api/models``: one page of repos with a published version, by text (``search``),
    organisation (``author``) and task (``pipeline_tag``), and the cursor of the next page (the
    route sends it in a ``Link`` header, which the client follows). An unknown author has no models."""
    query = ModelSearch(
        q=search or None, organisation=author or None, task=pipeline_tag or None, limit=limit, cursor=cursor
    )
    try:
        page = reads.list_model_repos(uow, actor, query)
    except NotFound:
        return [], None
    infos = [
        _info(repo, repo.latest_revision, None, []) for repo in page.items if repo.latest_revision is not None
    ]
    return infos, page.next


def resolve_model_file(uow: UnitOfWork, actor: Actor, repo_id: str, revision: str, path: str) -> HubFile:
    """A file of the repo at ``revision`` if the actor may read its bytes (see
    ``reads.resolve_model_file`` for the errors)."""
    served = reads.resolve_model_file(uow, actor, repo_id, revision, path)

    def record_read(db: Database, reader: Actor, byte_range: str | None) -> None:
        reads.record_model_file_read(db, reader, served, served.path, byte_range)

    return HubFile(
        path=served.path,
        size=served.size,
        etag=served.sha256,
        linked=True,
        commit=served.revision,
        content_type=served.content_type,
        public=served.public,
        key=served.key,
        record_read=record_read if served.audited else None,
    )
