"""What changed between consecutive versions, from their manifests (qazai.libraries.history)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from qazai.core.enums import AccessTier
from qazai.libraries.history import compare_manifests, version_changes
from qazai.libraries.models import VersionRead, VersionStatus


def _manifest(**tables: tuple[int, dict[str, str]]) -> dict[str, Any]:
    return {
        "tables": [
            {"name": name, "rows": rows, "schema": [{"name": c, "type": t} for c, t in columns.items()]}
            for name, (rows, columns) in tables.items()
        ]
    }


def _version(
    number: int, manifest: dict[str, Any], status: VersionStatus = VersionStatus.published
) -> VersionRead:
    return VersionRead(
        id=f"v{number}",
        library_slug="lib",
        number=number,
        status=status,
        tier=AccessTier.open,
        rows=0,
        bytes=0,
        source_sha256=None,
        created_at=datetime(2026, 1, number, tzinfo=UTC),
        withdrawn_at=None,
        withdrawn_reason=None,
        optout_flagged=False,
        optout_reason=None,
        manifest=manifest,
    )


def test_rows_and_columns_added_removed_and_retyped_are_reported() -> None:
    before = _manifest(population=(17, {"region": "string", "year": "int64", "men": "int64"}))
    after = _manifest(population=(20, {"region": "string", "year": "string", "women": "int64"}))
    change = compare_manifests(2, 1, before, after)
    assert change.rows_delta == 3
    [table] = change.tables
    assert (table.rows_before, table.rows_after, table.rows_delta) == (17, 20, 3)
    assert table.columns_added == ["women"]
    assert table.columns_removed == ["men"]
    assert [(c.name, c.before, c.after) for c in table.columns_retyped] == [("year", "int64", "string")]


def test_tables_added_and_removed_and_unchanged_tables_left_out() -> None:
    same = (5, {"a": "int64"})
    before = _manifest(kept=same, old=(4, {"x": "string"}))
    after = _manifest(kept=same, new=(2, {"y": "string"}))
    change = compare_manifests(3, 2, before, after)
    assert [(t.table, t.added, t.removed) for t in change.tables] == [
        ("new", True, False),
        ("old", False, True),
    ]
    assert change.rows_delta == -2
    assert not change.unchanged


def test_each_version_is_compared_with_the_one_published_before_skipping_rejected() -> None:
    versions = [
        _version(3, _manifest(t=(30, {"a": "int64"}))),
        _version(2, _manifest(t=(99, {"b": "int64"})), VersionStatus.rejected),
        _version(1, _manifest(t=(10, {"a": "int64"}))),
    ]
    changes = version_changes(versions)
    assert set(changes) == {3}
    assert changes[3].previous == 1
    assert changes[3].rows_delta == 20
    assert changes[3].tables[0].columns_added == []


def test_a_republished_identical_version_is_unchanged() -> None:
    manifest = _manifest(t=(10, {"a": "int64"}))
    changes = version_changes([_version(1, manifest), _version(2, manifest)])
    assert changes[2].unchanged and changes[2].rows_delta == 0
