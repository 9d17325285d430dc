"""Accounts: users, their server-side sessions, login throttling, password resets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, email_column, utcnow

LOCALES = ("fr", "en")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased and stripped, so that uniqueness ignores case.
    email: Mapped[str] = mapped_column(email_column(), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    # None until the person sets a password (an invited tester may only ever use personal links).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The backlog's optional columns the person hides (names, comma-separated; None: every column
    # shown), chosen on the backlog and kept for every academy (tracker.backlog.columns).
    backlog_hidden_columns: Mapped[str | None] = mapped_column(String(200))

    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # Flask-Login protocol. The login session id lives in the signed cookie; see auth.sessions.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(Base):
    """One login. The cookie holds a random token; only its hash is stored.

    Revoking the row (logout, password change, deactivation) makes a copied cookie useless.
    """

    __tablename__ = "user_session"
    # Shown on no page that sends a validator: its writes bump no change counter (tracker.changes).
    shown_on_pages = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship(back_populates="sessions")

    __table_args__ = (Index("ix_user_session_user_id", "user_id"),)


class SsoIdentity(Base):
    """An account's identity at the OpenID provider: its issuer and subject (`sub`), which
    stay when the person's e-mail address changes there."""

    __tablename__ = "sso_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_sso_identity_issuer_subject"),
        Index("ix_sso_identity_user_id", "user_id"),
    )


class LoginThrottle(Base):
    """Login attempts counted per account and source address (`source` "*": all sources of the
    account together), in a window shared by every worker. See auth.services."""

    __tablename__ = "login_throttle"
    # Shown on no page that sends a validator: its writes bump no change counter (tracker.changes).
    shown_on_pages = False

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(email_column())
    source: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("email", "source"),)


class PasswordReset(Base):
    """A password-reset link: single use, expiring; only the token's SHA-256 is stored."""

    __tablename__ = "password_reset"
    # Shown on no page that sends a validator: its writes bump no change counter (tracker.changes).
    shown_on_pages = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_password_reset_user_id", "user_id"),)
