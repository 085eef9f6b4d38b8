"""The version's metadata document (manifest) and the rejection advice."""

from __future__ import annotations

from typing import Any

from qazai.core.enums import AccessTier
from qazai.libraries.pipeline.tables import TableOutcome


def table_report(outcome: TableOutcome) -> dict[str, Any]:
    """Schema, profile, conversion and privacy report of one table (no raw cell values)."""
    source = outcome.source
    return {
        "name": outcome.name,
        "stem": outcome.stem,
        "rows_in": outcome.rows_in,
        "rows": outcome.assessment.rows_out,
        "source": {
            "format": source.format.value,
            "encoding": source.encoding,
            "delimiter": source.delimiter,
            "header_row": source.header_row,
            "header_rows": source.header_rows,
            "notes": list(source.notes),
            "skipped_rows": source.stats.skipped_rows,
        },
        "columns_inferred": [
            {"source": c.source, "name": c.name, "type": c.type.value} for c in outcome.schema.columns
        ],
        "schema": [{"name": f.name, "type": str(f.type)} for f in outcome.output_schema],
        "conversion": {
            "failed_cells": dict(outcome.conversion.failed_cells),
            "total_failed": outcome.conversion.total_failed,
        },
        "profile": outcome.profile,
        "privacy": {"scan": outcome.privacy, "assessment": outcome.assessment.to_json()},
    }


def build_manifest(
    slug: str,
    tier: AccessTier,
    parts: list[dict[str, Any]],
    tables: list[dict[str, Any]],
    provenance: dict[str, Any],
    completeness: dict[str, Any],
    *,
    rejection: dict[str, Any] | None = None,
) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "library": slug,
        "tier": tier.value,
        "parts": parts,
        "tables": tables,
        "provenance": provenance,
        "metadata_completeness": completeness,
    }
    if rejection is not None:
        manifest["rejection"] = rejection
    return manifest


def advice_for(outcomes: list[TableOutcome], optouts: dict[str, Any], tier: AccessTier) -> list[str]:
    """What the producer can change so the next attempt passes, one sentence per problem."""
    advice: list[str] = []
    for o in outcomes:
        a = o.assessment
        if a.residual_identifiers:
            kinds = ", ".join(sorted(a.residual_identifiers))
            strings = {f.name for f in o.output_schema if str(f.type) == "string"}
            columns = [
                c["name"] for c in o.privacy["columns"] if c["action"] == "keep" and c["name"] in strings
            ]
            where = f" (columns kept that hold them: {', '.join(columns)})" if columns else ""
            advice.append(
                f"{o.name}: personal identifiers ({kinds}) remain{where}; give those columns "
                "`action: drop`, `pseudonymise` or `redact` in the policy, or publish in the restricted tier."
            )
        if a.k is not None and a.k < a.k_target:
            qi = ", ".join(a.quasi_identifiers)
            advice.append(
                f"{o.name}: k={a.k} < {a.k_target} over ({qi}); generalise these columns more "
                "(`action: generalise` with a higher `level`), raise `max_suppression`, or drop one."
            )
        if any(v.startswith("l=") for v in a.violations):
            advice.append(
                f"{o.name}: l-diversity is below the target; generalise the quasi-identifiers more."
            )
    if optouts.get("matches"):
        advice.append("remove the opted-out works from the source file and upload it again.")
    if tier is AccessTier.open and not advice:
        advice.append("review the privacy report.")
    return advice
