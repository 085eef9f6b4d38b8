"""Labelling media with C2PA and checking them: the service functions on a real database."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from typing import Any

import c2pa
import pytest
from PIL import Image
from tests.labels.support import CONFIG, actor_of, draft_system, encoded, picture, reencode, wav_bytes

from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.identity.actor import SYSTEM, Actor
from qazai.labels import authority, certificates, keys, media, service, verify
from qazai.labels.models import CertificateRevoke, Match, MediaLabelCreate, Verdict
from qazai.registry import service as registry_service
from qazai.registry.models import TransitionCreate
from qazai.storage.db import Database
from qazai.storage.tables.registry import AiSystemRow


@pytest.fixture
def owner(platform: Any, people: dict[str, Any]) -> Actor:
    return actor_of(platform.db, people["member"].user_id)


@pytest.fixture
def system_id(platform: Any, owner: Actor) -> str:
    return draft_system(platform.db, owner)


def label(db: Database, actor: Actor, system_id: str, data: bytes, **options: Any) -> Any:
    with db.uow() as uow:
        return service.label_media(uow, actor, CONFIG, MediaLabelCreate(system_id=system_id, **options), data)


def check(db: Database, data: bytes, sidecar: bytes | None = None) -> Any:
    with db.uow() as uow:
        return verify.verify_media(uow, CONFIG, data, sidecar)


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("PDF", "application/pdf")],
)
def test_labelled_file_verifies_as_trusted_with_who_and_notice(
    platform: Any, owner: Actor, system_id: str, fmt: str, media_type: str
) -> None:
    original = encoded(picture(), fmt)
    result = label(platform.db, owner, system_id, original, language="ru")
    assert result.media_type == media_type
    assert result.data != original and result.sidecar is None
    if fmt != "PDF":  # the picture itself is unchanged: same size and pixels decode
        assert Image.open(io.BytesIO(result.data)).size == (320, 240)
    reading = media.read_manifest(result.data, media_type, "")
    assert reading.digital_source_type == media.TRAINED_ALGORITHMIC_MEDIA
    assert reading.assertion is not None and reading.assertion["label_id"] == result.label.id
    assert reading.assertion["register_url"] == f"https://qazai.example.kz/register/{system_id}"
    assert set(reading.assertion["notice"]) == {"kk", "ru", "en"}

    checked = check(platform.db, result.data)
    assert checked.verdict is Verdict.trusted
    assert checked.match is Match.manifest
    assert checked.label.system_id == system_id
    assert checked.label.organisation.en == "Bureau of National Statistics"
    assert "Создано искусственным интеллектом" in checked.label.notice.ru


def test_audio_is_labelled_and_a_sidecar_keeps_the_file_unchanged(
    platform: Any, owner: Actor, system_id: str
) -> None:
    sound = wav_bytes()
    embedded = label(platform.db, owner, system_id, sound)
    assert embedded.media_type == "audio/wav"
    assert check(platform.db, embedded.data).verdict is Verdict.trusted

    png = encoded(picture(2), "PNG")
    side = label(platform.db, owner, system_id, png, sidecar=True)
    assert side.data == png and side.sidecar
    assert check(platform.db, png, side.sidecar).verdict is Verdict.trusted
    # Without its sidecar the file holds no label, but the registry knows its bytes.
    alone = check(platform.db, png)
    assert alone.verdict is Verdict.registry_match and alone.match is Match.sha256


def test_one_changed_byte_is_invalid_and_says_why(platform: Any, owner: Actor, system_id: str) -> None:
    result = label(platform.db, owner, system_id, encoded(picture(), "PNG"))
    tampered = bytearray(result.data)
    tampered[-200] ^= 0x01
    checked = check(platform.db, bytes(tampered))
    assert checked.verdict is Verdict.invalid
    assert any("dataHash.mismatch" in reason.message.en for reason in checked.reasons)


def test_reencoded_copy_is_found_by_perceptual_hash_with_its_distance(
    platform: Any, owner: Actor, system_id: str
) -> None:
    result = label(platform.db, owner, system_id, encoded(picture(7), "JPEG", quality=95))
    copy = reencode(result.data, scale=0.5, quality=60)
    checked = check(platform.db, copy)
    assert checked.verdict is Verdict.registry_match
    assert checked.match is Match.perceptual_hash
    assert checked.distance is not None and checked.distance <= 10
    assert checked.label.id == result.label.id
    # An unrelated picture is not matched.
    assert check(platform.db, encoded(picture(8), "JPEG")).verdict is Verdict.not_found


def test_revoked_certificate_makes_its_labels_untrusted(
    platform: Any, owner: Actor, system_id: str, people: dict[str, Any]
) -> None:
    result = label(platform.db, owner, system_id, encoded(picture(), "JPEG"))
    regulator = actor_of(platform.db, people["regulator"].user_id)
    with platform.db.uow() as uow:
        certs = certificates.list_certificates(uow, regulator, system_id)
    serials = {c.serial: c for c in certs}
    cert = serials[result.label.signer_serial]
    assert cert.algorithm == "es256"
    with platform.db.uow() as uow:
        certificates.revoke_certificate(uow, regulator, cert.id, CertificateRevoke(reason="key leaked"))
    checked = check(platform.db, result.data)
    assert checked.verdict is Verdict.untrusted
    assert [r.code for r in checked.reasons] == ["certificate_revoked"]
    # The next label gets a new certificate, which is trusted.
    again = label(platform.db, owner, system_id, encoded(picture(3), "JPEG"))
    assert again.label.signer_serial != cert.serial
    assert check(platform.db, again.data).verdict is Verdict.trusted


def test_manifest_from_a_foreign_ca_is_untrusted(platform: Any, owner: Actor, system_id: str) -> None:
    genuine = label(platform.db, owner, system_id, encoded(picture(9), "PNG"))
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    root, root_key = keys.make_root(now, name="Someone else's root")
    leaf, leaf_key = keys.issue_leaf(
        root, root_key, keys.LeafSubject("Impostor", "X", "Fake", "Y"), keys.SigningAlgorithm.es256, now
    )
    signer = keys.FileKeySigner(
        keys.SigningAlgorithm.es256,
        keys.serial_hex(leaf),
        keys.certificate_pem(leaf) + keys.certificate_pem(root),
        leaf_key,
    )
    forged = media.sign_media(
        encoded(picture(), "JPEG"),
        "image/jpeg",
        # the forger copies a genuine label's id and system into its own manifest
        media.manifest_definition("x", {"label_id": genuine.label.id, "ai_system_id": system_id}),
        signer,
    )
    checked = check(platform.db, forged.data)
    assert checked.verdict is Verdict.untrusted
    assert {r.code for r in checked.reasons} >= {"signer_not_trusted", "certificate_unknown"}
    assert checked.label is None  # nothing of the genuine label is lent to the forgery


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/manifest.c2pa", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_manifest_pointing_at_a_url_is_never_fetched(
    platform: Any, counting_server: tuple[str, list[str]]
) -> None:
    url, hits = counting_server
    with platform.db.uow() as uow:
        root = authority.ensure_root(uow.session, CONFIG.secret_key)
        uow.commit()
        root_pem = root.certificate_pem
    from datetime import UTC, datetime

    root_cert = keys.load_certificate(root_pem)
    with platform.db.uow() as uow:
        root_key = keys.decrypt_key(authority.active_root(uow.session).encrypted_key_pem, CONFIG.secret_key)  # type: ignore[union-attr]
    leaf, leaf_key = keys.issue_leaf(
        root_cert,
        root_key,
        keys.LeafSubject("O", "O", "S", "S"),
        keys.SigningAlgorithm.es256,
        datetime.now(UTC),
    )
    signer = keys.FileKeySigner(
        keys.SigningAlgorithm.es256, keys.serial_hex(leaf), keys.certificate_pem(leaf) + root_pem, leaf_key
    )
    with media.c2pa_signer(signer) as native, c2pa.Builder(media.manifest_definition("r", {})) as builder:
        builder.set_no_embed()
        builder.set_remote_url(url)
        out = io.BytesIO()
        builder.sign(native, "image/jpeg", io.BytesIO(encoded(picture(), "JPEG")), out)
    checked = check(platform.db, out.getvalue())
    assert checked.verdict is Verdict.not_found
    assert [n.code for n in checked.notes] == ["remote_manifest_not_fetched"]
    assert url in checked.notes[0].message.en
    assert hits == []


def test_bad_files_are_refused_with_a_clear_error(platform: Any, owner: Actor, system_id: str) -> None:
    good = encoded(picture(), "PNG")
    with pytest.raises(InvalidInput) as corrupt:
        check(platform.db, good[:200])
    assert corrupt.value.code == "corrupt_image"
    # A bomb: a tiny PNG that claims 20000 x 20000 pixels.
    bomb = encoded(Image.new("1", (20000, 20000)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(InvalidInput) as refused:
        check(platform.db, bomb)
    assert refused.value.code == "image_too_many_pixels"
    with pytest.raises(InvalidInput) as unknown:
        check(platform.db, b"just some words, not a file type")
    assert unknown.value.code == "unsupported_media_type"
    with pytest.raises(InvalidInput) as stamped_audio:
        label(platform.db, owner, system_id, wav_bytes(), visible_notice=True)
    assert stamped_audio.value.code == "visible_notice_not_supported"


def test_visible_notice_is_stamped_and_still_verifies(platform: Any, owner: Actor, system_id: str) -> None:
    original = picture(5, (400, 300))
    result = label(
        platform.db, owner, system_id, encoded(original, "PNG"), visible_notice=True, language="kk"
    )
    stamped = Image.open(io.BytesIO(result.data)).convert("RGB")
    # The bottom band is dark where the notice is written; the top is the picture as it was.
    assert stamped.getpixel((2, 299)) != original.getpixel((2, 299))
    assert stamped.getpixel((200, 10)) == original.getpixel((200, 10))
    assert result.label.visible_notice is True
    assert check(platform.db, result.data).verdict is Verdict.trusted


def test_suspended_or_foreign_system_cannot_label(
    platform: Any, owner: Actor, system_id: str, people: dict[str, Any]
) -> None:
    outsider = actor_of(platform.db, people["outsider"].user_id)
    with pytest.raises((PermissionDenied, NotFound)):
        label(platform.db, outsider, system_id, encoded(picture(), "PNG"))
    read_only = actor_of(platform.db, people["member"].user_id, scopes=frozenset({"read", "write"}))
    with pytest.raises(PermissionDenied) as scope:
        label(platform.db, read_only, system_id, encoded(picture(), "PNG"))
    assert scope.value.code == "insufficient_scope"
    with platform.db.uow() as uow:  # the regulator suspends the system (as the workflow would)
        row = uow.session.get(AiSystemRow, system_id)
        assert row is not None
        row.state = "registered"
        uow.commit()
    with platform.db.uow() as uow:
        registry_service.transition_system(
            uow, SYSTEM, system_id, TransitionCreate(to="suspended", reason="unlabelled deepfakes")
        )
    with pytest.raises(Conflict) as suspended:
        label(platform.db, owner, system_id, encoded(picture(), "PNG"))
    assert suspended.value.code == "system_suspended"
