"""Academies (workspaces), their board stages, memberships with a role, and invitations."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import AcademyRow, Base, UTCDateTime, email_column, enum_column, utcnow
from tracker.history import EventMixin

if TYPE_CHECKING:
    from tracker.auth.models import User


class Role(enum.StrEnum):
    MANAGER = "manager"
    DESIGNER = "designer"
    TESTER = "tester"
    STAKEHOLDER = "stakeholder"
    # A vendor's contact: a designer limited to the bricks of their vendor (membership.vendor_id).
    VENDOR = "vendor"


class StageCategory(enum.StrEnum):
    BACKLOG = "backlog"
    ACTIVE = "active"
    REVIEW = "review"
    DONE = "done"


class WipPolicy(enum.StrEnum):
    WARN = "warn"
    BLOCK = "block"


class Academy(Base):
    __tablename__ = "academy"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    # Prefix of brick keys (ACAD-42).
    key_prefix: Mapped[str] = mapped_column(String(10))
    # Last brick number handed out; incremented atomically (see backlog.services.create_brick).
    brick_counter: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    description: Mapped[str] = mapped_column(Text, default="")
    default_locale: Mapped[str] = mapped_column(String(8), default="fr")
    sprint_length_days: Mapped[int] = mapped_column(Integer, default=14)
    # Default release-gate criteria, copied into each new feedback round.
    gate_min_responses: Mapped[int] = mapped_column(Integer, default=30)
    gate_min_response_rate: Mapped[float] = mapped_column(Float, default=50.0)
    gate_min_csat: Mapped[float] = mapped_column(Float, default=75.0)
    gate_min_nps: Mapped[float] = mapped_column(Float, default=0.0)
    gate_max_blocking: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the academy has a webhook endpoint (enabled or not), kept by tracker.webhooks'
    # services: an event of an academy without one is not even looked up (webhooks.events.emit).
    has_webhooks: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    stages: Mapped[list[Stage]] = relationship(
        back_populates="academy",
        order_by="Stage.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="academy", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("sprint_length_days BETWEEN 1 AND 90", name="sprint_length"),
        CheckConstraint("gate_min_responses >= 0", name="gate_min_responses"),
        CheckConstraint("gate_min_response_rate BETWEEN 0 AND 100", name="gate_min_response_rate"),
        CheckConstraint("gate_min_csat BETWEEN 0 AND 100", name="gate_min_csat"),
        CheckConstraint("gate_min_nps BETWEEN -100 AND 100", name="gate_min_nps"),
        CheckConstraint("gate_max_blocking >= 0", name="gate_max_blocking"),
    )

    def __repr__(self) -> str:
        return f"<Academy {self.slug}>"


class Stage(AcademyRow, Base):
    """A column of the board."""

    __tablename__ = "stage"

    name: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[StageCategory] = mapped_column(enum_column(StageCategory))
    wip_limit: Mapped[int | None] = mapped_column(Integer)
    wip_policy: Mapped[WipPolicy] = mapped_column(enum_column(WipPolicy), default=WipPolicy.WARN)

    academy: Mapped[Academy] = relationship(back_populates="stages")

    __table_args__ = (
        UniqueConstraint("academy_id", "name"),
        CheckConstraint("wip_limit IS NULL OR wip_limit > 0", name="wip_limit_positive"),
    )


class Membership(AcademyRow, Base):
    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The vendor a VENDOR member works for (tracker/vendors); None for every other role.
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendor.id", ondelete="RESTRICT"))

    academy: Mapped[Academy] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("academy_id", "user_id"),
        Index("ix_membership_user_id", "user_id"),
    )


class AcademyInvitation(AcademyRow, Base):
    """An invitation to join an academy with a role. The link's token is stored hashed.

    Nobody becomes a member without accepting: a person with an account accepts while logged in,
    anyone else while creating their account. `display_name` is the name the academy typed (shown
    to its managers until the person accepts; never written over an existing account's name);
    `profile` holds the tester panel's attributes of an invitation made by the panel's import.
    """

    __tablename__ = "academy_invitation"

    email: Mapped[str] = mapped_column(email_column())
    role: Mapped[Role] = mapped_column(enum_column(Role))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    profile: Mapped[dict[str, str] | None] = mapped_column(JSON(none_as_null=True))
    # An invitation of a vendor's contact: the membership it makes is limited to this vendor.
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendor.id", ondelete="CASCADE"))

    academy: Mapped[Academy] = relationship()
    invited_by: Mapped[User | None] = relationship()

    def is_usable(self, now: dt.datetime) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.declined_at is None
            and now < self.expires_at
        )


class MemberEventKind(enum.StrEnum):
    INVITED = "invited"
    JOINED = "joined"
    DECLINED = "declined"
    INVITATION_REVOKED = "invitation_revoked"
    ROLE_CHANGED = "role_changed"
    REMOVED = "removed"


class MemberEvent(EventMixin, Base):
    """The academy's history of its people: who invited, joined, declined, changed or left.

    Shown to the academy's managers. `by_site_admin` marks what a site admin did without being
    a manager here, so that running the instance never touches an academy's people unseen.
    """

    __tablename__ = "member_event"

    academy_id: Mapped[int] = mapped_column(ForeignKey("academy.id", ondelete="CASCADE"))
    kind: Mapped[MemberEventKind] = mapped_column(enum_column(MemberEventKind))
    # The person concerned, by address (an invitation may have no account behind it).
    email: Mapped[str] = mapped_column(email_column())
    role: Mapped[Role | None] = mapped_column(enum_column(Role))
    by_site_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_member_event_academy_id_at", "academy_id", "at"),)
