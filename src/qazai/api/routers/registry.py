"""The AI system registry and the public register (docs/registry.md, docs/api.md)."""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Path, Query, UploadFile, status
from fastapi.responses import Response, StreamingResponse

from qazai.api.deps import CurrentActor, PlatformDep, SignedInActor, UowDep
from qazai.core.enums import Language
from qazai.core.pagination import Page
from qazai.registry import (
    classification,
    complaints,
    documents,
    export,
    lineage,
    notifications,
    optout_claims,
    optouts,
    pilots,
    reference,
    register,
    revisions,
    service,
    trusted,
    trusted_lists,
)
from qazai.registry.models import (
    AttestationCreate,
    AttestationRead,
    ClassificationCreate,
    ClassificationRead,
    ComplaintAnswer,
    ComplaintCreate,
    ComplaintFilter,
    ComplaintKind,
    ComplaintRead,
    ComplaintReceipt,
    ComplaintState,
    ComplaintStatus,
    DocumentationStatus,
    DocumentRead,
    LineageEntry,
    LineageLink,
    NotificationRead,
    PilotCreate,
    PilotExtend,
    PilotRead,
    ProposalRead,
    QuestionnaireAnswers,
    ReviewerAssign,
    RevisionDecision,
    RevisionRead,
    RevisionState,
    SystemCreate,
    SystemRead,
    SystemUpdate,
    SystemUsingVersion,
    TransitionCreate,
    TransitionRead,
    TrustedApplicationCreate,
    TrustedApplicationRead,
    TrustedDecision,
)
from qazai.registry.optout_claims import OptOutAnswer, OptOutDecision, OptOutEvidence, OptOutOutcome
from qazai.registry.optouts import OptOutCreate, OptOutRead, OptOutRegistered
from qazai.registry.workflow import SystemState

router = APIRouter(tags=["registry"])

Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Cursor = Annotated[str | None, Query(alias="next", description="the `next` value of the previous page")]
Lang = Annotated[Language, Query(description="language of the texts: kk, ru or en")]
Search = Annotated[
    str | None, Query(max_length=200, description="words to find in name, purpose, owner, sector")
]


# -- the public register -----------------------------------------------------------------------


@router.get("/register", response_model=Page[register.RegisterEntry])
def browse_register(
    uow: UowDep,
    actor: CurrentActor,
    q: Search = None,
    lang: Lang = Language.kk,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[register.RegisterEntry]:
    """Registered (and suspended) AI systems, for anyone. Example: `/api/v1/register?q=egov&lang=ru`."""
    return register.browse_register(uow, actor, q=q, lang=lang, cursor=cursor, limit=limit)


@router.get("/register.csv", response_class=StreamingResponse)
def register_csv(
    uow: UowDep, actor: CurrentActor, q: Search = None, lang: Lang = Language.kk
) -> StreamingResponse:
    """The public register as CSV (UTF-8 with BOM)."""
    lines = list(register.register_csv(uow, actor, q=q, lang=lang))
    return StreamingResponse(
        iter(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="qazai-ai-register.csv"'},
    )


@router.post(
    "/register/{system_id}/complaints", response_model=ComplaintReceipt, status_code=status.HTTP_201_CREATED
)
def file_complaint(
    system_id: str, cmd: ComplaintCreate, uow: UowDep, actor: CurrentActor
) -> ComplaintReceipt:
    """File a complaint or a request for human review of an automated decision; anonymous allowed."""
    return complaints.file_complaint(uow, actor, system_id, cmd)


@router.get("/complaints/{reference}", response_model=ComplaintStatus)
def complaint_status(
    reference: Annotated[str, Path(max_length=32)],
    uow: UowDep,
    code: Annotated[str, Query(min_length=1, max_length=64, description="the secret code of the receipt")],
) -> ComplaintStatus:
    """The complainant's status page (no sign-in): state, due date and the owner's answer.
    404 `complaint_not_found` for an unknown reference or a wrong code alike."""
    return complaints.get_complaint_status(uow, reference, code)


@router.get("/trusted-lists", response_model=list[trusted_lists.TrustedListBody])
def list_trusted_list_bodies(uow: UowDep) -> list[trusted_lists.TrustedListBody]:
    """The sectoral bodies that keep trusted lists (Art. 19), with their sectors and counts."""
    return trusted_lists.list_bodies(uow)


@router.get("/trusted-lists/{body}.csv", response_class=StreamingResponse)
def trusted_list_csv(
    body: Annotated[str, Path(max_length=100)], uow: UowDep, lang: Lang = Language.kk
) -> StreamingResponse:
    """A body's trusted list as CSV (UTF-8 with BOM)."""
    lines = list(trusted_lists.published_list_csv(uow, body, lang))
    return StreamingResponse(
        iter(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="qazai-trusted-list-{body}.csv"'},
    )


@router.get("/trusted-lists/{body}", response_model=trusted_lists.TrustedList)
def trusted_list(
    body: Annotated[str, Path(max_length=100)], uow: UowDep, lang: Lang = Language.kk
) -> trusted_lists.TrustedList:
    """A body's published trusted list (high-risk systems it listed); 404 for an unknown body."""
    return trusted_lists.published_list(uow, body, lang)


# -- reference data ----------------------------------------------------------------------------


@router.get("/registry/reference/{name}")
def get_reference(name: reference.ReferenceName, uow: UowDep, actor: CurrentActor) -> dict[str, Any]:
    """The questionnaire, prohibited-capability checklist, documentation templates, sectors or deadlines."""
    return reference.get_reference(uow.session, name)


@router.put("/registry/reference/{name}")
def update_reference(
    name: reference.ReferenceName,
    uow: UowDep,
    actor: SignedInActor,
    document: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    """Replace a reference document (operator); raise its `version`."""
    return reference.update_reference(uow, actor, name, document)


@router.post("/registry/classification/proposal", response_model=ProposalRead)
def propose_classification(
    uow: UowDep, actor: CurrentActor, answers: Annotated[QuestionnaireAnswers, Body(embed=True)]
) -> ProposalRead:
    """What the questionnaire proposes for these answers; nothing is stored."""
    return classification.propose_classification(uow, actor, answers)


# -- systems -----------------------------------------------------------------------------------


@router.post("/registry/systems", response_model=SystemRead, status_code=status.HTTP_201_CREATED)
def create_system(cmd: SystemCreate, uow: UowDep, actor: SignedInActor) -> SystemRead:
    return service.create_system(uow, actor, cmd)


@router.get("/registry/systems", response_model=Page[SystemRead])
def list_systems(
    uow: UowDep,
    actor: SignedInActor,
    state: SystemState | None = None,
    flagged: Annotated[bool, Query(description="only systems whose lineage is flagged")] = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SystemRead]:
    """Your organisations' systems (all of them for the regulator and operator)."""
    return service.list_systems(uow, actor, state=state, flagged_only=flagged, cursor=cursor, limit=limit)


@router.get("/registry/systems/{system_id}", response_model=SystemRead)
def get_system(system_id: str, uow: UowDep, actor: SignedInActor) -> SystemRead:
    return service.get_system(uow, actor, system_id)


@router.patch("/registry/systems/{system_id}", response_model=SystemRead)
def update_system(system_id: str, cmd: SystemUpdate, uow: UowDep, actor: SignedInActor) -> SystemRead:
    """Change the record; on a registered system reviewed fields go into `pending_revision`."""
    return service.update_system(uow, actor, system_id, cmd)


@router.get("/registry/systems/{system_id}/revisions", response_model=list[RevisionRead])
def list_system_revisions(system_id: str, uow: UowDep, actor: SignedInActor) -> list[RevisionRead]:
    """The system's revisions (changes of reviewed fields once registered), oldest first."""
    return revisions.list_system_revisions(uow, actor, system_id)


@router.get("/registry/revisions", response_model=list[RevisionRead])
def list_revisions(
    uow: UowDep,
    actor: SignedInActor,
    state: Annotated[RevisionState | None, Query(description="default: pending")] = RevisionState.pending,
) -> list[RevisionRead]:
    """The regulator's queue of revisions of registered systems, oldest first, each with its diff."""
    return revisions.list_revisions(uow, actor, state=state)


@router.post("/registry/revisions/{revision_id}/decision", response_model=RevisionRead)
def decide_revision(
    revision_id: str, cmd: RevisionDecision, uow: UowDep, actor: SignedInActor
) -> RevisionRead:
    """Approve (the changes reach the record and the register) or reject with a reason (regulator)."""
    return revisions.decide_revision(uow, actor, revision_id, cmd)


@router.post("/registry/revisions/{revision_id}/withdraw", response_model=RevisionRead)
def withdraw_revision(revision_id: str, uow: UowDep, actor: SignedInActor) -> RevisionRead:
    """The owner takes back a pending revision."""
    return revisions.withdraw_revision(uow, actor, revision_id)


@router.delete("/registry/systems/{system_id}", status_code=status.HTTP_204_NO_CONTENT)
def discard_system(system_id: str, uow: UowDep, actor: SignedInActor) -> Response:
    """Discard a draft that was never submitted (owner); 409 `not_discardable` once submitted."""
    service.discard_system(uow, actor, system_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/registry/systems/{system_id}/classifications",
    response_model=ClassificationRead,
    status_code=status.HTTP_201_CREATED,
)
def classify_system(
    system_id: str, cmd: ClassificationCreate, uow: UowDep, actor: SignedInActor
) -> ClassificationRead:
    return classification.classify_system(uow, actor, system_id, cmd)


@router.get("/registry/systems/{system_id}/classifications", response_model=list[ClassificationRead])
def list_classifications(system_id: str, uow: UowDep, actor: SignedInActor) -> list[ClassificationRead]:
    return classification.list_classifications(uow, actor, system_id)


@router.post(
    "/registry/systems/{system_id}/attestations",
    response_model=AttestationRead,
    status_code=status.HTTP_201_CREATED,
)
def attest_system(
    system_id: str, cmd: AttestationCreate, uow: UowDep, actor: SignedInActor
) -> AttestationRead:
    return service.attest_system(uow, actor, system_id, cmd)


@router.get("/registry/systems/{system_id}/attestations", response_model=list[AttestationRead])
def list_attestations(system_id: str, uow: UowDep, actor: SignedInActor) -> list[AttestationRead]:
    return service.list_attestations(uow, actor, system_id)


@router.post("/registry/systems/{system_id}/transitions", response_model=SystemRead)
def transition_system(system_id: str, cmd: TransitionCreate, uow: UowDep, actor: SignedInActor) -> SystemRead:
    """Move the system in the workflow: `{"to": "submitted"}`, `{"to": "returned", "reason": "..."}`."""
    return service.transition_system(uow, actor, system_id, cmd)


@router.get("/registry/systems/{system_id}/transitions", response_model=list[TransitionRead])
def list_transitions(system_id: str, uow: UowDep, actor: SignedInActor) -> list[TransitionRead]:
    return service.list_transitions(uow, actor, system_id)


@router.get("/registry/systems/{system_id}/documentation", response_model=DocumentationStatus)
def get_documentation(system_id: str, uow: UowDep, actor: SignedInActor) -> DocumentationStatus:
    return documents.get_documentation(uow, actor, system_id)


@router.post(
    "/registry/systems/{system_id}/documents",
    response_model=DocumentRead,
    status_code=status.HTTP_201_CREATED,
)
def upload_document(
    system_id: str,
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
    template: Annotated[str, Form(description="documentation template key, e.g. purpose")],
    file: Annotated[UploadFile, File()],
) -> DocumentRead:
    return documents.upload_document(
        uow,
        actor,
        platform.objects,
        system_id,
        template_key=template,
        filename=file.filename or "document",
        content_type=file.content_type or "application/octet-stream",
        data=file.file,
    )


@router.get("/registry/systems/{system_id}/documents/{document_id}", response_class=StreamingResponse)
def download_document(
    system_id: str, document_id: str, uow: UowDep, actor: SignedInActor, platform: PlatformDep
) -> StreamingResponse:
    doc, chunks = documents.open_document(uow, actor, platform.objects, system_id, document_id)
    return StreamingResponse(
        chunks,
        media_type=doc.content_type,
        headers={"Content-Disposition": f'attachment; filename="{doc.id}"'},
    )


@router.post(
    "/registry/systems/{system_id}/lineage", response_model=LineageEntry, status_code=status.HTTP_201_CREATED
)
def link_library_version(system_id: str, cmd: LineageLink, uow: UowDep, actor: SignedInActor) -> LineageEntry:
    return lineage.link_library_version(uow, actor, system_id, cmd)


@router.get("/registry/systems/{system_id}/lineage", response_model=list[LineageEntry])
def list_lineage(system_id: str, uow: UowDep, actor: CurrentActor) -> list[LineageEntry]:
    """Library versions the system uses, each with its metadata completeness and flags."""
    return lineage.list_lineage(uow, actor, system_id)


@router.get("/registry/library-versions/{version_id}/systems", response_model=list[SystemUsingVersion])
def systems_using_version(version_id: str, uow: UowDep, actor: CurrentActor) -> list[SystemUsingVersion]:
    """Systems that use the library version; 404 for an unknown version id."""
    return service.systems_using_library_version(uow, actor, version_id)


@router.post(
    "/registry/systems/{system_id}/pilots", response_model=PilotRead, status_code=status.HTTP_201_CREATED
)
def start_pilot(system_id: str, cmd: PilotCreate, uow: UowDep, actor: SignedInActor) -> PilotRead:
    return pilots.start_pilot(uow, actor, system_id, cmd)


@router.get("/registry/systems/{system_id}/pilots", response_model=list[PilotRead])
def list_pilots(system_id: str, uow: UowDep, actor: CurrentActor) -> list[PilotRead]:
    """A system's pilots (public for systems on the register)."""
    return pilots.list_pilots(uow, actor, system_id)


@router.post("/registry/pilots/{pilot_id}/extend", response_model=PilotRead)
def extend_pilot(pilot_id: str, cmd: PilotExtend, uow: UowDep, actor: SignedInActor) -> PilotRead:
    """Move a pilot's end date later (regulator)."""
    return pilots.extend_pilot(uow, actor, pilot_id, cmd)


@router.post(
    "/registry/systems/{system_id}/trusted-list",
    response_model=TrustedApplicationRead,
    status_code=status.HTTP_201_CREATED,
)
def apply_for_trusted_list(
    system_id: str, cmd: TrustedApplicationCreate, uow: UowDep, actor: SignedInActor
) -> TrustedApplicationRead:
    return trusted.apply_for_trusted_list(uow, actor, system_id, cmd)


@router.get("/registry/systems/{system_id}/trusted-list", response_model=list[TrustedApplicationRead])
def list_trusted_applications(
    system_id: str, uow: UowDep, actor: SignedInActor
) -> list[TrustedApplicationRead]:
    return trusted.list_trusted_applications(uow, actor, system_id)


@router.get("/registry/trusted-list/pending", response_model=list[TrustedApplicationRead])
def list_pending_applications(
    uow: UowDep, actor: SignedInActor, overdue: bool = False
) -> list[TrustedApplicationRead]:
    return trusted.list_pending_applications(uow, actor, overdue_only=overdue)


@router.post("/registry/trusted-list/{application_id}/decisions", response_model=TrustedApplicationRead)
def decide_trusted_application(
    application_id: str, cmd: TrustedDecision, uow: UowDep, actor: SignedInActor
) -> TrustedApplicationRead:
    return trusted.decide_trusted_application(uow, actor, application_id, cmd)


@router.get("/registry/systems/{system_id}/complaints", response_model=list[ComplaintRead])
def list_system_complaints(system_id: str, uow: UowDep, actor: SignedInActor) -> list[ComplaintRead]:
    return complaints.list_system_complaints(uow, actor, system_id)


@router.get("/registry/complaints", response_model=list[ComplaintRead])
def list_complaints(
    uow: UowDep,
    actor: SignedInActor,
    state: ComplaintState | None = None,
    kind: ComplaintKind | None = None,
    system: Annotated[str | None, Query(min_length=1, max_length=100, description="an AI system id")] = None,
    overdue: bool = False,
    filed_from: Annotated[date | None, Query(description="filed on or after (Astana date)")] = None,
    filed_to: Annotated[date | None, Query(description="filed on or before (Astana date)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[ComplaintRead]:
    """Every complaint and review request (regulator), oldest due first, filtered by `state`,
    `kind`, `system`, `overdue=true`, `filed_from`/`filed_to`."""
    filters = ComplaintFilter(
        state=state,
        kind=kind,
        system=system,
        overdue=overdue,
        filed_from=filed_from,
        filed_to=filed_to,
        limit=limit,
    )
    return complaints.list_complaints(uow, actor, filters)


@router.post("/registry/complaints/{complaint_id}/assign", response_model=ComplaintRead)
def assign_reviewer(
    complaint_id: str, cmd: ReviewerAssign, uow: UowDep, actor: SignedInActor
) -> ComplaintRead:
    return complaints.assign_reviewer(uow, actor, complaint_id, cmd)


@router.post("/registry/complaints/{complaint_id}/answer", response_model=ComplaintRead)
def answer_complaint(
    complaint_id: str, cmd: ComplaintAnswer, uow: UowDep, actor: SignedInActor
) -> ComplaintRead:
    return complaints.answer_complaint(uow, actor, complaint_id, cmd)


@router.post("/registry/optouts", response_model=OptOutRegistered, status_code=status.HTTP_201_CREATED)
def register_optout(cmd: OptOutCreate, uow: UowDep, actor: SignedInActor) -> OptOutRegistered:
    """Register a work its author forbids for AI training (file hash, URL, ISBN, DOI, identifier or text)."""
    return optouts.register_optout(uow, actor, cmd)


@router.get("/registry/optouts", response_model=list[OptOutRead])
def list_optouts(
    uow: UowDep,
    actor: CurrentActor,
    state: Annotated[
        str | None, Query(max_length=16, description="active, pending, disputed or removed")
    ] = None,
) -> list[OptOutRead]:
    """The public, machine-readable opt-out registry (claims with their state; pending ones with
    the producers' answer date and whether it has passed)."""
    return optouts.list_optouts(uow, actor, state)


@router.get("/registry/optouts/{work_id}/claim", response_model=OptOutEvidence)
def get_optout_claim(work_id: str, uow: UowDep, actor: SignedInActor) -> OptOutEvidence:
    """A claim with its evidence and the versions it covers: the regulator and the producers concerned."""
    return optout_claims.get_claim(uow, actor, work_id)


@router.post("/registry/optouts/{work_id}/confirm", response_model=OptOutOutcome)
def confirm_optout(work_id: str, cmd: OptOutAnswer, uow: UowDep, actor: SignedInActor) -> OptOutOutcome:
    """The producer (or the regulator) accepts a pending claim: the versions from the work are withdrawn."""
    return optout_claims.confirm_optout(uow, actor, work_id, cmd)


@router.post("/registry/optouts/{work_id}/dispute", response_model=OptOutRead)
def dispute_optout(work_id: str, cmd: OptOutAnswer, uow: UowDep, actor: SignedInActor) -> OptOutRead:
    """The producer contests a pending claim; the regulator decides."""
    return optout_claims.dispute_optout(uow, actor, work_id, cmd)


@router.post("/registry/optouts/{work_id}/decide", response_model=OptOutOutcome)
def decide_optout(work_id: str, cmd: OptOutDecision, uow: UowDep, actor: SignedInActor) -> OptOutOutcome:
    """The regulator upholds a claim (versions withdrawn) or removes a wrongful one."""
    return optout_claims.decide_optout(uow, actor, work_id, cmd)


@router.get("/registry/notifications", response_model=list[NotificationRead])
def list_notifications(
    uow: UowDep,
    actor: SignedInActor,
    organisation: Annotated[
        str | None, Query(max_length=100, description="the organisation's slug or id")
    ] = None,
) -> list[NotificationRead]:
    return notifications.list_notifications(uow, actor, organisation)


@router.get(
    "/registry/systems/{system_id}/export",
    responses={
        200: {
            "description": "The audit bundle",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def export_system(system_id: str, uow: UowDep, actor: SignedInActor, platform: PlatformDep) -> Response:
    """The audit bundle (zip: bundle.json + documents) for the owner or the regulator."""
    buffer = io.BytesIO()
    export.export_system(uow, actor, platform.objects, system_id, buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="ai-system-{system_id}.zip"'},
    )
