"""Reading model repositories: what the API, the portal, the CLI and the Hugging Face-compatible
routes share. Metadata (repos, versions, cards, file lists) is public in every tier, like a
library's; only a file's bytes are gated by the tier (:func:`resolve_model_file`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy.orm import Session

from qazai.audit.service import record_event
from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier
from qazai.core.errors import AppError, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from qazai.core.pagination import Page, decode_text_cursor, encode_cursor
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.libraries import lineage as library_lineage
from qazai.models import policy, repo, search
from qazai.models.models import (
    NAME_PATTERN,
    REVISION_PATTERN,
    FileFormat,
    LibraryVersionLink,
    ModelCard,
    ModelFileRead,
    ModelRepoRead,
    ModelSearch,
    ModelVersionRead,
    ModelVersionSummary,
    ServedModelFile,
    VersionStatus,
)
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.tables.models import ModelFileRow, ModelRepoRow, ModelVersionRow

_HEX_PREFIX = re.compile(r"^[0-9a-f]{7,39}$")
_CONTENT_TYPES = {
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


class ModelVersionGone(AppError):
    """A withdrawn model version: its files are no longer served; the reason says why."""

    code = "model_version_withdrawn"
    status = 410


def parse_repo_id(repo_id: str) -> tuple[str, str]:
    """``org/name`` -> (org, name). InvalidInput ``invalid_repo_id`` for anything else (no ``..``,
    exactly one slash, the segments of a name)."""
    org, sep, name = repo_id.partition("/")
    if (
        not sep
        or "/" in name
        or ".." in repo_id
        or not NAME_PATTERN.match(org)
        or not NAME_PATTERN.match(name)
    ):
        raise InvalidInput(
            f"{repo_id[:120]!r} is not a model repository id: use `organisation/name` "
            "(letters, digits, . _ -, no '..')",
            code="invalid_repo_id",
        )
    return org, name


def load_repo(session: Session, repo_id: str) -> ModelRepoRow:
    parse_repo_id(repo_id)
    row = repo.get_repo(session, repo_id)
    if row is None:
        raise NotFound(f"no model repository {repo_id!r}", code="model_not_found")
    return row


def _text(value: object) -> LocalizedText | None:
    return LocalizedText.model_validate(value) if isinstance(value, dict) and any(value.values()) else None


def repo_read(session: Session, row: ModelRepoRow, organisation_slug: str | None = None) -> ModelRepoRead:
    if organisation_slug is None:
        org = identity_repo.get_organisation(session, row.organisation_id)
        organisation_slug = org.slug if org else ""
    return ModelRepoRead(
        id=row.id,
        repo_id=row.repo_id,
        organisation_id=row.organisation_id,
        organisation_slug=organisation_slug,
        name=row.name,
        title=_text(row.title),
        summary=_text(row.summary),
        tier=AccessTier(row.tier),
        licence=row.licence,
        task=row.task,
        languages=list(row.languages),
        tags=list(row.tags),
        latest_revision=row.latest_revision,
        latest_tag=row.latest_tag,
        gated=row.tier != AccessTier.open.value,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_model_repo(uow: UnitOfWork, actor: Actor, repo_id: str) -> ModelRepoRead:
    """The repository (public metadata). InvalidInput for a bad id, NotFound ``model_not_found``."""
    return repo_read(uow.session, load_repo(uow.session, repo_id))


def file_read(row: ModelFileRow) -> ModelFileRead:
    return ModelFileRead(
        path=row.path,
        size=row.size,
        sha256=row.sha256,
        object_key=row.object_key,
        format=FileFormat(row.format),
        preferred=row.preferred,
        tensors=row.details.get("tensors"),
        scan=list(row.details.get("scan", [])),
    )


def training_links(session: Session, version_ids: Sequence[str]) -> dict[str, list[LibraryVersionLink]]:
    out: dict[str, list[LibraryVersionLink]] = {}
    for link in repo.training_data_of(session, version_ids):
        ref = library_lineage.get_version_ref(session, link.library_version_id)
        out.setdefault(link.model_version_id, []).append(
            LibraryVersionLink(
                library_version_id=link.library_version_id,
                library_slug=ref.library_slug if ref else "?",
                number=ref.number if ref else 0,
                status=ref.status if ref else "missing",
                source=link.source,
                flag_reason=_library_flag(ref),
            )
        )
    return out


def _library_flag(ref: library_lineage.VersionRef | None) -> str | None:
    if ref is None:
        return "the linked library version no longer exists"
    if ref.status == "withdrawn":
        why = f": {ref.withdrawn_reason}" if ref.withdrawn_reason else ""
        return f"library version {ref.library_slug} v{ref.number} was withdrawn{why}"
    if ref.optout_flagged:
        return f"library version {ref.library_slug} v{ref.number} contains works whose authors opted out"
    return None


def version_read(session: Session, repo_row: ModelRepoRow, row: ModelVersionRow) -> ModelVersionRead:
    links = training_links(session, [row.id]).get(row.id, [])
    reasons = [link.flag_reason for link in links if link.flag_reason]
    if row.flag_reason and row.flag_reason not in reasons:
        reasons.insert(0, row.flag_reason)
    return ModelVersionRead(
        repo_id=repo_row.repo_id,
        version_id=row.id,
        number=row.number,
        revision=row.revision,
        tag=row.tag,
        parent_revision=row.parent_revision,
        status=VersionStatus(row.status),
        created_at=row.created_at,
        card=ModelCard.model_validate(row.card),
        files=[file_read(f) for f in repo.files_of(session, row.id)],
        total_size=row.total_size,
        flagged=bool(reasons),
        flag_reasons=reasons,
        trained_on=links,
    )


def find_version(session: Session, repo_row: ModelRepoRow, revision: str | None) -> ModelVersionRow:
    """The version a revision names: None/``main`` -> the newest published; 40 hex -> that
    revision; 7-39 hex -> the one revision with that prefix; else a tag. NotFound
    ``revision_not_found`` (also for a hex prefix that is ambiguous)."""
    row: ModelVersionRow | None = None
    if revision in (None, "", "main"):
        row = repo.get_version(session, repo_row.latest_version_id) if repo_row.latest_version_id else None
        if row is None:
            raise NotFound(f"{repo_row.repo_id} has no published version yet", code="revision_not_found")
        return row
    assert revision is not None
    if REVISION_PATTERN.match(revision):
        row = repo.get_version_by_revision(session, repo_row.id, revision)
    if row is None:
        row = repo.get_version_by_tag(session, repo_row.id, revision)
    if row is None and _HEX_PREFIX.match(revision):
        found = repo.versions_with_revision_prefix(session, repo_row.id, revision)
        row = found[0] if len(found) == 1 else None
    if row is None:
        raise NotFound(
            f"{repo_row.repo_id} has no revision {revision[:80]!r}",
            code="revision_not_found",
            details={"repo_id": repo_row.repo_id, "revision": revision[:80]},
        )
    return row


def resolve_revision(
    uow: UnitOfWork, actor: Actor, repo_id: str, revision: str | None = None
) -> ModelVersionRead:
    """The immutable version a revision names (see :func:`find_version`), withdrawn ones included
    (their ``status`` says so; their files answer 410)."""
    repo_row = load_repo(uow.session, repo_id)
    return version_read(uow.session, repo_row, find_version(uow.session, repo_row, revision))


def list_model_versions(uow: UnitOfWork, actor: Actor, repo_id: str) -> list[ModelVersionSummary]:
    repo_row = load_repo(uow.session, repo_id)
    rows = repo.list_versions(uow.session, repo_row.id)
    links = training_links(uow.session, [r.id for r in rows])
    return [
        ModelVersionSummary(
            number=r.number,
            revision=r.revision,
            tag=r.tag,
            status=VersionStatus(r.status),
            created_at=r.created_at,
            total_size=r.total_size,
            flagged=bool(r.flag_reason) or any(link.flag_reason for link in links.get(r.id, [])),
        )
        for r in rows
    ]


def list_version_files(
    uow: UnitOfWork, actor: Actor, repo_id: str, revision: str | None
) -> list[ModelFileRead]:
    repo_row = load_repo(uow.session, repo_id)
    version = find_version(uow.session, repo_row, revision)
    return [file_read(f) for f in repo.files_of(uow.session, version.id)]


def _content_type(row: ModelFileRow) -> str:
    for suffix, media in _CONTENT_TYPES.items():
        if row.path.lower().endswith(suffix):
            return media
    return "application/octet-stream"


def check_file_access(session: Session, actor: Actor, repo_row: ModelRepoRow) -> None:
    """Unauthenticated / PermissionDenied unless the actor may read the repo's files (the
    libraries' tier rules: registered needs accepted terms, restricted an active grant)."""
    tier = AccessTier(repo_row.tier)
    accepted = has_grant = False
    if actor.user_id is not None and tier in (AccessTier.registered, AccessTier.restricted):
        accepted = repo.get_acceptance(session, repo_row.id, actor.user_id) is not None
        has_grant = repo.active_grant(session, repo_row.id, actor.user_id, utcnow()) is not None
    if policy.can_read_model_files(
        actor, tier, repo_row.organisation_id, accepted_terms=accepted, has_grant=has_grant
    ):
        return
    base = f"/api/v1/models/{repo_row.repo_id}"
    if not actor.is_authenticated:
        raise Unauthenticated(
            f"{repo_row.repo_id} is {tier.value}: send an API token", code="authentication_required"
        )
    if tier == AccessTier.registered:
        raise PermissionDenied(
            f"accept the terms of {repo_row.repo_id} first (POST {base}/terms/accept)",
            code="terms_not_accepted",
        )
    raise PermissionDenied(
        f"{repo_row.repo_id} is restricted: request a grant (POST {base}/grants)", code="grant_required"
    )


def resolve_model_file(
    uow: UnitOfWork, actor: Actor, repo_id: str, revision: str | None, path: str
) -> ServedModelFile:
    """A file of a version, if the actor may read its bytes. NotFound (``model_not_found``,
    ``revision_not_found``, ``file_not_found``), ModelVersionGone (410) for a withdrawn version,
    Unauthenticated / PermissionDenied by tier."""
    repo_row = load_repo(uow.session, repo_id)
    version = find_version(uow.session, repo_row, revision)
    row = repo.get_file(uow.session, version.id, path)
    if row is None:
        raise NotFound(
            f"{repo_id}@{version.tag} has no file {path[:200]!r}",
            code="file_not_found",
            details={"repo_id": repo_id, "revision": version.revision, "path": path[:200]},
        )
    if version.status != VersionStatus.published.value:
        raise ModelVersionGone(
            f"{repo_id}@{version.tag} was withdrawn: {version.withdrawn_reason or ''}".rstrip(": "),
            details={"reason": version.withdrawn_reason, "revision": version.revision},
        )
    check_file_access(uow.session, actor, repo_row)
    tier = AccessTier(repo_row.tier)
    return ServedModelFile(
        key=row.object_key,
        sha256=row.sha256,
        size=row.size,
        content_type=_content_type(row),
        public=tier == AccessTier.open,
        audited=tier == AccessTier.restricted,
        revision=version.revision,
        repo_id=repo_row.repo_id,
        organisation_id=repo_row.organisation_id,
        version_id=version.id,
        path=row.path,
    )


def record_model_file_read(
    db: Database, actor: Actor, served: ServedModelFile, path: str, byte_range: str | None
) -> None:
    """Audit one read of a restricted model file (its own short transaction)."""
    with db.uow() as uow:
        record_event(
            uow.session,
            action="model.file.read",
            object_type="model_version",
            object_id=served.version_id,
            actor_id=actor.user_id,
            actor_label=actor.label,
            organisation_id=served.organisation_id,
            summary={"repo": served.repo_id, "file": path, "range": byte_range, "sha256": served.sha256},
        )
        uow.commit()


def list_model_repos(uow: UnitOfWork, actor: Actor, query: ModelSearch) -> Page[ModelRepoRead]:
    """Repositories matching the text (kk/ru/en, Cyrillic or Latin, word forms) and the filters,
    newest update first (or by ``org/name``), keyset-paginated. NotFound for an unknown
    organisation filter."""
    organisation_id = None
    if query.organisation:
        org = identity_repo.get_organisation(uow.session, query.organisation)
        if org is None:
            raise NotFound(f"no organisation {query.organisation!r}", code="organisation_not_found")
        organisation_id = org.id
    after = decode_text_cursor(query.cursor)
    ids, last = search.search_ids(uow.session, query, organisation_id, after)
    rows = {r.id: r for r in repo.repos_by_ids(uow.session, ids)}
    slugs = repo.organisation_slugs(uow.session, {r.organisation_id for r in rows.values()})
    items = [
        repo_read(uow.session, rows[i], slugs.get(rows[i].organisation_id, "")) for i in ids if i in rows
    ]
    return Page(items=items, next=encode_cursor(last) if last else None)
