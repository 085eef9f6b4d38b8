"""Signing certificates and the CA: list, revoke, rotate the root, re-encrypt the keys.

Every function authorises with ``policy``, changes rows, writes one audit event in the same
transaction and commits. The key material itself is handled by ``authority`` and ``keys``.
"""

from __future__ import annotations

from qazai.audit.service import record_event
from qazai.core.clock import utcnow
from qazai.core.errors import Conflict, NotFound
from qazai.identity.actor import Actor
from qazai.labels import authority, keys, policy, repo
from qazai.labels.models import CertificateRead, CertificateRevoke
from qazai.labels.service import LabelConfig
from qazai.registry import service as registry_service
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.labels import LabelCertificateRow


def _certificate_read(row: LabelCertificateRow) -> CertificateRead:
    cert = keys.load_certificate(row.certificate_pem)
    return CertificateRead(
        id=row.id,
        system_id=row.system_id,
        organisation_id=row.organisation_id,
        algorithm=row.algorithm,
        serial=row.serial,
        subject=cert.subject.rfc4514_string(),
        not_before=row.not_before,
        not_after=row.not_after,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
        certificate_pem=row.certificate_pem,
    )


def list_certificates(uow: UnitOfWork, actor: Actor, system_id: str) -> list[CertificateRead]:
    system = registry_service.load_readable(uow, actor, system_id)
    if not policy.can_read_certificates(actor, system):
        raise policy.refusal(
            actor, "only the owner organisation and the authorities see certificates", scope="read"
        )
    return [_certificate_read(row) for row in repo.certificates_of(uow.session, system_id)]


def revoke_certificate(
    uow: UnitOfWork, actor: Actor, certificate_id: str, cmd: CertificateRevoke
) -> CertificateRead:
    """Revoke a signing certificate: its labels verify as untrusted from now on; the system's
    next label gets a new certificate. Conflict when already revoked."""
    row = uow.session.get(LabelCertificateRow, certificate_id)
    if row is None:
        raise NotFound(f"no signing certificate {certificate_id!r}")
    system = registry_service.load_readable(uow, actor, row.system_id)
    if not policy.can_revoke_certificate(actor, system):
        raise policy.refusal(
            actor,
            "the regulator, the operator or an administrator of the owner organisation revokes certificates",
            scope="write",
        )
    if row.revoked_at is not None:
        raise Conflict(f"the certificate was revoked on {row.revoked_at:%Y-%m-%d}", code="already_revoked")
    row.revoked_at = utcnow()
    row.revocation_reason = cmd.reason.strip()
    row.revoked_by = actor.user_id
    record_event(
        uow.session,
        action="label_certificate.revoke",
        object_type="label_certificate",
        object_id=row.id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        organisation_id=row.organisation_id,
        summary={"system_id": row.system_id, "serial": row.serial, "reason": row.revocation_reason},
        request_id=uow.request_id,
    )
    uow.commit()
    return _certificate_read(row)


def rotate_root(uow: UnitOfWork, actor: Actor, config: LabelConfig) -> str:
    """Retire the active root (still trusted for earlier labels) and make a new one; its fingerprint."""
    if not policy.can_manage_authority(actor):
        raise policy.refusal(actor, "only the platform operator rotates the labelling CA", scope="admin")
    row = authority.rotate_root(uow.session, config.secret_key)
    record_event(
        uow.session,
        action="label_authority.rotate",
        object_type="label_authority",
        object_id=row.id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        summary={"fingerprint": row.fingerprint},
        request_id=uow.request_id,
    )
    uow.commit()
    return row.fingerprint


def rekey(uow: UnitOfWork, actor: Actor, old_secret: str, new_secret: str) -> int:
    """Re-encrypt every labelling key from the old platform secret to the new one; how many."""
    if not policy.can_manage_authority(actor):
        raise policy.refusal(
            actor, "only the platform operator re-encrypts the labelling keys", scope="admin"
        )
    count = authority.rekey(uow.session, old_secret, new_secret)
    record_event(
        uow.session,
        action="label_authority.rekey",
        object_type="label_authority",
        object_id=None,
        actor_id=actor.user_id,
        actor_label=actor.label,
        summary={"keys": count},
        request_id=uow.request_id,
    )
    uow.commit()
    return count
