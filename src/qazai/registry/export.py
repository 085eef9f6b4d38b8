"""The audit export of one AI system: a zip with ``bundle.json`` and the documents.

What an auditor under Order No. 102 needs: the record, the classification history with reasons,
every prohibited-capability attestation (with the checklist texts), the workflow history, the
documentation status and files, the lineage with each library version's metadata completeness,
trusted-list applications, pilots, complaints with their answers (contact details left out), and
the system's audit events.
"""

from __future__ import annotations

import json
import re
import zipfile
from typing import IO, Any

from sqlalchemy import select

from qazai.core.clock import utcnow
from qazai.core.errors import NotFound, PermissionDenied
from qazai.identity.actor import Actor
from qazai.registry import (
    complaints,
    documents,
    lineage,
    pilots,
    policy,
    reference,
    repo,
    revisions,
    trusted,
)
from qazai.registry.models import AttestationRead, ClassificationRead, TransitionRead
from qazai.registry.service import to_read
from qazai.storage.db import UnitOfWork
from qazai.storage.objects import ObjectStore
from qazai.storage.tables.audit import AuditEventRow

BUNDLE_FORMAT = "qazai.registry.audit-export/1"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json")


def export_system(
    uow: UnitOfWork, actor: Actor, objects: ObjectStore, system_id: str, out: IO[bytes]
) -> dict[str, Any]:
    """Write the bundle of ``system_id`` to ``out`` (a binary file object) and return bundle.json's
    content. Owner or regulator only (NotFound / PermissionDenied otherwise)."""
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    if not policy.can_export_system(actor, system):
        raise PermissionDenied("only the owner and the regulator export a system's audit bundle")
    session = uow.session
    checklist = reference.prohibited_checklist(session)
    status = documents.documentation_status(session, system)
    doc_rows = repo.documents(session, system.id)
    doc_paths = {d.id: f"documents/{d.template_key}/{d.id}-{_UNSAFE.sub('_', d.filename)}" for d in doc_rows}
    events = session.scalars(
        select(AuditEventRow).where(AuditEventRow.object_id == system.id).order_by(AuditEventRow.seq)
    ).all()
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "exported_at": utcnow().isoformat(),
        "exported_by": actor.label,
        "system": _dump(to_read(session, system)),
        "classification_history": [
            _dump(ClassificationRead.model_validate(r)) for r in repo.classifications(session, system.id)
        ],
        "attestations": [
            _dump(AttestationRead.model_validate(r)) for r in repo.attestations(session, system.id)
        ],
        "prohibited_checklist": _dump(checklist),
        "workflow_history": [
            _dump(TransitionRead.model_validate(r)) for r in repo.transitions(session, system.id)
        ],
        "documentation": _dump(status),
        "documents": [
            {
                "id": d.id,
                "template_key": d.template_key,
                "filename": d.filename,
                "content_type": d.content_type,
                "sha256": d.sha256,
                "size": d.size,
                "path": doc_paths[d.id],
            }
            for d in doc_rows
        ],
        "lineage": [_dump(e) for e in lineage.lineage_entries(session, system.id)],
        "trusted_list_applications": [
            _dump(trusted.to_read(a)) for a in repo.trusted_applications_of(session, [system.id])
        ],
        "revisions": [_dump(r) for r in revisions.list_system_revisions(uow, actor, system.id)],
        "pilots": [_dump(pilots.to_read(p)) for p in repo.pilots_of(session, [system.id])],
        "complaints": [
            {
                k: v
                for k, v in _dump(complaints.to_read(c)).items()
                if k not in ("contact_name", "contact_email", "contact_phone")
            }
            | {"anonymous": not any((c.contact_name, c.contact_email, c.contact_phone))}
            for c in repo.complaints_of(session, system.id)
        ],
        "audit_events": [
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor": e.actor_label,
                "action": e.action,
                "summary": e.summary,
                "hash": e.hash,
            }
            for e in events
        ],
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bundle.json", json.dumps(bundle, ensure_ascii=False, indent=2, default=str))
        for d in doc_rows:
            with archive.open(doc_paths[d.id], "w") as target:
                for chunk in objects.open(d.object_key):
                    target.write(chunk)
    return bundle
