"""Which tables a query may read: a library's latest published version, its Parquet parts and the
reader's access, turned into the SQL names of ``query.py``.

One definition for the three callers: the API (libraries from its catalogue index), the service
without an index (the named libraries read from the database), and the one-off `qazai query`,
which reads the same rows with the database driver alone (``cli/query_fast.py``). So this module
needs neither SQLAlchemy nor pydantic: plain rows in, frozen dataclasses out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qazai.core.enums import AccessTier
from qazai.core.errors import Unavailable
from qazai.identity.actor import Actor
from qazai.libraries.policy import can_read_data

if TYPE_CHECKING:
    from qazai.storage.objects import ObjectStore

PUBLISHED = "published"  # a version's status once published (libraries' states)


@dataclass(frozen=True)
class QueryTable:
    """A table the person may query: its name in SQL and the local paths of its parts; ``root``,
    when set, is the object store's folder the paths are under (views name the paths relative to
    it, so no view or error message shows it)."""

    name: str
    library_slug: str
    paths: tuple[str, ...]
    root: str | None = None


@dataclass(frozen=True)
class NamedLibrary:
    """What the query service needs of a library: its latest published version's tier and the
    object keys of its Parquet parts, as ``(table, key)`` in the manifest's order."""

    id: str
    slug: str
    organisation_id: str
    tier: AccessTier
    parquet: tuple[tuple[str, str], ...]


def manifest_parts(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A version manifest's data files, as the catalogue shows them (``manifest.version_doc``):
    a part needs a file and a sha256; its table defaults to the manifest's first table (``data``
    without one); a ``.csv`` file is the CSV copy, anything else Parquet."""
    names = [str(t["name"]) for t in manifest.get("tables") or [] if isinstance(t, dict) and t.get("name")]
    default_table = names[0] if names else "data"
    parts: list[dict[str, Any]] = []
    for part in manifest.get("parts") or []:
        if not isinstance(part, dict) or not part.get("file") or not part.get("sha256"):
            continue
        file = str(part["file"])
        parts.append(
            {
                "file": file,
                "table": str(part.get("table") or default_table),
                "format": "csv" if file.endswith(".csv") else "parquet",
                "sha256": str(part["sha256"]),
                "bytes": int(part.get("bytes") or 0),
                "rows": int(part.get("rows") or 0),
                "key": str(part.get("key") or ""),
            }
        )
    return parts


def named_libraries_sql(count: int | None, placeholder: str) -> str:
    """The latest published version of the libraries named by slug or id (``count`` names, each
    given twice: slugs then ids; ``None``: every library). ``placeholder``: the driver's (``?``
    for sqlite3, ``%s`` for psycopg). Columns: see ``named_library``."""
    sql = (
        "SELECT l.id, l.slug, l.organisation_id, v.tier, v.manifest FROM libraries AS l "
        "JOIN library_versions AS v ON v.id = l.latest_version_id "
        f"WHERE v.status = '{PUBLISHED}'"
    )
    if count is None:
        return sql + " ORDER BY l.id"
    marks = ", ".join([placeholder] * count)
    return f"{sql} AND (l.slug IN ({marks}) OR l.id IN ({marks})) ORDER BY l.id"


def named_library(row: Sequence[Any]) -> NamedLibrary:
    """A row of ``named_libraries_sql``; the manifest comes as JSON text (SQLite) or already
    decoded (PostgreSQL)."""
    library_id, slug, organisation_id, tier, manifest = row
    if isinstance(manifest, (str, bytes)):
        manifest = json.loads(manifest)
    parts = manifest_parts(manifest or {})
    parquet = tuple((p["table"], p["key"]) for p in parts if p["format"] == "parquet" and p["key"])
    return NamedLibrary(str(library_id), str(slug), str(organisation_id), AccessTier(tier), parquet)


def library_keys(names: Iterable[str]) -> list[str]:
    """The library keys (slug or id) of SQL table names: ``slug`` and ``slug/table``."""
    return sorted({name.split("/", 1)[0] for name in names})


def readable_tables(
    actor: Actor,
    allowed: set[str],
    libraries: Iterable[NamedLibrary],
    path_of: Callable[[str], str],
    root: str | None,
) -> dict[str, QueryTable]:
    """SQL name -> files of every table of ``libraries`` that ``actor`` may read: open ones for
    everyone; registered and restricted ones as ``can_read_data`` says (``allowed``: the ids of
    libraries whose terms the actor accepted or to which it holds a grant); enclave never. Each
    table is ``slug/table``; a one-table library is also named by its slug. ``path_of`` maps an
    object key to a local path (Unavailable: the table is skipped)."""
    tables: dict[str, QueryTable] = {}
    for library in libraries:
        if library.tier == AccessTier.enclave:
            continue
        if library.tier != AccessTier.open and not can_read_data(
            actor,
            library.tier,
            library.organisation_id,
            accepted_terms=library.id in allowed,
            has_grant=library.id in allowed,
        ):
            continue
        parts: dict[str, list[str]] = {}
        for table, key in library.parquet:
            parts.setdefault(table, []).append(key)
        for table, keys in parts.items():
            try:
                paths = tuple(path_of(k) for k in keys)
            except Unavailable:
                continue
            slug = library.slug
            entry = QueryTable(name=f"{slug}/{table}", library_slug=slug, paths=paths, root=root)
            tables[entry.name] = entry
            if len(parts) == 1:
                tables[slug] = QueryTable(name=slug, library_slug=slug, paths=paths, root=root)
    return tables


def query_caller(actor: Actor, client: str | None) -> tuple[str, bool]:
    """Whose query slots a query takes, and whether it is anonymous: the user's, the system's
    (the CLI), else the client address's."""
    if actor.user_id is not None:
        return f"user:{actor.user_id}", False
    if actor.is_system:
        return f"system:{actor.label}", False
    return f"address:{client or 'unknown'}", True


def store_paths(objects: ObjectStore) -> tuple[Callable[[str], str], str | None]:
    """How the sandbox reads ``objects``' files: the local path of a key, and the folder they are
    all under. An S3 store has no local paths: each key is Unavailable."""
    from qazai.storage.objects.local import LocalObjectStore

    if isinstance(objects, LocalObjectStore):
        root = objects.root
        return (lambda key: str(root.joinpath(*key.split("/")))), str(root)

    def unavailable(key: str) -> str:
        # S3: the sandbox would need httpfs and a secret created before the configuration is locked.
        raise Unavailable(
            "the query API reads from a local object store only in this release", code="query_unavailable"
        )

    return unavailable, None
