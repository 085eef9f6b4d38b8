"""Documentation per risk class: uploaded documents in the object store, and completeness."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.enums import RiskLevel
from qazai.core.errors import Conflict, InvalidInput, NotFound
from qazai.core.ids import new_id
from qazai.identity.actor import Actor
from qazai.registry import policy, reference, repo
from qazai.registry.audit import audit
from qazai.registry.models import DocumentationItem, DocumentationStatus, DocumentRead
from qazai.registry.workflow import SystemState
from qazai.storage.db import UnitOfWork
from qazai.storage.objects import ObjectStore
from qazai.storage.tables.registry import AiSystemDocumentRow, AiSystemRow

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
_CHUNK_BYTES = 1024 * 1024
_DOCUMENT_STATES = frozenset(
    {SystemState.draft, SystemState.returned, SystemState.registered, SystemState.suspended}
)


def documentation_status(session: Session, system: AiSystemRow) -> DocumentationStatus:
    """Which templates the system's risk class requires, which are satisfied, and the share done.

    Before classification nothing is known to be required (completeness 0, items listed).
    """
    templates = reference.documentation_templates(session)
    risk = RiskLevel(system.risk_class) if system.risk_class else None
    docs = [DocumentRead.model_validate(d) for d in repo.documents(session, system.id)]
    has_lineage = bool(repo.lineage_of(session, system.id))
    items = []
    for template in templates.templates:
        mine = [d for d in docs if d.template_key == template.key]
        # Training data is best documented by linked library versions; a system trained on data
        # outside the platform describes it in a document instead.
        satisfied = bool(mine) or (template.satisfied_by == "lineage" and has_lineage)
        items.append(
            DocumentationItem(
                key=template.key,
                title=template.title,
                required=(risk is not None and risk in template.required_for)
                or (template.required_if == "state_infosec" and system.state_infosec_regime),
                satisfied=satisfied,
                satisfied_by=template.satisfied_by,
                documents=mine,
            )
        )
    required = [i for i in items if i.required]
    done = [i for i in required if i.satisfied]
    return DocumentationStatus(
        risk_class=risk,
        items=items,
        required=len(required),
        satisfied=len(done),
        completeness=round(len(done) / len(required), 4) if required else (1.0 if risk else 0.0),
        missing=[i.key for i in required if not i.satisfied],
    )


def infosec_template_keys(session: Session) -> set[str]:
    """Keys of the templates required under the state information-security regime."""
    return {t.key for t in reference.documentation_templates(session).templates if t.required_if}


def get_documentation(uow: UnitOfWork, actor: Actor, system_id: str) -> DocumentationStatus:
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    return documentation_status(uow.session, system)


def upload_document(
    uow: UnitOfWork,
    actor: Actor,
    objects: ObjectStore,
    system_id: str,
    *,
    template_key: str,
    filename: str,
    content_type: str,
    data: BinaryIO,
) -> DocumentRead:
    """Store a document for one checklist item (content-addressed in ``objects``) and record it.

    InvalidInput for an unknown template key or an empty file; PayloadTooLarge above 50 MiB
    (the API streams the body with that limit, past the general request limit); Conflict while the
    system is under review or final.
    """
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    if not policy.can_edit_system(actor, system):
        raise policy.refusal(actor, "only members of the owner organisation can upload its documents")
    if SystemState(system.state) not in _DOCUMENT_STATES:
        raise Conflict(f"the system is {system.state}; documents cannot be added now", code="not_editable")
    templates = reference.documentation_templates(uow.session)
    template = templates.get(template_key)
    if template is None:
        keys = ", ".join(t.key for t in templates.templates)
        raise InvalidInput(
            f"unknown document template {template_key!r}; choose one of: {keys}", code="unknown_template"
        )
    first = data.read(_CHUNK_BYTES)
    if not first:
        # An empty file would satisfy a required item without documenting anything.
        raise InvalidInput(
            f"the file {filename[:255]!r} is empty; upload the document itself", code="empty_file"
        )

    def chunks() -> Iterator[bytes]:
        yield first
        while chunk := data.read(_CHUNK_BYTES):
            yield chunk

    stored = objects.put(None, chunks(), max_bytes=MAX_DOCUMENT_BYTES)
    row = AiSystemDocumentRow(
        id=new_id(),
        system_id=system.id,
        template_key=template_key,
        filename=(filename or "document")[:255],
        content_type=(content_type or "application/octet-stream")[:127],
        object_key=stored.key,
        sha256=stored.sha256,
        size=stored.size,
        uploaded_by=actor.user_id,
        created_at=utcnow(),
    )
    uow.session.add(row)
    system.updated_at = utcnow()
    uow.session.flush()
    audit(
        uow,
        actor,
        "ai_system.upload_document",
        system,
        {"template": template_key, "filename": row.filename, "sha256": row.sha256, "size": row.size},
    )
    uow.commit()
    return DocumentRead.model_validate(row)


def open_document(
    uow: UnitOfWork, actor: Actor, objects: ObjectStore, system_id: str, document_id: str
) -> tuple[DocumentRead, Iterator[bytes]]:
    """The document's metadata and its bytes; NotFound unless the actor may read the system."""
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    row = uow.session.get(AiSystemDocumentRow, document_id)
    if row is None or row.system_id != system.id:
        raise NotFound(f"no document {document_id!r}")
    return DocumentRead.model_validate(row), objects.open(row.object_key)
