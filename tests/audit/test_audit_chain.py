"""The audit trail: written with each change, keyed hash chain, anchored by signed heads, exportable."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select, text, update
from typer.testing import CliRunner

from qazai.audit.service import export_events, record_event, verify_chain
from qazai.cli.main import app as cli_app
from qazai.storage.db import Database
from qazai.storage.tables.audit import AuditEventRow


def _record(db: Database, n: int) -> None:
    for i in range(n):
        with db.uow() as uow:
            record_event(
                uow.session,
                action="thing.change",
                object_type="thing",
                object_id=f"t{i}",
                actor_id=None,
                actor_label="test",
                summary={"i": i, "name": "Әлия", "nested": {"b": 1}},
            )
            uow.commit()


def test_chain_verifies_when_untouched(db: Database) -> None:
    _record(db, 5)
    with db.uow(read_only=True) as uow:
        report = verify_chain(uow.session)
    assert report.ok and report.events_checked == 5


def test_changed_row_is_reported_exactly(db: Database) -> None:
    _record(db, 6)
    with db.uow() as uow:
        uow.session.execute(
            update(AuditEventRow)
            .where(AuditEventRow.seq == 4)
            .values(summary={"i": 99, "name": "Әлия", "nested": {"b": 1}})
        )
        uow.commit()
    with db.uow(read_only=True) as uow:
        report = verify_chain(uow.session)
    assert not report.ok
    assert report.first_broken_seq == 4
    assert "changed" in (report.reason or "")


def test_deleted_row_is_reported(db: Database) -> None:
    _record(db, 5)
    with db.uow() as uow:
        uow.session.execute(delete(AuditEventRow).where(AuditEventRow.seq == 2))
        uow.commit()
    with db.uow(read_only=True) as uow:
        report = verify_chain(uow.session)
    assert not report.ok and report.first_broken_seq == 3


def test_rehashed_forgery_breaks_the_next_link(db: Database) -> None:
    """Someone who edits a row and recomputes its hash still breaks the link to the next row."""
    from qazai.audit.service import audit_key, compute_hash

    _record(db, 4)
    with db.uow() as uow:
        row = uow.session.execute(select(AuditEventRow).where(AuditEventRow.seq == 2)).scalar_one()
        row.action = "thing.forged"
        row.hash = compute_hash(
            key=audit_key(uow.session),
            seq=row.seq,
            id=row.id,
            at=row.at,
            actor_id=row.actor_id,
            actor_label=row.actor_label,
            organisation_id=row.organisation_id,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            summary=row.summary,
            request_id=row.request_id,
            prev_hash=row.prev_hash,
        )
        uow.commit()
    with db.uow(read_only=True) as uow:
        report = verify_chain(uow.session)
    assert report.first_broken_seq == 3 and "prev_hash" in (report.reason or "")


def test_rolled_back_change_leaves_no_event(db: Database) -> None:
    with db.uow() as uow:
        record_event(uow.session, action="x", object_type="x", object_id=None, actor_id=None)
        uow.rollback()
    with db.uow(read_only=True) as uow:
        assert list(export_events(uow.session)) == []


def test_service_changes_write_events_with_actor_and_request_id(
    client: Any, people: Any, platform: Any
) -> None:
    response = client.post(
        "/api/v1/organisations",
        headers={**people["operator"].headers, "X-Request-ID": "req-42"},
        json={"slug": "akimat", "kind": "government_body", "name": {"kk": "Әкімдік"}},
    )
    assert response.status_code == 201
    with platform.db.uow(read_only=True) as uow:
        event = uow.session.execute(
            select(AuditEventRow).where(
                AuditEventRow.action == "organisation.create",
                AuditEventRow.object_id == response.json()["id"],
            )
        ).scalar_one()
    assert event.actor_id == people["operator"].user_id
    assert event.request_id == "req-42"
    assert event.summary["slug"] == "akimat"


def test_cli_verify_names_the_tampered_row(
    settings: Any, db: Database, monkeypatch: Any, tmp_path: Any
) -> None:
    monkeypatch.setenv("QAZAI_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(tmp_path / "d"))
    _record(db, 5)
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "5 events verified" in ok.output
    with db.engine.begin() as connection:  # tamper directly in SQL, as an intruder would
        connection.execute(text("UPDATE audit_events SET actor_label = 'someone else' WHERE seq = 3"))
    with db.uow(read_only=True) as uow:
        third_id = uow.session.execute(select(AuditEventRow.id).where(AuditEventRow.seq == 3)).scalar_one()
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"seq=3 id={third_id}" in broken.output


def test_cli_export_writes_json_lines(settings: Any, db: Database, monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.setenv("QAZAI_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(tmp_path / "d"))
    _record(db, 3)
    out = tmp_path / "audit.jsonl"
    result = CliRunner().invoke(cli_app, ["audit", "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [e["seq"] for e in lines] == [1, 2, 3]
    assert lines[0]["summary"]["name"] == "Әлия"
    assert lines[1]["prev_hash"] == lines[0]["hash"]
