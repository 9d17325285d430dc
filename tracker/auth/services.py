"""Accounts: authentication with throttling, server-side sessions, passwords, personal data."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, AcademyInvitation, MemberEvent, Membership
from tracker.auth.models import LOCALES, LoginThrottle, PasswordReset, User, UserSession
from tracker.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from tracker.collation import folded
from tracker.db import UTCDateTime, contains_text
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
        statement = statement.where(
            contains_text(func.lower(User.email), search)
            | contains_text(func.lower(User.display_name), search)
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
# Counted per account AND source address, so that an attacker elsewhere cannot lock the owner out
# of their own desk, with a higher cap per account over all sources (an attack spread over many
# addresses), and a short delay between attempts that grows with the failures before the hard
# cap. The counters live in the database, shared by every worker; each attempt is counted
# *before* its password is checked, by one conditional statement, so parallel attempts never get
# past a cap (begin_login, then the caller commits, then finish_login).

ALL_SOURCES = "*"


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int = 10  # per account and source address, within the window
    window: int = 300  # seconds
    account_max_failures: int = 100  # per account, all sources together, within the window
    delay_after: int = 3  # failures (per account and source) before the delay starts
    delay_max: int = 30  # seconds

    def delay(self, failures: int) -> int:
        """Seconds to wait after `failures` failures before the next attempt: 1, 2, 4... up to
        delay_max, once delay_after failures are reached."""
        if failures < self.delay_after:
            return 0
        return int(min(self.delay_max, 2 ** (failures - self.delay_after)))


def _source(source: str) -> str:
    return (source or "unknown")[:64]


def count_attempt(
    session: Session,
    email: str,
    source: str,
    *,
    cap: int,
    limits: LoginLimits,
    now: dt.datetime,
) -> bool:
    """Count one attempt on this counter if its cap (and, per source, its delay) allows it: one
    conditional UPDATE, atomic on both engines (the row is created first when missing). False:
    refused, nothing counted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(LoginThrottle)
        .values(email=email, source=source, failures=0, window_start=now, last_attempt_at=now)
        .on_conflict_do_nothing(index_elements=["email", "source"])
    )

    def at(moment: dt.datetime) -> ColumnElement[dt.datetime]:
        return literal(moment, UTCDateTime())

    expired = LoginThrottle.window_start <= at(now - dt.timedelta(seconds=limits.window))
    allowed: ColumnElement[bool] = LoginThrottle.failures < cap
    if source != ALL_SOURCES and limits.delay_after < cap:
        # The wait each number of failures asks for, as a CASE: still one statement.
        waits = [
            (LoginThrottle.failures == n, at(now - dt.timedelta(seconds=limits.delay(n))))
            for n in range(limits.delay_after, cap)
        ]
        allowed = and_(
            allowed,
            or_(
                LoginThrottle.failures < limits.delay_after,
                LoginThrottle.last_attempt_at <= case(*waits, else_=at(now)),
            ),
        )
    counted = session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.email == email, LoginThrottle.source == source, or_(expired, allowed))
        .values(
            failures=case((expired, 1), else_=LoginThrottle.failures + 1),
            window_start=case((expired, at(now)), else_=LoginThrottle.window_start),
            last_attempt_at=at(now),
        )
        .execution_options(synchronize_session=False)
    )
    return counted.rowcount == 1  # type: ignore[attr-defined]


def retry_after(
    session: Session,
    email: str,
    source: str,
    *,
    cap: int | None = None,
    limits: LoginLimits,
    now: dt.datetime,
) -> int:
    """Seconds until this counter (whose cap is `cap`, by default the login's) lets an attempt
    through: at least 1."""
    row = session.scalar(
        select(LoginThrottle).where(LoginThrottle.email == email, LoginThrottle.source == source)
    )
    if row is None:
        return 1
    if cap is None:
        cap = limits.account_max_failures if source == ALL_SOURCES else limits.max_failures
    window_end = row.window_start + dt.timedelta(seconds=limits.window)
    if row.failures >= cap:
        wait = window_end
    else:
        wait = min(
            window_end, row.last_attempt_at + dt.timedelta(seconds=limits.delay(row.failures))
        )
    return max(1, math.ceil((wait - now).total_seconds()))


def begin_login(
    session: Session, email: str, *, source: str, limits: LoginLimits, now: dt.datetime
) -> None:
    """Count this attempt as a failure before the password is checked (finish_login takes it
    back on success); Throttled when a cap or the delay refuses it (the caller rolls back).
    Otherwise the caller commits at once, so that parallel attempts see each other."""
    email = normalize_email(email)
    source = _source(source)
    for key, cap in ((source, limits.max_failures), (ALL_SOURCES, limits.account_max_failures)):
        if not count_attempt(session, email, key, cap=cap, limits=limits, now=now):
            # The caller rolls back: the other counter's count is taken back too.
            retry = retry_after(session, email, key, cap=cap, limits=limits, now=now)
            raise Throttled(
                _("Too many failed attempts for this account. Try again in a few minutes.")
                if retry > limits.delay_max
                else _("Too many attempts. Wait a few seconds, then try again."),
                retry_after=retry,
            )
    # Keep the table small: counters idle for a day count for nothing.
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.last_attempt_at < now - dt.timedelta(days=1))
    )
    session.flush()


def finish_login(
    session: Session, email: str, password: str, *, source: str, now: dt.datetime
) -> User:
    """Check the password of an attempt begin_login counted: the user, or a DomainError (the
    attempt stays counted). A success clears the account's counters."""
    email = normalize_email(email)
    user = get_user_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        raise DomainError(_("Wrong e-mail address or password."), field="password")
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    # The per-source counters first, the account's own counter last: the order begin_login
    # locks them in, so that two logins of one account at once (two tabs, two hosts) never
    # wait on each other in a cycle (PostgreSQL would abort one of them as a deadlock).
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.email == email, LoginThrottle.source != ALL_SOURCES
        )
    )
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.email == email, LoginThrottle.source == ALL_SOURCES
        )
    )
    user.last_login_at = now
    session.flush()
    return user


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    source: str = "",
    limits: LoginLimits = LoginLimits(),
    now: dt.datetime,
) -> User:
    """begin_login and finish_login in one transaction (commands and tests; the login page
    commits in between)."""
    begin_login(session, email, source=source, limits=limits, now=now)
    return finish_login(session, email, password, source=source, now=now)


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


# last_seen_at is written at most once a minute per session: not a write on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)


def load_session_user(
    session: Session, user_id: int, token: str, *, idle_minutes: int = 0, now: dt.datetime
) -> User | None:
    """The user of a live session with this token (one query), or None. With idle_minutes, a
    session unused for longer is over (a request within it keeps it alive: see touch_session)."""
    found = load_session(session, user_id, token, idle_minutes=idle_minutes, now=now)
    return found[0] if found else None


def load_session(
    session: Session, user_id: int, token: str, *, idle_minutes: int = 0, now: dt.datetime
) -> tuple[User, UserSession] | None:
    conditions = [
        User.id == user_id,
        UserSession.token_hash == hash_token(token),
        UserSession.revoked_at.is_(None),
        UserSession.expires_at > now,
        User.is_active_account.is_(True),
    ]
    if idle_minutes > 0:
        conditions.append(UserSession.last_seen_at > now - dt.timedelta(minutes=idle_minutes))
    row = session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(*conditions)
    ).first()
    return (row[0], row[1]) if row else None


def touch_session(session: Session, login: UserSession, *, now: dt.datetime) -> bool:
    """Record that the session was used (for the idle timeout) if it was not in the last
    minute; True when something was written (the caller commits)."""
    if now - login.last_seen_at < TOUCH_EVERY:
        return False
    login.last_seen_at = now
    session.flush()
    return True


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


# Sections other domains add to the export (their data about the person), by name: the app
# factory registers them (a domain above auth cannot be imported from here).
EXPORT_SECTIONS: dict[str, Callable[[Session, User], Any]] = {}


def register_export_section(name: str, section: Callable[[Session, User], Any]) -> None:
    EXPORT_SECTIONS[name] = section


# What other domains erase of a person (their data that nobody else's history needs).
ERASE_STEPS: list[Callable[[Session, User], None]] = []


def register_erase_step(step: Callable[[Session, User], None]) -> None:
    if step not in ERASE_STEPS:
        ERASE_STEPS.append(step)


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
            "backlog_hidden_columns": user.backlog_hidden_columns,
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
    } | {name: section(session, user) for name, section in EXPORT_SECTIONS.items()}


def erase_user(session: Session, user: User, *, actor: User, now: dt.datetime) -> None:
    """Erase a person's personal data (GDPR art. 17), keeping the rows others' history points to.

    The account becomes an anonymous, inactive placeholder; memberships, sessions, login
    counters, password-reset links, invitations to the address and e-mail to it (sent or not)
    are deleted, and academies' histories of their people no longer hold the address.
    """
    if user.id == actor.id:
        raise DomainError(_("You cannot erase your own account while logged in with it."))
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    session.execute(delete(LoginThrottle).where(LoginThrottle.email == user.email))
    session.execute(delete(AcademyInvitation).where(AcademyInvitation.email == user.email))
    # Academies keep the history of their people, without the address.
    session.execute(
        update(MemberEvent)
        .where(MemberEvent.email == user.email)
        .values(email=f"erased-{user.id}@invalid")
    )
    session.execute(delete(MailMessage).where(MailMessage.to_address == user.email))
    for step in ERASE_STEPS:
        step(session, user)
    user.email = f"erased-{user.id}@invalid"
    user.display_name = _("Erased user")
    user.password_hash = None
    user.is_active_account = False
    user.is_admin = False
    user.erased_at = now
    session.flush()
