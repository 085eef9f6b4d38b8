"""A version's manifest as published: what files.json, metadata.json and the catalogue exports
(Croissant, Frictionless, DCAT) are built from."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from qazai.identity.actor import Actor
from qazai.libraries.models import VersionStatus
from qazai.libraries.service import VersionGone, library_read, load_library, load_version, public_manifest
from qazai.storage.db import UnitOfWork


def version_base_path(slug: str, number: int) -> str:
    return f"/libraries/{quote(slug)}/v/{number}/"


def version_manifest(
    uow: UnitOfWork, actor: Actor, slug: str, number: int, *, base_url: str = ""
) -> dict[str, Any]:
    """Everything known about a version, as anyone may read it: library metadata, status (with
    the withdrawal reason), parts with their URLs, sha256, bytes and rows, and per table the
    schema, profile, privacy report; provenance. Works for withdrawn and rejected versions too
    (their metadata says why). NotFound for an unknown library or version."""
    library = load_library(uow.session, slug)
    version = load_version(uow.session, library, number)
    manifest = public_manifest(version.manifest, version.tier)
    base = base_url.rstrip("/") + version_base_path(library.slug, number)
    parts = [{**p, "url": f"{base}data/{quote(p['file'])}"} for p in manifest.get("parts", [])]
    for part in parts:
        part.pop("key", None)  # object-store layout is not part of the public contract
    return {
        "library": library_read(uow.session, library).model_dump(mode="json"),
        "version": number,
        "version_id": version.id,
        "status": version.status,
        "tier": version.tier,
        "created_at": version.created_at.isoformat(),
        "rows": version.rows,
        "bytes": version.bytes,
        "withdrawn_at": version.withdrawn_at.isoformat() if version.withdrawn_at else None,
        "withdrawn_reason": version.withdrawn_reason,
        "optout_flagged": version.optout_flagged,
        "optout_reason": version.optout_reason,
        "url": base,
        "parts": parts,
        "tables": manifest.get("tables", []),
        "provenance": manifest.get("provenance", {}),
        "metadata_completeness": manifest.get("metadata_completeness", {}),
        "rejection": manifest.get("rejection"),
    }


def files_list(manifest: dict[str, Any]) -> dict[str, Any]:
    """``files.json``: ``{library, version, files: [{url, sha256, bytes, rows}]}``. VersionGone
    for a version that is not published (its files are not served)."""
    if manifest["status"] != VersionStatus.published.value:
        reason = (
            manifest.get("withdrawn_reason")
            or (manifest.get("rejection") or {}).get("summary")
            or manifest["status"]
        )
        raise VersionGone(
            f"version {manifest['version']} is {manifest['status']}: {reason}",
            details={"status": manifest["status"], "reason": reason},
        )
    return {
        "library": manifest["library"]["slug"],
        "version": manifest["version"],
        "files": [
            {
                "url": p["url"],
                "sha256": p["sha256"],
                "bytes": p["bytes"],
                "rows": p["rows"],
                "table": p["table"],
            }
            for p in manifest["parts"]
        ],
    }
