"""Password reset by e-mail: a single-use, expiring link, stored only as its SHA-256.

Asking for a link answers the same whether the address has an account or not (the page says
"if an account exists..."); the caller e-mails the link when there is one. Asking is limited per
account (a few links an hour: more are silently not sent) and per source address (then 429, which
says nothing about any account).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tracker.auth.models import LoginThrottle, PasswordReset, User
from tracker.auth.services import (
    LoginLimits,
    count_attempt,
    get_user_by_email,
    retry_after,
    set_password,
)
from tracker.errors import NotFound, Throttled
from tracker.tokens import hash_token, new_token

LINKS_PER_ACCOUNT_PER_HOUR = 3
REQUESTS_PER_SOURCE_PER_HOUR = 20
# The source counter lives with the login counters, under an address no account can have.
_SOURCE_COUNTER = "*password-reset*"
# An hour's window, without the login's growing delay (it starts only at the cap).
_HOUR = LoginLimits(window=3600, delay_after=REQUESTS_PER_SOURCE_PER_HOUR)


@dataclass(frozen=True)
class ResetLink:
    user: User
    token: str  # only ever in the e-mail; the database keeps its hash
    expires_at: dt.datetime


def request_reset(
    session: Session, email: str, *, source: str, valid_minutes: int, now: dt.datetime
) -> ResetLink | None:
    """A new link for the account with this address, or None: no (usable) account, or enough
    links sent lately. Throttled when this source asked too often (whatever the address)."""
    key = (source or "unknown")[:64]
    if not count_attempt(
        session, _SOURCE_COUNTER, key, cap=REQUESTS_PER_SOURCE_PER_HOUR, limits=_HOUR, now=now
    ):
        raise Throttled(
            _("Too many requests from your address. Try again later."),
            retry_after=retry_after(
                session,
                _SOURCE_COUNTER,
                key,
                cap=REQUESTS_PER_SOURCE_PER_HOUR,
                limits=_HOUR,
                now=now,
            ),
        )
    user = get_user_by_email(session, email)
    if user is None or not user.is_active or user.erased_at is not None:
        return None
    recent = session.scalar(
        select(func.count(PasswordReset.id)).where(
            PasswordReset.user_id == user.id,
            PasswordReset.created_at > now - dt.timedelta(hours=1),
        )
    )
    if (recent or 0) >= LINKS_PER_ACCOUNT_PER_HOUR:
        return None
    token = new_token()
    reset = PasswordReset(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=valid_minutes),
    )
    session.add(reset)
    session.flush()
    return ResetLink(user=user, token=token, expires_at=reset.expires_at)


def _invalid() -> NotFound:
    return NotFound(_("This link to reset a password is not valid any more. Ask for a new one."))


def find_reset(session: Session, token: str, *, now: dt.datetime) -> PasswordReset:
    reset = session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise _invalid()
    user = session.get(User, reset.user_id)
    if user is None or not user.is_active or user.erased_at is not None:
        raise _invalid()
    return reset


def reset_password(session: Session, token: str, new: str, *, now: dt.datetime) -> User:
    """Set the password through a link: spent by a conditional update (two clicks cannot both
    use it), every other link of the account spent too, every session logged out, the login
    counters cleared."""
    reset = find_reset(session, token, now=now)
    spent = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise _invalid()
    user = session.get(User, reset.user_id)
    assert user is not None  # find_reset checked it
    set_password(session, user, new, field="new_password", now=now)
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(LoginThrottle).where(LoginThrottle.email == user.email))
    session.flush()
    return user
