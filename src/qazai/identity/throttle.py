"""Sign-in throttling, by account and by client address, over a sliding window.

Failed sign-ins are rows in the database (``sign_in_failures``), not counters in memory, so the
limits hold across server processes and hosts sharing PostgreSQL, and survive a restart.

- An **account** (the e-mail tried, whether or not it exists, so the lock tells nothing about
  which e-mails are registered) is locked after ``max_per_account`` failures within the window:
  every attempt, even with the right password, gets 429 ``account_locked`` until the oldest of
  those failures leaves the window. The user sees the lock and when it ends.
- A **client address** gets 429 ``too_many_sign_in_attempts`` after ``max_per_address`` failures
  within the window, whatever the accounts tried (password spraying from one address).

Attempts refused by the throttle check no password and add no failure, so the lock cannot be
extended forever by hammering it; they are cheap to answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from qazai.config import Settings
from qazai.core.clock import as_utc
from qazai.core.errors import RateLimited
from qazai.core.ids import new_id
from qazai.storage.tables.identity import SignInFailureRow


@dataclass(frozen=True, slots=True)
class SignInLimits:
    window_seconds: int = 900
    max_per_account: int = 5
    max_per_address: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            window_seconds=settings.sign_in_window_seconds,
            max_per_account=settings.sign_in_max_failures_per_account,
            max_per_address=settings.sign_in_max_failures_per_address,
        )


def account_key(email: str) -> str:
    """What the failures table stores for an account: SHA-256 of the normalised e-mail."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def _blocked_until(
    session: Session,
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    value: str,
    limit: int,
    window: timedelta,
    now: datetime,
) -> datetime | None:
    """When the ``limit``-th most recent failure within the window leaves it, or None if fewer."""
    recent = (
        session.execute(
            select(SignInFailureRow.at)
            .where(column == value, SignInFailureRow.at > now - window)
            .order_by(SignInFailureRow.at.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return as_utc(recent[-1]) + window if len(recent) >= limit else None


def check_sign_in_allowed(
    session: Session, limits: SignInLimits, *, account: str, client: str | None, now: datetime
) -> None:
    """RateLimited (429, with the seconds to wait) if the account is locked or the address throttled."""
    window = timedelta(seconds=limits.window_seconds)
    until = _blocked_until(session, SignInFailureRow.account, account, limits.max_per_account, window, now)
    if until is not None:
        raise RateLimited(
            f"too many failed sign-ins for this account: it is locked until {until:%H:%M} UTC",
            code="account_locked",
            retry_after=int((until - now).total_seconds()) + 1,
            details={"locked_until": until.isoformat()},
        )
    if client is not None:
        until = _blocked_until(session, SignInFailureRow.client, client, limits.max_per_address, window, now)
        if until is not None:
            raise RateLimited(
                "too many failed sign-ins from your address; wait before trying again",
                code="too_many_sign_in_attempts",
                retry_after=int((until - now).total_seconds()) + 1,
            )


def record_sign_in_failure(
    session: Session, limits: SignInLimits, *, account: str, client: str | None, now: datetime
) -> int:
    """Store one failure (and drop those older than the window); the account's failures in the
    window, this one included."""
    window = timedelta(seconds=limits.window_seconds)
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.at <= now - window))
    session.add(SignInFailureRow(id=new_id(), at=now, account=account, client=client))
    session.flush()
    return len(
        session.execute(
            select(SignInFailureRow.id).where(
                SignInFailureRow.account == account, SignInFailureRow.at > now - window
            )
        ).all()
    )


def forget_account_failures(session: Session, account: str) -> None:
    """After a successful sign-in the account starts afresh (the address keeps its count)."""
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.account == account))
