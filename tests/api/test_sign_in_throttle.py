"""Sign-in is throttled by account and by client address, failures are audited, and an unknown
e-mail fails exactly like a known one (same answer, same audit shape, same argon2 cost)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.web.helpers import csrf_of

from qazai.core.errors import Unauthenticated
from qazai.identity import service
from qazai.identity.models import SessionCreate
from qazai.identity.security import configure_password_hashing
from qazai.identity.throttle import SignInLimits, account_key
from qazai.storage.tables.audit import AuditEventRow
from qazai.storage.tables.identity import SignInFailureRow

PASSWORD = "correct horse battery"
WRONG = "Tr0ub4dor&3-wrong"


def _attempt(client: TestClient, email: str, password: str) -> Any:
    return client.post("/api/v1/sessions", json={"email": email, "password": password})


def _events(platform: Any, action: str) -> list[AuditEventRow]:
    with platform.db.uow(read_only=True) as uow:
        return list(
            uow.session.execute(select(AuditEventRow).where(AuditEventRow.action == action)).scalars()
        )


def _age_failures(platform: Any, seconds: int) -> None:
    """Move every recorded failure back in time, as if ``seconds`` had passed."""
    with platform.db.uow() as uow:
        rows = uow.session.execute(select(SignInFailureRow)).scalars().all()
        for row in rows:
            uow.session.execute(
                update(SignInFailureRow)
                .where(SignInFailureRow.id == row.id)
                .values(at=row.at - timedelta(seconds=seconds))
            )
        uow.commit()


def test_thirty_wrong_passwords_are_throttled(client: TestClient, people: Any, platform: Any) -> None:
    email = people["member"].email
    responses = [_attempt(client, email, WRONG) for _ in range(30)]
    statuses = [r.status_code for r in responses]
    assert statuses == [401] * 4 + [429] * 26
    locked = responses[4]
    assert locked.json()["error"]["code"] == "account_locked"
    assert "locked until" in locked.json()["error"]["message"]
    for response in responses[4:]:
        assert 0 < int(response.headers["Retry-After"]) <= 900
        assert response.json()["error"]["details"]["retry_after"] == int(response.headers["Retry-After"])
    # the right password does not get through the lock either
    right = _attempt(client, email, PASSWORD)
    assert right.status_code == 429 and right.json()["error"]["code"] == "account_locked"
    # five failures were checked and audited, then the lock; refused attempts cost no audit rows
    failed = _events(platform, "session.sign_in_failed")
    assert len(failed) == 5
    assert {e.object_id for e in failed} == {people["member"].user_id}
    assert [e.summary["failures_in_window"] for e in failed] == [1, 2, 3, 4, 5]
    assert all(e.summary["reason"] == "wrong_password" and e.summary["client"] for e in failed)
    assert len(_events(platform, "session.account_locked")) == 1
    with platform.db.uow(read_only=True) as uow:
        everything = " ".join(str(e.summary) for e in uow.session.execute(select(AuditEventRow)).scalars())
    assert WRONG not in everything


def test_lock_ends_when_the_failures_leave_the_window(client: TestClient, people: Any, platform: Any) -> None:
    email = people["producer"].email
    for _ in range(5):
        _attempt(client, email, WRONG)
    assert _attempt(client, email, PASSWORD).status_code == 429
    _age_failures(platform, 901)
    assert _attempt(client, email, PASSWORD).status_code == 201
    with platform.db.uow(read_only=True) as uow:  # a success starts the account afresh
        left = uow.session.execute(
            select(SignInFailureRow).where(SignInFailureRow.account == account_key(email))
        ).all()
    assert left == []


def test_other_accounts_are_not_locked_by_one_accounts_failures(client: TestClient, people: Any) -> None:
    for _ in range(6):
        _attempt(client, people["member"].email, WRONG)
    assert _attempt(client, people["producer"].email, PASSWORD).status_code == 201


def test_one_address_spraying_many_accounts_is_throttled(app: Any, people: Any) -> None:
    with TestClient(app, client=("203.0.113.7", 40000)) as sprayer:
        statuses = [_attempt(sprayer, f"guess{i}@example.kz", WRONG).status_code for i in range(20)]
        assert statuses == [401] * 20  # never more than one failure per account
        refused = _attempt(sprayer, people["regulator"].email, PASSWORD)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_sign_in_attempts"
        assert int(refused.headers["Retry-After"]) > 0
    with TestClient(app, client=("198.51.100.9", 40000)) as elsewhere:
        assert _attempt(elsewhere, people["regulator"].email, PASSWORD).status_code == 201


def test_unknown_account_fails_like_a_known_one(client: TestClient, people: Any, platform: Any) -> None:
    known = _attempt(client, people["member"].email, WRONG)
    unknown = _attempt(client, "nobody@example.kz", WRONG)
    assert known.status_code == unknown.status_code == 401
    assert known.json()["error"]["message"] == unknown.json()["error"]["message"]
    events = _events(platform, "session.sign_in_failed")
    assert [e.summary["reason"] for e in events] == ["wrong_password", "unknown_account"]
    assert events[1].object_id is None and "nobody" not in str(events[1].summary)
    # unknown e-mails are locked the same way, so the lock does not reveal who is registered
    statuses = [_attempt(client, "nobody@example.kz", WRONG).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]


@pytest.fixture
def real_argon2(settings: Any) -> Iterator[None]:
    """A production-like argon2 cost, so that skipping the hash would show in the timing."""
    configure_password_hashing(time_cost=3, memory_kib=32768)
    try:
        yield
    finally:
        configure_password_hashing(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)


def test_unknown_account_takes_as_long_as_a_known_one(platform: Any, people: Any, real_argon2: None) -> None:
    """Ratio of medians, measured in one run: without the dummy verification an unknown e-mail
    would answer several times faster (no argon2), which this catches."""
    limits = SignInLimits(max_per_account=1000, max_per_address=1000)

    def timed(email: str) -> float:
        with platform.db.uow() as uow:
            start = time.perf_counter()
            with pytest.raises(Unauthenticated):
                service.sign_in(
                    uow,
                    SessionCreate(email=email, password=WRONG),
                    max_age_seconds=60,
                    client="192.0.2.1",
                    limits=limits,
                )
            return time.perf_counter() - start

    # hash the known user's password with the same cost as the dummy hash
    from qazai.identity.security import hash_password
    from qazai.storage.tables.identity import UserRow

    with platform.db.uow() as uow:
        uow.session.execute(
            update(UserRow)
            .where(UserRow.id == people["member"].user_id)
            .values(password_hash=hash_password(PASSWORD))
        )
        uow.commit()
    known, unknown = [], []
    for _ in range(7):
        known.append(timed(people["member"].email))
        unknown.append(timed("nobody@example.kz"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.6 < ratio < 1.6, (ratio, known, unknown)


def test_web_sign_in_tells_the_user_about_the_lock_in_kazakh(client: TestClient, people: Any) -> None:
    email = people["member"].email
    statuses = []
    for _ in range(6):
        token = csrf_of(client.get("/sign-in").text)
        page = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": WRONG})
        statuses.append(page.status_code)
    assert statuses == [401] * 4 + [429] * 2
    assert '<html lang="kk">' in page.text
    assert "уақытша бұғатталды" in page.text and "мин кейін қайталап көріңіз" in page.text
    assert 0 < int(page.headers["Retry-After"]) <= 900


def test_web_sign_in_lock_message_in_russian(client: TestClient, people: Any) -> None:
    email = people["member"].email
    for _ in range(5):
        token = csrf_of(client.get("/sign-in", headers={"Accept-Language": "ru"}).text)
        page = client.post(
            "/sign-in",
            data={"csrf_token": token, "email": email, "password": WRONG},
            headers={"Accept-Language": "ru"},
        )
    assert page.status_code == 429
    assert "временно заблокирована" in page.text and "Повторите попытку через" in page.text
