"""Compute projects: an organisation's purpose and legal basis, its members, the library versions
it may read (through approved, unexpired grants where the tier needs one), and its right to run
(ended by closing it or by the end of the pilot it serves)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from qazai.audit.service import record_action as audit
from qazai.compute import policy, repo
from qazai.compute.models import (
    INPUT_REFERENCE,
    InputAdd,
    InputRead,
    MemberAdd,
    MemberRead,
    MemberRole,
    ProjectClose,
    ProjectCreate,
    ProjectRead,
    ProjectState,
)
from qazai.core.clock import as_utc, utcnow
from qazai.core.enums import AccessTier
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from qazai.core.ids import new_id
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.libraries.access import active_compute_grant
from qazai.libraries.models import GrantStatus, VersionStatus
from qazai.libraries.service import load_library, load_version
from qazai.registry.models import PilotState
from qazai.registry.pilots import pilot_state
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.compute import (
    ComputeProjectInputRow,
    ComputeProjectMemberRow,
    ComputeProjectRow,
)
from qazai.storage.tables.libraries import LibraryGrantRow, LibraryRow, LibraryVersionRow
from qazai.storage.tables.registry import AiSystemRow, PilotRow

GRANTED_TIERS = frozenset({AccessTier.restricted, AccessTier.enclave})


def is_project_member(session: Session, project_id: str, user_id: str | None) -> bool:
    """Whether ``user_id`` is an active (not revoked) member of the project."""
    if user_id is None:
        return False
    row = repo.member(session, project_id, user_id)
    return row is not None and row.revoked_at is None


def membership_of(session: Session, project_id: str, actor: Actor) -> MemberRole | None:
    if actor.user_id is None:
        return None
    row = repo.member(session, project_id, actor.user_id)
    return MemberRole(row.role) if row is not None and row.revoked_at is None else None


def load_project(uow: UnitOfWork, actor: Actor, key: str) -> tuple[ComputeProjectRow, MemberRole | None]:
    """The project if the actor may see it (NotFound otherwise: its existence is not told)."""
    row = repo.get_project(uow.session, key)
    if row is None:
        raise NotFound(f"no project {key!r}", code="project_not_found")
    membership = membership_of(uow.session, row.id, actor)
    if not policy.can_see_project(actor, row.organisation_id, membership):
        if not actor.is_authenticated:
            raise Unauthenticated("sign in to see compute projects", code="authentication_required")
        raise NotFound(f"no project {key!r}", code="project_not_found")
    return row, membership


def _managed(uow: UnitOfWork, actor: Actor, key: str) -> ComputeProjectRow:
    row, membership = load_project(uow, actor, key)
    if not policy.can_manage_project(actor, row.organisation_id, membership):
        raise PermissionDenied("only the project's lead or its organisation's admins manage the project")
    return row


def run_problem(session: Session, project: ComputeProjectRow, now: datetime | None = None) -> str | None:
    """Why the project may not run jobs now (one line), or None."""
    now = now or utcnow()
    if project.state == ProjectState.closed.value:
        return f"the project is closed: {project.closed_reason or 'no reason given'}"
    if project.pilot_id is not None:
        pilot = session.get(PilotRow, project.pilot_id)
        if pilot is None:
            return "the pilot the project serves no longer exists"
        if pilot_state(pilot, now) == PilotState.closed:
            ended = as_utc(pilot.closed_at or pilot.ends_at)
            return f"the pilot the project serves ended on {ended.date().isoformat()}"
    return None


def grant_problem(
    session: Session, project_id: str, grant: LibraryGrantRow | None, now: datetime
) -> str | None:
    if grant is None:
        return "no grant"
    if grant.status != GrantStatus.approved.value:
        return f"its grant is {grant.status}"
    if grant.expires_at is None or as_utc(grant.expires_at) <= now:
        expired = as_utc(grant.expires_at).date().isoformat() if grant.expires_at else "?"
        return f"its grant expired on {expired}"
    if not is_project_member(session, project_id, grant.user_id):
        return "its grant holder is no longer a member of the project"
    return None


def input_problem(
    session: Session,
    project_id: str,
    row: ComputeProjectInputRow,
    now: datetime | None = None,
) -> tuple[str | None, LibraryRow, LibraryVersionRow]:
    """Why the project may not read this input now (one line), or None; with its library and version."""
    now = now or utcnow()
    library = session.get(LibraryRow, row.library_id)
    version = session.get(LibraryVersionRow, row.version_id)
    assert library is not None and version is not None
    reference = f"{library.slug}@{version.number}"
    if version.status != VersionStatus.published.value:
        return f"{reference} is {version.status}", library, version
    if AccessTier(version.tier) in GRANTED_TIERS:
        grant = session.get(LibraryGrantRow, row.grant_id) if row.grant_id else None
        problem = grant_problem(session, project_id, grant, now)
        if problem is not None:
            return f"{reference}: {problem}", library, version
    return None, library, version


def _member_read(session: Session, row: ComputeProjectMemberRow) -> MemberRead:
    user = identity_repo.get_user(session, row.user_id)
    return MemberRead(
        user_id=row.user_id,
        email=user.email if user else None,
        name=user.name if user else None,
        role=MemberRole(row.role),
        added_at=row.added_at,
        revoked_at=row.revoked_at,
        active=row.revoked_at is None,
    )


def _input_read(session: Session, project_id: str, row: ComputeProjectInputRow, now: datetime) -> InputRead:
    problem, library, version = input_problem(session, project_id, row, now)
    grant = session.get(LibraryGrantRow, row.grant_id) if row.grant_id else None
    return InputRead(
        reference=f"{library.slug}@{version.number}",
        library_slug=library.slug,
        version=version.number,
        tier=AccessTier(version.tier),
        grant_id=row.grant_id,
        grant_expires_at=grant.expires_at if grant else None,
        readable=problem is None,
        problem=problem,
    )


def to_read(session: Session, row: ComputeProjectRow, *, full: bool = True) -> ProjectRead:
    now = utcnow()
    organisation = identity_repo.get_organisation(session, row.organisation_id)
    pilot = session.get(PilotRow, row.pilot_id) if row.pilot_id else None
    problem = run_problem(session, row, now)
    return ProjectRead(
        id=row.id,
        slug=row.slug,
        organisation_id=row.organisation_id,
        organisation_slug=organisation.slug if organisation else "",
        title=row.title,
        purpose=row.purpose,
        legal_basis=row.legal_basis,
        system_id=row.system_id,
        pilot_id=row.pilot_id,
        pilot_ends_at=as_utc(pilot.ends_at) if pilot else None,
        state=ProjectState(row.state),
        may_run=problem is None,
        run_problem=problem,
        closed_at=row.closed_at,
        closed_reason=row.closed_reason,
        created_at=row.created_at,
        members=[_member_read(session, m) for m in repo.members(session, row.id)] if full else [],
        inputs=[_input_read(session, row.id, i, now) for i in repo.inputs(session, row.id)] if full else [],
    )


# -- operations ---------------------------------------------------------------------------------


def create_project(uow: UnitOfWork, actor: Actor, cmd: ProjectCreate) -> ProjectRead:
    """A project of ``cmd.organisation``; the creator becomes its lead. NotFound for an unknown
    organisation, system or pilot; InvalidInput when the system is another organisation's or the
    pilot another system's, or the pilot has ended; Conflict for a taken slug."""
    organisation = identity_repo.get_organisation(uow.session, cmd.organisation)
    if organisation is None:
        raise NotFound(f"no organisation {cmd.organisation!r}", code="organisation_not_found")
    if not policy.can_create_project(actor, organisation.id):
        raise PermissionDenied(f"only members of {organisation.slug} create its compute projects")
    if repo.project_slug_taken(uow.session, cmd.slug):
        raise Conflict(f"a project {cmd.slug!r} already exists", code="project_slug_taken")
    system_id = pilot_id = None
    if cmd.system_id is not None or cmd.pilot_id is not None:
        pilot = uow.session.get(PilotRow, cmd.pilot_id) if cmd.pilot_id else None
        if cmd.pilot_id is not None and pilot is None:
            raise NotFound(f"no pilot {cmd.pilot_id!r}", code="pilot_not_found")
        system_key = cmd.system_id or (pilot.system_id if pilot else None)
        system = uow.session.get(AiSystemRow, system_key) if system_key else None
        if system is None:
            raise NotFound(f"no AI system {system_key!r}", code="system_not_found")
        if system.owner_organisation_id != organisation.id:
            raise InvalidInput(
                "the AI system belongs to another organisation than the project", code="system_not_yours"
            )
        if pilot is not None and pilot.system_id != system.id:
            raise InvalidInput("the pilot is of another AI system", code="pilot_not_of_system")
        if pilot is not None and pilot_state(pilot) == PilotState.closed:
            raise InvalidInput(
                f"the pilot ended on {as_utc(pilot.closed_at or pilot.ends_at).date().isoformat()}",
                code="pilot_ended",
            )
        system_id, pilot_id = system.id, pilot.id if pilot else None
    now = utcnow()
    row = ComputeProjectRow(
        id=new_id(),
        slug=cmd.slug,
        organisation_id=organisation.id,
        title=cmd.title,
        purpose=cmd.purpose,
        legal_basis=cmd.legal_basis,
        system_id=system_id,
        pilot_id=pilot_id,
        state=ProjectState.active.value,
        closed_at=None,
        closed_reason=None,
        created_by=actor.user_id,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    if actor.user_id is not None:
        uow.session.add(
            ComputeProjectMemberRow(
                id=new_id(),
                project_id=row.id,
                user_id=actor.user_id,
                role=MemberRole.lead.value,
                added_by=actor.user_id,
                added_at=now,
                revoked_at=None,
                revoked_by=None,
            )
        )
        uow.session.flush()
    audit(
        uow.session,
        actor,
        action="compute.project.create",
        object_type="compute_project",
        object_id=row.id,
        organisation_id=organisation.id,
        summary={"slug": row.slug, "legal_basis": row.legal_basis, "system": system_id, "pilot": pilot_id},
    )
    uow.commit()
    return to_read(uow.session, row)


def get_project(uow: UnitOfWork, actor: Actor, key: str) -> ProjectRead:
    row, _ = load_project(uow, actor, key)
    return to_read(uow.session, row)


def list_projects(uow: UnitOfWork, actor: Actor) -> list[ProjectRead]:
    """Projects the actor is a member of, plus those of organisations it administers (all of them
    for operators and regulators)."""
    if not actor.is_authenticated:
        raise Unauthenticated("sign in to see compute projects", code="authentication_required")
    everything = policy.can_see_project(actor, "", None)
    admin_of = [org for org in actor.memberships if policy.can_see_project(actor, org, None)]
    rows = repo.list_projects(
        uow.session, user_id=actor.user_id, organisation_ids=admin_of, everything=everything
    )
    return [to_read(uow.session, row, full=False) for row in rows]


def add_member(uow: UnitOfWork, actor: Actor, key: str, cmd: MemberAdd) -> ProjectRead:
    """Add a user (or give a revoked member back their place, or change a role)."""
    project = _managed(uow, actor, key)
    user = identity_repo.get_user(uow.session, cmd.user)
    if user is None:
        raise NotFound(f"no user {cmd.user!r}", code="user_not_found")
    now = utcnow()
    row = repo.member(uow.session, project.id, user.id)
    if row is None:
        row = ComputeProjectMemberRow(
            id=new_id(),
            project_id=project.id,
            user_id=user.id,
            role=cmd.role.value,
            added_by=actor.user_id,
            added_at=now,
            revoked_at=None,
            revoked_by=None,
        )
        uow.session.add(row)
    else:
        row.role, row.revoked_at, row.revoked_by = cmd.role.value, None, None
    uow.session.flush()
    audit(
        uow.session,
        actor,
        action="compute.project.member.add",
        object_type="compute_project",
        object_id=project.id,
        organisation_id=project.organisation_id,
        summary={"user": user.id, "role": cmd.role.value},
    )
    uow.commit()
    return to_read(uow.session, project)


def revoke_member(uow: UnitOfWork, actor: Actor, key: str, user_key: str) -> ProjectRead:
    """Revoke a member: they submit nothing more, read no log or output of the project. Their
    running jobs go on (the project still runs them) unless the lead cancels them."""
    project = _managed(uow, actor, key)
    user = identity_repo.get_user(uow.session, user_key)
    row = repo.member(uow.session, project.id, user.id) if user else None
    if row is None or row.revoked_at is not None:
        raise NotFound(f"{user_key!r} is not an active member of the project", code="member_not_found")
    row.revoked_at, row.revoked_by = utcnow(), actor.user_id
    uow.session.flush()
    audit(
        uow.session,
        actor,
        action="compute.project.member.revoke",
        object_type="compute_project",
        object_id=project.id,
        organisation_id=project.organisation_id,
        summary={"user": row.user_id},
    )
    uow.commit()
    return to_read(uow.session, project)


def add_input(uow: UnitOfWork, actor: Actor, key: str, cmd: InputAdd) -> ProjectRead:
    """Let the project read a published library version. Restricted and enclave versions need
    ``grant_id``: an approved, unexpired grant of that library held by an active member of the
    project (an enclave library's grant is ``compute_only``)."""
    project = _managed(uow, actor, key)
    match = INPUT_REFERENCE.match(cmd.input)
    assert match is not None
    library = load_library(uow.session, match["slug"])
    version = load_version(uow.session, library, int(match["number"]))
    if version.status != VersionStatus.published.value:
        raise InvalidInput(
            f"{cmd.input} is {version.status}: only published versions are read", code="version_not_published"
        )
    grant_id: str | None = None
    if AccessTier(version.tier) in GRANTED_TIERS:
        if cmd.grant_id is None:
            holder = next(
                (
                    g
                    for m in repo.members(uow.session, project.id)
                    if m.revoked_at is None
                    and (g := active_compute_grant(uow, library.id, m.user_id)) is not None
                ),
                None,
            )
            if holder is None:
                raise PermissionDenied(
                    f"{cmd.input} is {version.tier}: a member of the project needs an approved, unexpired "
                    f"grant of {library.slug} first (POST /api/v1/libraries/{library.slug}/grants)",
                    code="grant_required",
                )
            grant_id = holder.id
        else:
            grant = uow.session.get(LibraryGrantRow, cmd.grant_id)
            if grant is None or grant.library_id != library.id:
                raise NotFound(f"no grant {cmd.grant_id!r} of {library.slug}", code="grant_not_found")
            problem = grant_problem(uow.session, project.id, grant, utcnow())
            if problem is not None:
                raise PermissionDenied(f"{cmd.input}: {problem}", code="grant_not_active")
            grant_id = grant.id
    row = repo.input_for_version(uow.session, project.id, version.id)
    if row is None:
        row = ComputeProjectInputRow(
            id=new_id(),
            project_id=project.id,
            library_id=library.id,
            version_id=version.id,
            grant_id=grant_id,
            added_by=actor.user_id,
            added_at=utcnow(),
            removed_at=None,
        )
        uow.session.add(row)
    else:
        row.grant_id, row.removed_at = grant_id, None
    uow.session.flush()
    audit(
        uow.session,
        actor,
        action="compute.project.input.add",
        object_type="compute_project",
        object_id=project.id,
        organisation_id=project.organisation_id,
        summary={"input": cmd.input, "tier": version.tier, "grant": grant_id},
    )
    uow.commit()
    return to_read(uow.session, project)


def remove_input(uow: UnitOfWork, actor: Actor, key: str, reference: str) -> ProjectRead:
    """Stop the project reading ``library@version``: new jobs naming it are refused and running
    jobs that read it are cancelled at their next poll."""
    project = _managed(uow, actor, key)
    match = INPUT_REFERENCE.match(reference)
    if match is None:
        raise InvalidInput(
            "write an input as library@version, e.g. population-by-region@1", code="invalid_input"
        )
    library = load_library(uow.session, match["slug"])
    version = load_version(uow.session, library, int(match["number"]))
    row = repo.input_for_version(uow.session, project.id, version.id)
    if row is None or row.removed_at is not None:
        raise NotFound(f"project {project.slug} does not read {reference}", code="input_not_in_project")
    row.removed_at = utcnow()
    uow.session.flush()
    audit(
        uow.session,
        actor,
        action="compute.project.input.remove",
        object_type="compute_project",
        object_id=project.id,
        organisation_id=project.organisation_id,
        summary={"input": reference},
    )
    uow.commit()
    return to_read(uow.session, project)


def close_project(uow: UnitOfWork, actor: Actor, key: str, cmd: ProjectClose) -> ProjectRead:
    """Close the project: new jobs are refused and running ones are cancelled at their next poll."""
    project = _managed(uow, actor, key)
    if project.state == ProjectState.closed.value:
        raise Conflict("the project is already closed", code="project_closed")
    project.state, project.closed_at, project.closed_reason = ProjectState.closed.value, utcnow(), cmd.reason
    uow.session.flush()
    audit(
        uow.session,
        actor,
        action="compute.project.close",
        object_type="compute_project",
        object_id=project.id,
        organisation_id=project.organisation_id,
        summary={"reason": cmd.reason},
    )
    uow.commit()
    return to_read(uow.session, project)
