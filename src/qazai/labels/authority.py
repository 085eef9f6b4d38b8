"""The platform's labelling CA in the database: the root made on first use, leaf certificates
issued per AI system, trust anchors, rotation and re-encryption of keys under a new secret.

Rotation (docs/labels.md): ``rotate_root`` retires the active root and makes a new one; retired
roots stay trust anchors, so labels signed earlier keep verifying; the next label of each system
gets a certificate from the new root. ``rekey`` re-encrypts every stored private key when the
platform secret ``QAZAI_SECRET_KEY`` changes.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime

from cryptography import x509
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.errors import ConfigError
from qazai.core.ids import new_id
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
from qazai.labels import keys
from qazai.labels.keys import FileKeySigner, LabelSigner, SigningAlgorithm
from qazai.storage.tables.labels import LabelAuthorityRow, LabelCertificateRow
from qazai.storage.tables.registry import AiSystemRow

_PG_LOCK = 0x5141_4C42  # "QALB": one root is made at a time across processes
_signers: dict[tuple[str, str], LabelSigner] = {}
_signers_lock = threading.Lock()


def _secret_tag(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def active_root(session: Session) -> LabelAuthorityRow | None:
    return session.scalars(
        select(LabelAuthorityRow)
        .where(LabelAuthorityRow.state == "active")
        .order_by(LabelAuthorityRow.created_at.desc())
        .limit(1)
    ).first()


def ensure_root(session: Session, secret: str) -> LabelAuthorityRow:
    """The active root, made (and flushed) on first use."""
    root = active_root(session)
    if root is not None:
        return root
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        root = active_root(session)
        if root is not None:
            return root
    return _make_root(session, secret, utcnow())


def _make_root(session: Session, secret: str, now: datetime) -> LabelAuthorityRow:
    cert, key = keys.make_root(now)
    row = LabelAuthorityRow(
        id=new_id(),
        certificate_pem=keys.certificate_pem(cert),
        encrypted_key_pem=keys.encrypt_key(key, secret),
        fingerprint=keys.fingerprint(cert),
        state="active",
        created_at=now,
        retired_at=None,
    )
    session.add(row)
    session.flush()
    return row


def rotate_root(session: Session, secret: str) -> LabelAuthorityRow:
    """Retire the active root (it stays a trust anchor) and make a new one."""
    now = utcnow()
    for row in session.scalars(select(LabelAuthorityRow).where(LabelAuthorityRow.state == "active")):
        row.state = "retired"
        row.retired_at = now
    session.flush()
    return _make_root(session, secret, now)


def trust_anchors_pem(session: Session) -> str:
    """Every root's certificate (active and retired), concatenated PEM."""
    rows = session.scalars(select(LabelAuthorityRow).order_by(LabelAuthorityRow.created_at)).all()
    return "".join(row.certificate_pem for row in rows)


def roots(session: Session) -> list[x509.Certificate]:
    rows = session.scalars(select(LabelAuthorityRow).order_by(LabelAuthorityRow.created_at)).all()
    return [keys.load_certificate(row.certificate_pem) for row in rows]


def certificate_by_serial(session: Session, serial: str) -> LabelCertificateRow | None:
    return session.scalars(select(LabelCertificateRow).where(LabelCertificateRow.serial == serial)).first()


def _decrypt(pem: str, secret: str) -> keys.PrivateKey:
    try:
        return keys.decrypt_key(pem, secret)
    except ValueError:
        raise ConfigError(
            "the labelling keys cannot be decrypted with the current QAZAI_SECRET_KEY; if the secret "
            "was changed, run `qazai labels rekey` with the old one (docs/labels.md)",
            code="label_keys_undecryptable",
        ) from None


def signing_certificate(
    session: Session, secret: str, system: AiSystemRow, algorithm: SigningAlgorithm
) -> LabelCertificateRow:
    """The system's current certificate for ``algorithm``: issued by the active root, not revoked
    and not within ``LEAF_RENEW_BEFORE`` of its end; a new one is issued otherwise."""
    now = utcnow()
    # One query on the hot path: the current certificate whose root is the active one.
    current = session.scalars(
        select(LabelCertificateRow)
        .join(LabelAuthorityRow, LabelAuthorityRow.id == LabelCertificateRow.authority_id)
        .where(
            LabelCertificateRow.system_id == system.id,
            LabelCertificateRow.algorithm == algorithm.value,
            LabelAuthorityRow.state == "active",
            LabelCertificateRow.revoked_at.is_(None),
            LabelCertificateRow.not_after > now + keys.LEAF_RENEW_BEFORE,
        )
        .order_by(LabelCertificateRow.created_at.desc())
        .limit(1)
    ).first()
    if current is not None:
        return current
    root = ensure_root(session, secret)
    org = identity_repo.get_organisation(session, system.owner_organisation_id)
    subject = keys.LeafSubject(
        organisation=LocalizedText.model_validate(org.name).get("en") if org else "?",
        organisation_id=system.owner_organisation_id,
        system=LocalizedText.model_validate(system.name).get("en"),
        system_id=system.id,
    )
    root_cert = keys.load_certificate(root.certificate_pem)
    cert, key = keys.issue_leaf(root_cert, _decrypt(root.encrypted_key_pem, secret), subject, algorithm, now)
    row = LabelCertificateRow(
        id=new_id(),
        authority_id=root.id,
        system_id=system.id,
        organisation_id=system.owner_organisation_id,
        algorithm=algorithm.value,
        serial=keys.serial_hex(cert),
        certificate_pem=keys.certificate_pem(cert),
        encrypted_key_pem=keys.encrypt_key(key, secret),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        revoked_at=None,
        revocation_reason=None,
        revoked_by=None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def signer_for(session: Session, secret: str, cert: LabelCertificateRow) -> LabelSigner:
    """The file-key signer of ``cert`` (decrypted once per process and secret)."""
    cache_key = (cert.id, _secret_tag(secret))
    with _signers_lock:
        cached = _signers.get(cache_key)
    if cached is not None:
        return cached
    root = session.get(LabelAuthorityRow, cert.authority_id)
    chain = cert.certificate_pem + (root.certificate_pem if root else "")
    signer = FileKeySigner(
        algorithm=SigningAlgorithm(cert.algorithm),
        serial=cert.serial,
        certificate_chain_pem=chain,
        private_key=_decrypt(cert.encrypted_key_pem, secret),
    )
    with _signers_lock:
        if len(_signers) > 1024:
            _signers.clear()
        _signers[cache_key] = signer
    return signer


def rekey(session: Session, old_secret: str, new_secret: str) -> int:
    """Re-encrypt every stored private key from ``old_secret`` to ``new_secret``; the count."""
    count = 0
    for root in session.scalars(select(LabelAuthorityRow)):
        root.encrypted_key_pem = keys.encrypt_key(_decrypt(root.encrypted_key_pem, old_secret), new_secret)
        count += 1
    for cert in session.scalars(select(LabelCertificateRow)):
        cert.encrypted_key_pem = keys.encrypt_key(_decrypt(cert.encrypted_key_pem, old_secret), new_secret)
        count += 1
    with _signers_lock:
        _signers.clear()
    session.flush()
    return count
