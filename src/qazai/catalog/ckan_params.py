"""CKAN ``package_search`` parameters -> a ``SearchRequest``: ``fq`` (a Solr subset), ``sort``,
``rows``, ``start``, ``facet.field``, ``include_private``. Parameters may arrive as strings
(``ckanapi`` with ``get_only=True``, query strings) or as JSON values (POSTed JSON).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from qazai.catalog.models import FacetName, RangeFilter, SearchRequest, SortField, SortSpec
from qazai.core.errors import AppError, InvalidInput

MAX_ROWS = 1000
MAX_START = 1_000_000


class SearchQueryError(AppError):
    """A malformed ``q``/``fq``/``sort``: CKAN answers 400 with ``Search Query Error``."""

    code = "search_query_error"
    status = 400


# CKAN / Solr field names -> facets of ours (our own names are accepted too).
FACET_ALIASES: dict[str, FacetName] = {
    "organization": FacetName.producer,
    "owner_org": FacetName.producer,
    "producer": FacetName.producer,
    "groups": FacetName.theme,
    "theme": FacetName.theme,
    "tier": FacetName.tier,
    "license_id": FacetName.licence,
    "licence": FacetName.licence,
    "res_format": FacetName.format,
    "format": FacetName.format,
    "region": FacetName.region,
    "year": FacetName.year,
    "tags": FacetName.keyword,
    "keyword": FacetName.keyword,
}
CKAN_FACET_NAME: dict[FacetName, str] = {
    FacetName.producer: "organization",
    FacetName.theme: "groups",
    FacetName.tier: "tier",
    FacetName.licence: "license_id",
    FacetName.format: "res_format",
    FacetName.region: "region",
    FacetName.year: "year",
    FacetName.keyword: "tags",
}
_SORT_ALIASES = {
    "score": SortField.score,
    "id": SortField.id,
    "name": SortField.name,
    "title": SortField.title,
    "title_string": SortField.title,
    "metadata_modified": SortField.modified,
    "metadata_created": SortField.created,
}
# What parse_sort accepts, for the OpenAPI document (and FastAPI's check of the parameter).
SORT_PATTERN = (
    r"^[ \t]*$|^[ \t]*(?:"
    + "|".join(sorted(_SORT_ALIASES, key=len, reverse=True))
    + r")(?:[ \t]+(?:[aA][sS][cC]|[dD][eE][sS][cC]))?[ \t]*(?:,.*)?$"
)
_RANGE_ALIASES = {"metadata_modified": SortField.modified, "metadata_created": SortField.created}
_IGNORED = {"dataset_type": {"dataset"}, "type": {"dataset"}, "state": {"active"}}

# field:value, field:"quoted", field:[a TO b], field:(a OR b); optional +; joined by AND or space
_CLAUSE = re.compile(
    r"""\s*(?:AND\s+|&&\s*)?\+?
    (?P<field>[A-Za-z_][A-Za-z0-9_.]*):
    (?:
        "(?P<quoted>(?:[^"\\]|\\.)*)"
      | \[(?P<lo>[^\s\]]+)\s+TO\s+(?P<hi>[^\s\]]+)\]
      | \((?P<group>[^()]*)\)
      | (?P<bare>[^\s"()\[\]]+)
    )\s*""",
    re.VERBOSE,
)


def as_int(
    name: str, value: Any, default: int, *, low: int, high: int | None = None, clamp: bool = False
) -> int:
    """An integer parameter; strings accepted. Out of range -> InvalidInput (or clamped to ``high``)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidInput(
            f"{name} must be an integer", code="invalid_parameter", details={"parameter": name}
        )
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(
            f"{name} must be an integer, not {str(value)[:40]!r}",
            code="invalid_parameter",
            details={"parameter": name},
        ) from None
    if number < low:
        raise InvalidInput(
            f"{name} must be {low} or more", code="invalid_parameter", details={"parameter": name}
        )
    if high is not None and number > high:
        if clamp:
            return high
        raise InvalidInput(
            f"{name} must be {high} or less", code="invalid_parameter", details={"parameter": name}
        )
    return number


def as_bool(name: str, value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise InvalidInput(f"{name} must be true or false", code="invalid_parameter", details={"parameter": name})


def as_list(name: str, value: Any) -> list[str]:
    """A list parameter: a JSON list, a JSON-encoded list string, or a single string."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise InvalidInput(f"{name} is not a valid JSON list", code="invalid_parameter") from None
        if not isinstance(parsed, list):
            raise InvalidInput(f"{name} must be a list", code="invalid_parameter")
        return [str(v) for v in parsed]
    return [text]


def parse_datetime(text: str) -> datetime | None:
    """A Solr date bound: ``*``, ISO 8601 (``Z`` or offset or naive = UTC), or ``NOW``."""
    text = text.strip()
    if text == "*":
        return None
    if text.upper() == "NOW":
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchQueryError(
            f"not a date in fq: {text[:40]!r} (use ISO 8601, e.g. 2024-01-31T00:00:00Z)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_fq(fq: str) -> tuple[dict[FacetName, list[str]], list[RangeFilter], list[str]]:
    """``fq`` -> (facet filters, date ranges, ids/names). Unknown fields and stray text are
    SearchQueryError: a harvester must not get everything when it asked for a subset."""
    filters: dict[FacetName, list[str]] = {}
    ranges: list[RangeFilter] = []
    ids: list[str] = []
    text = fq.strip()
    if len(text) > 2000:
        raise SearchQueryError("fq is too long (2000 characters at most)")
    pos = 0
    while pos < len(text):
        match = _CLAUSE.match(text, pos)
        if match is None or match.end() == pos:
            raise SearchQueryError(f"cannot parse fq near {text[pos : pos + 40]!r}: use field:value clauses")
        pos = match.end()
        field = match["field"]
        if match["lo"] is not None:
            kind = _RANGE_ALIASES.get(field)
            if kind is None:
                raise SearchQueryError(
                    f"ranges are supported on metadata_modified and metadata_created, not {field!r}"
                )
            ranges.append(
                RangeFilter(field=kind, start=parse_datetime(match["lo"]), end=parse_datetime(match["hi"]))
            )
            continue
        if match["group"] is not None:
            values = [
                v.strip().strip('"') for v in re.split(r"\s+OR\s+", match["group"].strip()) if v.strip()
            ]
        else:
            values = [match["quoted"].replace('\\"', '"') if match["quoted"] is not None else match["bare"]]
        if field in _IGNORED and all(v in _IGNORED[field] for v in values):
            continue
        if field in ("id", "name"):
            ids.extend(values)
        elif field in ("capacity",):
            continue
        elif field in FACET_ALIASES:
            filters.setdefault(FACET_ALIASES[field], []).extend(values)
        else:
            raise SearchQueryError(f"unknown field {field!r} in fq")
    return filters, ranges, ids


def parse_sort(sort: str | None) -> SortSpec:
    """``field asc|desc[, ...]``: the first clause orders the results (ties by id)."""
    if not sort or not sort.strip():
        return SortSpec()
    first = sort.split(",")[0].strip().split()
    if len(first) == 1:
        first.append("asc")
    if len(first) != 2 or first[1].lower() not in ("asc", "desc") or first[0] not in _SORT_ALIASES:
        fields = ", ".join(sorted(_SORT_ALIASES))
        raise SearchQueryError(f"cannot sort by {sort[:60]!r}: use `<field> asc|desc` with one of {fields}")
    return SortSpec(field=_SORT_ALIASES[first[0]], descending=first[1].lower() == "desc")


def package_search_request(params: dict[str, Any]) -> SearchRequest:
    """Validate and translate ``package_search`` parameters."""
    q = params.get("q")
    q_text = "" if q is None else str(q)
    if q_text.strip() in ("*:*", "*"):
        q_text = ""
    if len(q_text) > 500:
        raise SearchQueryError("q is too long (500 characters at most)")
    filters, ranges, ids = parse_fq(str(params.get("fq") or ""))
    facet_names: list[FacetName] = []
    for name in as_list("facet.field", params.get("facet.field")):
        if name not in FACET_ALIASES:
            raise SearchQueryError(f"unknown facet field {name!r}")
        facet_names.append(FACET_ALIASES[name])
    limit = as_int("facet.limit", params.get("facet.limit"), 50, low=-1, high=1000, clamp=True)
    return SearchRequest(
        q=q_text,
        filters=filters,
        ids=ids or None,
        ranges=ranges,
        sort=parse_sort(None if params.get("sort") is None else str(params.get("sort"))),
        start=as_int("start", params.get("start"), 0, low=0, high=MAX_START),
        rows=as_int("rows", params.get("rows"), 10, low=0, high=MAX_ROWS, clamp=True),
        facets=list(dict.fromkeys(facet_names)),
        facet_limit=1000 if limit <= 0 else limit,
        include_private=as_bool("include_private", params.get("include_private")),
    )
