"""Accounts: authentication with throttling, server-side sessions, passwords, personal data."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, AcademyInvitation, Membership
from tracker.auth.models import LOCALES, LoginFailure, User, UserSession
from tracker.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from tracker.collation import folded
from tracker.errors import DomainError, NotFound, Throttled
from tracker.mail.models import MailMessage
from tracker.tokens import hash_token, new_token


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("This page does not exist, or no longer does."))
    return user


def find_users(session: Session, search: str, *, limit: int = 200) -> list[User]:
    """Accounts by name, those whose e-mail or name contains `search` (lower case) if given."""
    statement = select(User).order_by(folded(User.display_name), User.id).limit(limit)
    if search:
        like = f"%{search}%"
        statement = statement.where(
            func.lower(User.email).like(like) | func.lower(User.display_name).like(like)
        )
    return list(session.scalars(statement).all())


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str | None = None,
    locale: str | None = None,
    is_admin: bool = False,
) -> User:
    email = normalize_email(email)
    if get_user_by_email(session, email) is not None:
        raise DomainError(_("An account with this e-mail address already exists."), field="email")
    if password is not None:
        _check_password(password, email=email, name=display_name)
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password) if password is not None else None,
        locale=locale if locale in LOCALES else None,
        is_admin=is_admin,
        is_active_account=True,
    )
    session.add(user)
    session.flush()
    return user


def _check_password(password: str, *, email: str, name: str, field: str = "password") -> None:
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise DomainError(" ".join(problems), field=field)


# -- Login throttling ---------------------------------------------------------------------------
# Counted per account (not per IP address, so a whole office behind one proxy is never locked
# out), in a database table so that every worker process sees the same counts.


def login_retry_after(
    session: Session, email: str, *, now: dt.datetime, max_failures: int, window: int
) -> int | None:
    """Seconds to wait before this account may try again, or None."""
    since = now - dt.timedelta(seconds=window)
    count, oldest = session.execute(
        select(func.count(LoginFailure.id), func.min(LoginFailure.at)).where(
            LoginFailure.email == normalize_email(email), LoginFailure.at > since
        )
    ).one()
    if count < max_failures or oldest is None:
        return None
    if oldest.tzinfo is None:  # aggregates bypass the column type on SQLite
        oldest = oldest.replace(tzinfo=dt.UTC)
    return max(1, math.ceil((oldest + dt.timedelta(seconds=window) - now).total_seconds()))


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    ip_address: str = "",
    max_failures: int = 10,
    window: int = 300,
    now: dt.datetime,
) -> User:
    """The user with these credentials, or a DomainError; Throttled once the account is locked."""
    email = normalize_email(email)
    retry = login_retry_after(session, email, now=now, max_failures=max_failures, window=window)
    if retry is not None:
        raise Throttled(
            _("Too many failed attempts for this account. Try again in a few minutes."),
            retry_after=retry,
        )
    user = get_user_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        session.add(LoginFailure(email=email, ip_address=ip_address[:45], at=now))
        # Keep the table small: failures older than a day no longer count for anything.
        session.execute(delete(LoginFailure).where(LoginFailure.at < now - dt.timedelta(days=1)))
        session.flush()
        raise DomainError(_("Wrong e-mail address or password."), field="password")
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    user.last_login_at = now
    session.flush()
    return user


# -- Server-side sessions -----------------------------------------------------------------------


def start_session(
    session: Session, user: User, *, lifetime_days: int, user_agent: str = "", now: dt.datetime
) -> str:
    """Open a login session; returns the token to put in the signed cookie."""
    token = new_token()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(days=lifetime_days),
            user_agent=user_agent[:255],
        )
    )
    session.flush()
    return token


def load_session_user(
    session: Session, user_id: int, token: str, *, now: dt.datetime
) -> User | None:
    """The user of a live session with this token (one query), or None."""
    row = session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            UserSession.token_hash == hash_token(token),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
            User.is_active_account.is_(True),
        )
    ).first()
    return row[0] if row else None


def revoke_session(session: Session, token: str, *, now: dt.datetime) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == hash_token(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_all_sessions(session: Session, user: User, *, now: dt.datetime) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# -- Account changes ----------------------------------------------------------------------------


def change_password(
    session: Session, user: User, current: str, new: str, *, now: dt.datetime
) -> None:
    """Change the password; every session of the user is revoked (the caller opens a new one)."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_("Your current password is not this one."), field="current_password")
    set_password(session, user, new, field="new_password", now=now)


def set_password(
    session: Session, user: User, new: str, *, field: str = "password", now: dt.datetime
) -> None:
    """`field` names the form field a refusal is shown beside."""
    _check_password(new, email=user.email, name=user.display_name, field=field)
    user.password_hash = hash_password(new)
    revoke_all_sessions(session, user, now=now)
    session.flush()


def update_profile(session: Session, user: User, *, display_name: str, locale: str | None) -> None:
    if not display_name.strip():
        raise DomainError(_("Give a name."), field="display_name")
    user.display_name = display_name.strip()
    user.locale = locale if locale in LOCALES else None
    session.flush()


def set_locale(session: Session, user: User, locale: str) -> None:
    """The language chosen with the switch becomes the person's preference."""
    user.locale = locale
    session.flush()


def set_active(
    session: Session, user: User, active: bool, *, actor: User, now: dt.datetime
) -> None:
    if user.id == actor.id and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    user.is_active_account = active
    if not active:
        revoke_all_sessions(session, user, now=now)
    session.flush()


def export_personal_data(session: Session, user: User) -> dict[str, Any]:
    """Everything Brique holds about a person, as JSON-ready data (GDPR art. 15 and 20)."""
    memberships = session.execute(
        select(Academy.name, Academy.slug, Membership.role, Membership.created_at)
        .join(Membership, Membership.academy_id == Academy.id)
        .where(Membership.user_id == user.id)
        .order_by(folded(Academy.name), Academy.id)
    ).all()
    sessions = session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
    ).all()
    return {
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "locale": user.locale,
            "is_admin": user.is_admin,
            "active": user.is_active_account,
            "created_at": user.created_at.isoformat(),
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        },
        "memberships": [
            {"academy": name, "slug": slug, "role": role.value, "since": since.isoformat()}
            for name, slug, role, since in memberships
        ],
        "sessions": [
            {
                "created_at": s.created_at.isoformat(),
                "last_seen_at": s.last_seen_at.isoformat(),
                "revoked_at": s.revoked_at.isoformat() if s.revoked_at else None,
                "user_agent": s.user_agent,
            }
            for s in sessions
        ],
    }


def erase_user(session: Session, user: User, *, actor: User, now: dt.datetime) -> None:
    """Erase a person's personal data (GDPR art. 17), keeping the rows others' history points to.

    The account becomes an anonymous, inactive placeholder; memberships, sessions, failed
    logins, invitations to the address and e-mail to it (sent or not) are deleted.
    """
    if user.id == actor.id:
        raise DomainError(_("You cannot erase your own account while logged in with it."))
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
    session.execute(delete(AcademyInvitation).where(AcademyInvitation.email == user.email))
    session.execute(delete(MailMessage).where(MailMessage.to_address == user.email))
    user.email = f"erased-{user.id}@invalid"
    user.display_name = _("Erased user")
    user.password_hash = None
    user.is_active_account = False
    user.is_admin = False
    user.erased_at = now
    session.flush()
