"""Tokens for API tests: made through the services, as a person or a manager would."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.api import services
from tracker.auth.models import User
from tracker.db import utcnow


def personal_token(
    session: Session,
    user: User,
    *,
    write: bool = True,
    academy: Academy | None = None,
    days: int = 30,
) -> str:
    issued = services.create_personal_token(
        session, user, name="test", can_write=write, academy=academy, days=days, now=utcnow()
    )
    session.flush()
    return issued.secret


def service_token(
    session: Session, academy: Academy, manager: User, role: str, *, write: bool = True
) -> str:
    account = services.create_service_account(
        session, academy, name=f"LMS {role}", role=role, actor=manager,
        actor_role=services.Role.MANAGER, now=utcnow(),
    )  # fmt: skip
    issued = services.issue_service_token(
        session, account, name="lms", can_write=write, days=30, now=utcnow()
    )
    session.flush()
    return issued.secret


def bearer(secret: str, **extra: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {secret}", **extra}
