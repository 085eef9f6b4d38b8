"""SQL of the registry; ORM rows never leave repo.py and the service modules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from qazai.storage.tables.identity import OrganisationRow
from qazai.storage.tables.registry import (
    AiSystemAttestationRow,
    AiSystemClassificationRow,
    AiSystemDocumentRow,
    AiSystemLineageRow,
    AiSystemRow,
    AiSystemTransitionRow,
    ComplaintRow,
    PilotRow,
    RegistryNotificationRow,
    TrustedListApplicationRow,
)


def get_system(session: Session, system_id: str, *, for_update: bool = False) -> AiSystemRow | None:
    if for_update:
        return session.scalars(
            select(AiSystemRow).where(AiSystemRow.id == system_id).with_for_update()
        ).first()
    return session.get(AiSystemRow, system_id)


def list_systems(
    session: Session,
    *,
    organisation_ids: Iterable[str] | None,
    states: Iterable[str] | None,
    after: str | None,
    limit: int,
) -> Sequence[AiSystemRow]:
    query = select(AiSystemRow).order_by(AiSystemRow.id).limit(limit)
    if organisation_ids is not None:
        ids = list(organisation_ids)
        query = query.where(
            or_(AiSystemRow.owner_organisation_id.in_(ids), AiSystemRow.holder_organisation_id.in_(ids))
        )
    if states is not None:
        query = query.where(AiSystemRow.state.in_(list(states)))
    if after is not None:
        query = query.where(AiSystemRow.id > after)
    return session.scalars(query).all()


def classifications(session: Session, system_id: str) -> Sequence[AiSystemClassificationRow]:
    return session.scalars(
        select(AiSystemClassificationRow)
        .where(AiSystemClassificationRow.system_id == system_id)
        .order_by(AiSystemClassificationRow.created_at, AiSystemClassificationRow.id)
    ).all()


def attestations(session: Session, system_id: str) -> Sequence[AiSystemAttestationRow]:
    return session.scalars(
        select(AiSystemAttestationRow)
        .where(AiSystemAttestationRow.system_id == system_id)
        .order_by(AiSystemAttestationRow.created_at, AiSystemAttestationRow.id)
    ).all()


def documents(session: Session, system_id: str) -> Sequence[AiSystemDocumentRow]:
    return session.scalars(
        select(AiSystemDocumentRow)
        .where(AiSystemDocumentRow.system_id == system_id)
        .order_by(AiSystemDocumentRow.template_key, AiSystemDocumentRow.created_at)
    ).all()


def transitions(session: Session, system_id: str) -> Sequence[AiSystemTransitionRow]:
    return session.scalars(
        select(AiSystemTransitionRow)
        .where(AiSystemTransitionRow.system_id == system_id)
        .order_by(AiSystemTransitionRow.created_at, AiSystemTransitionRow.id)
    ).all()


def lineage_of(session: Session, system_id: str) -> Sequence[AiSystemLineageRow]:
    return session.scalars(
        select(AiSystemLineageRow)
        .where(AiSystemLineageRow.system_id == system_id)
        .order_by(AiSystemLineageRow.created_at, AiSystemLineageRow.id)
    ).all()


def lineage_of_systems(session: Session, system_ids: Sequence[str]) -> Sequence[AiSystemLineageRow]:
    if not system_ids:
        return []
    return session.scalars(
        select(AiSystemLineageRow).where(AiSystemLineageRow.system_id.in_(list(system_ids)))
    ).all()


def lineage_for_versions(session: Session, version_ids: Sequence[str]) -> Sequence[AiSystemLineageRow]:
    if not version_ids:
        return []
    return session.scalars(
        select(AiSystemLineageRow).where(AiSystemLineageRow.library_version_id.in_(list(version_ids)))
    ).all()


def all_lineage(session: Session) -> Sequence[AiSystemLineageRow]:
    return session.scalars(select(AiSystemLineageRow)).all()


def pilots_of(session: Session, system_ids: Sequence[str]) -> Sequence[PilotRow]:
    if not system_ids:
        return []
    return session.scalars(
        select(PilotRow).where(PilotRow.system_id.in_(list(system_ids))).order_by(PilotRow.starts_at)
    ).all()


def trusted_applications_of(
    session: Session, system_ids: Sequence[str]
) -> Sequence[TrustedListApplicationRow]:
    if not system_ids:
        return []
    return session.scalars(
        select(TrustedListApplicationRow)
        .where(TrustedListApplicationRow.system_id.in_(list(system_ids)))
        .order_by(TrustedListApplicationRow.created_at)
    ).all()


def complaints_of(session: Session, system_id: str) -> Sequence[ComplaintRow]:
    return session.scalars(
        select(ComplaintRow).where(ComplaintRow.system_id == system_id).order_by(ComplaintRow.filed_at)
    ).all()


def notifications_of(
    session: Session, organisation_ids: Sequence[str] | None
) -> Sequence[RegistryNotificationRow]:
    query = select(RegistryNotificationRow).order_by(RegistryNotificationRow.id.desc()).limit(500)
    if organisation_ids is not None:
        query = query.where(RegistryNotificationRow.organisation_id.in_(list(organisation_ids)))
    return session.scalars(query).all()


def organisations(session: Session, organisation_ids: Iterable[str]) -> dict[str, OrganisationRow]:
    """Organisations by id in one query; holding the result keeps them in the session's identity
    map, so a page of systems does not load its owners once per row."""
    ids = list(set(organisation_ids))
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(OrganisationRow).where(OrganisationRow.id.in_(ids)))}
