"""SQL for data libraries. ORM rows never leave this module and the services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from qazai.libraries.models import MAX_VERSION_NUMBER
from qazai.storage.tables.identity import OrganisationRow
from qazai.storage.tables.libraries import (
    LibraryGrantRow,
    LibraryRow,
    LibraryTermsAcceptanceRow,
    LibraryUploadRow,
    LibraryVersionRow,
)


def get_library(session: Session, key: str) -> LibraryRow | None:
    """By slug or id."""
    return session.scalars(
        select(LibraryRow).where(or_(LibraryRow.slug == key, LibraryRow.id == key))
    ).first()


def lock_library(session: Session, library_id: str) -> LibraryRow | None:
    """The row, locked for this transaction on PostgreSQL (SQLite's writer lock already serialises)."""
    return session.scalars(select(LibraryRow).where(LibraryRow.id == library_id).with_for_update()).first()


def list_libraries(
    session: Session, after_slug: str | None, limit: int, organisation_id: str | None = None
) -> list[LibraryRow]:
    query = select(LibraryRow).order_by(LibraryRow.slug).limit(limit)
    if after_slug:
        query = query.where(LibraryRow.slug > after_slug)
    if organisation_id:
        query = query.where(LibraryRow.organisation_id == organisation_id)
    return list(session.scalars(query))


def get_organisation(session: Session, key: str) -> OrganisationRow | None:
    return session.scalars(
        select(OrganisationRow).where(or_(OrganisationRow.slug == key, OrganisationRow.id == key))
    ).first()


def organisation_slugs(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(OrganisationRow.id, OrganisationRow.slug).where(OrganisationRow.id.in_(ids))
    )
    return {row.id: row.slug for row in rows}


def get_version(session: Session, library_id: str, number: int) -> LibraryVersionRow | None:
    if not 1 <= number <= MAX_VERSION_NUMBER:  # no such version; the database could not bind it
        return None
    return session.scalars(
        select(LibraryVersionRow).where(
            LibraryVersionRow.library_id == library_id, LibraryVersionRow.number == number
        )
    ).first()


def get_version_by_id(session: Session, version_id: str) -> LibraryVersionRow | None:
    return session.get(LibraryVersionRow, version_id)


def version_by_dedupe_key(session: Session, dedupe_key: str) -> LibraryVersionRow | None:
    return session.scalars(
        select(LibraryVersionRow).where(LibraryVersionRow.dedupe_key == dedupe_key)
    ).first()


def versions_with_source(session: Session, sha256: str) -> list[LibraryVersionRow]:
    return list(
        session.scalars(
            select(LibraryVersionRow)
            .where(LibraryVersionRow.source_sha256 == sha256)
            .order_by(LibraryVersionRow.id)
        )
    )


def list_versions(
    session: Session, library_id: str, before: int | None, limit: int
) -> list[LibraryVersionRow]:
    query = (
        select(LibraryVersionRow)
        .where(LibraryVersionRow.library_id == library_id)
        .order_by(LibraryVersionRow.number.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(LibraryVersionRow.number < before)
    return list(session.scalars(query))


def max_version_number(session: Session, library_id: str) -> int:
    value = session.scalar(
        select(func.max(LibraryVersionRow.number)).where(LibraryVersionRow.library_id == library_id)
    )
    return int(value or 0)


def newest_published(session: Session, library_id: str) -> LibraryVersionRow | None:
    return session.scalars(
        select(LibraryVersionRow)
        .where(LibraryVersionRow.library_id == library_id, LibraryVersionRow.status == "published")
        .order_by(LibraryVersionRow.number.desc())
        .limit(1)
    ).first()


def get_upload(session: Session, upload_id: str) -> LibraryUploadRow | None:
    return session.get(LibraryUploadRow, upload_id)


def advance_upload(
    session: Session, upload_id: str, expected_offset: int, new_offset: int, chunks: list[object]
) -> bool:
    """Compare-and-set the received offset, so two racing PATCHes cannot both append."""
    result = session.execute(
        update(LibraryUploadRow)
        .where(LibraryUploadRow.id == upload_id, LibraryUploadRow.received_bytes == expected_offset)
        .values(received_bytes=new_offset, chunks=chunks)
    )
    return bool(getattr(result, "rowcount", 0))


def uploads_to_purge(session: Session, older_than: datetime, limit: int) -> list[LibraryUploadRow]:
    return list(
        session.scalars(
            select(LibraryUploadRow)
            .where(LibraryUploadRow.deleted_at.is_(None), LibraryUploadRow.created_at < older_than)
            .order_by(LibraryUploadRow.created_at)
            .limit(limit)
        )
    )


def get_acceptance(session: Session, library_id: str, user_id: str) -> LibraryTermsAcceptanceRow | None:
    return session.scalars(
        select(LibraryTermsAcceptanceRow).where(
            LibraryTermsAcceptanceRow.library_id == library_id, LibraryTermsAcceptanceRow.user_id == user_id
        )
    ).first()


def get_grant(session: Session, grant_id: str) -> LibraryGrantRow | None:
    return session.get(LibraryGrantRow, grant_id)


def active_grant(
    session: Session, library_id: str, user_id: str, now: datetime, kinds: tuple[str, ...] = ("download",)
) -> LibraryGrantRow | None:
    """An approved, unexpired grant of one of ``kinds`` (by default: one that allows downloads)."""
    return session.scalars(
        select(LibraryGrantRow)
        .where(
            LibraryGrantRow.library_id == library_id,
            LibraryGrantRow.user_id == user_id,
            LibraryGrantRow.status == "approved",
            LibraryGrantRow.expires_at > now,
            LibraryGrantRow.kind.in_(kinds),
        )
        .order_by(LibraryGrantRow.expires_at.desc())
    ).first()


def pending_grant(session: Session, library_id: str, user_id: str) -> LibraryGrantRow | None:
    return session.scalars(
        select(LibraryGrantRow).where(
            LibraryGrantRow.library_id == library_id,
            LibraryGrantRow.user_id == user_id,
            LibraryGrantRow.status == "pending",
        )
    ).first()


def list_grants(
    session: Session,
    *,
    library_ids: list[str] | None,
    user_id: str | None,
    before: str | None,
    limit: int,
) -> list[LibraryGrantRow]:
    query = select(LibraryGrantRow).order_by(LibraryGrantRow.id.desc()).limit(limit)
    if library_ids is not None:
        query = query.where(LibraryGrantRow.library_id.in_(library_ids))
    if user_id is not None:
        query = query.where(LibraryGrantRow.user_id == user_id)
    if before:
        query = query.where(LibraryGrantRow.id < before)
    return list(session.scalars(query))


def library_ids_of_organisations(session: Session, organisation_ids: list[str]) -> list[str]:
    if not organisation_ids:
        return []
    return list(
        session.scalars(select(LibraryRow.id).where(LibraryRow.organisation_id.in_(organisation_ids)))
    )
