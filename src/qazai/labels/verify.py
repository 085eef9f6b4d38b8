"""Public verification of a file or a text: anyone, no sign-in.

Order of checks: the label inside (a C2PA manifest, or the invisible mark of a text), then the
label registry by SHA-256, then (pictures) by perceptual hash. Nothing named inside an uploaded
file is ever fetched. A trusted result marks the label ``verified_at`` once (the registration
wizard's "labelling works" check reads it).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.errors import InvalidInput, PayloadTooLarge
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
from qazai.labels import authority, images, keys, media, repo
from qazai.labels import text as text_labels
from qazai.labels.messages import SUMMARIES, finding
from qazai.labels.models import (
    MAX_TEXT_CHARS,
    Finding,
    LabelKind,
    LabelPublic,
    Match,
    Verdict,
    Verification,
)
from qazai.labels.service import LabelConfig, sha256_bytes
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.labels import LabelCertificateRow, LabelRow
from qazai.storage.tables.registry import AiSystemRow

MAX_VERIFY_BYTES = 50 * 1024 * 1024


def _result(verdict: Verdict, **fields: object) -> Verification:
    return Verification.model_validate({"verdict": verdict, "summary": SUMMARIES[verdict.value], **fields})


def _public(session: Session, config: LabelConfig, row: LabelRow) -> LabelPublic:
    system = session.get(AiSystemRow, row.system_id)
    org = identity_repo.get_organisation(session, row.organisation_id)
    cert = session.get(LabelCertificateRow, row.certificate_id)
    return LabelPublic(
        id=row.id,
        system_id=row.system_id,
        system_name=LocalizedText.model_validate(system.name) if system else LocalizedText(en=row.system_id),
        organisation=LocalizedText.model_validate(org.name) if org else LocalizedText(en=row.organisation_id),
        register_url=config.register_url(row.system_id),
        media_type=row.media_type,
        kind=LabelKind(row.kind),
        created_at=row.created_at,
        notice=LocalizedText.model_validate(row.notice),
        signer_serial=cert.serial if cert else "",
        certificate_revoked_at=cert.revoked_at if cert else None,
    )


def _mark_verified(row: LabelRow) -> None:
    if row.verified_at is None:
        row.verified_at = utcnow()


def _trusted_signer(session: Session, serial: str | None) -> tuple[LabelCertificateRow | None, list[Finding]]:
    """The platform's certificate of ``serial`` and what stands against trusting it."""
    cert = authority.certificate_by_serial(session, serial) if serial else None
    if cert is None:
        return None, [finding("certificate_unknown")]
    if cert.revoked_at is not None:
        return cert, [finding("certificate_revoked", date=f"{cert.revoked_at:%Y-%m-%d}")]
    return cert, []


def _registry_lookup(
    uow: UnitOfWork,
    config: LabelConfig,
    hashes: list[str],
    phash: int | None,
    kind: str | None,
    notes: list[Finding],
) -> Verification:
    rows = repo.labels_by_hash(uow.session, hashes, kind=kind)
    if rows:
        return _result(
            Verdict.registry_match,
            match=Match.sha256,
            label=_public(uow.session, config, rows[0]),
            notes=notes,
        )
    if phash is not None:
        near = repo.nearest_by_phash(uow.session, phash, images.PHASH_MAX_DISTANCE)
        if near is not None:
            row, distance = near
            return _result(
                Verdict.registry_match,
                match=Match.perceptual_hash,
                distance=distance,
                label=_public(uow.session, config, row),
                notes=notes,
            )
    return _result(Verdict.not_found, notes=notes)


def verify_media(
    uow: UnitOfWork, config: LabelConfig, data: bytes, sidecar: bytes | None = None
) -> Verification:
    """What the platform can say about a file. InvalidInput for an unsupported type, a corrupt
    picture or a decompression bomb; PayloadTooLarge over ``MAX_VERIFY_BYTES``."""
    if len(data) > MAX_VERIFY_BYTES:
        raise PayloadTooLarge(
            f"the file is {len(data):,} bytes; at most {MAX_VERIFY_BYTES:,} can be checked",
            details={"max_bytes": MAX_VERIFY_BYTES},
        )
    if not data:
        raise InvalidInput("the file is empty", code="empty_file")
    media_type = media.sniff_media_type(data[:16])
    if media_type is None:
        raise InvalidInput(
            "this file type is not one the check reads; give a picture, PDF, audio or video file "
            "(" + ", ".join(sorted(media.MEDIA_TYPES)) + "), or paste a text",
            code="unsupported_media_type",
        )
    if media_type in media.IMAGE_TYPES:
        images.check_header(data)  # a bomb is refused before any decoding
    reading = media.read_manifest(data, media_type, authority.trust_anchors_pem(uow.session), sidecar)
    notes: list[Finding] = []
    if reading.remote_url:
        notes.append(finding("remote_manifest_not_fetched", url=reading.remote_url))
    if reading.error:
        notes.append(finding("container_unreadable", error=reading.error))
    if not reading.found:
        # Decoded only now: a picture whose pixels were damaged still had its manifest checked.
        phash = images.fingerprint(data) if media_type in media.IMAGE_TYPES else None
        result = _registry_lookup(uow, config, [sha256_bytes(data)], phash, None, notes)
        result.media_type = media_type
        return result
    if reading.state == "Invalid":
        reasons = [finding("manifest_check_failed", code=code) for code in reading.failures] or [
            finding("signature_invalid")
        ]
        return _result(Verdict.invalid, media_type=media_type, reasons=reasons, notes=notes)
    cert, reasons = _trusted_signer(uow.session, reading.serial)
    if reading.state != "Trusted":
        reasons.insert(0, finding("signer_not_trusted"))
    if reading.assertion is None:
        reasons.append(finding("not_a_platform_label"))
    row = uow.session.get(LabelRow, str(reading.assertion.get("label_id"))) if reading.assertion else None
    if row is not None and (cert is None or row.certificate_id != cert.id):
        row = None  # a label id copied into another signer's manifest says nothing
    label = _public(uow.session, config, row) if row is not None else None
    if reasons:
        return _result(Verdict.untrusted, media_type=media_type, reasons=reasons, label=label, notes=notes)
    if row is not None:
        _mark_verified(row)
        uow.commit()
    return _result(Verdict.trusted, match=Match.manifest, media_type=media_type, label=label, notes=notes)


def verify_text(uow: UnitOfWork, config: LabelConfig, given: str) -> Verification:
    """What the platform can say about a text: its invisible mark, else the registry by hash."""
    if len(given) > MAX_TEXT_CHARS * 2:
        raise PayloadTooLarge(f"the text is longer than {MAX_TEXT_CHARS * 2:,} characters")
    mark, unmarked = text_labels.extract_mark(given)
    normalised = text_labels.normalise_text(unmarked)
    if not normalised.text:
        raise InvalidInput(
            "the text is empty once invisible characters and spaces are removed", code="empty_text"
        )
    notes: list[Finding] = []
    if normalised.invisible_removed > 0:
        notes.append(finding("invisible_characters_removed", count=normalised.invisible_removed))
    if normalised.mixed_script_words:
        notes.append(finding("mixed_scripts", words=", ".join(normalised.mixed_script_words)))
    body, notice = text_labels.split_notice(normalised.text)
    body_sha256 = text_labels.sha256_text(body)
    if mark is not None:
        record = text_labels.open_record(mark)
        if record is None:
            return _result(
                Verdict.invalid, media_type="text/plain", reasons=[finding("mark_unreadable")], notes=notes
            )
        return _check_record(uow, config, record, body_sha256, Match.record, notes)
    rows = repo.labels_by_hash(
        uow.session, [body_sha256, text_labels.sha256_text(normalised.text)], kind=LabelKind.text.value
    )
    if not rows and normalised.mixed_script_words:
        # Letters swapped for look-alikes of the other script dodge the hash: look again with them folded.
        folded = text_labels.fold_lookalikes(normalised.text)
        folded_body, _ = text_labels.split_notice(folded)
        rows = repo.labels_by_hash(
            uow.session,
            [text_labels.sha256_text(folded_body), text_labels.sha256_text(folded)],
            kind=LabelKind.text.value,
        )
        if rows:
            notes.append(finding("lookalikes_folded"))
            return _result(
                Verdict.registry_match,
                match=Match.sha256,
                media_type="text/plain",
                label=_public(uow.session, config, rows[0]),
                notes=notes,
            )
    if not rows:
        if notice is not None:  # the platform's notice on a text no label knows: changed, or copied
            notes.append(finding("notice_without_label"))
        return _result(Verdict.not_found, media_type="text/plain", notes=notes)
    row = rows[0]
    stored = text_labels.open_record(row.record) if row.record else None
    if notice is not None and stored is not None:
        # The visible notice plus the platform's own signed record: as good as a mark.
        return _check_record(uow, config, stored, body_sha256, Match.record, notes)
    result = _result(
        Verdict.registry_match,
        match=Match.sha256,
        media_type="text/plain",
        label=_public(uow.session, config, row),
        notes=notes,
    )
    if stored is not None and _record_signature_ok(uow.session, stored):
        result.notes.append(finding("registry_record_valid"))
    return result


def _record_signature_ok(session: Session, record: text_labels.OpenedRecord) -> bool:
    cert = authority.certificate_by_serial(session, record.serial)
    if cert is None or cert.algorithm != keys.SigningAlgorithm.ed25519.value:
        return False
    leaf = keys.load_certificate(cert.certificate_pem)
    if not any(keys.issued_by(leaf, root) for root in authority.roots(session)):
        return False
    public_key = leaf.public_key()
    return isinstance(public_key, ed25519.Ed25519PublicKey) and text_labels.verify_record(record, public_key)


def _check_record(
    uow: UnitOfWork,
    config: LabelConfig,
    record: text_labels.OpenedRecord,
    body_sha256: str,
    match: Match,
    notes: list[Finding],
) -> Verification:
    if not _record_signature_ok(uow.session, record):
        cert = authority.certificate_by_serial(uow.session, record.serial)
        reason = finding("certificate_unknown") if cert is None else finding("signature_invalid")
        verdict = Verdict.untrusted if cert is None else Verdict.invalid
        return _result(verdict, media_type="text/plain", reasons=[reason], notes=notes)
    row = uow.session.get(LabelRow, str(record.payload.get("label")))
    cert, reasons = _trusted_signer(uow.session, record.serial)
    if row is not None and (cert is None or row.certificate_id != cert.id):
        row = None  # the record names a label another certificate made
    label = _public(uow.session, config, row) if row is not None else None
    if record.payload.get("sha256") != body_sha256:
        return _result(
            Verdict.invalid,
            media_type="text/plain",
            reasons=[finding("content_changed")],
            label=label,
            notes=notes,
        )
    if reasons:
        return _result(Verdict.untrusted, media_type="text/plain", reasons=reasons, label=label, notes=notes)
    if row is not None:
        _mark_verified(row)
        uow.commit()
    return _result(Verdict.trusted, match=match, media_type="text/plain", label=label, notes=notes)
