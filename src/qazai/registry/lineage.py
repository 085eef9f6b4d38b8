"""Lineage: which library versions a system was trained on, which systems use a version, and the
flags a withdrawn or opted-out version raises on every system that used it.

Versions are read only through ``qazai.libraries.lineage`` (the libraries capability's contract).
The flag is computed when a system is read, from the version's current status, so withdrawing a
version needs no callback into the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.core.text import LocalizedText
from qazai.identity.actor import Actor
from qazai.libraries import lineage as library_lineage
from qazai.registry import policy, repo
from qazai.registry.audit import audit
from qazai.registry.models import LineageEntry, LineageLink, SystemUsingVersion
from qazai.registry.workflow import PUBLIC_STATES, SystemState
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import AiSystemLineageRow, AiSystemRow


def _title(value: Any) -> LocalizedText | None:
    if value is None:
        return None
    if isinstance(value, LocalizedText):
        return value
    if isinstance(value, dict):
        return LocalizedText.model_validate({k: v for k, v in value.items() if k in ("kk", "ru", "en")})
    return LocalizedText(en=str(value))


def version_flag(ref: library_lineage.VersionRef) -> str | None:
    """Why a version taints the systems that used it, or None."""
    if ref.status == "withdrawn":
        why = f": {ref.withdrawn_reason}" if ref.withdrawn_reason else ""
        return f"library version {ref.library_slug} v{ref.number} was withdrawn{why}"
    if ref.optout_flagged:
        return f"library version {ref.library_slug} v{ref.number} contains works whose authors opted out"
    return None


def entry_for(session: Session, row: AiSystemLineageRow) -> LineageEntry:
    ref = library_lineage.get_version_ref(session, row.library_version_id)
    if ref is None:
        return LineageEntry(
            library_version_id=row.library_version_id,
            library_slug="?",
            library_title=None,
            number=0,
            status="missing",
            usage=row.usage,
            metadata_completeness=0.0,
            withdrawn_reason=None,
            optout_flagged=False,
            flagged=True,
            flag_reason="the linked library version no longer exists",
        )
    reason = version_flag(ref)
    return LineageEntry(
        library_version_id=ref.id,
        library_slug=ref.library_slug,
        library_title=_title(ref.library_title),
        number=ref.number,
        status=str(ref.status),
        usage=row.usage,
        metadata_completeness=float(ref.metadata_completeness or 0.0),
        withdrawn_reason=ref.withdrawn_reason,
        optout_flagged=bool(ref.optout_flagged),
        flagged=reason is not None,
        flag_reason=reason,
    )


def lineage_entries(session: Session, system_id: str) -> list[LineageEntry]:
    return [entry_for(session, row) for row in repo.lineage_of(session, system_id)]


SystemFlagSource = Callable[[Session, Sequence[str]], dict[str, list[str]]]
SYSTEM_FLAG_SOURCES: list[SystemFlagSource] = []
"""More reasons to flag systems, from capabilities above the registry (the models a system runs,
trained on a withdrawn library version); filled by :mod:`qazai.api.wiring`."""


def flags_by_system(session: Session, system_ids: Sequence[str]) -> dict[str, list[str]]:
    """The lineage flags of each system (systems without flags are absent): its library
    versions', and those every source in ``SYSTEM_FLAG_SOURCES`` reports."""
    out: dict[str, list[str]] = {}
    for source in list(SYSTEM_FLAG_SOURCES):
        for system_id, reasons in source(session, system_ids).items():
            out.setdefault(system_id, []).extend(reasons)
    refs: dict[str, Any] = {}
    for row in repo.lineage_of_systems(session, system_ids):
        if row.library_version_id not in refs:
            refs[row.library_version_id] = library_lineage.get_version_ref(session, row.library_version_id)
        ref = refs[row.library_version_id]
        reason = "the linked library version no longer exists" if ref is None else version_flag(ref)
        if reason:
            out.setdefault(row.system_id, []).append(reason)
    return out


def _system_for_edit(uow: UnitOfWork, actor: Actor, system_id: str) -> AiSystemRow:
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    if not policy.can_edit_system(actor, system):
        raise PermissionDenied("only members of the owner organisation can change the system's lineage")
    return system


def link_library_version(uow: UnitOfWork, actor: Actor, system_id: str, cmd: LineageLink) -> LineageEntry:
    """Record that the system uses a library version (by id, or by library slug and number).

    NotFound for an unknown system or version; Conflict if already linked, if the version is
    withdrawn, or if the system is rejected or retired.
    """
    system = _system_for_edit(uow, actor, system_id)
    if SystemState(system.state) in (SystemState.rejected, SystemState.retired):
        raise Conflict(f"the system is {system.state}; its lineage is closed", code="system_closed")
    if cmd.library_version_id:
        ref = library_lineage.get_version_ref(uow.session, cmd.library_version_id)
    elif cmd.library_slug and cmd.number:
        ref = library_lineage.find_version_ref(uow.session, cmd.library_slug, cmd.number)
    else:
        raise InvalidInput("give library_version_id, or library_slug and number", code="version_required")
    if ref is None:
        raise NotFound("no such library version")
    if ref.status == "withdrawn":
        raise Conflict(
            f"library version {ref.library_slug} v{ref.number} was withdrawn and cannot be linked",
            code="version_withdrawn",
        )
    row = AiSystemLineageRow(
        id=new_id(),
        system_id=system.id,
        library_version_id=ref.id,
        usage=cmd.usage,
        linked_by=actor.user_id,
        created_at=utcnow(),
    )
    try:
        with uow.session.begin_nested():
            uow.session.add(row)
            uow.session.flush()
    except IntegrityError:
        raise Conflict(
            f"the system already uses {ref.library_slug} v{ref.number}", code="already_linked"
        ) from None
    system.updated_at = utcnow()
    audit(
        uow,
        actor,
        "ai_system.link_library_version",
        system,
        {"library": ref.library_slug, "number": ref.number, "version_id": ref.id, "usage": cmd.usage},
    )
    uow.commit()
    return entry_for(uow.session, row)


def list_lineage(uow: UnitOfWork, actor: Actor, system_id: str) -> list[LineageEntry]:
    system = repo.get_system(uow.session, system_id)
    if system is None or not (
        policy.can_read_system(actor, system) or SystemState(system.state) in PUBLIC_STATES
    ):
        raise NotFound(f"no AI system {system_id!r}")
    return lineage_entries(uow.session, system.id)


def systems_using_version(uow: UnitOfWork, actor: Actor, version_id: str) -> list[SystemUsingVersion]:
    """Systems that use ``version_id``: public ones for everyone, all for the regulator and operator,
    plus the caller's own organisations' systems."""
    out = []
    for row in repo.lineage_for_versions(uow.session, [version_id]):
        system = repo.get_system(uow.session, row.system_id)
        if system is None:
            continue
        if SystemState(system.state) in PUBLIC_STATES or policy.can_read_system(actor, system):
            out.append(
                SystemUsingVersion(
                    system_id=system.id,
                    name=LocalizedText.model_validate(system.name),
                    owner_organisation_id=system.owner_organisation_id,
                    state=SystemState(system.state),
                    usage=row.usage,
                )
            )
    return out
