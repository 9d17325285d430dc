"""The rules of API credentials: issuing, listing and revoking tokens, service accounts, and
authenticating a bearer token (with the per-token rate limit, shared by every worker).

Services flush and never commit; they take `now` rather than reading the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Membership, Role
from tracker.academies.services import add_member
from tracker.api.models import ApiToken, ServiceAccount
from tracker.auth.models import User
from tracker.auth.permissions import Permission, allows
from tracker.db import INTEGER_MAX
from tracker.errors import DomainError, Forbidden, NotFound, Throttled, Unauthenticated
from tracker.tokens import hash_token, new_token

# Every token starts with this, so that secret scanners (and people) recognise one.
TOKEN_PREFIX = "brq_"  # noqa: S105 (a prefix, not a secret)
NAME_MAX = 120
# The longest a token may live; a person chooses a shorter expiry (or this one).
MAX_DAYS = 366
EXPIRY_CHOICES = (7, 30, 90, 366)


@dataclass(frozen=True)
class Issued:
    """A token just made: the row, and the secret shown once (never stored)."""

    token: ApiToken
    secret: str


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise DomainError(_("Give the token a name."), field="name")
    if len(cleaned) > NAME_MAX:
        raise DomainError(_("The name is too long."), field="name")
    return cleaned


def _issue(
    session: Session,
    user: User,
    *,
    name: str,
    can_write: bool,
    academy_id: int | None,
    days: int,
    now: dt.datetime,
    service_account_id: int | None = None,
) -> Issued:
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(_("Choose an expiry."), field="days")
    secret = TOKEN_PREFIX + new_token()
    token = ApiToken(
        user_id=user.id,
        name=_clean_name(name),
        token_hash=hash_token(secret),
        hint=secret[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 6],
        can_write=can_write,
        academy_id=academy_id,
        service_account_id=service_account_id,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
        rate_count=0,
    )
    session.add(token)
    session.flush()
    return Issued(token, secret)


def create_personal_token(
    session: Session,
    user: User,
    *,
    name: str,
    can_write: bool,
    academy: Academy | None,
    days: int,
    now: dt.datetime,
) -> Issued:
    """A person's own token, acting as them: in one of their academies, or in all of them."""
    if academy is not None and not _is_member(session, user, academy):
        raise DomainError(_("Choose one of your academies."), field="academy")
    return _issue(
        session, user, name=name, can_write=can_write,
        academy_id=academy.id if academy is not None else None, days=days, now=now,
    )  # fmt: skip


def _is_member(session: Session, user: User, academy: Academy) -> bool:
    found = session.scalar(
        select(Membership.id).where(
            Membership.academy_id == academy.id, Membership.user_id == user.id
        )
    )
    return found is not None


def personal_tokens(session: Session, user: User) -> list[ApiToken]:
    """The person's own tokens (not their academies' service accounts'), newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.service_account_id.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_personal_token(session: Session, user: User, token_id: int, *, now: dt.datetime) -> None:
    token = session.get(ApiToken, token_id) if token_id <= INTEGER_MAX else None
    if token is None or token.user_id != user.id or token.service_account_id is not None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()


# -- Service accounts ------------------------------------------------------------------------


def create_service_account(
    session: Session,
    academy: Academy,
    *,
    name: str,
    role: Role | str,
    actor: User,
    actor_role: Role | None,
    now: dt.datetime,
) -> ServiceAccount:
    """An integration of the academy acting as `role`: an account with no password (it never
    logs in), a member of this academy only. Only a manager creates one."""
    if not allows(actor, Permission.SERVICE_ACCOUNT_MANAGE, academy, role=actor_role):
        raise Forbidden(_("Only a manager creates service accounts."))
    try:
        role = Role(role)
    except ValueError:
        raise DomainError(_("Choose a role."), field="role") from None
    cleaned = _clean_name(name)
    # An address that can never receive mail (RFC 2606 .invalid), unique per account.
    email = f"service-{new_token()[:16].lower()}@{academy.slug}.service.invalid"
    user = User(
        email=email,
        display_name=cleaned,
        password_hash=None,
        is_admin=False,
        is_active_account=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    add_member(session, academy, user, role)
    account = ServiceAccount(
        academy_id=academy.id, user_id=user.id, name=cleaned, created_by_id=actor.id,
        created_at=now,
    )  # fmt: skip
    session.add(account)
    session.flush()
    return account


def service_accounts(session: Session, academy: Academy) -> list[tuple[ServiceAccount, Role]]:
    rows = session.execute(
        select(ServiceAccount, Membership.role)
        .join(
            Membership,
            (Membership.user_id == ServiceAccount.user_id)
            & (Membership.academy_id == ServiceAccount.academy_id),
        )
        .where(ServiceAccount.academy_id == academy.id)
        .order_by(ServiceAccount.name, ServiceAccount.id)
    ).all()
    return [(account, role) for account, role in rows]


def get_service_account(session: Session, academy: Academy, account_id: int) -> ServiceAccount:
    account = session.get(ServiceAccount, account_id) if account_id <= INTEGER_MAX else None
    if account is None or account.academy_id != academy.id:
        raise NotFound(_("No such service account."))
    return account


def service_tokens(session: Session, account: ServiceAccount) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.service_account_id == account.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def issue_service_token(
    session: Session,
    account: ServiceAccount,
    *,
    name: str,
    can_write: bool,
    days: int,
    now: dt.datetime,
) -> Issued:
    return _issue(
        session, account.user, name=name, can_write=can_write, academy_id=account.academy_id,
        days=days, now=now, service_account_id=account.id,
    )  # fmt: skip


def revoke_service_token(
    session: Session, account: ServiceAccount, token_id: int, *, now: dt.datetime
) -> None:
    token = session.get(ApiToken, token_id) if token_id <= INTEGER_MAX else None
    if token is None or token.service_account_id != account.id:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()


def delete_service_account(session: Session, account: ServiceAccount, *, now: dt.datetime) -> None:
    """Its tokens stop working at once; its account stays (its name in the history), with no
    membership and deactivated."""
    session.execute(
        update(ApiToken)
        .where(ApiToken.service_account_id == account.id)
        .values(service_account_id=None, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    membership = session.scalar(
        select(Membership).where(
            Membership.academy_id == account.academy_id, Membership.user_id == account.user_id
        )
    )
    if membership is not None:
        session.delete(membership)
    account.user.is_active_account = False
    session.delete(account)
    session.flush()


# -- Authentication --------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    requests: int  # per window, per token
    window: int  # seconds


def authenticate(session: Session, secret: str, *, limit: RateLimit, now: dt.datetime) -> ApiToken:
    """The live token this secret names, its use counted (one conditional UPDATE, atomic on
    both engines and shared by every worker). Unauthenticated: unknown, revoked, expired, or
    its owner deactivated. Throttled: over its rate limit in the current window.

    The UPDATE comes first: on SQLite a read (deferred) transaction that reads and then writes
    may be refused at once by a concurrent writer (no wait), while one that starts by writing
    waits for its turn (busy timeout)."""
    refused = Unauthenticated(_("The token is unknown, revoked or expired."))
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise refused
    digest = hash_token(secret)
    window_open = now - dt.timedelta(seconds=limit.window)
    expired = (ApiToken.rate_window_start.is_(None)) | (ApiToken.rate_window_start <= window_open)
    counted = session.execute(  # type: ignore[attr-defined]
        update(ApiToken)
        .where(
            ApiToken.token_hash == digest,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at.is_(None) | (ApiToken.expires_at > now),
            expired | (ApiToken.rate_count < limit.requests),
        )
        .values(
            rate_count=case((expired, 1), else_=ApiToken.rate_count + 1),
            rate_window_start=case((expired, now), else_=ApiToken.rate_window_start),
            last_used_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == digest)
        .execution_options(populate_existing=True)
    )
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
        or not token.user.is_active
    ):
        raise refused
    if not counted:
        start = token.rate_window_start or now
        wait = int((start + dt.timedelta(seconds=limit.window) - now).total_seconds()) + 1
        raise Throttled(
            _("Too many requests with this token. Wait before trying again."),
            retry_after=max(1, wait),
        )
    return token


def service_user_ids(session: Session, academy: Academy) -> set[int]:
    """The accounts of the academy's service accounts (members marked as such)."""
    return set(
        session.scalars(
            select(ServiceAccount.user_id).where(ServiceAccount.academy_id == academy.id)
        )
    )


def export_for(session: Session, user: User) -> list[dict[str, Any]]:
    """The person's own API tokens, for their personal data export: names, rights and dates,
    never a secret (only its hash is kept, and that is not exported either)."""
    return [
        {
            "name": token.name,
            "hint": token.hint,
            "academy": token.academy.slug if token.academy is not None else None,
            "can_write": token.can_write,
            "created_at": token.created_at.isoformat(),
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        }
        for token in session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.service_account_id.is_(None))
            .order_by(ApiToken.id)
        )
    ]


def erase_for(session: Session, user: User) -> None:
    """An erased person's tokens go with their data: none of them opens anything again."""
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
