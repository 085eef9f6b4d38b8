"""What an insider with write access to the database cannot hide: a recomputed chain (the HMAC
needs the platform secret) and a truncated one (the signed head in the object store)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from qazai.audit.heads import (
    EXPORT_HEAD_JOB,
    HEAD_PREFIX,
    head_json,
    head_key,
    job_handlers,
    latest_head,
    sign_head,
    verify_and_anchor,
)
from qazai.audit.service import (
    CHAIN_HMAC,
    CHAIN_LEGACY,
    GENESIS_HASH,
    compute_hash,
    compute_legacy_hash,
    derive_audit_key,
    export_events,
    install_audit_key,
    record_event,
    verify_chain,
)
from qazai.cli.main import app as cli_app
from qazai.core.clock import utcnow
from qazai.core.ids import new_id
from qazai.storage.db import Database
from qazai.storage.jobs import JobState, Worker, enqueue, list_jobs
from qazai.storage.objects import LocalObjectStore
from qazai.storage.tables.audit import AuditEventRow

SECRET = "a-production-like-secret-of-more-than-32-characters"


@pytest.fixture
def keyed_db(db: Database) -> Database:
    install_audit_key(db, SECRET)
    return db


@pytest.fixture
def objects(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects")


def _record(db: Database, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with db.uow() as uow:
            record_event(
                uow.session,
                action="grant.approve",
                object_type="grant",
                object_id=f"g{i}",
                actor_id=None,
                actor_label="producer@example.kz",
                summary={"i": i, "purpose": "Зерттеу"},
            )
            uow.commit()


def _fields(row: AuditEventRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "id": row.id,
        "at": row.at,
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "organisation_id": row.organisation_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "summary": row.summary,
        "request_id": row.request_id,
        "prev_hash": row.prev_hash,
    }


def _rewrite_and_recompute(db: Database, seq: int, rehash: Callable[[dict[str, Any]], str]) -> None:
    """What an insider does: change event ``seq``, then recompute every hash and link after it."""
    with db.uow() as uow:
        rows = uow.session.execute(select(AuditEventRow).order_by(AuditEventRow.seq)).scalars().all()
        prev = GENESIS_HASH
        for row in rows:
            if row.seq == seq:
                row.actor_label = "someone-else@example.kz"
            if row.seq >= seq:
                row.prev_hash = prev
                row.hash = rehash(_fields(row))
            prev = row.hash
        uow.commit()


def test_chain_recomputed_with_plain_sha256_is_detected(keyed_db: Database) -> None:
    _record(keyed_db, 5)
    _rewrite_and_recompute(keyed_db, 3, lambda f: compute_legacy_hash(**f))  # the old algorithm
    with keyed_db.uow(read_only=True) as uow:
        report = verify_chain(uow.session)
    assert not report.ok and report.first_broken_seq == 3
    assert "secret key" in (report.reason or "")


def test_whole_chain_downgraded_to_plain_sha256_is_caught_by_the_head(
    keyed_db: Database, objects: LocalObjectStore
) -> None:
    """The one rewrite the chain alone cannot see: every event recomputed as a pre-0005 (unkeyed)
    event. The signed head exported before still names the keyed hash, so verification fails."""
    _record(keyed_db, 4)
    with keyed_db.uow(read_only=True) as uow:
        assert verify_and_anchor(uow.session, objects).ok
    with keyed_db.uow() as uow:
        uow.session.execute(update(AuditEventRow).values(chain_version=CHAIN_LEGACY))
        uow.commit()
    _rewrite_and_recompute(keyed_db, 1, lambda f: compute_legacy_hash(**f))
    with keyed_db.uow(read_only=True) as uow:
        alone = verify_chain(uow.session)
        anchored = verify_and_anchor(uow.session, objects)
    assert alone.ok and alone.legacy_events == 4  # reported as all legacy, but "intact"
    assert not anchored.ok and anchored.first_broken_seq == 4
    assert "signed head" in (anchored.reason or "")


def test_chain_recomputed_with_another_key_is_detected(keyed_db: Database) -> None:
    """The exact algorithm with a guessed key (the default development secret) does not pass."""
    _record(keyed_db, 5)
    wrong_key = derive_audit_key("change-me-insecure-dev-secret")
    _rewrite_and_recompute(keyed_db, 2, lambda f: compute_hash(key=wrong_key, **f))
    with keyed_db.uow(read_only=True) as uow:
        report = verify_chain(uow.session)
    assert not report.ok and report.first_broken_seq == 2


def test_chain_recomputed_with_the_key_verifies_so_the_key_is_what_matters(keyed_db: Database) -> None:
    """Control for the two tests above: with the real key the forgery passes the chain check, so
    keeping the secret outside the database is what detects recomputation."""
    _record(keyed_db, 4)
    key = derive_audit_key(SECRET)
    _rewrite_and_recompute(keyed_db, 2, lambda f: compute_hash(key=key, **f))
    with keyed_db.uow(read_only=True) as uow:
        assert verify_chain(uow.session).ok


def test_truncation_is_detected_by_the_signed_head(keyed_db: Database, objects: LocalObjectStore) -> None:
    _record(keyed_db, 6)
    with keyed_db.uow(read_only=True) as uow:
        first = verify_and_anchor(uow.session, objects)
    assert first.ok and first.exported_head is not None and first.exported_head.sequence == 6
    assert objects.exists(head_key(6))
    with keyed_db.uow() as uow:  # the insider deletes the last two events
        uow.session.execute(delete(AuditEventRow).where(AuditEventRow.seq >= 5))
        uow.commit()
    with keyed_db.uow(read_only=True) as uow:
        assert verify_chain(uow.session).ok  # the chain alone cannot tell
        report = verify_and_anchor(uow.session, objects)
    assert not report.ok
    assert report.first_broken_seq == 5
    assert "removed from the end" in (report.reason or "")
    assert report.exported_head is None  # a broken chain is never signed
    assert [k for k in objects.list(HEAD_PREFIX)] == [head_key(6)]


def test_truncation_followed_by_new_events_is_detected(keyed_db: Database, objects: LocalObjectStore) -> None:
    _record(keyed_db, 5)
    with keyed_db.uow(read_only=True) as uow:
        assert verify_and_anchor(uow.session, objects).ok
    with keyed_db.uow() as uow:
        uow.session.execute(delete(AuditEventRow).where(AuditEventRow.seq >= 4))
        uow.commit()
    _record(keyed_db, 3, start=100)  # the platform goes on writing: seq 4, 5, 6 again
    with keyed_db.uow(read_only=True) as uow:
        report = verify_and_anchor(uow.session, objects)
    assert not report.ok and report.first_broken_seq == 5
    assert "signed head" in (report.reason or "")


def test_verify_moves_the_head_forward(keyed_db: Database, objects: LocalObjectStore) -> None:
    _record(keyed_db, 2)
    with keyed_db.uow(read_only=True) as uow:
        verify_and_anchor(uow.session, objects)
    _record(keyed_db, 3, start=2)
    with keyed_db.uow(read_only=True) as uow:
        report = verify_and_anchor(uow.session, objects)
    assert report.ok and report.checked_head is not None and report.checked_head.sequence == 2
    assert report.exported_head is not None and report.exported_head.sequence == 5
    found = latest_head(objects)
    assert found is not None and found[1] is not None and found[1].sequence == 5


def test_forged_head_is_reported(keyed_db: Database, objects: LocalObjectStore) -> None:
    _record(keyed_db, 3)
    forged = sign_head(derive_audit_key("not the platform secret"), 3, "f" * 64, utcnow())
    objects.put(head_key(3), [head_json(forged)])
    with keyed_db.uow(read_only=True) as uow:
        report = verify_and_anchor(uow.session, objects)
    assert not report.ok and "does not verify" in (report.reason or "")


def _legacy_rows(db: Database, n: int) -> None:
    """Rows as the platform wrote them before migration 0005: plain SHA-256, chain version 1."""
    prev = GENESIS_HASH
    with db.uow() as uow:
        for seq in range(1, n + 1):
            fields: dict[str, Any] = {
                "seq": seq,
                "id": new_id(),
                "at": utcnow(),
                "actor_id": None,
                "actor_label": "cli:root",
                "organisation_id": None,
                "action": "user.create",
                "object_type": "user",
                "object_id": f"u{seq}",
                "summary": {},
                "request_id": None,
                "prev_hash": prev,
            }
            prev = compute_legacy_hash(**fields)
            uow.session.add(AuditEventRow(**fields, hash=prev, chain_version=CHAIN_LEGACY))
        uow.commit()


def test_legacy_rows_are_accepted_as_the_prefix_of_a_keyed_chain(keyed_db: Database) -> None:
    _legacy_rows(keyed_db, 3)
    _record(keyed_db, 2)
    with keyed_db.uow(read_only=True) as uow:
        report = verify_chain(uow.session)
        versions = [e.chain_version for e in uow.session.execute(select(AuditEventRow)).scalars()]
    assert report.ok and report.events_checked == 5 and report.legacy_events == 3
    assert sorted(versions) == [CHAIN_LEGACY] * 3 + [CHAIN_HMAC] * 2


def test_downgrading_a_keyed_row_to_the_legacy_hash_is_detected(keyed_db: Database) -> None:
    _record(keyed_db, 4)
    with keyed_db.uow() as uow:
        row = uow.session.execute(select(AuditEventRow).where(AuditEventRow.seq == 4)).scalar_one()
        row.action = "grant.reject"
        row.chain_version = CHAIN_LEGACY
        row.hash = compute_legacy_hash(**_fields(row))
        uow.commit()
    with keyed_db.uow(read_only=True) as uow:
        report = verify_chain(uow.session)
    assert not report.ok and report.first_broken_seq == 4 and "version" in (report.reason or "")


def test_periodic_job_exports_a_head_and_schedules_the_next(
    keyed_db: Database, objects: LocalObjectStore
) -> None:
    _record(keyed_db, 3)
    with keyed_db.uow() as uow:
        enqueue(uow.session, EXPORT_HEAD_JOB, {"interval_seconds": 3600})
        uow.commit()
    done = Worker(keyed_db, job_handlers(keyed_db, objects)).run_once()
    assert done is not None and done.state.value == "succeeded", done
    assert done.result == {"ok": True, "events_checked": 3, "reason": None, "head": 3}
    assert objects.exists(head_key(3))
    with keyed_db.uow(read_only=True) as uow:
        queued = list_jobs(uow.session, state=JobState.queued)
    assert len(queued) == 1 and queued[0].kind == EXPORT_HEAD_JOB
    assert utcnow() < queued[0].run_after <= utcnow() + timedelta(seconds=3600)


def _cli_env(monkeypatch: Any, settings: Any, tmp_path: Path) -> Path:
    data_dir = tmp_path / "cli-data"
    monkeypatch.setenv("QAZAI_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("QAZAI_SECRET_KEY", SECRET)
    return data_dir


def test_cli_verify_catches_truncation(
    settings: Any, keyed_db: Database, monkeypatch: Any, tmp_path: Path
) -> None:
    data_dir = _cli_env(monkeypatch, settings, tmp_path)
    _record(keyed_db, 4)
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "4 events verified" in ok.output and "signed head exported" in ok.output
    assert (data_dir / "objects" / "audit" / "heads" / "00000000000000000004.json").exists()
    with keyed_db.uow() as uow:
        uow.session.execute(delete(AuditEventRow).where(AuditEventRow.seq == 4))
        uow.commit()
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "removed from the end" in broken.output


def test_external_party_verifies_an_export_offline(
    settings: Any, keyed_db: Database, monkeypatch: Any, tmp_path: Path
) -> None:
    data_dir = _cli_env(monkeypatch, settings, tmp_path)
    _record(keyed_db, 5)
    runner = CliRunner()
    assert runner.invoke(cli_app, ["audit", "verify"]).exit_code == 0
    export = tmp_path / "audit.jsonl"
    assert runner.invoke(cli_app, ["audit", "export", "-o", str(export)]).exit_code == 0
    key = runner.invoke(cli_app, ["audit", "key"])
    assert key.exit_code == 0 and key.stdout.strip() == derive_audit_key(SECRET).hex()
    key_file = tmp_path / "audit.key"
    key_file.write_text(key.stdout, encoding="utf-8")
    head = data_dir / "objects" / "audit" / "heads" / "00000000000000000005.json"
    args = ["audit", "check-export", str(export), "--key-file", str(key_file), "--head", str(head)]
    good = runner.invoke(cli_app, args)
    assert good.exit_code == 0, good.output
    assert "5 events verified" in good.output
    # the same export, shortened by one line, no longer reaches the signed head
    lines = export.read_text(encoding="utf-8").splitlines()
    export.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    short = runner.invoke(cli_app, args)
    assert short.exit_code == 1 and "removed from the end" in short.output
    # and an edited line breaks the chain there
    edited = json.loads(lines[1])
    edited["summary"]["purpose"] = "Коммерция"
    export.write_text("\n".join([lines[0], json.dumps(edited, ensure_ascii=False), *lines[2:]]) + "\n")
    changed = runner.invoke(cli_app, args)
    assert changed.exit_code == 1 and "seq=2" in changed.output


def test_export_lines_carry_the_chain_version(keyed_db: Database) -> None:
    _record(keyed_db, 1)
    with keyed_db.uow(read_only=True) as uow:
        (line,) = list(export_events(uow.session))
    assert json.loads(line)["chain_version"] == CHAIN_HMAC


def test_api_verify_exports_a_head(client: Any, people: Any, platform: Any) -> None:
    response = client.get("/api/v1/audit/verify", headers=people["regulator"].headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True and body["legacy_events"] == 0
    assert body["exported_head"]["sequence"] == body["last_seq"] == body["events_checked"]
    assert platform.objects.exists(head_key(body["last_seq"]))
    with platform.db.uow() as uow:  # an insider rewrites the last event, recomputing without the key
        row = uow.session.execute(
            select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(1)
        ).scalar_one()
        uow.session.execute(
            update(AuditEventRow)
            .where(AuditEventRow.seq == row.seq)
            .values(actor_label="x", hash=compute_legacy_hash(**{**_fields(row), "actor_label": "x"}))
        )
        uow.commit()
    again = client.get("/api/v1/audit/verify", headers=people["regulator"].headers)
    assert again.status_code == 200 and again.json()["ok"] is False
    assert again.json()["first_broken_seq"] == body["last_seq"]


def test_existing_data_directory_keeps_verifying_after_the_upgrade(empty_database_url: str) -> None:
    """Migration 0005 marks the rows written before it as legacy; the keyed chain continues them."""
    from sqlalchemy import JSON, BigInteger, Column, DateTime, MetaData, String, Table

    from qazai.storage.migrate import upgrade_database

    upgrade_database(empty_database_url, "0004_registry")
    fields: dict[str, Any] = {
        "seq": 1,
        "id": new_id(),
        "at": utcnow(),
        "actor_id": None,
        "actor_label": "cli:root",
        "organisation_id": None,
        "action": "organisation.create",
        "object_type": "organisation",
        "object_id": "o1",
        "summary": {"slug": "stat-gov"},
        "request_id": None,
        "prev_hash": GENESIS_HASH,
    }
    table_0004 = Table(  # the table as revision 0004 made it: no chain_version
        "audit_events",
        MetaData(),
        Column("seq", BigInteger, primary_key=True),
        *(Column(name, String) for name in ("id", "actor_id", "actor_label", "organisation_id")),
        *(Column(name, String) for name in ("action", "object_type", "object_id", "request_id")),
        Column("at", DateTime(timezone=True)),
        Column("summary", JSON),
        Column("prev_hash", String),
        Column("hash", String),
    )
    old = Database(empty_database_url)
    try:
        with old.engine.begin() as connection:
            connection.execute(table_0004.insert().values(**fields, hash=compute_legacy_hash(**fields)))
    finally:
        old.dispose()
    upgrade_database(empty_database_url)
    upgraded = Database(empty_database_url)
    install_audit_key(upgraded, SECRET)
    try:
        _record(upgraded, 2)
        with upgraded.uow(read_only=True) as uow:
            report = verify_chain(uow.session)
            first = uow.session.get(AuditEventRow, 1)
            assert first is not None and first.chain_version == CHAIN_LEGACY
        assert report.ok and report.events_checked == 3 and report.legacy_events == 1
    finally:
        upgraded.dispose()


def test_the_documented_standalone_script_verifies_an_export(
    settings: Any, keyed_db: Database, monkeypatch: Any, tmp_path: Path
) -> None:
    """docs/operations.md gives auditors a standard-library script; it must agree with the CLI."""
    import re
    import subprocess
    import sys

    guide = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide[guide.index("### Verifying an audit export") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    script = tmp_path / "verify_export.py"
    script.write_text(match.group(1), encoding="utf-8")
    data_dir = _cli_env(monkeypatch, settings, tmp_path)
    _record(keyed_db, 4)
    runner = CliRunner()
    assert runner.invoke(cli_app, ["audit", "verify"]).exit_code == 0
    export = tmp_path / "audit.jsonl"
    assert runner.invoke(cli_app, ["audit", "export", "-o", str(export)]).exit_code == 0
    key_file = tmp_path / "audit.key"
    key_file.write_text(derive_audit_key(SECRET).hex(), encoding="utf-8")
    head = data_dir / "objects" / "audit" / "heads" / "00000000000000000004.json"

    def run() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(script), str(export), str(key_file), str(head)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    good = run()
    assert good.returncode == 0 and "intact: 4 events" in good.stdout, good.stderr
    lines = export.read_text(encoding="utf-8").splitlines()
    export.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    short = run()
    assert short.returncode != 0 and "the signed head is at 4" in short.stderr


def test_server_start_schedules_the_periodic_head_export(settings: Any, db: Database) -> None:
    from fastapi.testclient import TestClient

    from qazai.api.app import create_app
    from qazai.api.wiring import build_platform

    with_workers = settings.model_copy(update={"workers": 1, "audit_head_interval_seconds": 600})
    platform = build_platform(with_workers, start_workers=True, db=db)
    with TestClient(create_app(platform)):
        pass
    with db.uow(read_only=True) as uow:
        jobs = list_jobs(uow.session, kind=EXPORT_HEAD_JOB)
    assert len(jobs) == 1 and jobs[0].state == JobState.queued
    assert utcnow() < jobs[0].run_after <= utcnow() + timedelta(seconds=600)
