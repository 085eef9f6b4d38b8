"""A released table published as a new open library, when the producers of the job's inputs allow it.

1. A producer (or organisation admin) of the organisation behind each library the job read calls
   :func:`allow_publication` for the released file: one consent per organisation.
2. A producer of the project's organisation, member of the project, calls
   :func:`publish_released_file`: the released version of the table is uploaded to a library of that
   organisation (created open if new) and goes through the normal publish pipeline (privacy scan,
   de-identification policy, checks), as any upload does. Both steps are audited.
"""

from __future__ import annotations

import io
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from qazai.compute.airlock import audit_held_file, can_read_held_file, held_file_row
from qazai.compute.airlock_models import Command, FileState
from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier, OrgRole
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.core.text import LocalizedText
from qazai.identity.actor import SYSTEM, Actor
from qazai.libraries import service as libraries
from qazai.libraries import uploads
from qazai.libraries.models import Contact, LegalBasis, LibraryCreate, PublishRequest
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.objects.base import ObjectStore
from qazai.storage.tables.airlock import AirlockFileRow, AirlockPublicationConsentRow
from qazai.storage.tables.compute import ComputeJobRow


class InputConsent(BaseModel):
    library: str
    organisation_id: str
    organisation_slug: str
    allowed: bool


class PublicationStatus(BaseModel):
    file_id: str
    inputs: list[InputConsent]
    publishable: bool = Field(description="released, a table, and every input's producer allowed it")


class PublishReleased(Command):
    slug: str = Field(
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$",
        description="the new (or an existing open) library: lower-case letters, digits and dashes",
    )
    title: LocalizedText
    description: LocalizedText
    licence: str = Field(default="CC-BY-4.0", max_length=100, description="SPDX id or a national licence")
    contact_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)


class PublishStarted(BaseModel):
    library: str
    job_id: str = Field(description="the publish pipeline's job (GET /api/v1/jobs/{id})")


def _input_organisations(uow: UnitOfWork, row: AirlockFileRow) -> list[tuple[str, str, str]]:
    """(library slug, organisation id, organisation slug) of every library the job read."""
    job = uow.session.get(ComputeJobRow, row.job_id)
    if job is None:
        raise Conflict(f"the job of {row.name} is not known any more", code="job_not_found")
    found = []
    # one entry per Parquet part, each with its "library@version" reference
    for slug in sorted({str(item["reference"]).split("@", 1)[0] for item in job.inputs}):
        library = libraries.get_library(uow, SYSTEM, slug)
        found.append((library.slug, library.organisation_id, library.organisation_slug))
    return found


def publication_status(uow: UnitOfWork, file_id: str) -> PublicationStatus:
    row = held_file_row(uow, file_id)
    allowed = set(
        uow.session.scalars(
            select(AirlockPublicationConsentRow.organisation_id).where(
                AirlockPublicationConsentRow.file_id == row.id
            )
        )
    )
    inputs = [
        InputConsent(
            library=slug, organisation_id=org_id, organisation_slug=org_slug, allowed=org_id in allowed
        )
        for slug, org_id, org_slug in _input_organisations(uow, row)
    ]
    publishable = row.state == FileState.released and row.role == "table" and all(i.allowed for i in inputs)
    return PublicationStatus(file_id=row.id, inputs=inputs, publishable=publishable)


def get_publication_status(uow: UnitOfWork, actor: Actor, file_id: str) -> PublicationStatus:
    """Which inputs' producers have allowed publication: for the project's members, output checkers
    and the producers of the inputs (who decide)."""
    row = held_file_row(uow, file_id)
    status = publication_status(uow, file_id)
    producer = any(actor.has_org_role(i.organisation_id, OrgRole.producer) for i in status.inputs)
    if not (producer and actor.allows_scope("read")) and not can_read_held_file(uow, actor, row):
        raise PermissionDenied(
            "only the project's members and the inputs' producers see this", code="not_project_member"
        )
    return status


def allow_publication(uow: UnitOfWork, actor: Actor, file_id: str) -> PublicationStatus:
    """A producer of an input's organisation allows the released table to be published. Commits."""
    row = held_file_row(uow, file_id)
    if row.state != FileState.released or row.role != "table":
        raise Conflict(f"{row.name} is not a released table", code="not_released_table")
    organisations = {org_id for _slug, org_id, _org_slug in _input_organisations(uow, row)}
    mine = [org for org in organisations if actor.has_org_role(org, OrgRole.producer)]
    if not mine or not actor.allows_scope("write") or actor.user_id is None:
        raise PermissionDenied(
            "only a producer of an organisation whose library the job read allows its publication",
            code="not_input_producer",
        )
    for organisation_id in mine:
        exists = uow.session.scalars(
            select(AirlockPublicationConsentRow.id).where(
                AirlockPublicationConsentRow.file_id == row.id,
                AirlockPublicationConsentRow.organisation_id == organisation_id,
            )
        ).first()
        if exists is None:
            uow.session.add(
                AirlockPublicationConsentRow(
                    id=new_id(),
                    file_id=row.id,
                    organisation_id=organisation_id,
                    user_id=actor.user_id,
                    created_at=utcnow(),
                )
            )
    audit_held_file(uow, actor, "airlock.allow_publication", row, {"organisations": sorted(mine)})
    uow.session.flush()
    status = publication_status(uow, file_id)
    uow.commit()
    return status


def publish_released_file(
    db: Database,
    store: ObjectStore,
    actor: Actor,
    file_id: str,
    command: PublishReleased,
    *,
    max_bytes: int,
    retention_days: int,
) -> PublishStarted:
    """Upload the released version of a table to an open library of the project's organisation and
    start the normal publish pipeline. Conflict ``publication_not_allowed`` names the inputs whose
    producers have not allowed it; PermissionDenied unless the actor is a producer there and a
    member of the project."""
    from qazai.compute.projects import is_project_member

    with db.uow() as uow:
        row = held_file_row(uow, file_id)
        status = publication_status(uow, file_id)
        if not actor.has_org_role(row.organisation_id, OrgRole.producer) or not is_project_member(
            uow.session, row.project_id, actor.user_id
        ):
            raise PermissionDenied(
                "only a producer of the project's organisation, member of the project, publishes its outputs",
                code="not_project_producer",
            )
        if row.state != FileState.released or row.role != "table" or row.released_variant is None:
            raise Conflict(f"{row.name} is not a released table", code="not_released_table")
        missing = [i.library for i in status.inputs if not i.allowed]
        if missing:
            raise Conflict(
                f"the producers of {', '.join(missing)} have not allowed this table to be published",
                code="publication_not_allowed",
                details={"libraries": missing},
            )
        key = row.safe_object_key if row.released_variant == "safe" else row.object_key
        assert key is not None
        name = Path(row.name).name
        try:
            library = libraries.get_library(uow, actor, command.slug)
        except NotFound:
            library = None  # created below
        if library is not None and (
            library.tier != AccessTier.open or library.organisation_id != row.organisation_id
        ):
            raise Conflict(
                f"library {command.slug!r} is not an open library of this organisation",
                code="library_not_open",
            )
    if library is None:
        try:
            create = LibraryCreate(
                slug=command.slug,
                organisation=row.organisation_id,
                title=command.title,
                description=command.description,
                licence=command.licence,
                tier=AccessTier.open,
                legal_basis=LegalBasis.depersonalised,
                source_systems=[f"qazai compute job {row.job_id}"],
                contact=Contact(email=command.contact_email),
            )
        except ValidationError as error:  # the licence is checked by the libraries' own rules
            raise InvalidInput(error.errors()[0]["msg"], code="invalid_library") from None
        with db.uow() as uow:
            libraries.create_library(uow, actor, create)
    data = b"".join(store.open(key))
    upload = uploads.upload_file(
        db, store, actor, command.slug, name, io.BytesIO(data), len(data), max_bytes=max_bytes,
        retention_days=retention_days,
    )  # fmt: skip
    with db.uow() as uow:
        accepted = libraries.request_publish(uow, actor, command.slug, PublishRequest(upload_id=upload.id))
        row = held_file_row(uow, file_id)
        audit_held_file(
            uow, actor, "airlock.publish", row, {"library": command.slug, "job_id": accepted.job_id}
        )
        uow.commit()
    return PublishStarted(library=command.slug, job_id=accepted.job_id)
