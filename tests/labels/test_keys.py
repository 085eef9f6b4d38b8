"""The labelling CA: certificate profile, keys encrypted at rest, rotation and re-encryption."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import select
from tests.labels.support import CONFIG, SECRET, actor_of, draft_system, encoded, picture

from qazai.core.errors import ConfigError, PermissionDenied
from qazai.labels import authority, certificates, keys, service, verify
from qazai.labels.models import MediaLabelCreate, Verdict
from qazai.storage.tables.labels import LabelAuthorityRow, LabelCertificateRow

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


def test_signing_certificate_profile() -> None:
    now = datetime.now(UTC)
    root, root_key = keys.make_root(now)
    subject = keys.LeafSubject("Bureau of National Statistics", "ORG1", "Census assistant", "SYS1")
    for algorithm, key_type in (
        (keys.SigningAlgorithm.es256, ec.EllipticCurvePublicKey),
        (keys.SigningAlgorithm.ed25519, ed25519.Ed25519PublicKey),
    ):
        leaf, _ = keys.issue_leaf(root, root_key, subject, algorithm, now)
        assert isinstance(leaf.public_key(), key_type)
        assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.digital_signature and not usage.key_cert_sign
        ekus = list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
        assert DOCUMENT_SIGNING in ekus and ExtendedKeyUsageOID.EMAIL_PROTECTION in ekus
        ski = leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert ski.digest and aki.key_identifier == root_ski.digest
        assert "Census assistant" in leaf.subject.rfc4514_string()
        assert "Bureau of National Statistics" in leaf.subject.rfc4514_string()
        assert keys.issued_by(leaf, root)
    other_root, _ = keys.make_root(now)
    assert not keys.issued_by(leaf, other_root)


def test_private_keys_are_encrypted_with_the_platform_secret() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = keys.encrypt_key(key, SECRET)
    assert "ENCRYPTED PRIVATE KEY" in pem
    assert keys.decrypt_key(pem, SECRET).private_numbers() == key.private_numbers()  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        keys.decrypt_key(pem, "another-secret-of-sufficient-length-0000")


def test_rotation_keeps_old_labels_trusted_and_rekey_follows_a_new_secret(
    platform: Any, people: dict[str, Any]
) -> None:
    owner = actor_of(platform.db, people["member"].user_id)
    operator = actor_of(platform.db, people["operator"].user_id)
    system_id = draft_system(platform.db, owner)

    def label(config: service.LabelConfig, seed: int) -> Any:
        with platform.db.uow() as uow:
            return service.label_media(
                uow, owner, config, MediaLabelCreate(system_id=system_id), encoded(picture(seed), "PNG")
            )

    before = label(CONFIG, 1)
    with platform.db.uow() as uow, pytest.raises(PermissionDenied):
        certificates.rotate_root(uow, owner, CONFIG)
    with platform.db.uow() as uow:
        certificates.rotate_root(uow, operator, CONFIG)
    after = label(CONFIG, 2)
    assert after.label.signer_serial != before.label.signer_serial
    with platform.db.uow() as uow:
        states = sorted(row.state for row in uow.session.scalars(select(LabelAuthorityRow)))
        assert states == ["active", "retired"]
        assert verify.verify_media(uow, CONFIG, before.data).verdict is Verdict.trusted
        assert verify.verify_media(uow, CONFIG, after.data).verdict is Verdict.trusted

    new_config = service.LabelConfig(
        secret_key="a-brand-new-secret-key-0123456789abcdef", base_url=CONFIG.base_url
    )
    with platform.db.uow() as uow:
        assert (
            certificates.rekey(uow, operator, SECRET, new_config.secret_key) == 1 + 2 + 1
        )  # 2 roots, 2 leaves
    with platform.db.uow() as uow, pytest.raises(ConfigError) as stale:
        pem = uow.session.scalars(select(LabelCertificateRow)).first().encrypted_key_pem  # type: ignore[union-attr]
        authority._decrypt(pem, SECRET)
    assert stale.value.code == "label_keys_undecryptable"
    third = label(new_config, 3)
    with platform.db.uow() as uow:
        assert verify.verify_media(uow, new_config, third.data).verdict is Verdict.trusted


class OutsideSigner:
    """A LabelSigner whose key lives elsewhere (as a hardware module's would): it only answers
    sign(); the C2PA library and the COSE record reach the key through the interface alone."""

    def __init__(self, inner: keys.FileKeySigner) -> None:
        self._inner = inner
        self.calls = 0

    @property
    def algorithm(self) -> keys.SigningAlgorithm:
        return self._inner.algorithm

    @property
    def serial(self) -> str:
        return self._inner.serial

    @property
    def certificate_chain_pem(self) -> str:
        return self._inner.certificate_chain_pem

    def sign(self, data: bytes) -> bytes:
        self.calls += 1
        return self._inner.sign(data)


def test_any_label_signer_signs_manifests_and_records() -> None:
    from qazai.labels import media
    from qazai.labels import text as text_labels

    now = datetime.now(UTC)
    root, root_key = keys.make_root(now)
    subject = keys.LeafSubject("Org", "O", "System", "S")
    signers = {}
    for algorithm in keys.SigningAlgorithm:
        leaf, key = keys.issue_leaf(root, root_key, subject, algorithm, now)
        chain = keys.certificate_pem(leaf) + keys.certificate_pem(root)
        signers[algorithm] = (
            OutsideSigner(keys.FileKeySigner(algorithm, keys.serial_hex(leaf), chain, key)),
            leaf,
        )

    es256, _ = signers[keys.SigningAlgorithm.es256]
    signed = media.sign_media(
        encoded(picture(), "JPEG"), "image/jpeg", media.manifest_definition("x", {"label_id": "L"}), es256
    )
    reading = media.read_manifest(signed.data, "image/jpeg", keys.certificate_pem(root))
    assert reading.state == "Trusted" and reading.serial == es256.serial and es256.calls == 1

    ed25519_signer, leaf = signers[keys.SigningAlgorithm.ed25519]
    record = text_labels.open_record(text_labels.sign_record({"sha256": "x"}, ed25519_signer))
    assert record is not None and ed25519_signer.calls == 1
    public = leaf.public_key()
    assert isinstance(public, ed25519.Ed25519PublicKey) and text_labels.verify_record(record, public)
