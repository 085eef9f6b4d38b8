"""SQL of the label registry; rows never leave the labels package."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from qazai.labels import phash_index
from qazai.storage.tables.labels import LabelCertificateRow, LabelRow


def labels_by_hash(session: Session, sha256: Sequence[str], *, kind: str | None = None) -> Sequence[LabelRow]:
    hashes = [h for h in sha256 if h]
    if not hashes:
        return []
    query = (
        select(LabelRow)
        .where(or_(LabelRow.content_sha256.in_(hashes), LabelRow.source_sha256.in_(hashes)))
        .order_by(LabelRow.created_at)
        .limit(10)
    )
    if kind is not None:
        query = query.where(LabelRow.kind == kind)
    return session.scalars(query).all()


def nearest_by_phash(session: Session, phash: int, max_distance: int) -> tuple[LabelRow, int] | None:
    """The label whose perceptual hash is nearest to ``phash`` within ``max_distance`` bits
    (through the in-process index of ``phash_index``)."""
    hit = phash_index.index_for(session).nearest(session, phash, max_distance)
    if hit is None:
        return None
    row = session.get(LabelRow, hit[0])
    return (row, hit[1]) if row is not None else None


def count_by_system(session: Session, system_id: str) -> dict[tuple[str, bool], int]:
    rows = session.execute(
        select(LabelRow.kind, LabelRow.test, func.count())
        .where(LabelRow.system_id == system_id)
        .group_by(LabelRow.kind, LabelRow.test)
    ).all()
    return {(kind, bool(test)): int(count) for kind, test, count in rows}


def certificates_of(session: Session, system_id: str) -> Sequence[LabelCertificateRow]:
    return session.scalars(
        select(LabelCertificateRow)
        .where(LabelCertificateRow.system_id == system_id)
        .order_by(LabelCertificateRow.created_at)
    ).all()


def has_verified_label(session: Session, system_id: str) -> bool:
    return (
        session.scalars(
            select(LabelRow.id)
            .where(LabelRow.system_id == system_id, LabelRow.verified_at.is_not(None))
            .limit(1)
        ).first()
        is not None
    )
