"""SQL of the label registry; rows never leave the labels package."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from qazai.storage.tables.labels import LabelCertificateRow, LabelRow

_PHASH_BATCH = 5000


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
    """The label whose perceptual hash is nearest to ``phash`` within ``max_distance`` bits.

    A scan of (id, phash) pairs in batches: fine for hundreds of thousands of picture labels;
    docs/labels.md says what to do beyond that (a BK-tree or multi-index hashing).
    """
    best: tuple[str, int] | None = None
    mask = (1 << 64) - 1
    rows = session.execute(
        select(LabelRow.id, LabelRow.phash)
        .where(LabelRow.phash.is_not(None))
        .execution_options(yield_per=_PHASH_BATCH)
    )
    for label_id, other in rows:
        if other is None:
            continue
        distance = ((phash ^ other) & mask).bit_count()
        if distance <= max_distance and (best is None or distance < best[1]):
            best = (label_id, distance)
            if distance == 0:
                break
    rows.close()
    if best is None:
        return None
    row = session.get(LabelRow, best[0])
    return (row, best[1]) if row is not None else None


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
