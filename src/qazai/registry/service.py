"""AI system records, classification, prohibited-capability attestation and the workflow.

Every function authorises with ``policy``, validates, changes rows, writes one audit event in
the same transaction and commits. Documents, lineage, pilots, trusted lists, complaints and
opt-outs have their own modules.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.errors import Conflict, InvalidInput, NotFound
from qazai.core.ids import new_id
from qazai.core.pagination import Page, check_limit, decode_text_cursor, encode_cursor
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.libraries import lineage as library_lineage
from qazai.registry import (
    documents,
    infosec,
    lineage,
    notifications,
    pilots,
    policy,
    reference,
    repo,
    revisions,
)
from qazai.registry.audit import audit
from qazai.registry.models import (
    AttestationCreate,
    AttestationRead,
    ModelUsed,
    SystemCreate,
    SystemRead,
    SystemType,
    SystemUpdate,
    SystemUsingVersion,
    TransitionCreate,
    TransitionRead,
)
from qazai.registry.workflow import EDITABLE_STATES, SystemState, Who, allowed_next, check_transition
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import (
    AiSystemAttestationRow,
    AiSystemRevisionRow,
    AiSystemRow,
    AiSystemTransitionRow,
)

# Changing one of these after classification asks for a new classification (Art. 17: re-classify on change).
MATERIAL_FIELDS = revisions.MATERIAL_FIELDS
# Checks of capabilities above the registry before a system is registered (the registry cannot
# import them; qazai.api.wiring installs them): each returns what is missing, or None. Labels adds
# "a system that makes synthetic content shows a verified test label first" (docs/labels.md).
REGISTRATION_CHECKS: list[Callable[[Session, AiSystemRow], str | None]] = []
# States in which the owner may still change the record (review freezes it; final states close it).
UPDATABLE_STATES = EDITABLE_STATES | {SystemState.registered, SystemState.suspended}


def to_read(
    session: Session,
    row: AiSystemRow,
    flags: list[str] | None = None,
    pending: dict[str, AiSystemRevisionRow] | None = None,
) -> SystemRead:
    """The read model; ``flags`` and ``pending`` (pending revisions by system id) when a list has
    fetched them for its whole page."""
    owner = identity_repo.get_organisation(session, row.owner_organisation_id)
    if flags is None:
        flags = lineage.flags_by_system(session, [row.id]).get(row.id, [])
    if pending is None:
        pending = revisions.pending_by_system(session, [row.id])
    return SystemRead(
        id=row.id,
        owner_organisation_id=row.owner_organisation_id,
        owner_organisation_slug=owner.slug if owner else "",
        holder_organisation_id=row.holder_organisation_id,
        name=LocalizedText.model_validate(row.name),
        purpose=LocalizedText.model_validate(row.purpose),
        sector=row.sector,
        deployment_context=row.deployment_context,
        affected_persons=row.affected_persons,
        system_type=SystemType(row.system_type),
        models=[ModelUsed.model_validate(m) for m in row.models],
        notice=LocalizedText.model_validate(row.notice),
        labelling_method=row.labelling_method,
        produces_synthetic_content=row.produces_synthetic_content,
        complaint_contact=row.complaint_contact,
        state=SystemState(row.state),
        allowed_next=allowed_next(SystemState(row.state)),
        risk_class=row.risk_class,
        autonomy_class=row.autonomy_class,
        autonomy_legal_basis=row.autonomy_legal_basis,
        state_infosec_regime=row.state_infosec_regime,
        needs_reclassification=row.needs_reclassification,
        prohibited_capabilities=list(row.prohibited_capabilities),
        attested_at=row.attested_at,
        registered_at=row.registered_at,
        lineage_flagged=bool(flags),
        lineage_flags=flags,
        infosec_controls=infosec.system_controls(session, row),
        pending_revision=revisions.to_read(pending[row.id]) if row.id in pending else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _organisation_id(session: Session, key: str) -> str:
    org = identity_repo.get_organisation(session, key)
    if org is None:
        raise NotFound(f"no organisation {key!r}")
    return org.id


def _check_sector(session: Session, sector: str) -> None:
    known = reference.sectors(session)
    if known.get(sector) is None:
        keys = ", ".join(s.key for s in known.sectors)
        raise InvalidInput(f"unknown sector {sector!r}; choose one of: {keys}", code="unknown_sector")


def load_readable(uow: UnitOfWork, actor: Actor, system_id: str) -> AiSystemRow:
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    return system


def load_editable(uow: UnitOfWork, actor: Actor, system_id: str) -> AiSystemRow:
    system = load_readable(uow, actor, system_id)
    if not policy.can_edit_system(actor, system):
        raise policy.refusal(actor, "only members of the owner organisation can change this AI system")
    return system


# -- records ---------------------------------------------------------------------------------


def create_system(uow: UnitOfWork, actor: Actor, cmd: SystemCreate) -> SystemRead:
    """Create a draft AI system record for the owner organisation.

    Needs membership of the owner organisation. NotFound for an unknown organisation,
    InvalidInput for an unknown sector. ``produces_synthetic_content`` is the owner's answer; when
    it is not given, a generative system type implies true and any other false.
    """
    owner_id = _organisation_id(uow.session, cmd.owner_organisation)
    if not policy.can_create_system(actor, owner_id):
        raise policy.refusal(actor, "only members of the owner organisation can register its AI systems")
    holder_id = _organisation_id(uow.session, cmd.holder_organisation) if cmd.holder_organisation else None
    _check_sector(uow.session, cmd.sector)
    now = utcnow()
    row = AiSystemRow(
        id=new_id(),
        owner_organisation_id=owner_id,
        holder_organisation_id=holder_id,
        name=cmd.name.model_dump(exclude_none=True),
        purpose=cmd.purpose.model_dump(exclude_none=True),
        sector=cmd.sector,
        deployment_context=cmd.deployment_context,
        affected_persons=cmd.affected_persons,
        system_type=cmd.system_type.value,
        models=[m.model_dump() for m in cmd.models],
        notice=cmd.notice.model_dump(exclude_none=True),
        labelling_method=cmd.labelling_method,
        produces_synthetic_content=(
            cmd.system_type == SystemType.generative
            if cmd.produces_synthetic_content is None
            else cmd.produces_synthetic_content
        ),
        complaint_contact=cmd.complaint_contact,
        state=SystemState.draft.value,
        state_infosec_regime=False,
        needs_reclassification=False,
        prohibited_capabilities=[],
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    audit(
        uow,
        actor,
        "ai_system.create",
        row,
        {
            "name": row.name,
            "sector": row.sector,
            "state": row.state,
            "produces_synthetic_content": row.produces_synthetic_content,
        },
    )
    uow.commit()
    return to_read(uow.session, row)


def update_system(uow: UnitOfWork, actor: Actor, system_id: str, cmd: SystemUpdate) -> SystemRead:
    """Change the record. Allowed in draft, returned, registered and suspended; Conflict while under
    review or once final. A material change of a classified system asks for re-classification.

    On a system on the register (registered, suspended) a change of a reviewed field goes into
    the pending revision the regulator reviews (``revisions``; the read model shows it under
    ``pending_revision``) and the record keeps the reviewed values; the complaint contact changes
    at once. InvalidInput ``notice_incomplete`` when the notice would lose kk, ru or en there.
    """
    system = load_editable(uow, actor, system_id)
    state = SystemState(system.state)
    if state not in UPDATABLE_STATES:
        raise Conflict(
            f"the system is {state.value}; it can be changed only in "
            f"{', '.join(sorted(s.value for s in UPDATABLE_STATES))}",
            code="not_editable",
            details={"state": state.value},
        )
    changes = cmd.model_dump(exclude_unset=True)
    if "sector" in changes and changes["sector"] is not None:
        _check_sector(uow.session, changes["sector"])
    values: dict[str, object] = {}
    for field, given in changes.items():
        value = given
        if value is None and field not in ("labelling_method", "holder_organisation"):
            continue
        if field == "holder_organisation":
            value = _organisation_id(uow.session, value) if value else None
        elif isinstance(value, list):
            value = [ModelUsed.model_validate(m).model_dump() for m in value]
        elif field in ("name", "purpose", "notice"):
            value = LocalizedText.model_validate(value).model_dump(exclude_none=True)
        elif field == "system_type":
            value = SystemType(value).value
        values[field] = value
    reviewed = revisions.is_reviewed(system)
    proposed = {f: v for f, v in values.items() if reviewed and f in revisions.reviewed_fields(system)}
    changed: list[str] = []
    for field, value in values.items():
        if field in proposed:
            continue
        attribute = "holder_organisation_id" if field == "holder_organisation" else field
        if getattr(system, attribute) != value:
            setattr(system, attribute, value)
            changed.append(field)
    if proposed:
        revisions.propose(uow, actor, system, proposed)
    if not changed:
        if proposed:
            uow.commit()
        return to_read(uow.session, system)
    material = [f for f in changed if f in MATERIAL_FIELDS]
    if material and system.risk_class is not None:
        system.needs_reclassification = True
    system.updated_at = utcnow()
    audit(
        uow,
        actor,
        "ai_system.update",
        system,
        {"fields": changed, "material": material, "needs_reclassification": system.needs_reclassification},
    )
    uow.commit()
    return to_read(uow.session, system)


def discard_system(uow: UnitOfWork, actor: Actor, system_id: str) -> None:
    """Delete a draft that was never submitted, with everything attached to it (classifications,
    attestations, document records, lineage), and audit it with its name.

    Needs the owner's edit right. Conflict ``not_discardable`` once the system has been submitted
    (even if it came back as a draft or was returned): its record belongs to the review's history.
    """
    system = load_editable(uow, actor, system_id)
    state = SystemState(system.state)
    if state != SystemState.draft or repo.transitions(uow.session, system.id):
        raise Conflict(
            f"the system is {state.value} and was submitted; only a draft that was never submitted "
            "can be discarded (retire a registered one instead)",
            code="not_discardable",
            details={"state": state.value},
        )
    audit(
        uow,
        actor,
        "ai_system.discard",
        system,
        {"name": system.name, "sector": system.sector, "state": state.value},
    )
    # The database cascades to the rows that point at the system; stored document bytes stay in
    # the content-addressed store (another record may hold the same bytes).
    uow.session.delete(system)
    uow.commit()


def systems_using_library_version(uow: UnitOfWork, actor: Actor, version_id: str) -> list[SystemUsingVersion]:
    """Systems that use a library version (see ``lineage.systems_using_version``); NotFound for a
    version id that does not exist, rather than an empty list that reads as "nobody uses it"."""
    if library_lineage.get_version_ref(uow.session, version_id) is None:
        raise NotFound(f"no library version {version_id!r}")
    return lineage.systems_using_version(uow, actor, version_id)


def get_system(uow: UnitOfWork, actor: Actor, system_id: str) -> SystemRead:
    """The record with its allowed next states and lineage flags; NotFound unless the actor may read it."""
    return to_read(uow.session, load_readable(uow, actor, system_id))


def list_systems(
    uow: UnitOfWork,
    actor: Actor,
    *,
    state: SystemState | None = None,
    flagged_only: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[SystemRead]:
    """Systems the actor may see: all for the regulator and operator, else their organisations'.

    ``flagged_only`` keeps systems whose lineage is flagged (a withdrawn or opted-out version).
    """
    check_limit(limit)
    sees_all = policy.is_regulator(actor) or actor.is_system or policy.can_edit_reference(actor)
    org_ids = None if sees_all else list(actor.memberships)
    after = decode_text_cursor(cursor)
    items: list[SystemRead] = []
    while True:
        rows = repo.list_systems(
            uow.session,
            organisation_ids=org_ids,
            states=[state.value] if state else None,
            after=after,
            limit=limit + 1,
        )
        flags = lineage.flags_by_system(uow.session, [r.id for r in rows])
        pending = revisions.pending_by_system(uow.session, [r.id for r in rows[:limit]])
        # held while the page is built: keeps the owners in the session's identity map
        owners = repo.organisations(uow.session, [r.owner_organisation_id for r in rows[:limit]])
        for row in rows[:limit]:
            if flagged_only and row.id not in flags:
                continue
            items.append(to_read(uow.session, row, flags.get(row.id, []), pending))
        del owners
        more = len(rows) > limit
        after = rows[limit - 1].id if more else None
        if len(items) >= limit or not more or not flagged_only:
            break
    items = items[:limit]
    return Page(items=items, next=encode_cursor(items[-1].id) if more and items else None)


# -- prohibited capabilities -------------------------------------------------------------------


def attest_system(uow: UnitOfWork, actor: Actor, system_id: str, cmd: AttestationCreate) -> AttestationRead:
    """Record the owner's answers to the prohibited-capability checklist (every item must be answered).

    Kept for audit. A registered system that now declares a prohibited capability is suspended
    at once and its pilots are closed; a draft that declares one is refused when submitted.
    """
    system = load_editable(uow, actor, system_id)
    state = SystemState(system.state)
    if state not in UPDATABLE_STATES:
        raise Conflict(f"the system is {state.value}; it cannot be attested now", code="not_editable")
    checklist = reference.prohibited_checklist(uow.session)
    keys = [i.key for i in checklist.items]
    unknown = sorted(set(cmd.answers) - set(keys))
    missing = [k for k in keys if k not in cmd.answers]
    if unknown:
        raise InvalidInput(f"unknown checklist item(s): {', '.join(unknown)}", code="unknown_item")
    if missing:
        raise InvalidInput(
            f"answer every checklist item; missing: {', '.join(missing)}", code="unanswered_item"
        )
    prohibited = [k for k in keys if cmd.answers[k]]
    now = utcnow()
    row = AiSystemAttestationRow(
        id=new_id(),
        system_id=system.id,
        checklist_version=checklist.version,
        answers=dict(cmd.answers),
        prohibited=prohibited,
        statement=cmd.statement,
        actor_id=actor.user_id,
        actor_label=actor.label,
        created_at=now,
    )
    uow.session.add(row)
    system.prohibited_capabilities = prohibited
    system.attested_at = now
    system.updated_at = now
    uow.session.flush()
    audit(
        uow,
        actor,
        "ai_system.attest",
        system,
        {"prohibited": prohibited, "checklist_version": checklist.version},
    )
    if prohibited and state == SystemState.registered:
        _move(
            uow,
            actor,
            system,
            SystemState.suspended,
            f"declares prohibited capabilities: {', '.join(prohibited)}",
            {Who.screening},
        )
    if prohibited:
        pilots.close_open_pilots(uow, actor, system, "the system declares a prohibited capability")
    uow.commit()
    return AttestationRead.model_validate(row)


def list_attestations(uow: UnitOfWork, actor: Actor, system_id: str) -> list[AttestationRead]:
    """Every attestation, oldest first (kept for audit)."""
    system = load_readable(uow, actor, system_id)
    return [AttestationRead.model_validate(r) for r in repo.attestations(uow.session, system.id)]


# -- workflow ----------------------------------------------------------------------------------


def _move(
    uow: UnitOfWork, actor: Actor, system: AiSystemRow, target: SystemState, reason: str | None, who: set[Who]
) -> None:
    source = SystemState(system.state)
    check_transition(source, target, who, reason)
    now = utcnow()
    system.state = target.value
    system.updated_at = now
    if target == SystemState.registered and system.registered_at is None:
        system.registered_at = now
    uow.session.add(
        AiSystemTransitionRow(
            id=new_id(),
            system_id=system.id,
            from_state=source.value,
            to_state=target.value,
            reason=reason,
            actor_id=actor.user_id,
            actor_label=actor.label,
            created_at=now,
        )
    )
    audit(
        uow,
        actor,
        f"ai_system.{target.value}",
        system,
        {"from": source.value, "to": target.value, "reason": reason, "as": sorted(w.value for w in who)},
    )
    if target == SystemState.returned:
        notifications.notify_returned(uow, system, reason or "")
    if target in (SystemState.suspended, SystemState.retired):
        pilots.close_open_pilots(uow, actor, system, f"the system was {target.value}")
    if target == SystemState.retired:
        revisions.withdraw_on_leaving(uow, actor, system)


def _submission_problems(session: Session, system: AiSystemRow) -> list[str]:
    problems = []
    if system.risk_class is None:
        problems.append("classify the system (risk and autonomy)")
    elif system.needs_reclassification:
        problems.append("the system changed materially since its classification: classify it again")
    if system.attested_at is None:
        problems.append("answer the prohibited-capability checklist")
    notice = system.notice
    missing_lang = [lang for lang in ("kk", "ru", "en") if not (notice.get(lang) or "").strip()]
    if missing_lang:
        problems.append(f"give the user notice in {', '.join(missing_lang)}")
    external = infosec.external_models(system) if system.state_infosec_regime else []
    if external:
        problems.append(
            "under the state information-security regime every model must be hosted on the national "
            f"platform; hosted elsewhere: {', '.join(external)}"
        )
    if system.risk_class is not None:
        status = documents.documentation_status(session, system)
        if status.missing:
            problems.append(f"upload the required documents: {', '.join(status.missing)}")
    return problems


def transition_system(uow: UnitOfWork, actor: Actor, system_id: str, cmd: TransitionCreate) -> SystemRead:
    """Move the system to ``cmd.to`` following the transition table (docs/registry.md).

    Conflict for a move not in the table (naming the current state and the allowed next ones);
    PermissionDenied when the move belongs to another role; InvalidInput when a reason is
    required. Submitting checks classification, attestation, notice and documents (Conflict
    listing what is missing). A system that declares a prohibited capability is refused on
    submission: it moves to ``rejected`` (committed), then Conflict ``prohibited_capability``.
    """
    system = repo.get_system(uow.session, system_id, for_update=True)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    who: set[Who] = set()
    if policy.can_edit_system(actor, system):
        who.add(Who.owner)
    if policy.can_review_system(actor):
        who.add(Who.regulator)
    if not who and not actor.allows_scope("write"):
        raise policy.refusal(actor, "")
    source, target = SystemState(system.state), cmd.to
    check_transition(source, target, who, cmd.reason)
    if (
        target in (SystemState.submitted, SystemState.registered, SystemState.in_review)
        and system.prohibited_capabilities
    ):
        reason = f"declares prohibited capabilities: {', '.join(system.prohibited_capabilities)}"
        refuse_target = SystemState.rejected
        if (source, refuse_target) in {
            (SystemState.draft, refuse_target),
            (SystemState.returned, refuse_target),
        }:
            _move(uow, actor, system, refuse_target, f"automatic refusal: {reason}", {Who.screening})
            uow.commit()
        raise Conflict(
            f"refused: the system {reason} (Law on AI Art. 17(3)); it cannot be submitted, listed or piloted",
            code="prohibited_capability",
            details={"prohibited": list(system.prohibited_capabilities), "state": system.state},
        )
    if target == SystemState.registered and source == SystemState.in_review:
        blockers = [p for check in REGISTRATION_CHECKS if (p := check(uow.session, system))]
        if blockers:
            raise Conflict(
                "the system cannot be registered yet: " + "; ".join(blockers),
                code="registration_blocked",
                details={"problems": blockers},
            )
    if target == SystemState.submitted:
        problems = _submission_problems(uow.session, system)
        if problems:
            raise Conflict(
                "the system cannot be submitted yet: " + "; ".join(problems),
                code="incomplete_submission",
                details={"problems": problems},
            )
    _move(uow, actor, system, target, cmd.reason, who)
    uow.commit()
    return to_read(uow.session, system)


def list_transitions(uow: UnitOfWork, actor: Actor, system_id: str) -> list[TransitionRead]:
    """The workflow history with actor and reason, oldest first."""
    system = load_readable(uow, actor, system_id)
    return [TransitionRead.model_validate(r) for r in repo.transitions(uow.session, system.id)]
