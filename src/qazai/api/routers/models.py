"""Ready-made models: repositories, versions with cards and files, access, lineage both ways.

The Hugging Face-compatible routes (`/api/models/...`, `/{org}/{name}/resolve/...`) are in
`hf.py`; files are downloaded there. Lineage and grant decisions live under `/models/-/`
(`-` is never an organisation).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from qazai.api.deps import CurrentActor, PlatformDep, SignedInActor, UowDep
from qazai.api.routers.libraries import StreamingActor
from qazai.core.enums import AccessTier
from qazai.core.pagination import Page
from qazai.libraries.models import GrantCreate, GrantDecision, UploadRead
from qazai.models import access, lineage, reads, service
from qazai.models.access import ModelGrantRead, ModelTermsAcceptance
from qazai.models.lineage import SystemModelEntry
from qazai.models.models import (
    LibraryVersionUse,
    ModelPushRead,
    ModelRepoCreate,
    ModelRepoRead,
    ModelRepoUpdate,
    ModelSearch,
    ModelUploadCreate,
    ModelVersionRead,
    ModelVersionSummary,
    SystemData,
    SystemModelLink,
    VersionPush,
)

router = APIRouter(tags=["models"])


class VersionWithdrawal(BaseModel):
    reason: str = Field(min_length=5, max_length=2000)


# -- lineage and grant decisions (fixed paths first) ----------------------------------------------


@router.get("/models/-/lineage/library-versions/{library_version}", response_model=LibraryVersionUse)
def library_version_use(library_version: str, uow: UowDep, actor: CurrentActor) -> LibraryVersionUse:
    """Which models and AI systems use a library version (`slug@N` or its id)."""
    return lineage.library_version_use(uow, actor, library_version)


@router.get("/models/-/lineage/systems/{system_id}", response_model=SystemData)
def system_data(system_id: str, uow: UowDep, actor: CurrentActor) -> SystemData:
    """What data is behind an AI system: library versions linked directly and through its models."""
    return lineage.system_data(uow, actor, system_id)


@router.get("/models/-/lineage/systems/{system_id}/models", response_model=list[SystemModelEntry])
def system_models(system_id: str, uow: UowDep, actor: CurrentActor) -> list[SystemModelEntry]:
    """The model versions an AI system runs, with flags."""
    return lineage.models_of_system(uow, actor, system_id)


@router.post(
    "/models/-/lineage/systems/{system_id}/models",
    response_model=SystemModelEntry,
    status_code=status.HTTP_201_CREATED,
)
def link_system_model(
    system_id: str, cmd: SystemModelLink, uow: UowDep, actor: SignedInActor
) -> SystemModelEntry:
    """Record that an AI system runs a model version (`main` is pinned to today's revision)."""
    return lineage.link_system_model(uow, actor, system_id, cmd)


@router.post("/models/-/grants/{grant_id}/decision", response_model=ModelGrantRead)
def decide_grant(grant_id: str, cmd: GrantDecision, uow: UowDep, actor: SignedInActor) -> ModelGrantRead:
    """Approve (with `expires_on`) or refuse a request for a restricted model (its producers)."""
    return access.decide_model_grant(uow, actor, grant_id, cmd)


# -- repositories ---------------------------------------------------------------------------------


@router.get("/models", response_model=Page[ModelRepoRead])
def list_models(
    uow: UowDep,
    actor: CurrentActor,
    q: Annotated[
        str | None, Query(max_length=200, description="words, in kk/ru/en, Cyrillic or Latin")
    ] = None,
    task: str | None = None,
    language: str | None = None,
    licence: str | None = None,
    tier: AccessTier | None = None,
    organisation: str | None = None,
    sort: Annotated[str, Query(pattern="^(updated|name)$")] = "updated",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[
        str | None, Query(alias="next", description="the `next` value of the previous page")
    ] = None,
) -> Page[ModelRepoRead]:
    """Search model repositories (metadata is public in every tier)."""
    query = ModelSearch(
        q=q,
        task=task,
        language=language,
        licence=licence,
        tier=tier,
        organisation=organisation,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return reads.list_model_repos(uow, actor, query)


@router.post("/models", response_model=ModelRepoRead, status_code=status.HTTP_201_CREATED)
def create_model(cmd: ModelRepoCreate, uow: UowDep, actor: SignedInActor) -> ModelRepoRead:
    """Create `organisation/name` (producers of the organisation)."""
    return service.create_model_repo(uow, actor, cmd)


@router.get("/models/{org}/{name}", response_model=ModelRepoRead)
def show_model(org: str, name: str, uow: UowDep, actor: CurrentActor) -> ModelRepoRead:
    return reads.get_model_repo(uow, actor, f"{org}/{name}")


@router.patch("/models/{org}/{name}", response_model=ModelRepoRead)
def update_model(
    org: str, name: str, cmd: ModelRepoUpdate, uow: UowDep, actor: SignedInActor
) -> ModelRepoRead:
    """Change the repository's metadata (tier, licence, task, languages, title, summary, tags)."""
    return service.update_model_repo(uow, actor, f"{org}/{name}", cmd)


@router.get("/models/{org}/{name}/versions", response_model=list[ModelVersionSummary])
def list_versions(org: str, name: str, uow: UowDep, actor: CurrentActor) -> list[ModelVersionSummary]:
    """Every version, newest first (withdrawn ones too, marked)."""
    return reads.list_model_versions(uow, actor, f"{org}/{name}")


@router.get("/models/{org}/{name}/revisions/{revision}", response_model=ModelVersionRead)
def show_revision(org: str, name: str, revision: str, uow: UowDep, actor: CurrentActor) -> ModelVersionRead:
    """A version by `main`, a tag, a 40-hex revision or a prefix of one: card, files (size,
    sha256, format, tensors, scan), training data and flags."""
    return reads.resolve_revision(uow, actor, f"{org}/{name}", revision)


@router.post("/models/{org}/{name}/uploads", response_model=UploadRead, status_code=status.HTTP_201_CREATED)
def create_upload(
    org: str,
    name: str,
    cmd: ModelUploadCreate,
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
    response: Response,
) -> UploadRead:
    """Open a resumable upload for one file; send it with `PATCH /api/v1/uploads/{id}`
    (`Upload-Offset`, resumable), then name it in `POST .../versions`."""
    created = service.create_model_upload(
        uow,
        actor,
        f"{org}/{name}",
        cmd,
        max_bytes=platform.settings.upload_max_bytes,
        retention_days=platform.settings.raw_retention_days,
    )
    response.headers["Location"] = f"/api/v1/uploads/{created.id}"
    response.headers["Upload-Offset"] = str(created.offset)
    return created


@router.post(
    "/models/{org}/{name}/versions", response_model=ModelPushRead, status_code=status.HTTP_202_ACCEPTED
)
def push_version(
    org: str, name: str, cmd: VersionPush, actor: StreamingActor, platform: PlatformDep, response: Response
) -> ModelPushRead:
    """Accept a version from completed uploads with its card: checks the card, the paths, the tag
    and the uploads, then queues the job that stores, hashes and scans the files (see
    docs/models.md). 202 with the push `processing`; follow it at `Location`."""
    accepted = service.start_model_push(platform.db, actor, f"{org}/{name}", cmd)
    response.headers["Location"] = f"/api/v1/models/{org}/{name}/pushes/{accepted.push_id}"
    return accepted


@router.get("/models/{org}/{name}/pushes/{push_id}", response_model=ModelPushRead)
def get_push(org: str, name: str, push_id: str, uow: UowDep, actor: SignedInActor) -> ModelPushRead:
    """A push's state (`processing`, `published` with the version, `refused` with the error and
    findings) and its job's progress."""
    return service.get_model_push(uow, actor, f"{org}/{name}", push_id)


@router.post("/models/{org}/{name}/revisions/{revision}/withdraw", response_model=ModelVersionRead)
def withdraw_version(
    org: str, name: str, revision: str, cmd: VersionWithdrawal, uow: UowDep, actor: SignedInActor
) -> ModelVersionRead:
    """Withdraw a version: its files answer 410 with the reason, `main` moves back."""
    return service.withdraw_model_version(uow, actor, f"{org}/{name}", revision, cmd.reason)


@router.post("/models/{org}/{name}/terms/accept", response_model=ModelTermsAcceptance)
def accept_terms(org: str, name: str, uow: UowDep, actor: SignedInActor) -> ModelTermsAcceptance:
    """Accept a registered-tier model's terms (then its files download with your token)."""
    return access.accept_model_terms(uow, actor, f"{org}/{name}")


@router.post(
    "/models/{org}/{name}/grants", response_model=ModelGrantRead, status_code=status.HTTP_201_CREATED
)
def request_grant(org: str, name: str, cmd: GrantCreate, uow: UowDep, actor: SignedInActor) -> ModelGrantRead:
    """Ask the producers for access to a restricted model, stating the purpose."""
    return access.request_model_grant(uow, actor, f"{org}/{name}", cmd)
