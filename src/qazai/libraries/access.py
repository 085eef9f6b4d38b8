"""Access to a library's data: terms acceptance (registered), grants (restricted), file reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Protocol

from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from qazai.core.ids import new_id
from qazai.core.pagination import Page, check_limit, decode_text_cursor, encode_cursor
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.libraries import policy, repo
from qazai.libraries.models import (
    GrantCreate,
    GrantDecision,
    GrantKind,
    GrantRead,
    GrantStatus,
    TermsAcceptance,
    VersionStatus,
)
from qazai.libraries.service import VersionGone, audit, load_library, load_version
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.tables.libraries import LibraryGrantRow, LibraryRow, LibraryTermsAcceptanceRow

PARQUET_TYPE = "application/vnd.apache.parquet"
CSV_TYPE = "text/csv; charset=utf-8"


def accept_terms(uow: UnitOfWork, actor: Actor, key: str) -> TermsAcceptance:
    """Record that the signed-in user accepts the library's terms (idempotent)."""
    if not policy.can_accept_terms(actor):
        raise Unauthenticated("sign in to accept a library's terms", code="authentication_required")
    assert actor.user_id is not None
    library = load_library(uow.session, key)
    row = repo.get_acceptance(uow.session, library.id, actor.user_id)
    if row is None:
        row = LibraryTermsAcceptanceRow(
            id=new_id(), library_id=library.id, user_id=actor.user_id, accepted_at=utcnow()
        )
        uow.session.add(row)
        uow.session.flush()
        audit(
            uow.session,
            actor,
            "library.terms.accept",
            "library",
            library.id,
            {"slug": library.slug},
            library.organisation_id,
        )
        uow.commit()
    return TermsAcceptance(library_slug=library.slug, user_id=row.user_id, accepted_at=row.accepted_at)


def _grant_read(row: LibraryGrantRow, slug: str, now: datetime) -> GrantRead:
    return GrantRead(
        id=row.id,
        library_slug=slug,
        user_id=row.user_id,
        purpose=row.purpose,
        kind=GrantKind(row.kind or GrantKind.download.value),
        status=GrantStatus(row.status),
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        expires_at=row.expires_at,
        active=row.status == GrantStatus.approved.value
        and row.expires_at is not None
        and row.expires_at > now,
    )


def request_grant(uow: UnitOfWork, actor: Actor, key: str, cmd: GrantCreate) -> GrantRead:
    """Ask for access to a restricted library, stating the purpose. Conflict if a request is
    already pending; InvalidInput if the library is not restricted."""
    if not policy.can_request_grant(actor):
        raise Unauthenticated("sign in to request access", code="authentication_required")
    assert actor.user_id is not None
    library = load_library(uow.session, key)
    if library.tier == AccessTier.enclave.value and cmd.kind != GrantKind.compute_only:
        raise InvalidInput(
            f"library {library.slug!r} is enclave: its data is never downloaded; ask for a "
            "compute_only grant (jobs on platform compute read it)",
            code="grant_kind_not_applicable",
        )
    if library.tier not in (AccessTier.restricted.value, AccessTier.enclave.value):
        raise InvalidInput(
            f"library {library.slug!r} is {library.tier}: grants are only for restricted and enclave "
            "libraries",
            code="grant_not_applicable",
        )
    if repo.pending_grant(uow.session, library.id, actor.user_id) is not None:
        raise Conflict("you already have a pending request for this library", code="grant_pending")
    now = utcnow()
    row = LibraryGrantRow(
        id=new_id(),
        library_id=library.id,
        user_id=actor.user_id,
        purpose=cmd.purpose,
        kind=cmd.kind.value,
        status=GrantStatus.pending.value,
        requested_at=now,
        decided_at=None,
        decided_by=None,
        decision_note=None,
        expires_at=None,
    )
    uow.session.add(row)
    uow.session.flush()
    audit(
        uow.session,
        actor,
        "library.grant.request",
        "library_grant",
        row.id,
        {"library": library.slug, "kind": cmd.kind.value},
        library.organisation_id,
    )
    uow.commit()
    return _grant_read(row, library.slug, now)


def active_compute_grant(uow: UnitOfWork, library_id: str, user_id: str) -> GrantRead | None:
    """The user's approved, unexpired grant that lets jobs on platform compute read the library
    (``download`` or ``compute_only``), the one expiring last; None if there is none."""
    row = repo.active_grant(
        uow.session,
        library_id,
        user_id,
        utcnow(),
        kinds=(GrantKind.download.value, GrantKind.compute_only.value),
    )
    if row is None:
        return None
    library = uow.session.get(LibraryRow, library_id)
    return _grant_read(row, library.slug if library else "", utcnow())


class DecidableGrant(Protocol):
    """A pending access request of any kind of repository (a library's, a model's)."""

    status: str
    expires_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None


def settle_grant(grant: DecidableGrant, actor: Actor, cmd: GrantDecision) -> datetime:
    """Record ``actor``'s decision on a pending request (an approval needs an expiry date in the
    future); returns the decision's time. Conflict if already decided. The one rule for every
    kind of grant: models take the libraries' tiers, terms and grants."""
    if grant.status != GrantStatus.pending.value:
        raise Conflict(f"the request is already {grant.status}", code="grant_decided")
    now = utcnow()
    if cmd.approve:
        if cmd.expires_on is None:
            raise InvalidInput("give `expires_on` (a date) when approving", code="expiry_required")
        expires = datetime.combine(cmd.expires_on, time(23, 59, 59), tzinfo=UTC)
        if expires <= now:
            raise InvalidInput("`expires_on` must be in the future", code="expiry_in_past")
        grant.expires_at = expires
    grant.status = (GrantStatus.approved if cmd.approve else GrantStatus.refused).value
    grant.decided_at = now
    grant.decided_by = actor.user_id
    grant.decision_note = cmd.note
    return now


def decide_grant(uow: UnitOfWork, actor: Actor, grant_id: str, cmd: GrantDecision) -> GrantRead:
    """Approve (with an expiry date in the future) or refuse a pending request. Producers of the
    library's organisation or an operator. Conflict if already decided."""
    row = repo.get_grant(uow.session, grant_id)
    if row is None:
        raise NotFound(f"no grant request {grant_id!r}", code="grant_not_found")
    library = uow.session.get(LibraryRow, row.library_id)
    assert library is not None
    if not policy.can_decide_grant(actor, library.organisation_id):
        if actor.user_id == row.user_id or policy.can_see_grants_of(actor, library.organisation_id):
            raise PermissionDenied("only the library's producers can decide requests")
        raise NotFound(f"no grant request {grant_id!r}", code="grant_not_found")
    now = settle_grant(row, actor, cmd)
    uow.session.flush()
    audit(
        uow.session,
        actor,
        f"library.grant.{'approve' if cmd.approve else 'refuse'}",
        "library_grant",
        row.id,
        {
            "library": library.slug,
            "user": row.user_id,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        },
        library.organisation_id,
    )
    uow.commit()
    return _grant_read(row, library.slug, now)


def list_grants(
    uow: UnitOfWork, actor: Actor, *, library: str | None = None, cursor: str | None = None, limit: int = 50
) -> Page[GrantRead]:
    """Requests the actor may see: for a library, all of them if the actor is its producer or an
    operator, else only the actor's own; without a library, the actor's own plus those of the
    libraries of organisations where the actor is a producer."""
    if actor.user_id is None and not actor.is_system:
        raise Unauthenticated("sign in to see access requests", code="authentication_required")
    check_limit(limit)
    before = decode_text_cursor(cursor)
    library_ids: list[str] | None
    user_id: str | None = actor.user_id
    if library is not None:
        row = load_library(uow.session, library)
        library_ids = [row.id]
        if policy.can_see_grants_of(actor, row.organisation_id):
            user_id = None
        rows = repo.list_grants(
            uow.session, library_ids=library_ids, user_id=user_id, before=before, limit=limit + 1
        )
    else:
        produced = [org for org in actor.memberships if policy.can_see_grants_of(actor, org)]
        own = repo.list_grants(uow.session, library_ids=None, user_id=user_id, before=before, limit=limit + 1)
        theirs = (
            repo.list_grants(
                uow.session,
                library_ids=repo.library_ids_of_organisations(uow.session, produced),
                user_id=None,
                before=before,
                limit=limit + 1,
            )
            if produced
            else []
        )
        merged = {r.id: r for r in [*own, *theirs]}
        rows = sorted(merged.values(), key=lambda r: r.id, reverse=True)[: limit + 1]
    slugs: dict[str, str] = {}
    for r in rows:
        if r.library_id not in slugs:
            lib = uow.session.get(LibraryRow, r.library_id)
            slugs[r.library_id] = lib.slug if lib else ""
    now = utcnow()
    items = [_grant_read(r, slugs[r.library_id], now) for r in rows[:limit]]
    return Page(items=items, next=encode_cursor(items[-1].id) if len(rows) > limit else None)


@dataclass(frozen=True)
class Requester:
    """Who asks for a grant, as the library's producers see them to decide."""

    name: str
    email: str
    organisations: tuple[LocalizedText, ...]


def grant_requesters(uow: UnitOfWork, actor: Actor, grants: Iterable[GrantRead]) -> dict[str, Requester]:
    """Name, e-mail and organisations of the people asking for ``grants``, by user id; only for
    grants of libraries whose requests the actor may see (its producers, operators): the others'
    requesters are left out."""
    out: dict[str, Requester] = {}
    allowed: dict[str, bool] = {}
    for grant in grants:
        if grant.user_id in out:
            continue
        if grant.library_slug not in allowed:
            library = repo.get_library(uow.session, grant.library_slug)
            allowed[grant.library_slug] = library is not None and policy.can_see_grants_of(
                actor, library.organisation_id
            )
        if not allowed[grant.library_slug]:
            continue
        user = identity_repo.get_user(uow.session, grant.user_id)
        if user is None:
            continue
        organisations = [
            identity_repo.get_organisation(uow.session, m.organisation_id)
            for m in identity_repo.memberships_of(uow.session, user.id)
        ]
        out[user.id] = Requester(
            name=user.name,
            email=user.email,
            organisations=tuple(LocalizedText.model_validate(o.name) for o in organisations if o),
        )
    return out


# -- reading files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedFile:
    """What the file route needs to answer: where the bytes are and how to label them."""

    key: str
    sha256: str
    size: int
    content_type: str
    public: bool
    audited: bool
    library_id: str
    organisation_id: str
    version_id: str


def resolve_version_file(uow: UnitOfWork, actor: Actor, key: str, number: int, filename: str) -> ServedFile:
    """The data file ``filename`` (`<part>.parquet` / `<part>.csv`) of a version, if the actor may
    read it. NotFound, VersionGone (410, withdrawn: the reason is in the message),
    Unauthenticated / PermissionDenied by tier (enclave: never)."""
    library = load_library(uow.session, key)
    version = load_version(uow.session, library, number)
    if version.status != VersionStatus.published.value:
        reason = (
            version.withdrawn_reason or version.manifest.get("rejection", {}).get("summary") or version.status
        )
        raise VersionGone(
            f"version {number} of {library.slug!r} is {version.status}: {reason}",
            details={"status": version.status, "reason": reason},
        )
    part = next((p for p in version.manifest.get("parts", []) if p.get("file") == filename), None)
    if part is None:
        raise NotFound(
            f"version {number} of {library.slug!r} has no file {filename!r}", code="file_not_found"
        )
    tier = AccessTier(version.tier)
    accepted = has_grant = False
    if actor.user_id is not None and tier in (AccessTier.registered, AccessTier.restricted):
        accepted = repo.get_acceptance(uow.session, library.id, actor.user_id) is not None
        has_grant = repo.active_grant(uow.session, library.id, actor.user_id, utcnow()) is not None
    if not policy.can_read_data(
        actor, tier, library.organisation_id, accepted_terms=accepted, has_grant=has_grant
    ):
        if tier == AccessTier.enclave:
            raise PermissionDenied(
                f"{library.slug!r} is an enclave library: its data is never downloaded, "
                "only read by jobs on platform compute",
                code="enclave_no_download",
            )
        if not actor.is_authenticated:
            raise Unauthenticated(
                f"{library.slug!r} is {tier.value}: send an API token", code="authentication_required"
            )
        if tier == AccessTier.registered:
            raise PermissionDenied(
                f"accept the terms of {library.slug!r} first "
                f"(POST /api/v1/libraries/{library.slug}/terms/accept)",
                code="terms_not_accepted",
            )
        raise PermissionDenied(
            f"{library.slug!r} is restricted: request a grant (POST /api/v1/libraries/{library.slug}/grants)",
            code="grant_required",
        )
    return ServedFile(
        key=str(part["key"]),
        sha256=str(part["sha256"]),
        size=int(part["bytes"]),
        content_type=CSV_TYPE if filename.endswith(".csv") else PARQUET_TYPE,
        public=tier == AccessTier.open,
        audited=tier == AccessTier.restricted,
        library_id=library.id,
        organisation_id=library.organisation_id,
        version_id=version.id,
    )


def record_file_read(
    db: Database, actor: Actor, served: ServedFile, filename: str, byte_range: str | None
) -> None:
    """Audit one read of a restricted file (its own short transaction: reads run read-only)."""
    with db.uow() as uow:
        audit(
            uow.session,
            actor,
            "library.file.read",
            "library_version",
            served.version_id,
            {"file": filename, "range": byte_range, "sha256": served.sha256},
            served.organisation_id,
        )
        uow.commit()
