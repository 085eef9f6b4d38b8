"""A version's manifest (written by the libraries' publish pipeline) as a typed ``VersionDoc``.

The manifest is a JSON document owned by ``qazai.libraries``: ``parts`` (file, key, sha256,
bytes, rows, table), ``tables`` (name, schema columns, profile), ``privacy`` (the report) and
``provenance``. This module is the one place that reads its shape, and it reads defensively:
an unknown or missing entry degrades an export's detail, never breaks it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qazai.catalog.models import ColumnDoc, PartDoc, PrivacyDoc, ProvenanceDoc, TableDoc, VersionDoc
from qazai.catalog.query_tables import manifest_parts
from qazai.core.clock import as_utc
from qazai.core.enums import AccessTier


def dictionary_description(note: Any) -> str | None:
    """A data-dictionary entry (the library's ``dictionary``: description in kk/ru/en and unit)
    as one column description: English first (the exports' language), then Russian, Kazakh."""
    if not isinstance(note, dict):
        return None
    text = _text(note.get("description"))
    unit = note.get("unit")
    if unit:
        return f"{text} (unit: {unit})" if text else f"unit: {unit}"
    return text


def _columns(table: dict[str, Any], dictionary: dict[str, Any] | None = None) -> list[ColumnDoc]:
    schema = table.get("schema")
    raw = table.get("columns")
    if raw is None and isinstance(schema, dict):
        raw = schema.get("columns") or schema.get("fields")
    if raw is None and isinstance(schema, list):
        raw = schema
    out: list[ColumnDoc] = []
    for column in raw or []:
        if not isinstance(column, dict) or not column.get("name"):
            continue
        description = column.get("description") or dictionary_description(
            (dictionary or {}).get(column["name"])
        )
        if isinstance(description, dict):
            description = description.get("en") or description.get("ru") or description.get("kk")
        out.append(
            ColumnDoc(
                name=str(column["name"]),
                type=str(column.get("type") or column.get("dtype") or "string"),
                description=str(description) if description else None,
                nullable=bool(column.get("nullable", True)),
                kind=str(column["kind"]) if column.get("kind") else None,
            )
        )
    return out


def _text(value: Any) -> str | None:
    if value is None or value in ("", [], {}):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and any(k in value for k in ("en", "ru", "kk")):
        return str(value.get("en") or value.get("ru") or value.get("kk"))
    if isinstance(value, list):
        return "; ".join(str(_text(v) or v) for v in value)
    return str(value)


def _privacy(report: dict[str, Any]) -> PrivacyDoc:
    if not report:
        return PrivacyDoc()
    columns = report.get("columns") or []
    kinds = sorted(
        {
            str(c.get("kind"))
            for c in columns
            if isinstance(c, dict)
            and c.get("kind") not in (None, "", "none", "other", "ordinary", "non_personal")
        }
    )
    actions = sorted(
        {
            f"{c.get('name')}: {c.get('action')}"
            for c in columns
            if isinstance(c, dict) and c.get("action") not in (None, "", "keep")
        }
    )
    personal = _text(report.get("summary")) or (
        f"Columns classified as personal or quasi-identifying: {', '.join(kinds)}."
        if kinds
        else "No personal data was found in the published files."
    )
    assessment = report.get("assessment") or {}
    k = assessment.get("k") or report.get("k_anonymity")
    deid = "; ".join(actions) if actions else "No column needed a transformation."
    if k:
        deid += f" k-anonymity over quasi-identifiers: k={k}."
    return PrivacyDoc(
        personal_data=personal,
        sensitive_data=_text(report.get("sensitive")) or "No special-category data is published.",
        deidentification=deid,
        limitations=_text(report.get("limitations")) or _text(report.get("warnings")) or "None known.",
    )


def _merged_privacy(manifest: dict[str, Any]) -> dict[str, Any]:
    """The version's privacy report: a top-level ``privacy`` if any, else the tables' scans merged."""
    if manifest.get("privacy"):
        return dict(manifest["privacy"])
    columns: list[Any] = []
    k_values: list[int] = []
    for table in manifest.get("tables") or []:
        report = (table or {}).get("privacy") or {}
        columns.extend((report.get("scan") or {}).get("columns") or [])
        k = (report.get("assessment") or {}).get("k")
        if isinstance(k, int):
            k_values.append(k)
    merged: dict[str, Any] = {"columns": columns}
    if k_values:
        merged["assessment"] = {"k": min(k_values)}
    return merged


def version_doc(
    version_id: str,
    number: int,
    created_at: datetime,
    tier: str,
    rows: int,
    size: int,
    manifest: dict[str, Any],
    dictionary: dict[str, Any] | None = None,
) -> VersionDoc:
    """``dictionary``: the library's data dictionary, describing columns the manifest does not."""
    tables: list[TableDoc] = []
    for table in manifest.get("tables") or []:
        if isinstance(table, dict) and table.get("name"):
            tables.append(
                TableDoc(
                    name=str(table["name"]),
                    columns=_columns(table, dictionary),
                    rows=int(table.get("rows") or 0),
                )
            )
    parts = [PartDoc(**part) for part in manifest_parts(manifest)]
    provenance = manifest.get("provenance") or {}
    source = provenance.get("source") or {}
    return VersionDoc(
        id=version_id,
        number=number,
        created_at=as_utc(created_at),
        tier=AccessTier(tier),
        rows=rows,
        bytes=size,
        tables=tables,
        parts=parts,
        privacy=_privacy(_merged_privacy(manifest)),
        provenance=ProvenanceDoc(
            source_file=_text(source.get("filename")),
            source_sha256=_text(source.get("sha256")),
            collection=_text(provenance.get("collection")) or ProvenanceDoc().collection,
            pipeline=_text(provenance.get("pipeline")) or ProvenanceDoc().pipeline,
        ),
    )
