"""Keys and certificates of the platform's labelling CA, and the one signer interface.

The CA is an ES256 (P-256) root made on first use. Each AI system of an organisation gets two
leaf certificates from it: ES256 for C2PA manifests of media and Ed25519 for the COSE_Sign1
records of text. Private keys are PKCS#8 PEM encrypted with a password derived (HKDF-SHA256) from
the platform secret ``QAZAI_SECRET_KEY``; the database never holds a key in the clear.

Signing goes through :class:`LabelSigner`: :class:`FileKeySigner` holds a decrypted key in memory;
a hardware key (PKCS#11, a cloud KMS) implements the same three members.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT_VALIDITY = timedelta(days=3650)
LEAF_VALIDITY = timedelta(days=365)
# A leaf this close to its end is replaced before the next label, so no label is signed by a
# certificate about to expire.
LEAF_RENEW_BEFORE = timedelta(days=30)
_BACKDATE = timedelta(minutes=5)  # tolerate clocks of verifiers a little behind ours
_KDF_INFO = b"qazai.labels.private-key-encryption.v1"

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class SigningAlgorithm(StrEnum):
    es256 = "es256"  # C2PA manifests of media
    ed25519 = "ed25519"  # COSE_Sign1 records of text (EdDSA)


class LabelSigner(Protocol):
    """Signs label payloads with one certificate's key.

    ``sign`` receives the exact bytes to sign and returns the signature in the form the caller's
    format wants: DER for ES256 (the C2PA library converts it), the 64 raw bytes for Ed25519.
    It must not log or keep ``data``. An implementation backed by a hardware module holds no key
    in this process.
    """

    @property
    def algorithm(self) -> SigningAlgorithm: ...

    @property
    def serial(self) -> str:
        """The certificate's serial number, lower-case hex."""

    @property
    def certificate_chain_pem(self) -> str:
        """The leaf certificate first, then the root, PEM."""

    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class FileKeySigner:
    """A :class:`LabelSigner` over a private key decrypted from the database."""

    algorithm: SigningAlgorithm
    serial: str
    certificate_chain_pem: str
    private_key: PrivateKey

    def sign(self, data: bytes) -> bytes:
        if isinstance(self.private_key, ed25519.Ed25519PrivateKey):
            return self.private_key.sign(data)
        return self.private_key.sign(data, ec.ECDSA(hashes.SHA256()))


def key_password(secret: str) -> bytes:
    """The password of every stored private key: HKDF-SHA256 of the platform secret."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KDF_INFO).derive(secret.encode())
    return derived.hex().encode()


def encrypt_key(key: PrivateKey, secret: str) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(key_password(secret)),
    ).decode()


def decrypt_key(pem: str, secret: str) -> PrivateKey:
    """The private key of ``pem``; ValueError when ``secret`` is not the one it was encrypted with."""
    key = serialization.load_pem_private_key(pem.encode(), password=key_password(secret))
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError("not a labelling key (P-256 or Ed25519)")
    return key


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def load_certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def serial_hex(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def make_root(
    now: datetime, *, name: str = "QazAI content labelling root"
) -> tuple[x509.Certificate, PrivateKey]:
    """A self-signed ES256 CA certificate that may sign end-entity certificates only."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "QazAI National AI Platform"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} {now:%Y-%m-%d}"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


@dataclass(frozen=True)
class LeafSubject:
    """Who a signing certificate names: the organisation and its registered AI system."""

    organisation: str
    organisation_id: str
    system: str
    system_id: str


def issue_leaf(
    root: x509.Certificate,
    root_key: PrivateKey,
    subject: LeafSubject,
    algorithm: SigningAlgorithm,
    now: datetime,
) -> tuple[x509.Certificate, PrivateKey]:
    """An end-entity signing certificate: not a CA, digitalSignature, EKU documentSigning and
    emailProtection (both accepted by C2PA validators), SKI and AKI present."""
    if not isinstance(root_key, ec.EllipticCurvePrivateKey):
        raise ValueError("the root key must be P-256")
    key: PrivateKey = (
        ec.generate_private_key(ec.SECP256R1())
        if algorithm is SigningAlgorithm.es256
        else ed25519.Ed25519PrivateKey.generate()
    )
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject.organisation[:64] or "?"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"organisation {subject.organisation_id}"),
            x509.NameAttribute(NameOID.COMMON_NAME, subject.system[:64] or "?"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, subject.system_id),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(min(now + LEAF_VALIDITY, root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36"), ExtendedKeyUsageOID.EMAIL_PROTECTION]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    return cert, key


def issued_by(leaf: x509.Certificate, root: x509.Certificate) -> bool:
    """Whether ``root`` signed ``leaf`` (signature checked, not only the names)."""
    try:
        leaf.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
