"""SQL for the catalogue: it reads the libraries' and organisations' tables (never writes them)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import Session

from qazai.catalog.manifest import version_doc
from qazai.catalog.models import LibraryDoc
from qazai.catalog.query_tables import PUBLISHED as PUBLISHED  # noqa: PLC0414 - re-exported
from qazai.core.clock import as_utc
from qazai.core.enums import AccessTier
from qazai.storage.tables.identity import OrganisationRow
from qazai.storage.tables.libraries import LibraryRow, LibraryVersionRow

Watermark = tuple[Any, ...]


def watermark(session: Session) -> Watermark:
    """A cheap fingerprint of everything the index reflects: it changes whenever a library is
    created, edited or deleted, or a version is published or withdrawn."""
    # Two questions, not one statement: SQLite answers count and max together with a scan of the
    # table (~46 ms at 100,000 libraries), each alone from the updated_at index (<1 ms).
    count = session.execute(select(func.count()).select_from(LibraryRow)).scalar_one()
    latest = session.execute(select(func.max(LibraryRow.updated_at))).scalar_one()
    # Versions are immutable rows with time-ordered ids, except for their status: a new version
    # moves max(id), a withdrawal moves the published count (versions are deleted only with their
    # library, which moves the library count). Both are answered from indexes
    # (the primary key; library_id+status), never by reading the rows and their large manifests
    # (a scan of those cost ~40 ms at 10,000 libraries).
    versions = session.execute(select(func.max(LibraryVersionRow.id))).one()
    published = session.execute(
        select(func.count()).select_from(LibraryVersionRow).where(LibraryVersionRow.status == PUBLISHED)
    ).scalar_one()
    organisations = session.execute(select(func.count(OrganisationRow.id))).one()
    return (count, latest, *tuple(versions), published, *tuple(organisations))


LibraryState = tuple[Any, ...]


def library_states(session: Session) -> dict[str, LibraryState]:
    """Per library, what its catalogue document depends on: edits, latest version, producer name."""
    query = select(
        LibraryRow.id, LibraryRow.updated_at, LibraryRow.latest_version_id, LibraryRow.organisation_id
    )
    return {row[0]: tuple(row[1:]) for row in session.execute(query)}


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def load_docs(session: Session, ids: Sequence[str], batch: int = 500) -> Iterator[LibraryDoc]:
    """The catalogue documents of these libraries (missing ids are skipped).

    Read as plain rows over the tables (SQLAlchemy Core), not as ORM objects: the same columns,
    without configuring every capability's mappers, compiling ORM statements or filling an
    identity map (a one-off `qazai query` spent a tenth of its time there)."""
    libraries_t, versions_t, orgs_t = (
        LibraryRow.__table__,
        LibraryVersionRow.__table__,
        OrganisationRow.__table__,
    )
    for offset in range(0, len(ids), batch):
        chunk = list(ids[offset : offset + batch])
        libraries = list(session.execute(select(libraries_t).where(libraries_t.c.id.in_(chunk))))
        org_ids = {row.organisation_id for row in libraries}
        orgs = {row.id: row for row in session.execute(select(orgs_t).where(orgs_t.c.id.in_(org_ids)))}
        version_ids = [row.latest_version_id for row in libraries if row.latest_version_id]
        versions = {
            row.id: row for row in session.execute(select(versions_t).where(versions_t.c.id.in_(version_ids)))
        }
        for row in libraries:
            yield _library_doc(row, orgs.get(row.organisation_id), versions.get(row.latest_version_id or ""))


def _library_doc(row: Row[Any], org: Row[Any] | None, latest: Row[Any] | None) -> LibraryDoc:
    """``row``, ``org`` and ``latest``: rows of the libraries, organisations and library_versions
    tables (their columns are the ORM classes' attributes)."""
    details: dict[str, Any] = row.details or {}
    spatial = details.get("spatial") or {}
    temporal = details.get("temporal") or {}
    contact = details.get("contact") or {}
    published = latest is not None and latest.status == PUBLISHED
    modified = as_utc(row.updated_at)
    if published and latest is not None:
        modified = max(modified, as_utc(latest.created_at))
    return LibraryDoc(
        id=row.id,
        slug=row.slug,
        organisation_id=row.organisation_id,
        organisation_slug=org.slug if org else row.organisation_id,
        organisation_name=(
            org.name if org and org.name else {"en": org.slug if org else row.organisation_id}
        ),
        title=row.title,
        description=row.description or None,
        licence=row.licence,
        tier=AccessTier(row.tier),
        themes=list(details.get("themes") or []),
        keywords=list(details.get("keywords") or []),
        region=spatial.get("region"),
        kato=spatial.get("kato"),
        temporal_start=_date(temporal.get("start")),
        temporal_end=_date(temporal.get("end")),
        frequency=details.get("frequency"),
        contact_email=contact.get("email"),
        created_at=as_utc(row.created_at),
        modified_at=modified,
        published=published,
        latest=version_doc(
            latest.id,
            latest.number,
            latest.created_at,
            latest.tier,
            latest.rows,
            latest.bytes,
            latest.manifest,
            details.get("dictionary"),
        )
        if published and latest is not None
        else None,
    )


def library_dictionary(session: Session, library_id: str) -> dict[str, Any] | None:
    """The library's data dictionary (column -> description and unit), if it has one."""
    row = session.get(LibraryRow, library_id)
    return (row.details or {}).get("dictionary") if row else None


def version_of(session: Session, library_id: str, number: int) -> LibraryVersionRow | None:
    return session.scalars(
        select(LibraryVersionRow).where(
            LibraryVersionRow.library_id == library_id, LibraryVersionRow.number == number
        )
    ).first()


def organisations(session: Session) -> list[OrganisationRow]:
    return list(session.scalars(select(OrganisationRow).order_by(OrganisationRow.slug)))


def organisation(session: Session, key: str) -> OrganisationRow | None:
    return session.scalars(
        select(OrganisationRow).where(or_(OrganisationRow.slug == key, OrganisationRow.id == key))
    ).first()


def user_grants(session: Session, user_id: str, now: datetime) -> list[str]:
    """Library ids with an approved, unexpired grant or accepted terms for this user."""
    from qazai.storage.tables.libraries import LibraryGrantRow, LibraryTermsAcceptanceRow

    granted = select(LibraryGrantRow.library_id).where(
        LibraryGrantRow.user_id == user_id,
        LibraryGrantRow.status == "approved",
        LibraryGrantRow.expires_at > now,
    )
    accepted = select(LibraryTermsAcceptanceRow.library_id).where(
        LibraryTermsAcceptanceRow.user_id == user_id
    )
    return sorted(set(session.scalars(granted)) | set(session.scalars(accepted)))
