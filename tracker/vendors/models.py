"""Vendors (prestataires): the directory, their contacts, the specifications sent to them
(cahiers des charges, versioned), their quotes with the managers' decisions, and the academy's
settings for specifications (LMS standard, accessibility target, devices, the template).

A brick names its vendor (`brick.vendor_id`), a vendor's member names theirs
(`membership.vendor_id`): both are foreign keys to `vendor`, which is never deleted while
referenced (RESTRICT), only archived.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import AcademyRow, Base, UTCDateTime, email_column, enum_column, utcnow
from tracker.history import EventMixin

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.backlog.models import Brick


class LmsStandard(enum.StrEnum):
    SCORM_12 = "scorm12"
    SCORM_2004 = "scorm2004"
    XAPI = "xapi"
    CMI5 = "cmi5"


class SourceKind(enum.StrEnum):
    """What a specification was generated from."""

    BRICK = "brick"
    PATH = "path"
    RELEASE = "release"


class QuoteStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class Vendor(AcademyRow, Base):
    __tablename__ = "vendor"

    name: Mapped[str] = mapped_column(String(120))
    company: Mapped[str] = mapped_column(String(200), default="")  # legal name, SIRET...
    # Brick formats they make (BrickFormat values), languages (codes), the DLM's watch tags.
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    contract_reference: Mapped[str] = mapped_column(String(120), default="")
    contract_start: Mapped[dt.date | None] = mapped_column(Date)
    contract_end: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    contacts: Mapped[list[VendorContact]] = relationship(
        back_populates="vendor",
        order_by="VendorContact.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        UniqueConstraint("academy_id", "name"),
        CheckConstraint(
            "contract_end IS NULL OR contract_start IS NULL OR contract_end >= contract_start",
            name="contract_dates",
        ),
    )


class VendorContact(Base):
    """A person at the vendor; may be invited as the academy's member limited to the vendor."""

    __tablename__ = "vendor_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(email_column())
    phone: Mapped[str] = mapped_column(String(40), default="")
    job_title: Mapped[str] = mapped_column(String(120), default="")

    vendor: Mapped[Vendor] = relationship(back_populates="contacts")

    __table_args__ = (
        UniqueConstraint("vendor_id", "email"),
        Index("ix_vendor_contact_vendor_id", "vendor_id"),
    )


class VendorSettings(AcademyRow, Base):
    """The academy's technical constraints for its specifications, and its template."""

    __tablename__ = "vendor_settings"

    lms_standard: Mapped[LmsStandard] = mapped_column(
        enum_column(LmsStandard), default=LmsStandard.SCORM_2004
    )
    accessibility_target: Mapped[str] = mapped_column(String(120), default="RGAA 4.1 (WCAG 2.1 AA)")
    devices: Mapped[str] = mapped_column(String(255), default="")
    template: Mapped[str] = mapped_column(Text, default="")  # "" = the built-in template

    __table_args__ = (UniqueConstraint("academy_id"),)


specification_brick = Table(
    "specification_brick",
    Base.metadata,
    Column(
        "specification_id",
        ForeignKey("specification.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("brick_id", ForeignKey("brick.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_specification_brick_brick_id", "brick_id"),
)


class Specification(AcademyRow, Base):
    """A cahier des charges for a vendor: its draft (Markdown) and its sent versions."""

    __tablename__ = "specification"

    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    source_kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind))
    source_id: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text, default="")  # the draft
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The vendor's side: acknowledged (which sent version), and their answer.
    acknowledged_version: Mapped[int | None] = mapped_column(Integer)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    vendor: Mapped[Vendor] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()
    versions: Mapped[list[SpecificationVersion]] = relationship(
        back_populates="specification",
        order_by="SpecificationVersion.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (Index("ix_specification_vendor_id", "vendor_id"),)

    @property
    def sent_version(self) -> int | None:
        return self.versions[-1].number if self.versions else None


class SpecificationVersion(Base):
    """A version as it was sent (kept for good)."""

    __tablename__ = "specification_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    specification_id: Mapped[int] = mapped_column(
        ForeignKey("specification.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    specification: Mapped[Specification] = relationship(back_populates="versions")
    sent_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("specification_id", "number"),)


class Quote(AcademyRow, Base):
    """A vendor's quote, for one brick or for a specification (its bricks share it)."""

    __tablename__ = "quote"

    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id", ondelete="RESTRICT"))
    specification_id: Mapped[int | None] = mapped_column(
        ForeignKey("specification.id", ondelete="RESTRICT")
    )
    brick_id: Mapped[int | None] = mapped_column(ForeignKey("brick.id", ondelete="SET NULL"))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    days: Mapped[int | None] = mapped_column(Integer)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[QuoteStatus] = mapped_column(
        enum_column(QuoteStatus), default=QuoteStatus.PENDING
    )
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    vendor: Mapped[Vendor] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    specification: Mapped[Specification | None] = relationship()
    brick: Mapped[Brick | None] = relationship("Brick")

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("days IS NULL OR days >= 0", name="days_not_negative"),
        Index("ix_quote_vendor_id", "vendor_id"),
        Index("ix_quote_specification_id", "specification_id"),
        Index("ix_quote_brick_id", "brick_id"),
    )


class QuoteEvent(EventMixin, Base):
    """The history of a quote: submitted, accepted, refused (with the manager's note)."""

    __tablename__ = "quote_event"

    quote_id: Mapped[int] = mapped_column(ForeignKey("quote.id", ondelete="CASCADE"))
    status: Mapped[QuoteStatus] = mapped_column(enum_column(QuoteStatus))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_quote_event_quote_id", "quote_id"),)


class BrickBudget(AcademyRow, Base):
    """The planned cost of a brick (the actual cost is its accepted quotes)."""

    __tablename__ = "brick_budget"

    brick_id: Mapped[int] = mapped_column(ForeignKey("brick.id", ondelete="CASCADE"))
    planned: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")

    __table_args__ = (
        UniqueConstraint("brick_id"),
        CheckConstraint("planned >= 0", name="planned_not_negative"),
    )
