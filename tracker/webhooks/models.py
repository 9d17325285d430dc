"""Webhook endpoints, the events of an academy (the outbox) and their deliveries."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import AcademyRow, Base, UTCDateTime, enum_column, utcnow


class WebhookEndpoint(AcademyRow, Base):
    """An HTTPS URL that receives some of the academy's events, signed with its secret."""

    __tablename__ = "webhook_endpoint"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The event types it receives (EVENT_TYPES' values).
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The signing secret ("whsec_" + base64 of 32 random bytes), sealed (tracker.webhooks.
    # sealing): the sender needs it to sign; the manager sees it once, when the endpoint is
    # created (or given a new secret).
    sealed_secret: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Why it was disabled by the sender (empty when a manager disabled it, or enabled).
    disabled_reason: Mapped[str] = mapped_column(String(500), default="")
    # One sender at a time per endpoint (deliveries leave in order): the claim and its lease.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_webhook_endpoint_academy_id", "academy_id"),)


class WebhookEvent(AcademyRow, Base):
    """Something that happened in the academy, written in the same transaction as the change."""

    __tablename__ = "webhook_event"

    # The Standard Webhooks message id (`webhook-id`): the same for every send of this event.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    # The JSON body sent: {"type", "timestamp", "data"}, serialized once.
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # to send (again, from next_attempt_at on)
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # out of tries (the endpoint was then disabled)


class WebhookDelivery(Base):
    """One event to one endpoint; sent in id order per endpoint."""

    shown_on_pages = False  # tracker.changes: written by work no page validator shows

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_event.id", ondelete="CASCADE"))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_webhook_delivery_endpoint_status_id", "endpoint_id", "status", "id"),
        Index("ix_webhook_delivery_event_id", "event_id"),
        Index("ix_webhook_delivery_finished_at", "finished_at"),
    )


class WebhookAttempt(Base):
    """One try of a delivery: what the endpoint answered, and how fast."""

    shown_on_pages = False  # tracker.changes: written by work no page validator shows

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    # A short reason in English when no answer came (timeout, refused address...).
    error: Mapped[str] = mapped_column(String(500), default="")
