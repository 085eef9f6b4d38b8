"""Labelling operations: label media and text for an AI system, certificates, counts.

Every function authorises with ``policy``, validates, writes rows and one audit event per label
in the same transaction and commits. Verification is in ``verify.py``.
"""

from __future__ import annotations

import base64
import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import c2pa
from sqlalchemy.orm import Session

from qazai.audit.service import record_event
from qazai.config import Settings
from qazai.core.clock import utcnow
from qazai.core.enums import Language
from qazai.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from qazai.core.ids import new_id
from qazai.core.text import LocalizedText
from qazai.identity.actor import Actor
from qazai.labels import authority, images, keys, media, policy, repo
from qazai.labels import text as text_labels
from qazai.labels.models import (
    Embedding,
    LabelCounts,
    LabelKind,
    LabelledMedia,
    LabelledText,
    LabelRead,
    MediaLabelCreate,
    TextBatchCreate,
    TextLabelCreate,
)
from qazai.registry import policy as registry_policy
from qazai.registry import repo as registry_repo
from qazai.registry import service as registry_service
from qazai.registry.workflow import SystemState
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.labels import LabelCertificateRow, LabelRow
from qazai.storage.tables.registry import AiSystemRow

MAX_MEDIA_BYTES = 50 * 1024 * 1024
MAX_BATCH_FILES = 20  # together within the request limit of the labelling routes
_FINGERPRINTS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="qazai-label-phash")
# A system may label while it is being registered (test labels) and once registered; a suspended,
# rejected or retired system may not: its output may not be distributed as a registered system's.
LABELLING_STATES = frozenset(
    {
        SystemState.draft,
        SystemState.submitted,
        SystemState.in_review,
        SystemState.returned,
        SystemState.registered,
    }
)


@dataclass(frozen=True)
class LabelConfig:
    """What labelling needs from the settings: the secret that protects the keys and the public
    address the register links use."""

    secret_key: str
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> LabelConfig:
        return cls(secret_key=settings.secret_key.get_secret_value(), base_url=settings.public_base_url)

    def register_url(self, system_id: str) -> str:
        return f"{self.base_url}/register/{system_id}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def phash_hex(value: int | None) -> str | None:
    return None if value is None else format(value & ((1 << 64) - 1), "016x")


def to_read(row: LabelRow, serial: str) -> LabelRead:
    return LabelRead(
        id=row.id,
        system_id=row.system_id,
        organisation_id=row.organisation_id,
        kind=LabelKind(row.kind),
        media_type=row.media_type,
        content_sha256=row.content_sha256,
        source_sha256=row.source_sha256,
        phash=phash_hex(row.phash),
        embedding=Embedding(row.embedding),
        visible_notice=row.visible_notice,
        language=Language(row.language),
        notice=LocalizedText.model_validate(row.notice),
        signer_serial=serial,
        test=row.test,
        created_at=row.created_at,
    )


def load_labelling_system(uow: UnitOfWork, actor: Actor, system_id: str) -> AiSystemRow:
    """The system ``actor`` may label for; NotFound, PermissionDenied or Conflict (suspended...)."""
    system = registry_repo.get_system(uow.session, system_id)
    # A token with only the `label` scope cannot read the record, but may label for it.
    if system is None or not (
        policy.can_label_for_system(actor, system) or registry_policy.can_read_system(actor, system)
    ):
        raise NotFound(f"no AI system {system_id!r}")
    if not policy.can_label_for_system(actor, system):
        raise policy.refusal(
            actor,
            "only members of the system's owner organisation can label its output",
            scope=policy.LABEL_SCOPE,
        )
    state = SystemState(system.state)
    if state not in LABELLING_STATES:
        raise Conflict(
            f"the AI system is {state.value}; its output cannot be labelled as a registered system's",
            code="system_suspended" if state is SystemState.suspended else "system_not_labelling",
            details={"state": state.value},
        )
    return system


def _notices(config: LabelConfig, system: AiSystemRow, *, media_notice: bool) -> LocalizedText:
    name = LocalizedText.model_validate(system.name)
    url = config.register_url(system.id)
    return LocalizedText(
        **{
            lang.value: text_labels.notice_text(lang, name.get(lang), url, media=media_notice)
            for lang in Language
        }
    )


def _audit(uow: UnitOfWork, actor: Actor, action: str, row: LabelRow, summary: dict[str, Any]) -> None:
    record_event(
        uow.session,
        action=action,
        object_type="label",
        object_id=row.id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        organisation_id=row.organisation_id,
        summary={"system_id": row.system_id, **summary},
        request_id=uow.request_id,
    )


# -- media ---------------------------------------------------------------------------------------


def label_media(
    uow: UnitOfWork, actor: Actor, config: LabelConfig, cmd: MediaLabelCreate, data: bytes
) -> LabelledMedia:
    """Embed a signed C2PA manifest into ``data`` (or return it as a sidecar) and register the label.

    InvalidInput for an unsupported, corrupt or bomb file, PayloadTooLarge over ``MAX_MEDIA_BYTES``,
    NotFound/PermissionDenied/Conflict as ``load_labelling_system``.
    """
    system = load_labelling_system(uow, actor, cmd.system_id)
    result = _label_one_media(uow, actor, config, system, cmd, data)
    uow.commit()
    return result


def label_media_batch(
    uow: UnitOfWork, actor: Actor, config: LabelConfig, cmd: MediaLabelCreate, files: list[tuple[str, bytes]]
) -> list[LabelledMedia]:
    """Label up to ``MAX_BATCH_FILES`` files of one system with the same options, in one
    transaction: all are labelled or none (the error names the file)."""
    if not files or len(files) > MAX_BATCH_FILES:
        raise InvalidInput(f"give 1 to {MAX_BATCH_FILES} files", code="batch_size")
    system = load_labelling_system(uow, actor, cmd.system_id)
    results = []
    for index, (filename, data) in enumerate(files):
        one = cmd.model_copy(update={"filename": (filename or "file")[-255:]})
        try:
            results.append(_label_one_media(uow, actor, config, system, one, data))
        except (InvalidInput, PayloadTooLarge) as exc:
            raise type(exc)(
                f"file {index} ({filename}): {exc.message}",
                code=exc.code,
                details={**exc.details, "index": index},
            ) from None
    uow.commit()
    return results


def _label_one_media(
    uow: UnitOfWork,
    actor: Actor,
    config: LabelConfig,
    system: AiSystemRow,
    cmd: MediaLabelCreate,
    data: bytes,
) -> LabelledMedia:
    if len(data) > MAX_MEDIA_BYTES:
        raise PayloadTooLarge(
            f"the file is {len(data):,} bytes; at most {MAX_MEDIA_BYTES:,} can be labelled",
            details={"max_bytes": MAX_MEDIA_BYTES},
        )
    media_type = media.sniff_media_type(data[:16])
    if media_type is None or media_type not in media.MEDIA_TYPES:
        raise InvalidInput(
            "this file type cannot be labelled; give one of: " + ", ".join(sorted(media.MEDIA_TYPES)),
            code="unsupported_media_type",
        )
    if cmd.sidecar and media_type == "application/pdf":
        raise InvalidInput(
            "a PDF is labelled with an embedded manifest only "
            "(the C2PA library does not validate PDF sidecars)",
            code="sidecar_not_supported",
        )
    notices = _notices(config, system, media_notice=True)
    signed_input = data
    fingerprint: Future[int] | None = None
    source_sha256 = _FINGERPRINTS.submit(sha256_bytes, data)  # hashlib releases the GIL too
    if media_type in media.IMAGE_TYPES:
        if cmd.visible_notice:
            signed_input = images.stamp_notice(images.open_image(data), notices.get(cmd.language), media_type)
        # Decoding for the perceptual hash overlaps the signing (both release the GIL).
        fingerprint = _FINGERPRINTS.submit(images.fingerprint, signed_input)
    elif cmd.visible_notice:
        raise InvalidInput(
            "a visible notice is stamped into pictures (PNG, JPEG, WebP) only; say it in the content "
            "of audio and video",
            code="visible_notice_not_supported",
        )
    cert = authority.signing_certificate(uow.session, config.secret_key, system, keys.SigningAlgorithm.es256)
    signer = authority.signer_for(uow.session, config.secret_key, cert)
    now = utcnow()
    label_id = new_id()
    assertion = {
        "label_id": label_id,
        "ai_system_id": system.id,
        "organisation_id": system.owner_organisation_id,
        "register_url": config.register_url(system.id),
        "notice": notices.model_dump(exclude_none=True),
        "created": now.isoformat(),
    }
    definition = media.manifest_definition(cmd.filename, assertion)
    try:
        signed = media.sign_media(signed_input, media_type, definition, signer, embed=not cmd.sidecar)
    except c2pa.C2paError as exc:
        if fingerprint is not None:
            fingerprint.cancel()
        raise InvalidInput(
            f"the C2PA library could not label this {media_type} file: {str(exc)[:200]}",
            code="media_not_labelled",
        ) from None
    row = LabelRow(
        id=label_id,
        system_id=system.id,
        organisation_id=system.owner_organisation_id,
        certificate_id=cert.id,
        kind=LabelKind.media.value,
        media_type=media_type,
        content_sha256=sha256_bytes(signed.data),
        source_sha256=source_sha256.result(),
        phash=None,  # set below, when the decoding running beside all this is done
        embedding=(Embedding.manifest if signed.embedded else Embedding.sidecar).value,
        visible_notice=cmd.visible_notice,
        language=cmd.language.value,
        notice=notices.model_dump(exclude_none=True),
        record=None,
        test=system.state != SystemState.registered.value,
        verified_at=None,
        created_by=actor.user_id,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    _audit(
        uow,
        actor,
        "label.create",
        row,
        {"kind": row.kind, "media_type": media_type, "sha256": row.content_sha256},
    )
    if fingerprint is not None:
        row.phash = fingerprint.result()
    stem = cmd.filename.rsplit(".", 1)[0] or "file"
    return LabelledMedia(
        label=to_read(row, cert.serial),
        media_type=media_type,
        filename=f"{stem}.labelled.{media.EXTENSIONS.get(media_type, 'bin')}",
        data=signed.data,
        sidecar=None if signed.embedded else signed.manifest,
    )


# -- text ----------------------------------------------------------------------------------------


def _label_one_text(
    uow: UnitOfWork,
    actor: Actor,
    config: LabelConfig,
    system: AiSystemRow,
    cert: LabelCertificateRow,
    body: str,
    *,
    language: Language,
    visible_notice: bool,
    invisible_mark: bool,
) -> LabelledText:
    normalised = text_labels.normalise_text(body)
    if not normalised.text:
        raise InvalidInput(
            "the text is empty once invisible characters and spaces are removed", code="empty_text"
        )
    notices = _notices(config, system, media_notice=False)
    notice = notices.get(language)
    labelled = f"{normalised.text}\n\n{notice}" if visible_notice else normalised.text
    signer = authority.signer_for(uow.session, config.secret_key, cert)
    now = utcnow()
    label_id = new_id()
    body_sha256 = text_labels.sha256_text(normalised.text)
    record = text_labels.sign_record(
        text_labels.record_payload(
            label_id=label_id,
            system_id=system.id,
            organisation_id=system.owner_organisation_id,
            body_sha256=body_sha256,
            created=now,
            lang=language,
        ),
        signer,
    )
    delivered = text_labels.embed_mark(labelled, record) if invisible_mark else labelled
    row = LabelRow(
        id=label_id,
        system_id=system.id,
        organisation_id=system.owner_organisation_id,
        certificate_id=cert.id,
        kind=LabelKind.text.value,
        media_type="text/plain",
        content_sha256=text_labels.sha256_text(labelled),
        source_sha256=body_sha256,
        phash=None,
        embedding=(Embedding.mark if invisible_mark else Embedding.record).value,
        visible_notice=visible_notice,
        language=language.value,
        notice=notices.model_dump(exclude_none=True),
        record=record,
        test=system.state != SystemState.registered.value,
        verified_at=None,
        created_by=actor.user_id,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    _audit(uow, actor, "label.create", row, {"kind": row.kind, "sha256": body_sha256})
    return LabelledText(
        label=to_read(row, cert.serial), text=delivered, record=base64.b64encode(record).decode()
    )


def label_text(uow: UnitOfWork, actor: Actor, config: LabelConfig, cmd: TextLabelCreate) -> LabelledText:
    """Sign a label record over the normalised text, add the notice (and the invisible mark) and
    register the label. InvalidInput for a text that is empty once normalised."""
    system = load_labelling_system(uow, actor, cmd.system_id)
    cert = authority.signing_certificate(
        uow.session, config.secret_key, system, keys.SigningAlgorithm.ed25519
    )
    result = _label_one_text(
        uow,
        actor,
        config,
        system,
        cert,
        cmd.text,
        language=cmd.language,
        visible_notice=cmd.visible_notice,
        invisible_mark=cmd.invisible_mark,
    )
    uow.commit()
    return result


def label_texts(
    uow: UnitOfWork, actor: Actor, config: LabelConfig, cmd: TextBatchCreate
) -> list[LabelledText]:
    """Label up to ``MAX_BATCH_ITEMS`` texts in one transaction: all are labelled or none."""
    system = load_labelling_system(uow, actor, cmd.system_id)
    cert = authority.signing_certificate(
        uow.session, config.secret_key, system, keys.SigningAlgorithm.ed25519
    )
    results = []
    for index, body in enumerate(cmd.texts):
        try:
            results.append(
                _label_one_text(
                    uow,
                    actor,
                    config,
                    system,
                    cert,
                    body,
                    language=cmd.language,
                    visible_notice=cmd.visible_notice,
                    invisible_mark=cmd.invisible_mark,
                )
            )
        except InvalidInput as exc:
            raise InvalidInput(
                f"text {index}: {exc.message}", code=exc.code, details={"index": index}
            ) from None
    uow.commit()
    return results


# -- counts and the registration check ----------------------------------------------------------


def count_labels(session: Session, system_id: str) -> LabelCounts:
    """How many labels a system made (public: the register page shows it)."""
    counts = repo.count_by_system(session, system_id)
    media_count = sum(n for (kind, _), n in counts.items() if kind == LabelKind.media.value)
    text_count = sum(n for (kind, _), n in counts.items() if kind == LabelKind.text.value)
    return LabelCounts(
        system_id=system_id,
        total=media_count + text_count,
        media=media_count,
        text=text_count,
        test=sum(n for (_, test), n in counts.items() if test),
    )


def has_verified_test_label(session: Session, system_id: str) -> bool:
    """Whether a label of the system has come back trusted from a verification (labelling set up)."""
    return repo.has_verified_label(session, system_id)


def labelling_not_shown(session: Session, system: AiSystemRow) -> str | None:
    """The registry's pre-registration check: what is missing for a system whose owner declared
    that it produces synthetic content (``produces_synthetic_content``; a generative type implies it
    unless the owner answered otherwise), or None (a label of it came back ``trusted`` from a
    verification)."""
    if not system.produces_synthetic_content or has_verified_test_label(session, system.id):
        return None
    return (
        "the system makes synthetic content (Law on AI Art. 21): the owner labels a test output "
        "(POST /api/v1/labels or qazai label) and checks it at /verify until it reads trusted"
    )


def install_hooks() -> None:
    """Add ``labelling_not_shown`` to the registry's registration checks (idempotent)."""
    if labelling_not_shown not in registry_service.REGISTRATION_CHECKS:
        registry_service.REGISTRATION_CHECKS.append(labelling_not_shown)
