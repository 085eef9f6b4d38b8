"""What other capabilities (the registry's lineage and opt-outs) read and change about versions.

A stable, typed surface: ORM rows do not leave this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from qazai.identity.actor import Actor
from qazai.libraries import repo
from qazai.libraries.completeness import completeness_report
from qazai.libraries.service import library_metadata_dict, withdraw_row
from qazai.storage.tables.libraries import LibraryRow, LibraryVersionRow


@dataclass(frozen=True)
class VersionRef:
    id: str
    library_id: str
    library_slug: str
    library_title: str
    number: int
    status: str  # "published" | "rejected" | "withdrawn"
    withdrawn_reason: str | None
    optout_flagged: bool
    metadata_completeness: float  # 0..1, the library's report when the version was published
    producer_organisation_id: str
    source_sha256s: list[str]


def _ref(session: Session, row: LibraryVersionRow, library: LibraryRow | None = None) -> VersionRef:
    library = library or session.get(LibraryRow, row.library_id)
    assert library is not None
    title = library.title or {}
    source = row.manifest.get("provenance", {}).get("source", {})
    sha256s = [s for s in [row.source_sha256, *source.get("sha256s", [])] if s]
    completeness = row.metadata_completeness
    if not completeness:
        completeness = completeness_report(library_metadata_dict(library)).score
    return VersionRef(
        id=row.id,
        library_id=library.id,
        library_slug=library.slug,
        library_title=str(title.get("en") or title.get("ru") or title.get("kk") or library.slug),
        number=row.number,
        status=row.status,
        withdrawn_reason=row.withdrawn_reason,
        optout_flagged=row.optout_flagged,
        metadata_completeness=float(completeness),
        producer_organisation_id=library.organisation_id,
        source_sha256s=list(dict.fromkeys(sha256s)),
    )


def get_version_ref(session: Session, version_id: str) -> VersionRef | None:
    row = repo.get_version_by_id(session, version_id)
    return _ref(session, row) if row else None


def find_version_ref(session: Session, library_slug: str, number: int) -> VersionRef | None:
    library = repo.get_library(session, library_slug)
    if library is None:
        return None
    row = repo.get_version(session, library.id, number)
    return _ref(session, row, library) if row else None


def versions_with_source_sha256(session: Session, sha256: str) -> list[VersionRef]:
    """Every version (any status) published from a source file with this sha256."""
    return [_ref(session, row) for row in repo.versions_with_source(session, sha256.lower())]


def mark_versions_opted_out(session: Session, version_ids: list[str], reason: str) -> None:
    """Flag versions whose sources an author opted out of AI training (LAW.md row 12).

    Sets ``optout_flagged`` and the reason (shown in the version's metadata). Does not commit:
    the caller's transaction (with its audit event) does. Unknown ids are ignored.
    """
    for version_id in version_ids:
        row = repo.get_version_by_id(session, version_id)
        if row is not None:
            row.optout_flagged = True
            row.optout_reason = reason
    session.flush()


def withdraw_opted_out_versions(
    session: Session, actor: Actor, version_ids: list[str], reason: str, work_id: str
) -> list[VersionRef]:
    """Withdraw the versions (among ``version_ids``) still published, because an author's opt-out
    (``work_id``) covers their source (LAW.md row 12): their files answer 410 with ``reason``,
    ``latest`` moves back, lineage flags every system that used them and new links are refused.

    The registry decides *whether* (the claim is confirmed); this does the withdrawal in the
    caller's transaction, one audit event per version, no commit. Returns the versions withdrawn.
    """
    done: list[VersionRef] = []
    for version_id in version_ids:
        row = repo.get_version_by_id(session, version_id)
        if row is None or row.status != "published":
            continue
        library = session.get(LibraryRow, row.library_id)
        assert library is not None
        withdraw_row(session, actor, library, row, reason, optout_work_id=work_id)
        done.append(_ref(session, row, library))
    return done


def clear_optout_flags(session: Session, version_ids: list[str]) -> None:
    """Unflag versions whose only opt-out was found wrongful (the regulator removed it). A withdrawn
    version stays withdrawn. Does not commit. Unknown ids are ignored."""
    for version_id in version_ids:
        row = repo.get_version_by_id(session, version_id)
        if row is not None:
            row.optout_flagged = False
            row.optout_reason = None
    session.flush()
