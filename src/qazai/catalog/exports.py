"""Metadata exports of a library and its versions: Croissant 1.1, Frictionless Data Package,
``files.json``, schema.org ``Dataset``, DCAT-AP and DCAT-US.

Pure functions of a ``LibraryDoc`` / ``VersionDoc`` and the public base URL; the version's files
are addressed by their immutable URLs ``/libraries/{slug}/v/{n}/data/{file}``.
"""

from __future__ import annotations

from typing import Any

from qazai.catalog.models import ColumnDoc, LibraryDoc, PartDoc, VersionDoc
from qazai.core.enums import AccessTier
from qazai.libraries.formats import DownloadFormat, xlsx_fits

PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
CROISSANT_PARQUET = "application/x-parquet"
CSV_MEDIA_TYPE = "text/csv"

CROISSANT_CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

LICENCES: dict[str, tuple[str, str]] = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": (
        "Creative Commons Attribution Share-Alike 4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    "CC0-1.0": ("Creative Commons CCZero", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODbL-1.0": (
        "Open Data Commons Open Database License 1.0",
        "https://opendatacommons.org/licenses/odbl/1-0/",
    ),
    "ODC-By-1.0": (
        "Open Data Commons Attribution License 1.0",
        "https://opendatacommons.org/licenses/by/1-0/",
    ),
    "PDDL-1.0": (
        "Open Data Commons Public Domain Dedication",
        "https://opendatacommons.org/licenses/pddl/1-0/",
    ),
    "KZ-OPEN-DATA": ("Open data of the Republic of Kazakhstan", "https://data.egov.kz/"),
}


def licence_url(licence: str | None) -> str | None:
    if not licence:
        return None
    known = LICENCES.get(licence)
    return known[1] if known else f"https://spdx.org/licenses/{licence}.html"


def _kind(type_name: str) -> str:
    t = type_name.lower()
    if "bool" in t:
        return "boolean"
    if "int" in t:
        return "integer"
    if any(x in t for x in ("float", "double", "decimal", "numeric", "real")):
        return "number"
    if "timestamp" in t or "datetime" in t:
        return "datetime"
    if "date" in t:
        return "date"
    return "string"


_CROISSANT_TYPES = {
    "boolean": "sc:Boolean",
    "integer": "sc:Integer",
    "number": "sc:Float",
    "datetime": "sc:DateTime",
    "date": "sc:Date",
    "string": "sc:Text",
}


def library_url(base: str, doc: LibraryDoc) -> str:
    return f"{base}/libraries/{doc.slug}"


def version_url(base: str, doc: LibraryDoc, version: VersionDoc) -> str:
    return f"{base}/libraries/{doc.slug}/v/{version.number}"


def part_url(base: str, doc: LibraryDoc, version: VersionDoc, part: PartDoc) -> str:
    return f"{version_url(base, doc, version)}/data/{part.file}"


def _title(doc: LibraryDoc) -> str:
    return doc.title.get("en")


def _description(doc: LibraryDoc) -> str:
    return doc.description.get("en") if doc.description else _title(doc)


def _parquet_parts(version: VersionDoc) -> list[PartDoc]:
    return [p for p in version.parts if p.format == "parquet"]


def _columns_of(version: VersionDoc, table: str) -> list[ColumnDoc]:
    return next((t.columns for t in version.tables if t.name == table), [])


def _part_id(part: PartDoc) -> str:
    return "file-" + part.file.rsplit(".", 1)[0]


def croissant(base: str, doc: LibraryDoc, version: VersionDoc) -> dict[str, Any]:
    """Croissant 1.1 JSON-LD: every Parquet part a ``FileObject`` with its sha256; one
    ``RecordSet`` per table (per part when a table has several parts: Croissant cannot union
    listed files without a glob, and globs do not expand over HTTP)."""
    parts = _parquet_parts(version)
    distribution = [
        {
            "@type": "cr:FileObject",
            "@id": _part_id(p),
            "name": p.file,
            "contentUrl": part_url(base, doc, version, p),
            "encodingFormat": CROISSANT_PARQUET,
            "sha256": p.sha256,
        }
        for p in parts
    ]
    by_table: dict[str, list[PartDoc]] = {}
    for p in parts:
        by_table.setdefault(p.table, []).append(p)
    record_sets = []
    for table, table_parts in by_table.items():
        for p in table_parts:
            set_id = table if len(table_parts) == 1 else f"{table}--{_part_id(p)}"
            record_sets.append(
                {
                    "@type": "cr:RecordSet",
                    "@id": set_id,
                    "name": set_id,
                    "field": [
                        {
                            "@type": "cr:Field",
                            "@id": f"{set_id}/{c.name}",
                            "name": c.name,
                            **({"description": c.description} if c.description else {}),
                            "dataType": _CROISSANT_TYPES[_kind(c.type)],
                            "source": {"fileObject": {"@id": _part_id(p)}, "extract": {"column": c.name}},
                        }
                        for c in _columns_of(version, table)
                    ],
                }
            )
    privacy, provenance = version.privacy, version.provenance
    out: dict[str, Any] = {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.1",
        "name": doc.slug,
        "alternateName": [v for v in (doc.title.kk, doc.title.ru, doc.title.en) if v],
        "description": _description(doc),
        "url": version_url(base, doc, version),
        "version": f"{version.number}.0.0",
        "datePublished": version.created_at.date().isoformat(),
        "dateModified": doc.modified_at.date().isoformat(),
        "citeAs": f"{doc.organisation_name.get('en')}. {_title(doc)}, version {version.number}. "
        f"QazAI. {version_url(base, doc, version)}",
        "creator": {
            "@type": "sc:Organization",
            "name": doc.organisation_name.get("en"),
            "url": f"{base}/organisations/{doc.organisation_slug}",
        },
        "keywords": [*doc.keywords, *doc.themes],
        "inLanguage": ["kk", "ru", "en"],
        "isAccessibleForFree": True,
        "rai:dataCollection": provenance.collection
        + (f" Source file: {provenance.source_file}." if provenance.source_file else ""),
        "rai:dataCollectionType": "Administrative records",
        "rai:personalSensitiveInformation": f"{privacy.personal_data} {privacy.sensitive_data}",
        "rai:dataPreprocessingProtocol": [
            f"De-identification applied: {privacy.deidentification}",
            provenance.pipeline,
        ],
        "rai:dataLimitations": privacy.limitations,
        "rai:dataReleaseMaintenancePlan": "Versions are immutable; new data is published as a new version.",
        "distribution": distribution,
        "recordSet": record_sets,
    }
    url = licence_url(doc.licence)
    if url:
        out["license"] = url
    if doc.region:
        out["spatialCoverage"] = doc.region
    return out


_FRICTIONLESS_TYPES = {
    "boolean": "boolean",
    "integer": "integer",
    "number": "number",
    "datetime": "datetime",
    "date": "date",
    "string": "string",
}


def derived_url(base: str, doc: LibraryDoc, version: VersionDoc, part: PartDoc, fmt: DownloadFormat) -> str:
    """The URL of a Parquet part's CSV or XLSX copy (made on request, see libraries.formats)."""
    return f"{version_url(base, doc, version)}/data/{part.file.rsplit('.', 1)[0]}.{fmt.value}"


def _table_schema(version: VersionDoc, table: str) -> dict[str, Any]:
    return {
        "fields": [
            {
                "name": c.name,
                "type": _FRICTIONLESS_TYPES[_kind(c.type)],
                **({"description": c.description} if c.description else {}),
            }
            for c in _columns_of(version, table)
        ]
    }


def datapackage(base: str, doc: LibraryDoc, version: VersionDoc) -> dict[str, Any]:
    """A Frictionless Data Package; per Parquet part three resources: the Parquet file, its CSV
    copy as the tabular resource (the Table Schema describes what the CSV holds: UTF-8 with BOM,
    an empty cell for a missing value) and its XLSX copy (left out above Excel's row limit).

    The Parquet and XLSX files are ``type: file`` resources checked by size and SHA-256 (the
    Parquet) but not read as tables: frictionless reads Parquet through pandas, which turns a
    missing integer into a float NaN that its integer check then refuses, so a correct Parquet
    file with an empty integer cell failed validation. The CSV carries the same rows and is read
    as a table, every cell checked against the schema."""
    resources: list[dict[str, Any]] = []
    for p in _parquet_parts(version):
        name = _part_id(p).lower().replace("_", "-").replace(".", "-")
        resources.append(
            {
                "name": name,
                "type": "file",
                "path": part_url(base, doc, version, p),
                "format": "parquet",
                "mediatype": PARQUET_MEDIA_TYPE,
                "bytes": p.bytes,
                "hash": f"sha256:{p.sha256}",
                "sha256": p.sha256,
            }
        )
        resources.append(
            {
                "name": f"{name}-csv",
                "type": "table",
                "path": derived_url(base, doc, version, p, DownloadFormat.csv),
                "format": "csv",
                "mediatype": CSV_MEDIA_TYPE,
                "encoding": "utf-8-sig",
                "schema": _table_schema(version, p.table),
            }
        )
        if xlsx_fits(p.rows):
            resources.append(
                {
                    "name": f"{name}-xlsx",
                    "type": "file",
                    "path": derived_url(base, doc, version, p, DownloadFormat.xlsx),
                    "format": "xlsx",
                    "mediatype": DownloadFormat.xlsx.media_type,
                }
            )
    out: dict[str, Any] = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": doc.slug,
        "title": _title(doc),
        "description": _description(doc),
        "version": f"{version.number}.0.0",
        "homepage": library_url(base, doc),
        "created": version.created_at.isoformat(),
        "keywords": [*doc.keywords, *doc.themes],
        "contributors": [{"title": doc.organisation_name.get("en"), "roles": ["publisher"]}],
        "resources": resources,
    }
    if doc.licence:
        out["licenses"] = [{"name": doc.licence, "path": licence_url(doc.licence)}]
    return out


def files_json(base: str, doc: LibraryDoc, version: VersionDoc) -> dict[str, Any]:
    return {
        "library": doc.slug,
        "version": version.number,
        "files": [
            {
                "url": part_url(base, doc, version, p),
                "table": p.table,
                "sha256": p.sha256,
                "bytes": p.bytes,
                "rows": p.rows,
            }
            for p in version.parts
        ],
    }


def schema_org_dataset(base: str, doc: LibraryDoc) -> dict[str, Any]:
    """schema.org ``Dataset`` JSON-LD for the library's HTML page (Google Dataset Search)."""
    out: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": library_url(base, doc),
        "url": library_url(base, doc),
        "identifier": doc.id,
        "name": _title(doc),
        "alternateName": [v for v in (doc.title.kk, doc.title.ru) if v],
        "description": _description(doc),
        "keywords": [*doc.keywords, *doc.themes],
        "creator": {"@type": "Organization", "name": doc.organisation_name.get("en")},
        "publisher": {"@type": "Organization", "name": doc.organisation_name.get("en")},
        "dateCreated": doc.created_at.isoformat(),
        "dateModified": doc.modified_at.isoformat(),
        "isAccessibleForFree": doc.tier == AccessTier.open,
        "inLanguage": ["kk", "ru", "en"],
    }
    if doc.licence:
        out["license"] = licence_url(doc.licence)
    if doc.region:
        out["spatialCoverage"] = {"@type": "Place", "name": doc.region}
    if doc.temporal_start or doc.temporal_end:
        out["temporalCoverage"] = f"{doc.temporal_start or '..'}/{doc.temporal_end or '..'}"
    if doc.latest:
        out["version"] = str(doc.latest.number)
        out["distribution"] = [
            {
                "@type": "DataDownload",
                "encodingFormat": PARQUET_MEDIA_TYPE if p.format == "parquet" else CSV_MEDIA_TYPE,
                "contentUrl": part_url(base, doc, doc.latest, p),
                "contentSize": f"{p.bytes} B",
            }
            for p in doc.latest.parts
        ]
    return out


DCAT_CONTEXT: dict[str, Any] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}


def _lang_values(text: Any) -> list[dict[str, str]]:
    return [
        {"@value": v, "@language": lang} for lang in ("kk", "ru", "en") if (v := getattr(text, lang, None))
    ]


def dcat_dataset(base: str, doc: LibraryDoc) -> dict[str, Any]:
    """One library as a DCAT-AP ``dcat:Dataset`` (JSON-LD node, no context)."""
    node: dict[str, Any] = {
        "@id": library_url(base, doc),
        "@type": "dcat:Dataset",
        "dct:identifier": doc.id,
        "dct:title": _lang_values(doc.title),
        "dct:description": _lang_values(doc.description) if doc.description else _lang_values(doc.title),
        "dct:publisher": {
            "@id": f"{base}/organisations/{doc.organisation_slug}",
            "@type": "foaf:Agent",
            "foaf:name": doc.organisation_name.get("en"),
        },
        "dct:issued": {"@value": doc.created_at.isoformat(), "@type": "xsd:dateTime"},
        "dct:modified": {"@value": doc.modified_at.isoformat(), "@type": "xsd:dateTime"},
        "dcat:keyword": doc.keywords,
        "dcat:theme": doc.themes,
        "dcat:landingPage": {"@id": library_url(base, doc)},
        "dct:accessRights": doc.tier.value,
    }
    if doc.region:
        node["dct:spatial"] = doc.region
    if doc.contact_email:
        node["dcat:contactPoint"] = {"@type": "vcard:Kind", "vcard:hasEmail": f"mailto:{doc.contact_email}"}
    if doc.latest:
        node["dcat:distribution"] = [
            {
                "@id": part_url(base, doc, doc.latest, p),
                "@type": "dcat:Distribution",
                "dcat:accessURL": {"@id": version_url(base, doc, doc.latest)},
                "dcat:downloadURL": {"@id": part_url(base, doc, doc.latest, p)},
                "dcat:mediaType": PARQUET_MEDIA_TYPE if p.format == "parquet" else CSV_MEDIA_TYPE,
                "dcat:byteSize": p.bytes,
                "spdx:checksum": {"spdx:algorithm": "sha256", "spdx:checksumValue": p.sha256},
                **({"dct:license": {"@id": licence_url(doc.licence)}} if doc.licence else {}),
            }
            for p in doc.latest.parts
        ]
    return node


def dcat_catalog(
    base: str, docs: list[LibraryDoc], *, page: int, per_page: int, total: int
) -> dict[str, Any]:
    """A page of the DCAT-AP catalogue with Hydra paging links."""
    pages = max(1, -(-total // per_page))
    view: dict[str, Any] = {
        "@id": f"{base}/catalog.jsonld?page={page}",
        "@type": "hydra:PartialCollectionView",
        "hydra:first": f"{base}/catalog.jsonld?page=1",
        "hydra:last": f"{base}/catalog.jsonld?page={pages}",
    }
    if page < pages:
        view["hydra:next"] = f"{base}/catalog.jsonld?page={page + 1}"
    if page > 1:
        view["hydra:previous"] = f"{base}/catalog.jsonld?page={page - 1}"
    return {
        "@context": {**DCAT_CONTEXT, "spdx": "http://spdx.org/rdf/terms#"},
        "@id": f"{base}/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": "QazAI — national data libraries of Kazakhstan",
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": "QazAI"},
        "hydra:totalItems": total,
        "hydra:view": view,
        "dcat:dataset": [dcat_dataset(base, d) for d in docs],
    }


def dcat_us(base: str, docs: list[LibraryDoc]) -> dict[str, Any]:
    """DCAT-US 1.1 ``data.json`` (Project Open Data)."""
    datasets = []
    for doc in docs:
        entry: dict[str, Any] = {
            "@type": "dcat:Dataset",
            "identifier": doc.id,
            "title": _title(doc),
            "description": _description(doc),
            "keyword": [*doc.keywords, *doc.themes] or [doc.slug],
            "modified": doc.modified_at.date().isoformat(),
            "publisher": {"@type": "org:Organization", "name": doc.organisation_name.get("en")},
            "contactPoint": {
                "@type": "vcard:Contact",
                "fn": doc.organisation_name.get("en"),
                "hasEmail": f"mailto:{doc.contact_email or 'data@qazai.kz'}",
            },
            "accessLevel": "public" if doc.tier == AccessTier.open else "restricted public",
            "landingPage": library_url(base, doc),
            "theme": doc.themes,
        }
        if doc.licence:
            entry["license"] = licence_url(doc.licence)
        if doc.region:
            entry["spatial"] = doc.region
        if doc.latest:
            entry["distribution"] = [
                {
                    "@type": "dcat:Distribution",
                    "downloadURL": part_url(base, doc, doc.latest, p),
                    "mediaType": PARQUET_MEDIA_TYPE if p.format == "parquet" else CSV_MEDIA_TYPE,
                    "format": p.format,
                    "title": p.file,
                }
                for p in doc.latest.parts
            ]
        datasets.append(entry)
    return {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": datasets,
    }
