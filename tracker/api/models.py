"""API credentials: personal access tokens and per-academy service accounts.

A token is shown once; only its SHA-256 is stored (tracker/tokens.py). A service account is an
account of its own (no password, never logs in) with a membership in one academy: the role it
acts as is that membership's, so every rule that asks `can()` or a service's role check applies
to it unchanged, and its changes are in the history under its name.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from tracker.academies.models import Academy
    from tracker.auth.models import User


class ApiToken(Base):
    """A bearer token: whose it is, what it may do (read, or read and write), where (one
    academy, or every academy of its owner), until when; and the per-token rate window."""

    shown_on_pages = False  # tracker.changes: written by work no page validator shows

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token (after brq_), shown in lists to tell tokens apart.
    hint: Mapped[str] = mapped_column(String(16))
    can_write: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: every academy the owner is a member of (a service account's token: its academy).
    academy_id: Mapped[int | None] = mapped_column(ForeignKey("academy.id", ondelete="CASCADE"))
    service_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_account.id", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Rate limit: requests counted in a fixed window shared by every worker (one UPDATE).
    rate_window_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rate_count: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship()
    academy: Mapped[Academy | None] = relationship()

    __table_args__ = (
        Index("ix_api_token_user_id", "user_id"),
        Index("ix_api_token_service_account_id", "service_account_id"),
    )


class ServiceAccount(Base):
    """An integration (an LMS, an HR system) of one academy, acting with one role."""

    __tablename__ = "service_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academy.id", ondelete="CASCADE"))
    # The account it acts as (no password: it never logs in).
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    academy: Mapped[Academy] = relationship()

    __table_args__ = (Index("ix_service_account_academy_id", "academy_id"),)
