"""C2PA manifests for media files, through the C2PA library (``c2pa-python``), offline.

Signing embeds a manifest with the ``c2pa.created`` action, the IPTC digital source type
``trainedAlgorithmicMedia`` and the platform's assertion ``kz.qazai.label``; with ``embed=False``
the file is left as it was and the manifest comes back as a sidecar (``.c2pa``). Reading never
touches the network: remote manifests are not fetched, OCSP is not asked, and the only trust
anchors are the platform's own roots (they replace the library's built-in list).
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from typing import Any

import c2pa

from qazai.labels.keys import LabelSigner, SigningAlgorithm

ASSERTION_LABEL = "kz.qazai.label"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
CLAIM_GENERATOR = "QazAI labels"

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
# What the platform labels: the C2PA library embeds into each of these (tests cover JPEG, PNG,
# WebP, PDF and WAV; the others go through the same library calls).
MEDIA_TYPES = frozenset(
    {
        *IMAGE_TYPES,
        "image/gif",
        "image/tiff",
        "image/avif",
        "application/pdf",
        "audio/wav",
        "audio/mpeg",
        "audio/flac",
        "audio/mp4",
        "video/mp4",
        "video/quicktime",
        "video/x-msvideo",
    }
)
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/tiff": "tif",
    "image/avif": "avif",
    "application/pdf": "pdf",
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/flac": "flac",
    "audio/mp4": "m4a",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/x-msvideo": "avi",
}


def sniff_media_type(head: bytes) -> str | None:
    """The media type of a file from its first bytes (never from its name or a client's header)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(head[8:12])
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "image/avif"
        if brand == b"qt  ":
            return "video/quicktime"
        if brand == b"M4A ":
            return "audio/mp4"
        return "video/mp4"
    return None


@dataclass(frozen=True)
class SignedMedia:
    data: bytes  # the labelled file (the original, unchanged, when the manifest is a sidecar)
    manifest: bytes  # the manifest store: embedded in ``data``, or the sidecar's bytes
    embedded: bool


@dataclass
class ManifestReading:
    """What the C2PA library found in a file, reduced to what the platform decides on."""

    found: bool
    state: str | None = None  # Trusted, Valid or Invalid (the library's validation state)
    failures: list[str] = field(default_factory=list)  # validation failure codes
    assertion: dict[str, Any] | None = None  # the platform's kz.qazai.label assertion
    digital_source_type: str | None = None
    serial: str | None = None  # the signing certificate's serial, hex
    signer_name: str | None = None
    remote_url: str | None = None  # a manifest the file points at (never fetched)
    error: str | None = None  # the library refused the file (not a manifest problem)


_lock = threading.Lock()
_sign_context: c2pa.Context | None = None
_read_contexts: dict[str, c2pa.Context] = {}


def _signing_context() -> c2pa.Context:
    global _sign_context
    with _lock:
        if _sign_context is None:
            _sign_context = c2pa.Context.from_dict(
                {
                    # a label needs no thumbnail of the picture (and making one costs more than signing)
                    "builder": {"thumbnail": {"enabled": False}},
                    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
                }
            )
        return _sign_context


def reading_context(anchors_pem: str) -> c2pa.Context:
    """A reader's context that trusts ``anchors_pem`` only and never goes to the network."""
    with _lock:
        context = _read_contexts.get(anchors_pem)
        if context is None:
            if len(_read_contexts) > 8:  # roots rotate rarely; do not grow without bound
                _read_contexts.clear()
            context = c2pa.Context.from_dict(
                {
                    "trust": {"trust_anchors": anchors_pem} if anchors_pem else {},
                    "verify": {
                        "remote_manifest_fetch": False,
                        "ocsp_fetch": False,
                        "verify_trust": True,
                    },
                    "core": {"allowed_network_hosts": []},
                }
            )
            _read_contexts[anchors_pem] = context
        return context


def manifest_definition(title: str, platform_assertion: dict[str, Any]) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": CLAIM_GENERATOR, "version": "1"}],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [{"action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA}]
                },
            },
            {"label": ASSERTION_LABEL, "data": platform_assertion},
        ],
    }


def c2pa_signer(signer: LabelSigner) -> c2pa.Signer:
    if signer.algorithm is not SigningAlgorithm.es256:
        raise ValueError("C2PA manifests are signed with the ES256 certificate")
    return c2pa.Signer.from_callback(
        signer.sign, c2pa.C2paSigningAlg.ES256, signer.certificate_chain_pem, None
    )


def sign_media(
    data: bytes, media_type: str, definition: dict[str, Any], signer: LabelSigner, *, embed: bool = True
) -> SignedMedia:
    """Sign ``data`` (of ``media_type``) with ``definition``. c2pa.C2paError when the library
    refuses the file (e.g. a corrupt container)."""
    with (
        c2pa_signer(signer) as native_signer,
        c2pa.Builder(definition, context=_signing_context()) as builder,
    ):
        if not embed:
            builder.set_no_embed()
        out = io.BytesIO()
        manifest = builder.sign(native_signer, media_type, io.BytesIO(data), out)
    return SignedMedia(data=out.getvalue() if embed else data, manifest=bytes(manifest), embedded=embed)


def read_manifest(
    data: bytes, media_type: str, anchors_pem: str, sidecar: bytes | None = None
) -> ManifestReading:
    """Read and validate the manifest of ``data`` (or of its ``sidecar``) against ``anchors_pem``."""
    try:
        reader = c2pa.Reader(media_type, io.BytesIO(data), sidecar, reading_context(anchors_pem))
    except c2pa.C2paError.ManifestNotFound:
        return ManifestReading(found=False)
    except c2pa.C2paError as exc:
        message = str(exc)
        # The library names a manifest the file points at and refuses, since fetching is off.
        if isinstance(exc, c2pa.C2paError.RemoteManifest) or message.startswith("Remote"):
            return ManifestReading(found=False, remote_url=_url_in(message) or "(remote)")
        return ManifestReading(found=False, error=message[:300])
    with reader:
        remote = reader.get_remote_url() if not reader.is_embedded() else None
        active = reader.get_active_manifest() or {}
        results = reader.get_validation_results() or {}
        reading = ManifestReading(found=True, state=reader.get_validation_state(), remote_url=remote)
    failures = (results.get("activeManifest") or {}).get("failure") or []
    reading.failures = sorted({str(f.get("code")) for f in failures if f.get("code")})
    for assertion in active.get("assertions") or []:
        label = assertion.get("label", "")
        if label == ASSERTION_LABEL and isinstance(assertion.get("data"), dict):
            reading.assertion = assertion["data"]
        elif label.startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions") or []:
                if action.get("action") == "c2pa.created":
                    reading.digital_source_type = action.get("digitalSourceType")
    info = active.get("signature_info") or {}
    serial = info.get("cert_serial_number")
    if serial is not None:
        try:
            reading.serial = format(int(str(serial)), "x")
        except ValueError:
            reading.serial = None
    reading.signer_name = info.get("common_name")
    return reading


def _url_in(message: str) -> str | None:
    for word in message.replace('"', " ").split():
        if word.startswith(("http://", "https://")):
            return word[:500]
    return None


def manifest_summary(reading: ManifestReading) -> str:
    """A compact JSON of a reading, for logs and the CLI's --json."""
    return json.dumps({"state": reading.state, "failures": reading.failures, "serial": reading.serial})
