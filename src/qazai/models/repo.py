"""SQL for model repositories, versions, files, access and lineage. Rows do not leave the package."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from qazai.storage.tables.models import (
    AiSystemModelRow,
    ModelFileRow,
    ModelGrantRow,
    ModelRepoRow,
    ModelTermsAcceptanceRow,
    ModelTrainingDataRow,
    ModelVersionRow,
)


def get_repo(session: Session, repo_id: str) -> ModelRepoRow | None:
    return session.scalars(select(ModelRepoRow).where(ModelRepoRow.repo_id == repo_id)).first()


def get_repo_by_pk(session: Session, pk: str) -> ModelRepoRow | None:
    return session.get(ModelRepoRow, pk)


def get_version_by_revision(session: Session, repo_pk: str, revision: str) -> ModelVersionRow | None:
    return session.scalars(
        select(ModelVersionRow).where(
            ModelVersionRow.repo_id == repo_pk, ModelVersionRow.revision == revision
        )
    ).first()


def versions_with_revision_prefix(session: Session, repo_pk: str, prefix: str) -> Sequence[ModelVersionRow]:
    return session.scalars(
        select(ModelVersionRow)
        .where(ModelVersionRow.repo_id == repo_pk, ModelVersionRow.revision.startswith(prefix))
        .limit(2)
    ).all()


def get_version_by_tag(session: Session, repo_pk: str, tag: str) -> ModelVersionRow | None:
    return session.scalars(
        select(ModelVersionRow).where(ModelVersionRow.repo_id == repo_pk, ModelVersionRow.tag == tag)
    ).first()


def get_version(session: Session, version_id: str) -> ModelVersionRow | None:
    return session.get(ModelVersionRow, version_id)


def list_versions(session: Session, repo_pk: str) -> Sequence[ModelVersionRow]:
    return session.scalars(
        select(ModelVersionRow)
        .where(ModelVersionRow.repo_id == repo_pk)
        .order_by(ModelVersionRow.number.desc())
    ).all()


def max_version_number(session: Session, repo_pk: str) -> int:
    value = session.scalar(select(func.max(ModelVersionRow.number)).where(ModelVersionRow.repo_id == repo_pk))
    return int(value or 0)


def newest_published(session: Session, repo_pk: str) -> ModelVersionRow | None:
    return session.scalars(
        select(ModelVersionRow)
        .where(ModelVersionRow.repo_id == repo_pk, ModelVersionRow.status == "published")
        .order_by(ModelVersionRow.number.desc())
        .limit(1)
    ).first()


def files_of(session: Session, version_id: str) -> Sequence[ModelFileRow]:
    return session.scalars(
        select(ModelFileRow).where(ModelFileRow.version_id == version_id).order_by(ModelFileRow.path)
    ).all()


def get_file(session: Session, version_id: str, path: str) -> ModelFileRow | None:
    return session.scalars(
        select(ModelFileRow).where(ModelFileRow.version_id == version_id, ModelFileRow.path == path)
    ).first()


def training_data_of(session: Session, version_ids: Sequence[str]) -> Sequence[ModelTrainingDataRow]:
    if not version_ids:
        return []
    return session.scalars(
        select(ModelTrainingDataRow)
        .where(ModelTrainingDataRow.model_version_id.in_(version_ids))
        .order_by(ModelTrainingDataRow.created_at, ModelTrainingDataRow.id)
    ).all()


def models_trained_on(session: Session, library_version_ids: Sequence[str]) -> Sequence[ModelTrainingDataRow]:
    if not library_version_ids:
        return []
    return session.scalars(
        select(ModelTrainingDataRow).where(ModelTrainingDataRow.library_version_id.in_(library_version_ids))
    ).all()


def systems_running(session: Session, model_version_ids: Sequence[str]) -> Sequence[AiSystemModelRow]:
    if not model_version_ids:
        return []
    return session.scalars(
        select(AiSystemModelRow)
        .where(AiSystemModelRow.model_version_id.in_(model_version_ids))
        .order_by(AiSystemModelRow.created_at)
    ).all()


def models_of_system(session: Session, system_id: str) -> Sequence[AiSystemModelRow]:
    return session.scalars(
        select(AiSystemModelRow)
        .where(AiSystemModelRow.system_id == system_id)
        .order_by(AiSystemModelRow.created_at)
    ).all()


def search_repos(
    session: Session,
    *,
    ids: Sequence[str] | None,
    task: str | None,
    licence: str | None,
    tier: str | None,
    organisation_id: str | None,
    sort: str,
    after: str | None,
    limit: int,
) -> Sequence[ModelRepoRow]:
    """Repos filtered by the structured fields (``ids``: the text search's hits, None for all),
    sorted by ``repo_id`` (``name``) or newest update first, keyset-paginated by ``after``."""
    query = select(ModelRepoRow)
    if ids is not None:
        query = query.where(ModelRepoRow.id.in_(ids))
    if task:
        query = query.where(ModelRepoRow.task == task)
    if licence:
        query = query.where(func.lower(ModelRepoRow.licence) == licence.lower())
    if tier:
        query = query.where(ModelRepoRow.tier == tier)
    if organisation_id:
        query = query.where(ModelRepoRow.organisation_id == organisation_id)
    if sort == "name":
        if after:
            query = query.where(ModelRepoRow.repo_id > after)
        query = query.order_by(ModelRepoRow.repo_id)
    else:
        if after:
            stamp, _, pk = after.partition("|")
            query = query.where(
                or_(
                    ModelRepoRow.updated_at < datetime.fromisoformat(stamp),
                    (ModelRepoRow.updated_at == datetime.fromisoformat(stamp)) & (ModelRepoRow.id < pk),
                )
            )
        query = query.order_by(ModelRepoRow.updated_at.desc(), ModelRepoRow.id.desc())
    return session.scalars(query.limit(limit)).all()


def all_repos(session: Session) -> Sequence[ModelRepoRow]:
    return session.scalars(select(ModelRepoRow)).all()


def get_acceptance(session: Session, repo_pk: str, user_id: str) -> ModelTermsAcceptanceRow | None:
    return session.scalars(
        select(ModelTermsAcceptanceRow).where(
            ModelTermsAcceptanceRow.repo_id == repo_pk, ModelTermsAcceptanceRow.user_id == user_id
        )
    ).first()


def active_grant(session: Session, repo_pk: str, user_id: str, now: datetime) -> ModelGrantRow | None:
    return session.scalars(
        select(ModelGrantRow).where(
            ModelGrantRow.repo_id == repo_pk,
            ModelGrantRow.user_id == user_id,
            ModelGrantRow.status == "approved",
            ModelGrantRow.expires_at > now,
        )
    ).first()


def pending_grant(session: Session, repo_pk: str, user_id: str) -> ModelGrantRow | None:
    return session.scalars(
        select(ModelGrantRow).where(
            ModelGrantRow.repo_id == repo_pk,
            ModelGrantRow.user_id == user_id,
            ModelGrantRow.status == "pending",
        )
    ).first()


def get_grant(session: Session, grant_id: str) -> ModelGrantRow | None:
    return session.get(ModelGrantRow, grant_id)


def organisation_slugs(session: Session, ids: set[str]) -> dict[str, str]:
    from qazai.storage.tables.identity import OrganisationRow

    if not ids:
        return {}
    rows = session.execute(
        select(OrganisationRow.id, OrganisationRow.slug).where(OrganisationRow.id.in_(ids))
    )
    return {pk: slug for pk, slug in rows}


def repos_by_ids(session: Session, ids: Sequence[str]) -> Sequence[ModelRepoRow]:
    if not ids:
        return []
    return session.scalars(select(ModelRepoRow).where(ModelRepoRow.id.in_(ids))).all()


def repo_index_stamp(session: Session, recent_since: datetime) -> tuple[int, datetime | None, int]:
    """(count, newest update, repositories updated since ``recent_since``): changes whenever a
    repository is created or updated, also by a transaction that commits after a later one."""
    count = session.scalar(select(func.count()).select_from(ModelRepoRow))
    newest = session.scalar(select(func.max(ModelRepoRow.updated_at)))
    recent = session.scalar(
        select(func.count()).select_from(ModelRepoRow).where(ModelRepoRow.updated_at >= recent_since)
    )
    return int(count or 0), newest, int(recent or 0)


def repo_index_rows(session: Session, *, updated_since: datetime | None = None) -> Sequence[Any]:
    """What the search index holds per repository (id, repo id, organisation, task, licence,
    tier, languages, tags, title, summary, update time), all or those updated since a time."""
    query = select(
        ModelRepoRow.id,
        ModelRepoRow.repo_id,
        ModelRepoRow.organisation_id,
        ModelRepoRow.task,
        ModelRepoRow.licence,
        ModelRepoRow.tier,
        ModelRepoRow.languages,
        ModelRepoRow.tags,
        ModelRepoRow.title,
        ModelRepoRow.summary,
        ModelRepoRow.updated_at,
    )
    if updated_since is not None:
        query = query.where(ModelRepoRow.updated_at >= updated_since)
    return session.execute(query).all()
