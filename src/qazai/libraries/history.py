"""What changed between consecutive versions of a library, read from their manifests.

A version's manifest keeps, per table, its published schema and row count; comparing two is cheap
and needs no data file. Rows are compared by count (the net rows added or removed per table): the
manifests do not say which rows changed. Rejected versions were never published, so they are not
compared and do not break the chain: each published or withdrawn version is compared with the one
published before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, Field

from qazai.libraries.models import VersionRead, VersionStatus


class ColumnRetype(BaseModel):
    name: str
    before: str
    after: str


class TableChange(BaseModel):
    table: str
    added: bool = Field(default=False, description="the table is new in this version")
    removed: bool = Field(default=False, description="the table was in the previous version only")
    rows_before: int = 0
    rows_after: int = 0
    columns_added: list[str] = []
    columns_removed: list[str] = []
    columns_retyped: list[ColumnRetype] = []

    @property
    def rows_delta(self) -> int:
        return self.rows_after - self.rows_before

    @property
    def changed(self) -> bool:
        return bool(
            self.added
            or self.removed
            or self.rows_delta
            or self.columns_added
            or self.columns_removed
            or self.columns_retyped
        )


class VersionChange(BaseModel):
    number: int
    previous: int = Field(description="the version compared with")
    rows_delta: int = Field(description="net rows added (negative: removed) over all tables")
    tables: list[TableChange] = Field(description="only the tables that changed")

    @property
    def unchanged(self) -> bool:
        return not self.tables


def _tables(manifest: dict[str, Any]) -> dict[str, tuple[int, dict[str, str]]]:
    out: dict[str, tuple[int, dict[str, str]]] = {}
    for table in manifest.get("tables") or []:
        if not isinstance(table, dict) or not table.get("name"):
            continue
        schema = {
            str(c["name"]): str(c.get("type") or "")
            for c in table.get("schema") or []
            if isinstance(c, dict) and c.get("name")
        }
        out[str(table["name"])] = (int(table.get("rows") or 0), schema)
    return out


def compare_manifests(
    number: int, previous: int, before: dict[str, Any], after: dict[str, Any]
) -> VersionChange:
    """The change from the manifest ``before`` (version ``previous``) to ``after`` (``number``)."""
    old, new = _tables(before), _tables(after)
    changes: list[TableChange] = []
    for name in [*new, *(n for n in old if n not in new)]:
        rows_before, schema_before = old.get(name, (0, {}))
        rows_after, schema_after = new.get(name, (0, {}))
        change = TableChange(
            table=name,
            added=name not in old,
            removed=name not in new,
            rows_before=rows_before,
            rows_after=rows_after,
        )
        if name in old and name in new:
            change.columns_added = [c for c in schema_after if c not in schema_before]
            change.columns_removed = [c for c in schema_before if c not in schema_after]
            change.columns_retyped = [
                ColumnRetype(name=c, before=schema_before[c], after=t)
                for c, t in schema_after.items()
                if c in schema_before and schema_before[c] != t
            ]
        if change.changed:
            changes.append(change)
    rows_delta = sum(rows for rows, _ in new.values()) - sum(rows for rows, _ in old.values())
    return VersionChange(number=number, previous=previous, rows_delta=rows_delta, tables=changes)


def version_changes(versions: Sequence[VersionRead]) -> dict[int, VersionChange]:
    """Per version number, what changed since the version published before it (the first
    published version, and rejected ones, have no entry). ``versions`` in any order."""
    compared = sorted((v for v in versions if v.status != VersionStatus.rejected), key=lambda v: v.number)
    out: dict[int, VersionChange] = {}
    for before, after in pairwise(compared):
        out[after.number] = compare_manifests(after.number, before.number, before.manifest, after.manifest)
    return out
